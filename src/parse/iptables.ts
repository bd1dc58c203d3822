import { DiagnosticSink, fileKind, intern, type Parsed, shellSplit, textLines, type TextLine, parseMemo } from './types.js';
import { isPortSpec, parseCounter, parseMark, parsePort, protocolName, SERVICE_PORTS } from './numbers.js';

export const IPTABLES_TABLES = ['filter', 'nat', 'mangle', 'raw', 'security'] as const;

/** One rule, normalised so that the same rule reads the same whichever format it came from. */
export interface IptablesRule {
  table: string;
  chain: string;
  /** 1-based position in its chain. */
  index: number;
  /** Jump or goto target; '' when the rule has none. */
  target: string;
  /** 'all', 'tcp', 'udp', ... (numbers printed by newer iptables are named). */
  protocol: string;
  /** '0.0.0.0/0' for any; a single IPv4 host without '/32'; '!' prefix when negated. */
  source: string;
  destination: string;
  /** '' for any; '!' prefix when negated. */
  inInterface: string;
  outInterface: string;
  /** Destination / source port when the rule matches exactly one; 0 otherwise. */
  dport: number;
  sport: number;
  /** The port match as written (8080, 1000:2000, 80,443, !8080); '' when none. */
  dportSpec: string;
  /** DNAT/SNAT target address and port (0 when no port). */
  toAddress: string;
  toPort: number;
  /** MARK --set-mark / --set-xmark value as a number; -1 when the rule sets none. */
  setMark: number;
  /** addrtype match: dst-type / src-type values, '' when absent. */
  dstType: string;
  srcType: string;
  /** Names of -m modules (or listing keywords) the rule uses. */
  matches: string[];
  /** The rule's own text as captured. */
  text: string;
  file: string;
  line: number;
}

/**
 * One chain. Rules of iptables-save and -S input are kept as their lines and built when first read:
 * a node has hundreds of rules in chains no rule or walk looks at (a 20 MB iptables-save hundreds of
 * thousands), and a trace reads a few rules of each chain. Their errors are found when the file is
 * parsed all the same: each line is read once then, into its text's reading (see RuleLine) for a
 * file of ordinary size, from which its rule is a copy; a larger file's lines are read again.
 */
export class IptablesChain {
  /** Rule texts as captured, and their lines (iptables-save and -S). */
  private readonly texts: string[] = [];
  private readonly lineNos: number[] = [];
  /** Each line's text as read (files of ordinary size), from which its rule is made. */
  private readonly reads: RuleLine[] = [];
  private built: IptablesRule[] | undefined;

  constructor(
    readonly table: string,
    readonly name: string,
    /** Built-in chains have a policy; user chains have null. */
    public policy: string | null,
    /** Where the chain is declared (`:FORWARD DROP [0:0]`, `-P`, `Chain FORWARD (policy DROP)`); 0 when only its rules are. */
    public line: number,
    readonly file: string,
  ) {}

  /** The rules in order. */
  get rules(): IptablesRule[] {
    if (!this.built) {
      this.built = new Array(this.texts.length);
      for (let k = 0; k < this.texts.length; k++) this.built[k] = this.build(k);
    }
    return this.built;
  }

  /** How many rules, without building them. */
  get size(): number {
    return this.texts.length || (this.built?.length ?? 0);
  }

  /** Whether the rules are iptables-save / -S lines (else -L rows, read into fields only). */
  get saveForm(): boolean {
    return this.texts.length > 0;
  }

  /** Rule k (0-based): its text and line without building it, or the rule itself (built alone if need be). */
  textAt(k: number): string {
    return this.saveForm ? this.texts[k] : this.rules[k].text;
  }

  lineAt(k: number): number {
    return this.saveForm ? this.lineNos[k] : this.rules[k].line;
  }

  ruleAt(k: number): IptablesRule {
    return this.built ? this.built[k] : this.build(k);
  }

  /**
   * The fields rule k reads as, without building it: the rule if it is built (every rule of an -L
   * listing), else its text's reading (a file of ordinary size), whose table, chain, file, line and
   * index are those of the first line with that text; undefined when neither is at hand.
   */
  fieldsAt(k: number): IptablesRule | undefined {
    return this.built?.[k] ?? this.reads[k]?.rule;
  }

