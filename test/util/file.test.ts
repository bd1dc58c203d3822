import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRegularFile } from '../../src/util/file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'md-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readRegularFile', () => {
  it('reads a regular file up to and at the cap, and refuses one byte more without reading it', () => {
    const p = join(dir, 'f');
    writeFileSync(p, 'abcd');
    expect(readRegularFile(p, 4)).toEqual({ data: Buffer.from('abcd') });
    expect(readRegularFile(p, 3)).toEqual({ tooBig: 4, grew: false });
  });

  it('refuses a FIFO and a device on their stat, without hanging on an open', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const r = readRegularFile(fifo, 1024);
    expect('notRegular' in r && r.notRegular.isFIFO()).toBe(true);
    const dev = readRegularFile('/dev/zero', 1024);
    expect('notRegular' in dev && dev.notRegular.isCharacterDevice()).toBe(true);
  });

  it('follows a symbolic link unless told not to', () => {
    const p = join(dir, 'f');
    writeFileSync(p, 'x');
    symlinkSync(p, join(dir, 'link'));
    expect(readRegularFile(join(dir, 'link'), 10)).toEqual({ data: Buffer.from('x') });
    const r = readRegularFile(join(dir, 'link'), 10, true);
    expect('notRegular' in r && r.notRegular.isSymbolicLink()).toBe(true);
  });

  it('reads files of any size one after another, each whole and its own, though every read reuses one buffer', () => {
    const sizes = [100_000, 10, 5 << 20, 3, 65_536, 65_535];
    const contents = sizes.map((n, i) => Buffer.alloc(n, 97 + i));
    const got = contents.map((c, i) => {
      const p = join(dir, `f${i}`);
      writeFileSync(p, c);
      return readRegularFile(p, 8 << 20);
    });
    got.forEach((r, i) => expect(r).toEqual({ data: contents[i] }));
  });

  it('reads a file past its stated size (procfs states 0), whole, and refuses it once it passes the cap', () => {
    // /proc/self/smaps states 0 bytes and holds far more than the first buffer's 64 KB.
    const r = readRegularFile('/proc/self/smaps', 64 << 20, false, (b) => b.toString('utf8'));
    expect('data' in r && r.data.length > 65_536 && r.data.endsWith('\n') && r.data.includes('[stack]')).toBe(true);
    expect(readRegularFile('/proc/self/status', 10)).toEqual({ tooBig: 11, grew: true });
  });

  it('hands the bytes to decode, which makes the result', () => {
    const p = join(dir, 'f');
    writeFileSync(p, 'héllo');
    expect(readRegularFile(p, 100, false, (b) => b.toString('utf8').toUpperCase())).toEqual({ data: 'HÉLLO' });
    expect(readRegularFile(p, 5, false, (b) => b.length)).toEqual({ tooBig: 6, grew: false });
  });

  it('gives the errno code of a file that is not there', () => {
    expect(readRegularFile(join(dir, 'none'), 10)).toEqual({ error: 'ENOENT' });
  });
});
