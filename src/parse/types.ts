/** A problem found while reading one file: where it is and what it is. Parsers never throw. */
export interface Diagnostic {
  file: string;
  line: number; // 1-based; 0 when it concerns the whole file
  severity: 'error' | 'warning';
  message: string;
}

export interface Parsed<T> {
  /** The format recognised from content, e.g. "iptables-save", "proc-ip_vs". */
  format: string;
  data: T;
  diagnostics: Diagnostic[];
}

export class DiagnosticSink {
  readonly list: Diagnostic[] = [];
  constructor(readonly file: string) {}
  error(line: number, message: string): void {
    this.list.push({ file: this.file, line, severity: 'error', message });
  }
  warn(line: number, message: string): void {
    this.list.push({ file: this.file, line, severity: 'warning', message });
  }
}

/** Lines of pasted text: CRLF folded, trailing spaces cut, a leading shell prompt line dropped. */
export interface TextLine {
  no: number;
  text: string;
}

// Not `->` (an IPVS backend line, whose arrow reads like a one-character prompt).
const PROMPT = /^\s*(?!->)(\[[^\]]*\][#$]|[\w.@:~/-]+[#$%>])\s+\S/;

/** A byte order mark some editors put first: not part of the content. */
export function stripBom(content: string): string {
  return content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
}

export function textLines(content: string): TextLine[] {
  const text = stripBom(content);
  // Copying a large file to fold line ends costs more than looking for a CR first.
  const raw = (text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text).split('\n');
  const out: TextLine[] = [];
  for (let i = 0; i < raw.length; i++) {
    const text = raw[i].trimEnd();
    if (text === '') continue;
    out.push({ no: i + 1, text });
  }
  // A person pasting output often keeps the command line that produced it.
  if (out.length > 0 && PROMPT.test(out[0].text)) out.shift();
  return out;
}

export function isPromptLine(text: string): boolean {
  return PROMPT.test(text);
}

/**
 * What a reading makes of a text, made once per text and kept as long as the memo lives (the
 * parsers' for the life of the process): a capture repeats its texts from line to line and node to
 * node. Past `max` texts, new ones are made as they come and not kept, so that a file of distinct
 * lines (a blocklist) cannot grow it without bound.
 */
export class TextMemo<V> {
  private readonly known = new Map<string, V>();

  constructor(private readonly max = 65536) {}

  /** What `read` makes of the text: remembered, or read now (a function made once: this is per line). */
  of(text: string, read: (text: string) => V): V {
    const hit = this.known.get(text);
    return hit !== undefined ? hit : this.keep(text, read(text));
  }

  /** What the text made, if it is remembered. */
  get(text: string): V | undefined {
    return this.known.get(text);
  }

  /** Remember what a text made (read elsewhere), while there is room; gives it back. */
  keep(text: string, value: V): V {
    if (this.known.size < this.max) this.known.set(text, value);
    return value;
  }

  private readonly lanes = new Map<string, MemoLane<V>>();

  /** Forget every text (see forgetParseMemos). */
  clear(): void {
    this.known.clear();
    this.lanes.clear();
  }

  /**
   * The memo as files of one kind read it (see fileKind), line by line: each line is looked up
   * first where the last file of that kind had it. The nodes of a swarm list their rules, IPVS
   * services and backends alike, line for line; comparing a line with the one at its place in the
   * last file costs a fraction of hashing it for the map.
   */
  lane(kind: string): MemoLane<V> {
    let l = this.lanes.get(kind);
    if (!l) {
      if (this.lanes.size >= 64) this.lanes.clear();
      this.lanes.set(kind, (l = new MemoLane(this)));
    }
    return l;
  }
}

/** The parsers' memos (parseMemo): what they remember serves the reading of one capture. */
const parseMemos: TextMemo<unknown>[] = [];

/** A memo of the lines a parser reads, forgotten with the others once a capture is modelled (forgetParseMemos). */
export function parseMemo<V>(max?: number): TextMemo<V> {
  const m = new TextMemo<V>(max);
  parseMemos.push(m as TextMemo<unknown>);
  return m;
}

/**
 * Forget what the parsers remember of the lines they read (each line's reading, by text and by
 * place): it lets reading a swarm's nodes, which list the same lines, skip all but the first node's,
 * and has no use once the capture is modelled. Kept, it holds its lines, and the files their texts
 * are cut from, for the rest of the run: up to 65,536 lines per memo, most of a capture whose
 * nodes' files differ line by line (counters, states), as a busy swarm's do.
 */
export function forgetParseMemos(): void {
  for (const m of parseMemos) m.clear();
}

/** Lines a lane remembers by place (line numbers past this are looked up in the map alone). */
const LANE_LINES = 1 << 16;

/** The texts and readings of the last file of one kind, by line number (see TextMemo.lane). */
export class MemoLane<V> {
  private readonly texts: string[] = [];
  private readonly values: V[] = [];
  /** By line number: the object made (see `made`) for the last file's line there, and the reading it was made from. */
  private readonly objects: unknown[] = [];
  private readonly objectsFrom: V[] = [];

  constructor(private readonly memo: TextMemo<V>) {}

  /** What the text at line `no` made: the last file's reading when its line `no` was this text, else the memo's. */
  get(no: number, text: string): V | undefined {
    if (this.texts[no] === text) return this.values[no];
    const v = this.memo.get(text);
    if (v !== undefined) this.place(no, text, v);
    return v;
  }

  /** What `read` makes of the text at line `no`: remembered, or read now and kept. */
  of(no: number, text: string, read: (text: string) => V): V {
    const v = this.get(no, text);
    return v !== undefined ? v : this.keep(no, text, read(text));
  }

  /** Remember what the text at line `no` made (in the memo too); gives it back. */
  keep(no: number, text: string, value: V): V {
    this.place(no, text, value);
    return this.memo.keep(text, value);
  }

  /**
   * The object a parser makes of the reading at line `no` (its fields and the line number): the one
   * made for the last file of this kind when its line `no` read as this same reading, else made now
   * (`make`) and kept. The nodes of a swarm list their IPVS backends and neighbours alike, line for
   * line: one object serves every node's line, where each node kept 2,000 of its own per file. An
   * object given here is shared: no one may change it.
   */
  made<O>(no: number, value: V, make: () => O): O {
    if (no < LANE_LINES && this.objectsFrom[no] === value && this.objects[no] !== undefined) return this.objects[no] as O;
    const o = make();
    if (no < LANE_LINES) {
      for (let i = this.objects.length; i <= no; i++) {
        this.objects.push(undefined);
        this.objectsFrom.push(undefined as V);
      }
      this.objects[no] = o;
      this.objectsFrom[no] = value;
    }
    return o;
  }

  private place(no: number, text: string, value: V): void {
    if (no >= LANE_LINES) return;
    // Filled in order, without holes: the arrays stay packed.
    for (let i = this.texts.length; i <= no; i++) {
      this.texts.push('');
      this.values.push(undefined as V);
    }
    this.texts[no] = text;
    this.values[no] = value;
  }
}

/**
 * The kind of a capture file, for the memos' lanes: its folder and name (`host/iptables.txt`,
 * `ingress_sbox/ipvs.txt`), which every node's folder repeats.
 */
export function fileKind(file: string): string {
  const last = file.lastIndexOf('/');
  const before = last > 0 ? file.lastIndexOf('/', last - 1) : -1;
  return file.slice(before + 1);
}

/**
 * One string per text for the short values a capture repeats on every line and every node (tcp,
 * eth0, REACHABLE, Masq, a backend's address): each word a parser splits off is a string of its
 * own, and a 50-node capture kept a million copies of some twenty thousand texts (31 MB of its
 * heap, and as many objects for the garbage collector to trace).
 */
const interned = parseMemo<string>();
/** A text as its own reading: what TextMemo.of keeps when the memo interns texts. */
export const itself = (s: string) => s;

export function intern(s: string): string {
  return interned.of(s, itself);
}

/** Whether `line.split(' ')` gets it right: no quotes, tabs, runs of spaces or space at either end. */
const splitsPlainly = (line: string): boolean =>
  !line.includes('"') && !line.includes("'") && !line.includes('\t') && !line.includes('  ') && line.charCodeAt(0) !== 32 && line.charCodeAt(line.length - 1) !== 32;

/** Split a line on runs of whitespace, keeping quoted strings ("a b" or 'a b') as one token. */
export function shellSplit(line: string): string[] {
  // Almost every line has no quotes, and single spaces only: split directly.
  if (splitsPlainly(line)) return line === '' ? [] : line.split(' ');
  if (!line.includes('"') && !line.includes("'")) return line.split(/[ \t]+/).filter((t) => t !== '');
  // Quoted parts (--comment "..."): runs are sliced, not built a character at a time.
  const out: string[] = [];
  const n = line.length;
  const plain = (c: string) => c !== ' ' && c !== '\t' && c !== '"' && c !== "'";
  let i = 0;
  while (i < n) {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= n) break;
    let tok = '';
    while (i < n && line[i] !== ' ' && line[i] !== '\t') {
      const q = line[i];
      if (q === '"' || q === "'") {
        // Up to the closing quote; \" inside stands for the quote; unterminated: the rest of the line.
        let j = i + 1;
        for (;;) {
          const end = line.indexOf(q, j);
          if (end < 0) {
            tok += line.slice(j);
            i = n;
            break;
          }
          if (end > j && line[end - 1] === '\\') {
            tok += line.slice(j, end - 1) + q;
            j = end + 1;
            continue;
          }
          tok += line.slice(j, end);
          i = end + 1;
          break;
        }
      } else {
        let j = i;
        while (j < n && plain(line[j])) j++;
        tok += line.slice(i, j);
        i = j;
      }
    }
    out.push(tok);
  }
  return out;
}