  /**
   * Rule k's text's reading (a file of ordinary size): one object for every line with that text, on
   * any node of the capture, whatever its place in its chain; undefined without one.
   */
  readingAt(k: number): RuleLine | undefined {
    return this.reads[k];
  }

  /** Whether sameRules can hold for this chain at all: it has rules, each line with its text's reading. */
  get shareable(): boolean {
    return this.texts.length > 0 && this.reads.length === this.texts.length;
  }

  /**
   * Whether another chain holds the same rules in the same order, told without reading them: in files
   * of ordinary size each text's reading is one object, shared by every line with that text (see
   * ruleLine). False when either chain has a line without one (a -L listing, a file over 4 MB, a
   * text past the memo's bound).
   */
  sameRules(other: IptablesChain): boolean {
    const a = this.reads;
    const b = other.reads;
    const n = this.texts.length;
    if (n === 0 || other.texts.length !== n || a.length !== n || b.length !== n) return false;
    for (let k = 0; k < n; k++) if (a[k] !== b[k]) return false;
    return true;
  }

  /**
   * A rule line (`-A CHAIN ...`) of a file too large to keep its rules built, checked when the file
   * is parsed: its rule is built when the chain is read.
   */
  addLine(text: string, line: number, sink: DiagnosticSink, tokens: string[]): void {
    this.texts.push(text);
    this.lineNos.push(line);
    saveArgs(tokens, 2, line, sink);
    this.built = undefined;
  }

  /**
   * A rule line of a file of ordinary size, its text read (see ruleLine: once per text, here or on
   * another node): its problems reported at this line; its rule, when read, the text's in this chain.
   */
  addRead(line: number, sink: DiagnosticSink, read: RuleLine): void {
    const n = this.texts.length;
    // The reading's text, which is the line's: the line's own would keep its whole file alive (a
    // slice of it) for as long as the chain; the reading's keeps the first file with the text.
    this.texts.push(read.rule.text);
    this.lineNos.push(line);
    if (this.reads.length === n) this.reads.push(read);
    // Indexed: a for-of over every line's (nearly always empty) list makes an iterator per line.
    for (let i = 0; i < read.problems.length; i++) {
      const p = read.problems[i];
      if (p.severity === 'error') sink.error(line, p.message);
      else sink.warn(line, p.message);
    }
    this.built = undefined;
  }

  /** An -L row, read into its rule at once. */
  addRow(rule: IptablesRule): void {
    this.built ??= [];
    rule.index = this.built.length + 1;
    this.built.push(rule);
  }

  private build(k: number): IptablesRule {
    const read = this.reads[k];
    return read ? ruleFrom(read.rule, this.table, this.name, this.file, this.lineNos[k], k + 1) : readSaveRule(this, this.texts[k], this.lineNos[k], k + 1);
  }
}

/**
 * What a rule line's text says, whatever its node, file and line: the problems it has and the rule
 * it reads as (every field but table, chain, file, line and index).
 */
export interface RuleLine {
  /** The chain it appends to (its second word). */
  readonly chain: string;
  readonly problems: readonly { severity: 'error' | 'warning'; message: string }[];
  readonly rule: IptablesRule;
  /**
   * What a reader makes of the text once, for every line with it (the walk: its words and what
   * taking it does); undefined until then. The only field anyone but the parser writes.
   */
  derived: unknown;
}

/**
 * Rule lines of files of ordinary size read so far, by text. The nodes of a swarm carry the same
 * rules (every node DNATs, accepts and marks the same published ports alike): the 50-node
 * benchmark capture has 150,000 rule lines of about 3,000 texts, and a real swarm's nodes differ
 * in a few lines each. Files too large to keep their rules built (a blocklist of hundreds of
 * thousands) are read without it: their lines seldom repeat.
 */
const ruleLines = parseMemo<RuleLine>();
const NO_PROBLEMS: RuleLine['problems'] = Object.freeze([]);

/** Where a line's problems go: the file's diagnostics, or a ProblemRecorder. */
type Problems = Pick<DiagnosticSink, 'error' | 'warn'>;

/** The problems of one line, kept without its line number (each line with the text gives its own). */
class ProblemRecorder {
  list: { severity: 'error' | 'warning'; message: string }[] | undefined;
  error(_line: number, message: string): void {
    (this.list ??= []).push({ severity: 'error', message });
  }
  warn(_line: number, message: string): void {
    (this.list ??= []).push({ severity: 'warning', message });
  }
}

