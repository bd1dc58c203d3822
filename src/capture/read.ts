import { lstatSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join, sep } from 'node:path';
import { UsageError } from '../util/errors.js';
import { readRegularFile } from '../util/file.js';
import type { Diagnostic } from '../parse/types.js';

export const CAPTURE_FORMAT = 'mesh-doctor-capture';
export const CAPTURE_VERSION = 1;
/** The default cap on one file of a capture (--max-file-size): generous, a 20 MB iptables-save is far below it. */
export const DEFAULT_MAX_FILE_BYTES = 128 * 1024 * 1024;

export interface ReadOptions {
  /** No file larger than this is read (nor more than this of it). */
  maxFileBytes?: number;
}

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
  /** Files of the capture format that are there but were not read, and why (relative path -> reason). */
  refused: Map<string, string>;
  errors: CaptureError[];
  /** Problems with the folder itself (unreadable files, a bad errors.json). */
  diagnostics: Diagnostic[];
}

export interface CaptureFiles {
  root: string;
  meta: { capturedAt: string; source: string } | undefined;
  /** Relative path within cluster/ -> content. */
  cluster: Map<string, string>;
  /** cluster/ files that are there but were not read, and why. */
  clusterRefused: Map<string, string>;
  clusterErrors: CaptureError[];
  nodes: NodeFiles[];
  diagnostics: Diagnostic[];
}

/*
 * Only the files the capture format names are opened (spec/capture-format.md); anything else in the
 * folder is left alone. Per folder of a node (or of cluster/): the names it may hold, and the names
 * to report as refused when the folder itself cannot be read.
 */
interface FolderSpec {
  names: RegExp;
  fixed: string[];
}
const IPTABLES_NAMES = ['iptables.txt', 'iptables-nat.txt', 'iptables-filter.txt', 'iptables-mangle.txt', 'iptables-raw.txt'];
const NODE_FOLDERS: Record<string, FolderSpec> = {
  '': { names: /^(info|errors)\.json$/, fixed: ['info.json'] },
  host: { names: /^(iptables(-[a-z]+)?\.txt|sysctl\.txt|(addr|routes|vxlan)\.(txt|json)|daemon\.json|nmcli\.txt|networkctl\.txt|ethtool\.txt|modules(-builtin|-dep)?\.txt)$/, fixed: [...IPTABLES_NAMES, 'iptables-legacy.txt', 'sysctl.txt', 'addr.txt', 'routes.txt', 'vxlan.json', 'daemon.json', 'nmcli.txt', 'networkctl.txt', 'ethtool.txt', 'modules.txt', 'modules-builtin.txt', 'modules-dep.txt'] },
  ingress_sbox: { names: /^(iptables(-[a-z]+)?\.txt|ipvs(-timeout|-conn)?\.txt|sysctl\.txt|(neigh|addr)\.(txt|json))$/, fixed: [...IPTABLES_NAMES, 'ipvs.txt', 'ipvs-timeout.txt', 'ipvs-conn.txt', 'neigh.txt', 'addr.txt', 'sysctl.txt'] },
  // The ingress network's overlay namespace (/run/docker/netns/1-<id>): its neighbours and VXLAN FDB.
  ingress_overlay: { names: /^(neigh|fdb)\.(txt|json)$/, fixed: ['neigh.json', 'fdb.json'] },
  networks: { names: /^[\w.-]+\.json$/, fixed: ['ingress.json', 'docker_gwbridge.json'] },
};
const CLUSTER_FOLDER: FolderSpec = { names: /^(nodes\.json|services\.json|tasks\.json|networks\.json|node-ls\.txt|errors\.json)$/, fixed: ['nodes.json', 'services.json', 'tasks.json', 'networks.json'] };

function kind(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  return `${n} bytes`;
}

