import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

/** What reading a file that must be regular and small came to. */
export type RegularRead =
  | { bytes: Buffer }
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
 * Read a file that must be a regular file of at most `cap` bytes, without trusting what the name
 * is: a FIFO or a device is refused on its stat, before any open; the open is non-blocking (a FIFO
 * put in place meanwhile cannot hang it) and the descriptor is checked again; no more than one byte
 * past the cap is ever read, so a file that grows while it is read is refused too. With `noFollow`
 * the path must not be a symbolic link (callers that resolved it themselves).
 */
export function readRegularFile(path: string, cap: number, noFollow = false): RegularRead {
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
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(Math.max(fst.size - total, 0) + 65536, cap + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null); // buf is never empty: total <= cap here
      if (n === 0) break;
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
      total += n;
      if (total > cap) return { tooBig: total, grew: true };
    }
    return { bytes: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total) };
  } catch (e) {
    return { error: errCode(e) };
  } finally {
    closeSync(fd);
  }
}
