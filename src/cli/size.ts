import { UsageError } from '../util/errors.js';
import { safe } from '../util/text.js';

/** A size given on the command line: bytes, or a number with K, M or G (powers of 1024). */
export function parseSize(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$/i.exec(text);
  const n = m ? Math.floor(Number(m[1]) * 1024 ** ' kmg'.indexOf(m[2].toLowerCase() || ' ')) : NaN;
  if (!m || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag}: expected a size such as 128M, 1G or 500000 (bytes), got '${safe(text)}'`);
  return n;
}