/** A rule line (`-A CHAIN ...`) read from its tokens. */
function ruleLine(text: string, tokens: string[]): RuleLine {
  const rec = new ProblemRecorder();
  const rule = emptyRule('', tokens[1], '', 0, text);
  saveArgs(tokens, 2, 0, rec, rule);
  return { chain: tokens[1], problems: rec.list ?? NO_PROBLEMS, rule, derived: undefined };
}

/** The rule of a text in its own table, chain, file and line (its match list is shared: never changed). */
function ruleFrom(t: IptablesRule, table: string, chain: string, file: string, line: number, index: number): IptablesRule {
  return {
    table, chain, index, target: t.target, protocol: t.protocol, source: t.source, destination: t.destination,
    inInterface: t.inInterface, outInterface: t.outInterface, dport: t.dport, sport: t.sport, dportSpec: t.dportSpec,
    toAddress: t.toAddress, toPort: t.toPort, setMark: t.setMark, dstType: t.dstType, srcType: t.srcType, matches: t.matches,
    text: t.text, file, line,
  };
}

/** One `-A CHAIN ...` line as a rule (its problems were reported when the file was parsed). */
function readSaveRule(chain: IptablesChain, text: string, line: number, index: number): IptablesRule {
  const rule = emptyRule(chain.table, chain.name, chain.file, line, text);
  rule.index = index;
  saveArgs(shellSplit(text), 2, line, new DiagnosticSink(chain.file), rule);
  return rule;
}

export interface IptablesData {
  /** table -> chain name -> chain */
  tables: Map<string, Map<string, IptablesChain>>;
  /** A '# Warning: iptables-legacy tables present' line was seen. */
  legacyTablesPresent: boolean;
}

const LEGACY_WARNING = /^#?\s*Warning: iptables-legacy tables present/i;

/**
 * Whether a line is the legacy-tables warning. Only a line whose first character, spaces trimmed,
 * is `#` or `W` can be: the others are passed on that character (a test of the whole text, case
 * folded, read every byte of every file).
 */
function legacyWarning(lines: TextLine[]): boolean {
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i].text;
    const c = text.charCodeAt(0);
    // # W w, or whitespace that trim() removes (ASCII, NBSP, BOM and the Unicode spaces, all >= 0x1680).
    if ((c === 35 || c === 87 || c === 119 || c <= 32 || c === 160 || c >= 0x1680) && LEGACY_WARNING.test(text.trim())) return true;
  }
  return false;
}
const CHAIN_HEADER = /^Chain\s+(\S+)\s+\((?:policy\s+(\S+)(?:\s+\d+[KMGT]?\s+packets,\s+\d+[KMGT]?\s+bytes)?|(\d+)\s+references?)\)\s*$/;
const OPT_TOKEN = /^(--|-f|!f|-)$/;
const LISTING_HEADER = /^(num\s+)?(pkts\s+bytes\s+)?target\s+prot\s+(opt\s+)?(in\s+out\s+)?source\s+destination$/;

/** A rule without matches: one array for all of them (frozen: matches are added by addMatch only). */
const NO_MATCHES: string[] = Object.freeze([]) as unknown as string[];

/**
 * Add a match name: each rule's list holds exactly its names (an array grown by push keeps room for
 * 17, and a 50-node capture has 100,000 rules with a match or two).
 */
function addMatch(rule: IptablesRule, name: string): void {
  rule.matches = rule.matches.length === 0 ? [name] : [...rule.matches, name];
}

function emptyRule(table: string, chain: string, file: string, line: number, text: string): IptablesRule {
  return {
    table, chain, index: 0, target: '', protocol: 'all', source: '0.0.0.0/0', destination: '0.0.0.0/0',
    inInterface: '', outInterface: '', dport: 0, sport: 0, dportSpec: '', toAddress: '', toPort: 0,
    setMark: -1, dstType: '', srcType: '', matches: NO_MATCHES, text, file, line,
  };
}

function normAddress(a: string, negated = false): string {
  let v = a;
  let neg = negated;
  if (v.startsWith('!')) {
    neg = true;
    v = v.slice(1);
  }
  if (v === 'anywhere' || v === '0.0.0.0/0' || v === '0/0' || v === '::/0') v = '0.0.0.0/0';
  else if (/^\d+\.\d+\.\d+\.\d+\/32$/.test(v)) v = v.slice(0, -3);
  return (neg ? '!' : '') + v;
}

