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

const PROMPT = /^\s*(\[[^\]]*\][#$]|[\w.@:~/-]+[#$%>])\s+\S/;

export function textLines(content: string): TextLine[] {
  const raw = content.replace(/\r\n?/g, '\n').split('\n');
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

/** Split a line on runs of whitespace, keeping quoted strings ("a b" or 'a b') as one token. */
export function shellSplit(line: string): string[] {
  // Almost every line has no quotes: split on whitespace directly.
  if (!line.includes('"') && !line.includes("'")) return line.split(/[ \t]+/).filter((t) => t !== '');
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\' && i + 1 < line.length && line[i + 1] === quote) {
        cur += quote;
        i++;
      } else if (c === quote) quote = null;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === ' ' || c === '\t') {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

/**
 * Parse a JSON document that a person may have pasted after a shell prompt line. Line numbers in
 * errors are those of the file. Returns undefined (with an error diagnostic) when it is not JSON.
 */
export function readJson(content: string, sink: DiagnosticSink): unknown {
  const lines = content.replace(/\r\n?/g, '\n').split('\n');
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first >= 0 && isPromptLine(lines[first])) lines[first] = '';
  const text = lines.join('\n');
  if (text.trim() === '') {
    sink.error(0, 'empty file: expected JSON');
    return undefined;
  }
  try {
    return JSON.parse(text);
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
      else if (text[i] === '\n') fail();
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