/** Text of a file's bytes: UTF-8 (a BOM dropped), or UTF-16 (with a BOM, or NULs in every other byte, as a Windows paste). */
export function decodeText(buf: Buffer): { text: string; note?: string } {
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return { text: buf.subarray(3).toString('utf8'), note: 'a UTF-8 byte-order mark, dropped' };
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(buf.subarray(2)), note: 'UTF-16LE text (a Windows paste?), read as such' };
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(buf.subarray(2)), note: 'UTF-16BE text, read as such' };
  // No BOM: UTF-16 of ASCII text has a NUL in every other byte.
  const n = Math.min(buf.length, 2048) & ~1;
  if (n >= 8) {
    let even = 0;
    let odd = 0;
    for (let i = 0; i < n; i += 2) {
      if (buf[i] === 0) even++;
      if (buf[i + 1] === 0) odd++;
    }
    if (odd > n / 2 * 0.9 && even === 0) return { text: new TextDecoder('utf-16le').decode(buf.subarray(0, buf.length & ~1)), note: 'UTF-16LE text without a byte-order mark, read as such' };
    if (even > n / 2 * 0.9 && odd === 0) return { text: new TextDecoder('utf-16be').decode(buf.subarray(0, buf.length & ~1)), note: 'UTF-16BE text without a byte-order mark, read as such' };
  }
  return { text: buf.toString('utf8') };
}

type FileRead = { text: string; note?: string; why?: undefined } | { why: string; text?: undefined; note?: undefined };
type FolderRead = { real: string; why?: undefined; absent?: undefined } | { why: string; real?: undefined; absent?: undefined } | { absent: true; real?: undefined; why?: undefined };

/**
 * Reads inside one capture folder and nowhere else: a path whose real location is outside the
 * folder is refused, as is anything but a regular file, and no file is read past the size cap.
 */
class SafeReader {
  readonly realRoot: string;

  constructor(
    readonly root: string,
    readonly cap: number,
  ) {
    this.realRoot = realpathSync(root);
  }

  private inside(real: string): boolean {
    return real === this.realRoot || real.startsWith(this.realRoot.endsWith(sep) ? this.realRoot : this.realRoot + sep);
  }

  /** Where a path really is, if that is inside the capture; else why not. */
  private resolve(path: string): { real: string } | { why: string } {
    let real: string;
    try {
      real = realpathSync(path);
    } catch (e) {
      return { why: `a symbolic link that leads nowhere (${code(e)})` };
    }
    if (!this.inside(real)) return { why: `a symbolic link to ${real}, outside the capture` };
    return { real };
  }

  /** A folder of the capture, given as a path under an already-checked real folder. */
  folder(path: string): FolderRead {
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch (e) {
      if (code(e) === 'ENOENT') return { absent: true };
      return { why: `unreadable (${code(e)})` };
    }
    let real = path;
    if (st.isSymbolicLink()) {
      const r = this.resolve(path);
      if ('why' in r) return { why: r.why };
      real = r.real;
      try {
        st = lstatSync(real);
      } catch (e) {
        return { why: `unreadable (${code(e)})` };
      }
    }
    if (!st.isDirectory()) return { why: `${kind(st)}, not a folder` };
    return { real };
  }

  /** One file, given as a path under an already-checked real folder. */
  file(path: string): FileRead {
    let target = path;
    try {
      if (lstatSync(path).isSymbolicLink()) {
        const r = this.resolve(path);
        if ('why' in r) return { why: r.why };
        target = r.real;
      }
    } catch (e) {
      return { why: `unreadable (${code(e)})` };
    }
    const r = readRegularFile(target, this.cap, true, decodeText);
    if ('error' in r) return { why: `unreadable (${r.error})` };
    if ('notRegular' in r) return { why: `${kind(r.notRegular)}, not a regular file` };
    const over = `more than the ${formatBytes(this.cap)} a file may have (--max-file-size)`;
    if ('tooBig' in r) return { why: r.grew ? over : `${formatBytes(r.tooBig)}, ${over}` };
    return r.data;
  }