function normIface(a: string, negated = false): string {
  let v = a;
  let neg = negated;
  if (v.startsWith('!')) {
    neg = true;
    v = v.slice(1);
  }
  if (v === '*' || v === 'any') return '';
  return (neg ? '!' : '') + v;
}

/**
 * A NAT target's address and port as iptables prints them: 1.2.3.4, 1.2.3.4:80, 1.2.3.4:80-90,
 * 1.2.3.4-1.2.3.9:80, :80, [::1]:80, ::1, 10.0.0.0/24 (NETMAP). Undefined when the port part is not
 * a port, or the address part no address: the rule then cannot be read.
 */
function splitHostPort(text: string): { address: string; port: number } | undefined {
  const portOf = (p: string | undefined): number | undefined => {
    if (p === undefined) return 0;
    const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(\d{1,5}))?$/.exec(p);
    if (!m || [m[1], m[2], m[3]].some((x) => x !== undefined && Number(x) > 65535)) return undefined;
    return Number(m[1]);
  };
  if (text.startsWith('[')) {
    const v6 = /^\[([0-9a-fA-F:.]+)\](?::(.*))?$/.exec(text);
    const port = v6 ? portOf(v6[2]) : undefined;
    return v6 && port !== undefined ? { address: v6[1], port } : undefined;
  }
  if (/^[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:.]*$/.test(text)) return { address: text, port: 0 }; // a bare IPv6 address
  const colon = text.indexOf(':');
  const address = colon < 0 ? text : text.slice(0, colon);
  if (!/^[\d./-]*$/.test(address)) return undefined;
  const port = portOf(colon < 0 ? undefined : text.slice(colon + 1));
  return port === undefined ? undefined : { address, port };
}

function setDport(rule: IptablesRule, spec: string, negated: boolean): void {
  rule.dportSpec = intern((negated ? '!' : '') + spec);
  rule.dport = !negated && /^\d{1,5}$/.test(spec) && Number(spec) <= 65535 ? Number(spec) : 0;
}

/** Options whose next token is their value. */
const VALUE_OPTIONS = new Set([
  '-p', '--protocol', '-s', '--source', '--src', '-d', '--destination', '--dst', '-i', '--in-interface',
  '-o', '--out-interface', '-j', '--jump', '-g', '--goto', '-m', '--match', '--dport', '--destination-port',
  '--dports', '--destination-ports', '--sport', '--source-port', '--to-destination', '--to-source', '--to',
  '--set-mark', '--set-xmark', '--dst-type', '--src-type', '--sports', '--source-ports', '--ports',
]);

/** Port options: single ports or ranges, and multiport's comma lists. */
const PORT_OPTIONS = new Set(['--dport', '--destination-port', '--sport', '--source-port']);
const PORT_LIST_OPTIONS = new Set(['--dports', '--destination-ports', '--sports', '--source-ports', '--ports']);

/**
 * Arguments of one rule as iptables-save / -S prints them (from `from`: after `-A CHAIN`), read into
 * `rule`; without a rule, only checked (what the parser does for every line: see IptablesChain).
 */
function saveArgs(tokens: string[], from: number, line: number, sink: Problems, rule?: IptablesRule): void {
  let neg = false;
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === '!') {
      neg = true;
      continue;
    }
    const next = tokens[i + 1];
    if (VALUE_OPTIONS.has(t)) {
      if (next === undefined) sink.error(line, `option ${t} has no value`);
      else if (checkOption(t, next, line, sink) && rule) applyOption(rule, t, next, neg);
      i++;
    } else if (t === '-c' || t === '--set-counters') {
      i += 2;
    } else if (t.startsWith('-')) {
      // Any other option (e.g. --ctstate X, --comment "x", --ipvs) takes a value unless the next
      // token is another option.
      if (next !== undefined && next !== '!' && !/^-[-a-zA-Z]/.test(next)) i++;
    } else {
      sink.warn(line, `unexpected word '${t}' in rule`);
    }
    neg = false;
  }
}