/**
 * Parse a JSON document that a person may have pasted after a shell prompt line. Line numbers in
 * errors are those of the file. Returns undefined (with an error diagnostic) when it is not JSON.
 */
export function readJson(content: string, sink: DiagnosticSink): unknown {
  return readJsonText(content, sink)?.value;
}

/** readJson, with the text as parsed (same lines as the file), for finding the line of a value. */
export function readJsonText(content: string, sink: DiagnosticSink): { value: unknown; text: string } | undefined {
  let text = stripBom(content);
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  // A prompt line first is blanked, its newline kept: line numbers stay those of the file.
  const first = /\S/.exec(text);
  if (first) {
    const start = text.lastIndexOf('\n', first.index) + 1;
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    if (isPromptLine(text.slice(start, end))) text = text.slice(0, start) + text.slice(end);
  }
  if (!first || text.trim() === '') {
    sink.error(0, 'empty file: expected JSON');
    return undefined;
  }
  try {
    return { value: JSON.parse(text), text };
  } catch (e) {
    const msg = (e as Error).message;
    const at = jsonErrorOffset(text);
    const line = at < 0 ? 0 : text.slice(0, at).split('\n').length;
    sink.error(line, `invalid JSON: ${msg.replace(/ in JSON at position \d+.*$/, '').replace(/, ".*" is not valid JSON$/s, '')}`);
    return undefined;
  }
}

