import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

/** What reading a file that must be regular and small came to: `data`, what `decode` made of its bytes. */
export type RegularRead<T = Buffer> =
  | { data: T }
  /** Not a regular file (a FIFO, a device, a folder, a socket): never read, and never opened when seen beforehand. */
  | { notRegular: Stats }
  /** Over the cap: `size` as stated, or (`grew`) as found while reading, one byte past the cap. */
  | { tooBig: number; grew: boolean }
  /** The errno code (or message) of a failed stat, open or read. */
  | { error: string };

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/**
 * One buffer every read goes into, grown as needed: a capture is hundreds of files, and a fresh
 * buffer for each (the kernel then faulting its pages in) was a third of the time of reading them.
 */
let scratch = Buffer.allocUnsafe(0);
const SCRATCH_KEPT = 4 << 20;

/** A file's bytes as a Buffer of its own. */
const copy = (bytes: Buffer): Buffer => Buffer.from(bytes);

/**
 * Read a file that must be a regular file of at most `cap` bytes, without trusting what the name
 * is: a FIFO or a device is refused on its stat, before any open; the open is non-blocking (a FIFO
 * put in place meanwhile cannot hang it) and the descriptor is checked again; no more than one byte
 * past the cap is ever read, so a file that grows while it is read is refused too. With `noFollow`
 * the path must not be a symbolic link (callers that resolved it themselves). `decode` makes the
 * result of the bytes, which are valid only while it runs (they are in a buffer the next read reuses).
 */
export function readRegularFile<T = Buffer>(path: string, cap: number, noFollow = false, decode: (bytes: Buffer) => T = copy as (bytes: Buffer) => T): RegularRead<T> {
  let st: Stats;
  try {
    st = noFollow ? lstatSync(path) : statSync(path);
  } catch (e) {
    return { error: errCode(e) };
  }
  if (!st.isFile()) return { notRegular: st };
  if (st.size > cap) return { tooBig: st.size, grew: false };
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | (noFollow ? constants.O_NOFOLLOW : 0));
  } catch (e) {
    return { error: errCode(e) };
  }
  try {
    const fst = fstatSync(fd);
    if (!fst.isFile()) return { notRegular: fst };
    if (fst.size > cap) return { tooBig: fst.size, grew: false };
    // Room for the stated size and one byte more, so that the read which finds the end is not a
    // read into a full buffer; a file that grows meanwhile grows the buffer, up to one byte past the cap.
    if (scratch.length <= fst.size) scratch = Buffer.allocUnsafe(Math.min(Math.max(fst.size + 1, 65536), cap + 1));
    let total = 0;
    for (;;) {
      if (total === scratch.length) {
        const grown = Buffer.allocUnsafe(Math.min(total * 2, cap + 1));
        scratch.copy(grown, 0, 0, total);
        scratch = grown;
      }
      const n = readSync(fd, scratch, total, Math.min(scratch.length, cap + 1) - total, null); // never 0 bytes asked: total <= cap here
      if (n === 0) break;
      total += n;
      if (total > cap) return { tooBig: total, grew: true };
    }
    return { data: decode(scratch.subarray(0, total)) };
  } catch (e) {
    return { error: errCode(e) };
  } finally {
    closeSync(fd);
    // A large file's buffer is not kept for the next read, however this one ended (one that grew
    // past the cap, or failed, leaves its buffer as large as the cap).
    if (scratch.length > SCRATCH_KEPT) scratch = Buffer.allocUnsafe(0);
  }
}