/** Whether an option's value can be read: ports are ports, NAT targets ADDRESS[:PORT], marks 32-bit numbers. */
function checkOption(opt: string, v: string, line: number, sink: Problems): boolean {
  if (PORT_OPTIONS.has(opt) || PORT_LIST_OPTIONS.has(opt)) {
    if (isPortSpec(v, PORT_LIST_OPTIONS.has(opt))) return true;
    sink.error(line, `${opt} ${v.slice(0, 40)} is not a port${PORT_LIST_OPTIONS.has(opt) ? ' list' : ''} (0-65535)`);
    return false;
  }
  if (opt === '--to-destination' || opt === '--to-source' || opt === '--to') {
    if (splitHostPort(v)) return true;
    sink.error(line, `${opt} ${v.slice(0, 60)} is not ADDRESS[:PORT]`);
    return false;
  }
  if (opt === '--set-mark' || opt === '--set-xmark') {
    if (parseMark(v) !== undefined) return true;
    sink.error(line, `cannot read mark value '${v.slice(0, 40)}' (a 32-bit number)`);
    return false;
  }
  return true;
}

/** A checked option's value into the rule. */
function applyOption(rule: IptablesRule, opt: string, v: string, neg: boolean): void {
  switch (opt) {
    case '-p':
    case '--protocol':
      rule.protocol = intern((neg ? '!' : '') + protocolName(v));
      break;
    case '-s':
    case '--source':
    case '--src':
      rule.source = intern(normAddress(v, neg));
      break;
    case '-d':
    case '--destination':
    case '--dst':
      rule.destination = intern(normAddress(v, neg));
      break;
    case '-i':
    case '--in-interface':
      rule.inInterface = intern(normIface(v, neg));
      break;
    case '-o':
    case '--out-interface':
      rule.outInterface = intern(normIface(v, neg));
      break;
    case '-j':
    case '--jump':
    case '-g':
    case '--goto':
      rule.target = intern(v);
      break;
    case '-m':
    case '--match':
      addMatch(rule, intern(v));
      break;
    case '--sport':
    case '--source-port':
      rule.sport = !neg && /^\d+$/.test(v) ? Number(v) : 0;
      break;
    case '--sports':
    case '--source-ports':
    case '--ports':
      break;
    case '--to-destination':
    case '--to-source':
    case '--to': {
      const hp = splitHostPort(v)!;
      rule.toAddress = intern(hp.address);
      rule.toPort = hp.port;
      break;
    }
    case '--set-mark':
    case '--set-xmark':
      rule.setMark = parseMark(v)!;
      break;
    case '--dst-type':
      rule.dstType = intern((neg ? '!' : '') + v);
      break;
    case '--src-type':
      rule.srcType = intern((neg ? '!' : '') + v);
      break;
    default: // --dport and friends
      setDport(rule, v, neg);
  }
}

