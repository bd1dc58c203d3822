import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../util/errors.js';
import type { Diagnostic } from '../parse/types.js';

export const CAPTURE_FORMAT = 'mesh-doctor-capture';
export const CAPTURE_VERSION = 1;

/** What errors.json says the collector could not read. */
export interface CaptureError {
  file: string;
  command: string;
  error: string;
}

export interface NodeFiles {
  /** The folder name under nodes/. */
  name: string;
  dir: string;
  /** Relative path (within the node folder, with '/') -> content. */
  files: Map<string, string>;
  errors: CaptureError[];
  /** Problems with the folder itself (unreadable files, a bad errors.json). */
  diagnostics: Diagnostic[];
}

export interface CaptureFiles {
  root: string;
  meta: { capturedAt: string; source: string } | undefined;
  /** Relative path within cluster/ -> content. */
  cluster: Map<string, string>;
  clusterErrors: CaptureError[];
  nodes: NodeFiles[];
  diagnostics: Diagnostic[];
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Every regular file below dir, as relative paths with '/'. Unreadable entries become diagnostics. */
function readTree(dir: string, rel: string, out: Map<string, string>, diags: Diagnostic[], label: string): void {
  let entries;
  try {
    entries = readdirSync(join(dir, rel), { withFileTypes: true });
  } catch (e) {
    diags.push({ file: join(label, rel), line: 0, severity: 'error', message: `cannot read folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    return;
  }
  for (const ent of entries) {
    const r = rel ? `${rel}/${ent.name}` : ent.name;
    if (ent.isDirectory()) readTree(dir, r, out, diags, label);
    else if (ent.isFile() || ent.isSymbolicLink()) {
      try {
        out.set(r, readFileSync(join(dir, r), 'utf8'));
      } catch (e) {
        diags.push({ file: `${label}/${r}`, line: 0, severity: 'error', message: `cannot read file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      }
    }
  }
}

function readErrors(files: Map<string, string>, label: string, diags: Diagnostic[]): CaptureError[] {
  const text = files.get('errors.json');
  if (text === undefined) return [];
  files.delete('errors.json');
  try {
    const v = JSON.parse(text);
    if (!Array.isArray(v)) throw new Error('expected an array of {file, command, error}');
    return v
      .filter((e) => e && typeof e.file === 'string')
      .map((e) => ({ file: e.file, command: String(e.command ?? ''), error: String(e.error ?? '') }));
  } catch (e) {
    diags.push({ file: `${label}/errors.json`, line: 0, severity: 'error', message: `invalid errors.json: ${(e as Error).message}` });
    return [];
  }
}

/**
 * Read a capture folder (the layout of spec/capture-format.md). Throws UsageError when the folder is
 * missing, unreadable or not a capture at all; problems inside single files are left to the parsers.
 */
export function readCapture(root: string): CaptureFiles {
  let st;
  try {
    st = statSync(root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `capture folder not found: ${root}` : `cannot read capture folder ${root}: ${code}`);
  }
  if (!st.isDirectory()) throw new UsageError(`not a folder: ${root} (check expects a capture folder)`);
  let top: string[];
  try {
    top = readdirSync(root);
  } catch (e) {
    throw new UsageError(`cannot read capture folder ${root}: ${(e as NodeJS.ErrnoException).code}`);
  }
  const diagnostics: Diagnostic[] = [];
  let meta: CaptureFiles['meta'];
  if (top.includes('capture.json')) {
    let v: { format?: unknown; version?: unknown; capturedAt?: unknown; source?: unknown };
    try {
      v = JSON.parse(readFileSync(join(root, 'capture.json'), 'utf8'));
    } catch (e) {
      throw new UsageError(`${join(root, 'capture.json')}: not valid JSON (${(e as Error).message})`);
    }
    if (v.format !== CAPTURE_FORMAT) throw new UsageError(`${join(root, 'capture.json')}: "format" is ${JSON.stringify(v.format)}, expected "${CAPTURE_FORMAT}"`);
    if (v.version !== CAPTURE_VERSION) throw new UsageError(`${join(root, 'capture.json')}: capture format version ${JSON.stringify(v.version)} is not supported (this mesh-doctor reads version ${CAPTURE_VERSION})`);
    meta = { capturedAt: String(v.capturedAt ?? ''), source: String(v.source ?? '') };
  }
  const hasCluster = isDir(join(root, 'cluster'));
  const hasNodes = isDir(join(root, 'nodes'));
  if (!meta && !hasCluster && !hasNodes) {
    throw new UsageError(`${root} is not a mesh-doctor capture: it has no capture.json, cluster/ or nodes/`);
  }
  const cluster = new Map<string, string>();
  if (hasCluster) readTree(join(root, 'cluster'), '', cluster, diagnostics, 'cluster');
  const clusterErrors = readErrors(cluster, 'cluster', diagnostics);
  const nodes: NodeFiles[] = [];
  if (hasNodes) {
    let names: string[];
    try {
      names = readdirSync(join(root, 'nodes'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    } catch (e) {
      throw new UsageError(`cannot read ${join(root, 'nodes')}: ${(e as NodeJS.ErrnoException).code}`);
    }
    for (const name of names) {
      const dir = join(root, 'nodes', name);
      const files = new Map<string, string>();
      const nd: Diagnostic[] = [];
      readTree(dir, '', files, nd, `nodes/${name}`);
      const errors = readErrors(files, `nodes/${name}`, nd);
      nodes.push({ name, dir, files, errors, diagnostics: nd });
    }
  }
  return { root, meta, cluster, clusterErrors, nodes, diagnostics };
}
