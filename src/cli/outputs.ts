import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { UsageError } from '../util/errors.js';

/** One report of a run: a format, and the file it goes to (none: stdout). */
export interface OutputTarget {
  format: string;
  file?: string;
}

const FORMAT = /^(?:--format|-f)(?:=(.*))?$/;
const OUTPUT = /^(?:--output|-o)(?:=(.*))?$/;

/**
 * The reports a command line asks for, in its order: each `--output FILE` goes with the `--format`
 * before it (`-f junit -o report.xml -f json -o report.json`); a format without one goes to stdout,
 * and so does `-o -`. An `--output` before any `--format` is for the default format, when no
 * `--format` is given at all. At most one report goes to stdout, and no file gets two.
 */
export function outputTargets(argv: string[], defaultFormat: string): OutputTarget[] {
  const targets: OutputTarget[] = [];
  let loose: string | undefined; // an --output seen before any --format
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i];
    if (t === '--') break;
    const f = FORMAT.exec(t) ?? (/^-f./.test(t) ? [t, t.slice(2)] : null);
    const o = OUTPUT.exec(t) ?? (/^-o./.test(t) ? [t, t.slice(2)] : null);
    if (!f && !o) continue;
    let value = (f ?? o)![1];
    if (value === undefined) value = argv[++i];
    if (value === undefined) continue; // oclif reports the missing value
    if (f) {
      targets.push({ format: value });
      continue;
    }
    const file = value === '-' ? undefined : value;
    const last = targets[targets.length - 1];
    if (!last) {
      if (loose !== undefined) throw new UsageError(`--output ${value}: a second --output before any --format (give --format before each --output)`);
      loose = value;
      continue;
    }
    if ('file' in last) throw new UsageError(`--output ${value}: --format ${last.format} already goes to ${last.file ?? 'stdout'} (give --format before each --output)`);
    last.file = file;
  }
  if (loose !== undefined) {
    if (targets.length > 0) throw new UsageError(`--output ${loose} comes before any --format: put it after the --format it is for`);
    targets.push({ format: defaultFormat, file: loose === '-' ? undefined : loose });
  }
  if (targets.length === 0) targets.push({ format: defaultFormat });
  const toStdout = targets.filter((t) => t.file === undefined);
  if (toStdout.length > 1) throw new UsageError(`--format ${toStdout.map((t) => t.format).join(' and --format ')} would ${toStdout.length === 2 ? 'both' : 'all'} go to stdout: give all but one an --output FILE`);
  const seen = new Map<string, string>();
  for (const t of targets) {
    if (t.file === undefined) continue;
    const prev = seen.get(t.file);
    if (prev !== undefined) throw new UsageError(`--output ${t.file} is given for both --format ${prev} and --format ${t.format}`);
    seen.set(t.file, t.format);
  }
  return targets;
}

/**
 * Write a report to a stream (stdout) a piece at a time, each piece once the stream has taken the
 * one before. Node writes to a pipe without blocking and queues what the reader has not taken:
 * `check --format json | jq` on a 50-node capture queued the whole 130 MB report, and the run's
 * peak memory was 490 MB where the same report written to a file peaks at 255 MB. A stream that
 * fails or closes ends the wait (the caller's error handler says why).
 */
export async function writeChunks(stream: Writable, chunks: Iterable<string>): Promise<void> {
  for (const chunk of chunks) {
    if (stream.destroyed) return;
    if (!stream.write(chunk)) await drained(stream);
  }
}

function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    if (stream.destroyed) return resolve();
    stream.on('drain', done);
    stream.on('error', done);
    stream.on('close', done);
  });
}

/** writeSync may write less than it is given: the rest follows. */
function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
}

/**
 * Write a report so that a reader never sees half of it (a node_exporter textfile collector, a CI
 * step): to a temporary file in the same folder, flushed, then renamed over the target. A failure
 * names the file and is a usage error (exit 2): the report the run was asked for does not exist.
 */
export function writeFileAtomic(file: string, text: string | Iterable<string>): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w', 0o644);
    for (const chunk of typeof text === 'string' ? [text] : text) writeAll(fd, chunk);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`--output ${file}: cannot write it (${err.code ?? err.message})`);
  }
}
