import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { outputTargets, writeChunks, writeFileAtomic } from '../../src/cli/outputs.js';
import { UsageError } from '../../src/util/errors.js';

const targets = (...argv: string[]) => outputTargets(argv, 'stylish');
const refusal = (...argv: string[]) => {
  try {
    targets(...argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe('outputTargets: which report goes where', () => {
  it('gives the default format on stdout when nothing is asked', () => {
    expect(targets('fixtures/seed-cluster')).toEqual([{ format: 'stylish' }]);
  });

  it('pairs each --output with the --format before it, in every spelling, in command-line order', () => {
    expect(targets('dir', '-f', 'junit', '-o', 'report.xml', '--format=json', '--output=report.json', '-fstylish')).toEqual([
      { format: 'junit', file: 'report.xml' },
      { format: 'json', file: 'report.json' },
      { format: 'stylish' },
    ]);
    expect(targets('--format', 'json', '-oreport.json')).toEqual([{ format: 'json', file: 'report.json' }]);
  });

  it('takes - as stdout, and an --output before any --format as the default format', () => {
    expect(targets('-f', 'json', '-o', '-')).toEqual([{ format: 'json', file: undefined }]);
    expect(targets('-o', 'report.txt', 'dir')).toEqual([{ format: 'stylish', file: 'report.txt' }]);
  });

  it('stops at --: what follows is not a flag', () => {
    expect(targets('-f', 'json', '--', '-o', 'x')).toEqual([{ format: 'json' }]);
  });

  it('refuses two reports on stdout, naming both formats', () => {
    expect(refusal('-f', 'json', '-f', 'stylish')).toBe('--format json and --format stylish would both go to stdout: give all but one an --output FILE');
  });

  it('refuses two outputs for one format, an output before the formats, and one file for two formats', () => {
    expect(refusal('-f', 'json', '-o', 'a', '-o', 'b')).toBe('--output b: --format json already goes to a (give --format before each --output)');
    expect(refusal('-o', 'a', '-f', 'json')).toBe('--output a comes before any --format: put it after the --format it is for');
    expect(refusal('-f', 'json', '-o', 'r', '-f', 'junit', '-o', 'r')).toBe('--output r is given for both --format json and --format junit');
  });
});

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'md-out-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the file whole and leaves no temporary file beside it', () => {
    const file = join(dir, 'mesh.prom');
    writeFileSync(file, 'old\n');
    writeFileAtomic(file, 'new\n');
    expect(readFileSync(file, 'utf8')).toBe('new\n');
    expect(readdirSync(dir)).toEqual(['mesh.prom']);
  });

  it('names the file when it cannot write, and leaves the old one as it was', () => {
    expect(() => writeFileAtomic(join(dir, 'no/such/folder/r.json'), 'x')).toThrow(/^--output .*no\/such\/folder\/r\.json: cannot write it \(ENOENT\)$/);
    if (process.getuid?.() === 0) return; // root writes into a read-only folder anyway
    const file = join(dir, 'r.json');
    writeFileSync(file, 'old');
    chmodSync(dir, 0o555);
    try {
      expect(() => writeFileAtomic(file, 'new')).toThrow(/cannot write it \(EACCES\)/);
      expect(readFileSync(file, 'utf8')).toBe('old');
    } finally {
      chmodSync(dir, 0o755);
    }
  });
});

describe('writeChunks: a report to a pipe, a piece at a time', () => {
  /** A stream like a pipe whose reader is slow: it takes a piece on a later turn of the event loop. */
  const slowPipe = () => {
    const got: string[] = [];
    let most = 0;
    const w = new Writable({
      highWaterMark: 16,
      decodeStrings: false,
      write(chunk: string, _enc, done) {
        setImmediate(() => {
          got.push(chunk);
          done();
        });
      },
    });
    const write = w.write.bind(w);
    w.write = ((chunk: string) => {
      const r = write(chunk);
      most = Math.max(most, w.writableLength);
      return r;
    }) as typeof w.write;
    return { w, got, most: () => most };
  };

  it('hands the stream the next piece only once it has taken the last: what waits is never more than one piece', async () => {
    const pieces = Array.from({ length: 50 }, (_, i) => `piece ${i} `.padEnd(100, '.'));
    const { w, got, most } = slowPipe();
    await writeChunks(w, pieces);
    await new Promise<void>((res) => w.end(res));
    expect(got).toEqual(pieces);
    // Written without waiting, the 50 pieces (5,000 characters) would all wait in the stream's queue.
    expect(most()).toBeLessThanOrEqual(100);
  });

  it('reads the pieces as it writes them, not all first (a generator of pieces is made as it goes)', async () => {
    const { w } = slowPipe();
    let made = 0;
    const seen: number[] = [];
    function* pieces() {
      for (let i = 0; i < 5; i++) {
        made++;
        seen.push(w.writableLength);
        yield 'x'.repeat(64);
      }
    }
    await writeChunks(w, pieces());
    expect(made).toBe(5);
    // Each piece is made once the one before has left the queue.
    expect(seen).toEqual([0, 0, 0, 0, 0]);
  });

  it('stops waiting when the stream closes under it (the reader went away)', async () => {
    const w = new Writable({ highWaterMark: 1, write() {} }); // never takes a piece
    w.on('error', () => {});
    const writing = writeChunks(w, ['a', 'b', 'c']);
    setImmediate(() => w.destroy());
    await expect(writing).resolves.toBeUndefined();
  });
});