  /**
   * The files a folder of the capture may hold (and only those), into `files` under `keyPrefix`;
   * what is there but cannot be read goes into `refused`, with a diagnostic naming it.
   */
  readFolder(parentReal: string, rel: string, label: string, spec: FolderSpec, keyPrefix: string, files: Map<string, string>, refused: Map<string, string>, diags: Diagnostic[]): void {
    const f = this.folder(rel ? join(parentReal, rel) : parentReal);
    if (f.absent) return;
    if (f.real === undefined) return this.refuseFolder(label, f.why, spec, keyPrefix, refused, diags);
    let names: string[];
    try {
      names = readdirSync(f.real).filter((n) => spec.names.test(n)).sort();
    } catch (e) {
      return this.refuseFolder(label, `unreadable (${code(e)})`, spec, keyPrefix, refused, diags);
    }
    for (const name of names) {
      const r = this.file(join(f.real, name));
      const key = keyPrefix + name;
      if (r.why !== undefined) {
        refused.set(key, `not read: ${r.why}`);
        diags.push({ file: `${label}/${name}`, line: 0, severity: 'error', message: `not read: ${r.why}` });
        continue;
      }
      files.set(key, r.text);
      if (r.note) diags.push({ file: `${label}/${name}`, line: 0, severity: 'warning', message: r.note });
    }
  }

  private refuseFolder(label: string, why: string, spec: FolderSpec, keyPrefix: string, refused: Map<string, string>, diags: Diagnostic[]): void {
    diags.push({ file: `${label}/`, line: 0, severity: 'error', message: `not read: ${why}` });
    for (const name of spec.fixed) refused.set(keyPrefix + name, `not read: ${label}/ is ${why}`);
  }
}

function readErrors(files: Map<string, string>, label: string, diags: Diagnostic[]): CaptureError[] {
  const text = files.get('errors.json');
  if (text === undefined) return [];
  files.delete('errors.json');
  try {
    const v: unknown = JSON.parse(text);
    if (!Array.isArray(v)) throw new Error('expected an array of {file, command, error}');
    return v
      .filter((e): e is Record<string, unknown> => e !== null && typeof e === 'object' && typeof (e as { file?: unknown }).file === 'string')
      .map((e) => ({ file: e.file as string, command: typeof e.command === 'string' ? e.command : '', error: typeof e.error === 'string' ? e.error : '' }));
  } catch (e) {
    diags.push({ file: `${label}/errors.json`, line: 0, severity: 'error', message: `invalid errors.json: ${(e as Error).message}` });
    return [];
  }
}

function readNode(reader: SafeReader, nodesReal: string, name: string): NodeFiles {
  const label = `nodes/${name}`;
  const files = new Map<string, string>();
  const refused = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const top = reader.folder(join(nodesReal, name));
  if (top.real === undefined) {
    const why = top.why ?? 'gone';
    diagnostics.push({ file: `${label}/`, line: 0, severity: 'error', message: `not read: ${why}` });
    for (const [sub, spec] of Object.entries(NODE_FOLDERS)) for (const f of spec.fixed) refused.set(sub ? `${sub}/${f}` : f, `not read: ${label}/ is ${why}`);
    return { name, dir: join(nodesReal, name), files, refused, errors: [], diagnostics };
  }
  for (const [sub, spec] of Object.entries(NODE_FOLDERS)) {
    reader.readFolder(top.real, sub, sub ? `${label}/${sub}` : label, spec, sub ? `${sub}/` : '', files, refused, diagnostics);
  }
  const errors = readErrors(files, label, diagnostics);
  return { name, dir: top.real, files, refused, errors, diagnostics };
}

/**
 * Read a capture folder (the layout of spec/capture-format.md). Throws UsageError when the folder is
 * missing, unreadable or not a capture at all; a file or folder inside that cannot be read is
 * `refused` (with a diagnostic); problems inside the files are left to the parsers.
 */
export function readCapture(root: string, opts: ReadOptions = {}): CaptureFiles {
  const { nodeNames, readNodes, ...rest } = openCapture(root, opts);
  return { ...rest, nodes: [...readNodes()] };
}

