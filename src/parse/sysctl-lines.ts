import { textLines } from './types.js';

/**
 * The line of each key of a `key = value` sysctl file, read as parseSysctl (src/parse/net.ts) reads
 * it: comments and `sysctl:` notes skipped, `/` spelt `.`, the last line of a repeated key wins (its
 * value is the one parseSysctl keeps). Lines parseSysctl rejects are left out; it reports them.
 */
export function sysctlLines(content: string): Map<string, number> {
  const lines = new Map<string, number>();
  for (const { no, text } of textLines(content)) {
    const t = text.trim();
    if (t.startsWith('#') || t.startsWith(';') || t.startsWith('sysctl:')) continue;
    const m = /^([A-Za-z0-9_.\-/]+)\s*=/.exec(t);
    if (m) lines.set(m[1].replace(/\//g, '.'), no);
  }
  return lines;
}
