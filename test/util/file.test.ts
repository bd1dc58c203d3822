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
    expect(readRegularFile(p, 4)).toEqual({ bytes: Buffer.from('abcd') });
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
    expect(readRegularFile(join(dir, 'link'), 10)).toEqual({ bytes: Buffer.from('x') });
    const r = readRegularFile(join(dir, 'link'), 10, true);
    expect('notRegular' in r && r.notRegular.isSymbolicLink()).toBe(true);
  });

  it('gives the errno code of a file that is not there', () => {
    expect(readRegularFile(join(dir, 'none'), 10)).toEqual({ error: 'ENOENT' });
  });
});