/**
 * A capture folder opened: read as readCapture reads it (the same checks, the same UsageErrors), but
 * for its nodes' files, which `readNodes` reads one node at a time as it is iterated. The snapshot is
 * built from it node by node, so that a node's texts are let go once its model is made: a 50-node
 * capture's 23 MB of text otherwise outlive the reading of every node, and the garbage collector
 * moves them to the old generation, only to free them at its next full collection.
 */
export interface OpenedCapture extends Omit<CaptureFiles, 'nodes'> {
  /** The node folders, sorted: the order readNodes reads them in. */
  nodeNames: string[];
  readNodes(): Iterable<NodeFiles>;
}

export function openCapture(root: string, opts: ReadOptions = {}): OpenedCapture {
  const cap = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  let st;
  try {
    st = statSync(root);
  } catch (e) {
    const c = code(e);
    throw new UsageError(c === 'ENOENT' ? `capture folder not found: ${root}` : `cannot read capture folder ${root}: ${c}`);
  }
  if (!st.isDirectory()) throw new UsageError(`not a folder: ${root} (check expects a capture folder)`);
  const reader = new SafeReader(root, cap);
  const realRoot = reader.realRoot;
  let top: string[];
  try {
    top = readdirSync(realRoot);
  } catch (e) {
    throw new UsageError(`cannot read capture folder ${root}: ${code(e)}`);
  }
  const diagnostics: Diagnostic[] = [];
  let meta: CaptureFiles['meta'];
  if (top.includes('capture.json')) {
    const where = join(root, 'capture.json');
    const r = reader.file(join(realRoot, 'capture.json'));
    if (r.why !== undefined) throw new UsageError(`${where}: not read: ${r.why}`);
    let v: unknown;
    try {
      v = JSON.parse(r.text);
    } catch (e) {
      throw new UsageError(`${where}: not valid JSON (${(e as Error).message})`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`${where}: expected an object {"format":"${CAPTURE_FORMAT}","version":${CAPTURE_VERSION},...}, found ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
    const m = v as { format?: unknown; version?: unknown; capturedAt?: unknown; source?: unknown };
    if (m.format !== CAPTURE_FORMAT) throw new UsageError(`${where}: "format" is ${JSON.stringify(m.format)?.slice(0, 80)}, expected "${CAPTURE_FORMAT}"`);
    if (m.version !== CAPTURE_VERSION) throw new UsageError(`${where}: capture format version ${JSON.stringify(m.version)?.slice(0, 80)} is not supported (this mesh-doctor reads version ${CAPTURE_VERSION})`);
    meta = { capturedAt: typeof m.capturedAt === 'string' ? m.capturedAt : '', source: typeof m.source === 'string' ? m.source : '' };
  }
  const hasCluster = top.includes('cluster');
  const hasNodes = top.includes('nodes');
  if (!meta && !hasCluster && !hasNodes) {
    throw new UsageError(`${root} is not a mesh-doctor capture: it has no capture.json, cluster/ or nodes/`);
  }
  const cluster = new Map<string, string>();
  const clusterRefused = new Map<string, string>();
  reader.readFolder(realRoot, 'cluster', 'cluster', CLUSTER_FOLDER, '', cluster, clusterRefused, diagnostics);
  const clusterErrors = readErrors(cluster, 'cluster', diagnostics);
  let names: string[] = [];
  let nodesReal = '';
  if (hasNodes) {
    const nf = reader.folder(join(realRoot, 'nodes'));
    if (nf.real === undefined) throw new UsageError(`${join(root, 'nodes')}: not read: ${nf.why ?? 'gone'}`);
    nodesReal = nf.real;
    try {
      names = readdirSync(nf.real, { withFileTypes: true })
        .filter((d) => d.isDirectory() || d.isSymbolicLink())
        .map((d) => d.name)
        .sort();
    } catch (e) {
      throw new UsageError(`cannot read ${join(root, 'nodes')}: ${code(e)}`);
    }
  }
  function* readNodes(): Generator<NodeFiles> {
    for (const name of names) yield readNode(reader, nodesReal, name);
  }
  return { root, meta, cluster, clusterRefused, clusterErrors, diagnostics, nodeNames: names, readNodes };
}
