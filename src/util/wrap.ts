import { eastAsianWidth } from 'get-east-asian-width';

/**
 * Text for a terminal of a given width: display widths (ANSI colour codes take no column, East
 * Asian wide characters and emoji take two, combining marks none) and word wrapping that never
 * breaks a backticked `command` or a long token (a path, a URL) in two.
 */

// CSI sequences (colours: ESC [ ... m) and OSC sequences (ESC ] ... BEL or ESC \).
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const ZERO_WIDTH_START = /^[\p{Mn}\p{Me}\p{Cf}]/u;
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
let segmenter: Intl.Segmenter | undefined;

/** The text without its ANSI escape sequences. */
export function stripAnsi(s: string): string {
  return s.includes('\u001b') ? s.replace(ANSI, '') : s;
}

/** Widths of short strings that are not plain ASCII (a status label, an indent with an icon): reports repeat a few of them. */
const widthCache = new Map<string, number>();

/** How many terminal columns a string takes. */
export function displayWidth(s: string): number {
  if (PRINTABLE_ASCII.test(s)) return s.length;
  const short = s.length <= 64;
  if (short) {
    const known = widthCache.get(s);
    if (known !== undefined) return known;
  }
  const plain = stripAnsi(s);
  let w = 0;
  if (PRINTABLE_ASCII.test(plain)) w = plain.length;
  else {
    segmenter ??= new Intl.Segmenter();
    for (const { segment } of segmenter.segment(plain)) w += graphemeWidth(segment);
  }
  if (short) {
    if (widthCache.size >= 4096) widthCache.clear();
    widthCache.set(s, w);
  }
  return w;
}

function graphemeWidth(g: string): number {
  const cp = g.codePointAt(0)!;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (ZERO_WIDTH_START.test(g)) return 0;
  // An emoji shown as a picture (VS16, or wide by itself) takes two columns, with its modifiers.
  if (PICTOGRAPHIC.test(g) && (g.includes('\ufe0f') || eastAsianWidth(cp) === 2)) return 2;
  return eastAsianWidth(cp);
}

/**
 * The words of one paragraph: runs of non-space characters, where a backtick span (`a b c`, or
 * ``a ` b`` with longer fences) is part of its word with its spaces kept, so that it is never split.
 * A backtick without its closing one is an ordinary character.
 */
export function words(paragraph: string): string[] {
  const p = paragraph.replace(OTHER_SPACE, ' ');
  const out: string[] = [];
  for (let i = skipSpaces(p, 0); i < p.length; i = skipSpaces(p, i)) {
    const end = wordEnd(p, i);
    out.push(p.slice(i, end));
    i = end;
  }
  return out;
}

const OTHER_SPACE = /[\t\r\f\v]/g;

function skipSpaces(p: string, i: number): number {
  while (p.charCodeAt(i) === 32) i++;
  return i;
}

/** Where the word starting at `i` ends: at the next space that is not inside a backtick span. */
function wordEnd(p: string, i: number): number {
  const n = p.length;
  for (;;) {
    const space = p.indexOf(' ', i);
    const tick = p.indexOf('`', i);
    if (tick === -1 || (space !== -1 && space < tick)) return space === -1 ? n : space;
    // A backtick before the next space: its span (if it closes) is part of the word.
    let run = 1;
    while (p[tick + run] === '`') run++;
    const fence = '`'.repeat(run);
    let close = p.indexOf(fence, tick + run);
    // The closing fence is a run of exactly as many backticks.
    while (close !== -1 && (p[close + run] === '`' || p[close - 1] === '`')) {
      let end = close;
      while (p[end] === '`') end++;
      close = p.indexOf(fence, end);
    }
    i = close === -1 ? tick + run : close + run;
  }
}

export interface WrapOptions {
  /** Put before the first line, and counted in its width (a bullet, a status label). */
  prefix?: string;
  /** Columns of indentation of every later line; default: the prefix's width (a hanging indent). */
  indent?: number;
}

/**
 * Text wrapped to `width` columns (0 or less: not wrapped), as lines. Words on one line keep the
 * spaces between them; a line never starts or ends with spaces of the text. A newline in the text
 * starts a new line (an empty one stays empty). A word wider than the line (a long path, a
 * backticked command) goes on a line of its own, whole.
 */
export function wrap(text: string, width: number, o: WrapOptions = {}): string[] {
  const prefix = o.prefix ?? '';
  const pad = ' '.repeat(o.indent ?? displayWidth(prefix));
  const lines: string[] = [];
  for (const raw of text.includes('\n') ? text.split('\n') : [text]) {
    const p = OTHER_SPACE.test(raw) ? raw.replace(OTHER_SPACE, ' ') : raw;
    OTHER_SPACE.lastIndex = 0;
    let lead = lines.length === 0 ? prefix : pad;
    let used = displayWidth(lead);
    const ascii = PRINTABLE_ASCII.test(p);
    // Most lines of a report fit as they are.
    if ((width <= 0 || used + (ascii ? p.length : displayWidth(p)) <= width) && p.charCodeAt(0) !== 32 && p.charCodeAt(p.length - 1) !== 32 && p.length) {
      lines.push(lead + p);
      continue;
    }
    let from = -1; // where the current line's text starts in p; -1: no word on it yet
    let to = 0; // where its last word ends
    for (let i = skipSpaces(p, 0); i < p.length; i = skipSpaces(p, i)) {
      const end = wordEnd(p, i);
      const w = ascii ? end - i : displayWidth(p.slice(i, end));
      if (from === -1) {
        from = i;
        used += w;
      } else if (width > 0 && used + (i - to) + w > width) {
        lines.push(lead + p.slice(from, to));
        lead = pad;
        from = i;
        used = pad.length + w;
      } else used += i - to + w;
      to = end;
      i = end;
    }
    lines.push(from === -1 ? (lines.length === 0 ? prefix.trimEnd() : '') : lead + p.slice(from, to));
  }
  return lines;
}
