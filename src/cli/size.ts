import { UsageError } from '../util/errors.js';
import { safe } from '../util/text.js';

/** A size given on the command line: bytes, or a number with K, M or G (powers of 1024). */
export function parseSize(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$/i.exec(text);
  const n = m ? Math.floor(Number(m[1]) * 1024 ** ' kmg'.indexOf(m[2].toLowerCase() || ' ')) : NaN;
  if (!m || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag}: expected a size such as 128M, 1G or 500000 (bytes), got '${safe(text)}'`);
  return n;
}

/** A duration given on the command line: milliseconds, or a number with ms, s or m. */
export function parseDuration(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/i.exec(text);
  const n = m ? Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[(m[2] ?? 'ms').toLowerCase() as 'ms' | 's' | 'm']) : NaN;
  if (!m || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag}: expected a duration such as 10s, 500ms or 2m, got '${safe(text)}'`);
  return n;
}

/** A positive whole number given on the command line (1_000_000 and 1e6 are accepted). */
export function parseCount(text: string, flag: string): number {
  const n = /^\s*[\d_]+(e\d+)?\s*$/i.test(text) ? Number(text.trim().replace(/_/g, '')) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag}: expected a positive whole number such as 20000000 or 2e7, got '${safe(text)}'`);
  return n;
}