/**
 * Offset of the first JSON syntax error, or -1. JSON.parse on Node 20 does not always say where
 * it stopped; this scanner runs only after it failed, to name the line.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    } else if (c === '"') str();
    else {
      const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
      if (!m) fail();
      i += m![0].length;
    }
  };
  const str = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail();
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (at) {
    return Math.min(at as number, text.length);
  }
}

/** JSON text (array or object) starts the file, after an optional prompt line. */
export function looksLikeJson(content: string): boolean {
  const lines = textLines(content);
  return lines.length > 0 && /^[[{]/.test(lines[0].text.trim());
}

/* ---------- JSON values where they stand ---------- */

/** Where a value stands in a JSON document: object keys and array indices from the root. */
export type JsonPath = (string | number)[];

/**
 * A path built as a reader goes down, without copying: an array (the root is []) or one more key
 * under another. Made an array (pathOf) only when a problem is reported there.
 */
export type JsonAt = JsonPath | { readonly up: JsonAt; readonly key: string | number };

export const at = (up: JsonAt, key: string | number): JsonAt => ({ up, key });

export function pathOf(a: JsonAt): JsonPath {
  const keys: (string | number)[] = [];
  let x = a;
  while (!Array.isArray(x)) {
    const step = x as { up: JsonAt; key: string | number };
    keys.push(step.key);
    x = step.up;
  }
  return [...(x as JsonPath), ...keys.reverse()];
}

/** `[2].Endpoint.Ports[0].PublishedPort` reads as `service entry 2: Endpoint.Ports[0].PublishedPort` (what = 'service'). */
export function pathText(path: JsonPath, what = ''): string {
  if (path.length === 0) return 'the document';
  let out = typeof path[0] === 'string' && what ? `${what} ` : '';
  path.forEach((k, i) => {
    if (typeof k === 'number') out += i === 0 ? `${what ? what + ' ' : ''}entry ${k}: ` : `[${k}]`;
    else out += i === 0 || (i === 1 && typeof path[0] === 'number') ? k : `.${k}`;
  });
  return out.replace(/: $/, '');
}

interface PathNode {
  children: Map<string, PathNode>;
  ids: number[];
}

/**
 * The line on which each of `paths` starts in a JSON text that JSON.parse accepted (0 for a path
 * not found). One pass over the text, without recursion, whatever the number of paths: only the
 * branches that lead to a wanted path are followed by name.
 */
export function jsonValueLines(text: string, paths: JsonPath[]): number[] {
  const out = paths.map(() => 0);
  const root: PathNode = { children: new Map(), ids: [] };
  paths.forEach((p, id) => {
    let n = root;
    for (const k of p) {
      const key = String(k);
      let c = n.children.get(key);
      if (!c) n.children.set(key, (c = { children: new Map(), ids: [] }));
      n = c;
    }
    n.ids.push(id);
  });
  let i = 0;
  let line = 1;
  const n = text.length;
  const ws = () => {
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) line++;
      else if (c !== 32 && c !== 9 && c !== 13) return;
    }
  };
  /** Skip a string at i (on its opening quote); its decoded text when `want`. */
  const str = (want: boolean): string => {
    const start = ++i;
    let escaped = false;
    while (i < n && text.charCodeAt(i) !== 34) {
      if (text.charCodeAt(i) === 92) {
        escaped = true;
        i++;
      }
      i++;
    }
    const raw = text.slice(start, i);
    i++;
    if (!want) return '';
    if (!escaped) return raw;
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      return raw;
    }
  };
  const stack: { array: boolean; node: PathNode | undefined; index: number }[] = [];
  /** Read `"key" :` and return the node of the value that follows. */
  const member = (frame: { node: PathNode | undefined }): PathNode | undefined => {
    ws();
    const key = str(frame.node !== undefined && frame.node.children.size > 0);
    ws();
    i++; // ':'
    ws();
    return frame.node?.children.get(key);
  };
  ws();
  let node: PathNode | undefined = root;
  for (let guard = 0; i < n && guard <= n; guard++) {
    // At the start of a value whose path node is `node`.
    if (node) for (const id of node.ids) out[id] = line;
    const c = text.charCodeAt(i);
    let opened = false;
    if (c === 123 /* { */ || c === 91 /* [ */) {
      i++;
      ws();
      if (text.charCodeAt(i) === (c === 123 ? 125 : 93)) i++;
      else {
        const frame: { array: boolean; node: PathNode | undefined; index: number } = { array: c === 91, node, index: 0 };
        stack.push(frame);
        node = frame.array ? frame.node?.children.get('0') : member(frame);
        opened = true;
      }
    } else if (c === 34) str(false);
    else while (i < n && !/[\s,\]}]/.test(text[i])) i++;
    if (opened) continue;
    // After a value: a comma starts the next member or element; a bracket closes a container.
    let next = false;
    while (stack.length > 0 && i < n) {
      ws();
      const frame = stack[stack.length - 1];
      const d = text.charCodeAt(i);
      if (d === 44 /* , */) {
        i++;
        ws();
        if (frame.array) node = frame.node?.children.get(String(++frame.index));
        else node = member(frame);
        next = true;
        break;
      }
      i++; // '}' or ']'
      stack.pop();
    }
    if (!next) break;
  }
  return out;
}

