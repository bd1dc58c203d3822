import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CAPTURE_FORMAT, CAPTURE_VERSION, type CaptureError } from './read.js';
import { UsageError } from '../util/errors.js';

/** A node's folder of the capture, with the subfolders its files go to. */
export function nodeDir(outDir: string, node: string): string {
  const dir = join(outDir, 'nodes', node);
  for (const sub of ['host', 'ingress_sbox', 'ingress_overlay', 'networks']) mkdirSync(join(dir, sub), { recursive: true });
  return dir;
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

/** Merge into capture.json: a capture of several nodes records each source. */
export function writeMeta(outDir: string, source: string): void {
  const p = join(outDir, 'capture.json');
  let sources: string[] = [];
  if (existsSync(p)) {
    try {
      const prev = JSON.parse(readFileSync(p, 'utf8'));
      if (prev.format !== CAPTURE_FORMAT) throw new Error();
      sources = String(prev.source ?? '').split('; ').filter(Boolean);
    } catch {
      throw new UsageError(`${p} exists and is not a mesh-doctor capture.json: choose another -o folder`);
    }
  }
  writeJson(p, { format: CAPTURE_FORMAT, version: CAPTURE_VERSION, capturedAt: new Date().toISOString(), source: [...sources, source].join('; ') });
}


export function writeErrors(path: string, errors: CaptureError[]): void {
  if (errors.length) writeJson(path, errors);
}