/** The free text at the end of an `iptables -L` row: "tcp dpt:8080 to:192.168.0.2:8080", "MARK set 0x205a". */
function applyListingExtras(rule: IptablesRule, extra: string, sink: DiagnosticSink): void {
  const text = extra.replace(/\/\*.*?\*\//g, ' ');
  const tokens = text.split(/\s+/).filter(Boolean);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    let m: RegExpExecArray | null;
    if ((m = /^(!?)dpts?:(\S+)$/.exec(t))) {
      const spec = m[2];
      const port = parsePort(spec, SERVICE_PORTS);
      // Without -n, iptables prints service names: an unknown one is reported, a bad number refused.
      if (port === undefined && /^[\d:,]+$/.test(spec) && !isPortSpec(spec, true)) sink.error(rule.line, `dpt:${spec.slice(0, 40)} is not a port (0-65535)`);
      else if (port === undefined && !/^[\d:,]+$/.test(spec)) sink.warn(rule.line, `unknown service name '${spec}' for a port (capture with -n)`);
      setDport(rule, port !== undefined ? String(port) : spec, m[1] === '!');
    } else if ((m = /^(!?)spts?:(\S+)$/.exec(t))) {
      const port = parsePort(m[2], SERVICE_PORTS);
      if (port === undefined && /^[\d:,]+$/.test(m[2]) && !isPortSpec(m[2], true)) sink.error(rule.line, `spt:${m[2].slice(0, 40)} is not a port (0-65535)`);
      rule.sport = m[1] === '' && port !== undefined ? port : 0;
    } else if (t === 'dports' && tokens[i + 1]) {
      if (!isPortSpec(tokens[i + 1], true)) sink.error(rule.line, `dports ${tokens[i + 1].slice(0, 40)} is not a port list (0-65535)`);
      setDport(rule, tokens[++i], false);
      addMatch(rule, 'multiport');
    } else if ((m = /^to:(\S+)$/.exec(t))) {
      const named = /^(.*):([a-z][\w-]*)$/i.exec(m[1]);
      if (named && !m[1].startsWith('[') && splitHostPort(named[1])) {
        const p = parsePort(named[2], SERVICE_PORTS);
        if (p === undefined) sink.warn(rule.line, `unknown service name '${named[2]}' in to: (capture with -n)`);
        rule.toAddress = named[1];
        rule.toPort = p ?? 0;
      } else {
        const hp = splitHostPort(m[1]);
        if (!hp) sink.error(rule.line, `to:${m[1].slice(0, 60)} is not ADDRESS[:PORT]`);
        else {
          rule.toAddress = hp.address;
          rule.toPort = hp.port;
        }
      }
    } else if (t === 'MARK' && /^(set|xset|or|and|xor)$/.test(tokens[i + 1] ?? '') && tokens[i + 2]) {
      const mk = parseMark(tokens[i + 2]);
      if (mk === undefined) sink.error(rule.line, `cannot read mark value '${tokens[i + 2].slice(0, 40)}' (a 32-bit number)`);
      else if (tokens[i + 1] === 'set' || tokens[i + 1] === 'xset') rule.setMark = mk;
      i += 2;
    } else if (t === 'ADDRTYPE' && tokens[i + 1] === 'match') {
      i += 2;
      while (i < tokens.length && /^(dst-type|src-type)$/.test(tokens[i])) {
        const val = tokens[i + 1] ?? '';
        if (tokens[i] === 'dst-type') rule.dstType = val;
        else rule.srcType = val;
        i += 2;
      }
      i--;
      addMatch(rule, 'addrtype');
    } else if (t === 'ctstate' || t === 'state') {
      addMatch(rule, t === 'ctstate' ? 'conntrack' : 'state');
      i++;
    } else if (t === 'tcp' || t === 'udp' || t === 'sctp') {
      addMatch(rule, t);
    } else if (t === 'ipvs') {
      addMatch(rule, 'ipvs');
    }
  }
}

function ensureChain(tables: IptablesData['tables'], table: string, chain: string, policy: string | null, file: string, line = 0): IptablesChain {
  let t = tables.get(table);
  if (!t) {
    t = new Map();
    tables.set(table, t);
  }
  let c = t.get(chain);
  if (!c) {
    // The name once per text (intern): a name cut from the file (a slice of it) would keep the whole
    // file alive for as long as the chain.
    const name = intern(chain);
    c = new IptablesChain(table, name, policy, line, file);
    t.set(name, c);
  } else {
    if (policy !== null) c.policy = policy;
    if (line && policy !== null) c.line = line;
  }
  return c;
}

/**
 * Files up to this size keep their rules built as they are read; larger ones keep lines and build a
 * chain's rules when it is read (see IptablesChain).
 */
const KEEP_RULES_UP_TO = 4_000_000;