interface Pending {
  path: JsonPath | null;
  severity: 'error' | 'warning';
  message: string;
}

const describe = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v);
  return String(v);
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Typed reads of JSON fields that never throw: a value of the wrong type (or out of range) is an
 * error at the line where it stands, and reads as the field's empty value. Absent fields read as
 * empty; `null` reads as empty only where Go writes null for an empty list, map or pointer.
 * `flush()` finds every line in one pass and hands the diagnostics to the sink, in order.
 */
export class JsonFields {
  private pending: Pending[] = [];
  constructor(
    private readonly sink: DiagnosticSink,
    private readonly text: string,
    /** What the document's entries are ('service', 'ip -j neigh'), to name them in messages. */
    readonly what = '',
  ) {}

  /** How a message names the value at `path`. */
  name(path: JsonAt): string {
    return pathText(pathOf(path), this.what);
  }

  /** An error about the value at `path` (null: the whole file, line 0). */
  error(path: JsonAt | null, message: string): void {
    this.pending.push({ path: path === null ? null : pathOf(path), severity: 'error', message });
  }

  warn(path: JsonAt | null, message: string): void {
    this.pending.push({ path: path === null ? null : pathOf(path), severity: 'warning', message });
  }

  flush(): void {
    const located = this.pending.filter((p) => p.path !== null);
    const lines = located.length ? jsonValueLines(this.text, located.map((p) => p.path!)) : [];
    let k = 0;
    for (const p of this.pending) {
      const line = p.path === null ? 0 : lines[k++];
      if (p.severity === 'error') this.sink.error(line, p.message);
      else this.sink.warn(line, p.message);
    }
    this.pending = [];
  }

  private wrong(path: JsonAt, v: unknown, expected: string): void {
    this.error(path, `${this.name(path)} is ${describe(v)}, expected ${expected}`);
  }

  str(o: Obj, base: JsonAt, key: string): string {
    const v = o[key];
    if (v === undefined) return '';
    if (typeof v === 'string') return v;
    this.wrong(at(base, key), v, 'a string');
    return '';
  }

  bool(o: Obj, base: JsonAt, key: string): boolean {
    const v = o[key];
    if (v === undefined) return false;
    if (typeof v === 'boolean') return v;
    this.wrong(at(base, key), v, 'true or false');
    return false;
  }

  /** An integer from min to max (a string of digits is taken too); `absent` when not there. */
  int(o: Obj, base: JsonAt, key: string, min: number, max: number, absent = 0): number {
    const v = o[key];
    if (v === undefined) return absent;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : NaN;
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    this.wrong(at(base, key), v, `an integer from ${min} to ${max}`);
    return absent;
  }

  /** A list; absent or null (Go's empty slice) reads as empty. */
  list(o: Obj, base: JsonAt, key: string): unknown[] {
    const v = o[key];
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v;
    this.wrong(at(base, key), v, 'a list');
    return [];
  }

  /** An object; absent reads as empty, null too when `nullable` (Go's nil map or pointer). */
  obj(o: Obj, base: JsonAt, key: string, nullable: boolean): Obj {
    const v = o[key];
    if (v === undefined || (v === null && nullable)) return {};
    if (isObj(v)) return v;
    this.wrong(at(base, key), v, 'an object');
    return {};
  }

  /** The elements of a list that are objects; any other element is an error. */
  objects(list: unknown[], base: JsonAt, what = 'an object'): { o: Obj; path: JsonAt }[] {
    const out: { o: Obj; path: JsonAt }[] = [];
    list.forEach((v, i) => {
      if (isObj(v)) out.push({ o: v, path: at(base, i) });
      else this.wrong(at(base, i), v, what);
    });
    return out;
  }

  /** The elements of a list that are strings, with their paths; any other element is an error. */
  strings(list: unknown[], base: JsonAt): { s: string; path: JsonAt }[] {
    const out: { s: string; path: JsonAt }[] = [];
    list.forEach((v, i) => {
      if (typeof v === 'string') out.push({ s: v, path: at(base, i) });
      else this.wrong(at(base, i), v, 'a string');
    });
    return out;
  }

  /** The members of a map-valued field whose values are objects (null or absent: none); others are errors. */
  members(o: Obj, base: JsonAt, key: string): { key: string; o: Obj; path: JsonAt }[] {
    const out: { key: string; o: Obj; path: JsonAt }[] = [];
    const map = this.obj(o, base, key, true);
    const where = at(base, key);
    for (const k in map) {
      if (!Object.hasOwn(map, k)) continue;
      const v = map[k];
      if (isObj(v)) out.push({ key: k, o: v, path: at(where, k) });
      else this.wrong(at(where, k), v, 'an object');
    }
    return out;
  }
}