function parseSave(lines: TextLine[], file: string, sink: DiagnosticSink, data: IptablesData, defaultTable: string | undefined, format: 'save' | 'S', keep: boolean): void {
  let table: string | undefined = format === 'S' ? defaultTable ?? 'filter' : undefined;
  // Rule lines read before, looked up first where the last file of this kind had them.
  const lane = ruleLines.lane(fileKind(file));
  /** Where the open table (`*nat` ... `COMMIT`) began; 0 when none is open. */
  let openedAt = 0;
  let committedAt = 0;
  // A table without COMMIT is a cut file (a paste that stopped short): its chains would read as
  // complete and a missing rule as a fault, so the file is refused.
  const unterminated = (where: string) => sink.error(openedAt, `table ${table} (line ${openedAt}) has no COMMIT ${where}: the file is cut short, its rules may be missing`);
  // The chain the last rule line appended to: a file lists its rules chain by chain.
  let last: IptablesChain | undefined;
  const appendTo = (name: string): IptablesChain => {
    if (last !== undefined && last.name === name && last.table === table) return last;
    return (last = ensureChain(data.tables, table!, name, data.tables.get(table!)?.get(name)?.policy ?? null, file));
  };
  // Indexed, not for-of: the loop runs before V8 optimises it, and each step of an iterator then
  // makes an object (350,000 lines in the 50-node capture's parsers).
  for (let i = 0; i < lines.length; i++) {
    const { no, text } = lines[i];
    const line = text.trim();
    const first = line.charCodeAt(0);
    // A rule line (`-A`) is neither a comment nor the legacy tables' warning.
    if (first === 35 || (first !== 45 && LEGACY_WARNING.test(line))) continue;
    if (format === 'save' && line.startsWith('*')) {
      if (openedAt) unterminated(`before '*${line.slice(1).trim()}' at line ${no}`);
      table = line.slice(1).trim();
      openedAt = no;
      ensureTable(data, table);
      continue;
    }
    if (line === 'COMMIT') {
      if (format === 'save' && !openedAt) sink.error(no, 'COMMIT outside a table');
      openedAt = 0;
      committedAt = no;
      if (format === 'save') table = undefined;
      continue;
    }
    if (line.startsWith(':')) {
      const m = /^:(\S+)\s+(\S+)/.exec(line);
      if (!m || !table) {
        sink.error(no, `chain declaration outside a table or malformed: '${line}'`);
        continue;
      }
      ensureChain(data.tables, table, m[1], m[2] === '-' ? null : m[2], file, no);
      continue;
    }
    let body = line;
    if (first === 91 && /^\[\d+:\d+\]\s/.test(body)) body = body.replace(/^\[\d+:\d+\]\s+/, '');
    // A rule line read before, here or in another node's file, is not read again.
    const known = keep && table ? lane.get(no, body) : undefined;
    if (known) {
      appendTo(known.chain).addRead(no, sink, known);
      continue;
    }
    const tokens = shellSplit(body);
    const op = tokens[0];
    if (!table) {
      sink.error(no, committedAt ? `rule outside a table (after the COMMIT at line ${committedAt}, before any '*table' line)` : `rule before any '*table' line`);
      continue;
    }
    if (op === '-P' && tokens[1] && tokens[2]) {
      ensureChain(data.tables, table, tokens[1], tokens[2], file, no);
    } else if (op === '-N' && tokens[1]) {
      ensureChain(data.tables, table, tokens[1], null, file, no);
    } else if ((op === '-A' || op === '--append') && tokens[1]) {
      const chain = appendTo(tokens[1]);
      if (keep) chain.addRead(no, sink, lane.keep(no, body, ruleLine(body, tokens)));
      else chain.addLine(body, no, sink, tokens);
    } else {
      sink.error(no, `not an iptables rule line: '${line.slice(0, 80)}'`);
    }
  }
  if (openedAt) unterminated('before the end of the file');
}

function ensureTable(data: IptablesData, table: string): void {
  if (!data.tables.has(table)) data.tables.set(table, new Map());
}

interface ListingColumns {
  num: boolean;
  verbose: boolean;
}

function parseListing(lines: TextLine[], file: string, sink: DiagnosticSink, data: IptablesData, table: string): void {
  let chain: IptablesChain | undefined;
  let cols: ListingColumns | undefined;
  ensureTable(data, table);
  for (const { no, text } of lines) {
    const line = text.trim();
    if (LEGACY_WARNING.test(line)) continue;
    const header = CHAIN_HEADER.exec(line);
    if (header) {
      chain = ensureChain(data.tables, table, header[1], header[2] ?? null, file, no);
      cols = undefined;
      continue;
    }
    if (/^(num\s+)?(pkts\s+bytes\s+)?target\s+prot\s+/.test(line)) {
      cols = { num: line.startsWith('num'), verbose: /\bpkts\s+bytes\b/.test(line) };
      if (!LISTING_HEADER.test(line)) sink.error(no, `malformed column header (two lines run together?): '${line.slice(0, 100)}'`);
      continue;
    }
    if (!chain || !cols) {
      sink.error(no, `row outside a 'Chain' block: '${line.slice(0, 80)}'`);
      continue;
    }
    const tokens = line.split(/\s+/);
    let i = 0;
    if (cols.num) {
      if (!/^\d+$/.test(tokens[i] ?? '')) {
        sink.error(no, `expected a rule number, found '${tokens[i]}'`);
        continue;
      }
      i++;
    }
    if (cols.verbose) {
      if (parseCounter(tokens[i] ?? '') === undefined || parseCounter(tokens[i + 1] ?? '') === undefined) {
        sink.error(no, `expected packet and byte counters, found '${tokens.slice(i, i + 2).join(' ')}'`);
        continue;
      }
      i += 2;
    }
    // The target column is empty for rules without one: then the protocol comes first.
    let target = tokens[i] ?? '';
    const protoLike = (s: string | undefined): boolean => s !== undefined && /^(!?)(all|tcp|udp|icmp|icmpv6|esp|ah|sctp|udplite|gre|ipv6-icmp|\d+)$/.test(s);
    if (protoLike(tokens[i]) && (OPT_TOKEN.test(tokens[i + 1] ?? '') || !protoLike(tokens[i + 1]))) {
      const after = tokens[i + 1] ?? '';
      // "all -- ..." or "tcp * * ..." (no opt column): no target.
      if (OPT_TOKEN.test(after) || after === '*' || /^[\d.:/!]|^anywhere$/.test(after)) target = '';
      else i++;
    } else i++;
    const rule = emptyRule(table, chain.name, file, no, line);
    rule.target = target;
    const proto = tokens[i++];
    if (proto === undefined) {
      sink.error(no, `row ends before its protocol column`);
      continue;
    }
    rule.protocol = proto.startsWith('!') ? '!' + protocolName(proto.slice(1)) : protocolName(proto);
    if (OPT_TOKEN.test(tokens[i] ?? '')) i++;
    if (cols.verbose) {
      rule.inInterface = normIface(tokens[i++] ?? '*');
      rule.outInterface = normIface(tokens[i++] ?? '*');
    }
    const src = tokens[i++];
    const dst = tokens[i++];
    if (src === undefined || dst === undefined) {
      sink.error(no, `row ends before its source and destination columns`);
      continue;
    }
    rule.source = normAddress(src);
    rule.destination = normAddress(dst);
    applyListingExtras(rule, tokens.slice(i).join(' '), sink);
    chain.addRow(rule);
  }
}

export type IptablesFormat = 'iptables-save' | 'iptables-S' | 'iptables-L';

export function detectIptablesFormat(lines: TextLine[]): IptablesFormat | undefined {
  for (const { text } of lines) {
    const t = text.trim();
    if (LEGACY_WARNING.test(t)) continue;
    if (t.startsWith('# Generated by') || t.startsWith('*') || /^:\S+\s+\S+\s+\[/.test(t)) return 'iptables-save';
    if (t.startsWith('#')) continue;
    if (/^-[PNA]\s/.test(t)) return 'iptables-S';
    if (/^Chain\s+\S+\s+\(/.test(t)) return 'iptables-L';
    return undefined;
  }
  return undefined;
}

/**
 * Parse iptables output in any of its printed forms. `table` names the table when the content
 * cannot (an -S or -L listing of one table); for iptables-save the content names its tables.
 */
export function parseIptables(content: string, file: string, table?: string): Parsed<IptablesData> {
  const sink = new DiagnosticSink(file);
  const data: IptablesData = { tables: new Map(), legacyTablesPresent: false };
  const lines = textLines(content);
  data.legacyTablesPresent = legacyWarning(lines);
  const format = detectIptablesFormat(lines);
  if (!format) {
    const first = lines.find((l) => !LEGACY_WARNING.test(l.text.trim()));
    if (first) sink.error(first.no, `not iptables output (expected iptables-save, -S or -L): '${first.text.slice(0, 80)}'`);
    else sink.error(0, 'empty file: no iptables output');
    return { format: 'unknown', data, diagnostics: sink.list };
  }
  const keep = content.length <= KEEP_RULES_UP_TO;
  if (format === 'iptables-save') parseSave(lines, file, sink, data, table, 'save', keep);
  else if (!table) {
    sink.error(lines[0].no, `${format === 'iptables-S' ? '-S' : '-L'} output names no table: save one table per file as iptables-<TABLE>.txt, or use iptables-save`);
  } else if (format === 'iptables-S') parseSave(lines, file, sink, data, table, 'S', keep);
  else parseListing(lines, file, sink, data, table);
  return { format, data, diagnostics: sink.list };
}

/** Merge the tables of several files (iptables.txt and iptables-<TABLE>.txt); later files win per table. */
export function mergeIptables(parts: IptablesData[]): IptablesData {
  const out: IptablesData = { tables: new Map(), legacyTablesPresent: false };
  for (const p of parts) {
    out.legacyTablesPresent ||= p.legacyTablesPresent;
    for (const [name, chains] of p.tables) out.tables.set(name, chains);
  }
  return out;
}
