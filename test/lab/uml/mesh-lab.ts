import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Result } from '../../../src/rules/types.js';
import { settled } from '../lab.js';

/*
 * Driving the working-mesh lab (test/lab/uml/lab.sh): three UML guests whose routing mesh carries
 * traffic. Everything that talks to the guests runs inside the lab's network namespace.
 */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const LAB = join(ROOT, 'test/lab/uml/lab.sh');
export const NODES = ['node1', 'node2', 'node3'];
export const MANAGER = 'tcp://10.78.0.11:2375';
export const PROBE_IMAGE = 'mdlab/web:1';
export const NS = 'mdmesh';
export const SHARE = process.env.MD_UML_LAB_DIR ? join(process.env.MD_UML_LAB_DIR, 'share') : '/tmp/mdmesh/share';

export async function lab(...args: string[]): Promise<string> {
  const r = await execa(LAB, args, { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`lab.sh ${args.join(' ')} exited ${r.exitCode}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** Is the lab up, with every guest's engine answering? */
export async function labIsUp(): Promise<boolean> {
  const r = await execa(LAB, ['status'], { reject: false, stdin: 'ignore' });
  return r.exitCode === 0 && !/engine down|stopped|lab: down/.test(r.stdout) && /lab: up/.test(r.stdout);
}

/** Run a command in a guest (as root, through its agent); the result, never a throw. */
export async function guest(node: string, argv: string[], stdinFile?: string) {
  return execa(LAB, ['exec', node, ...(stdinFile ? ['--stdin', stdinFile] : []), ...argv], { reject: false, stdin: 'ignore' });
}

/** The same, failing the test on a non-zero exit. */
export async function guestOk(node: string, argv: string[], stdinFile?: string): Promise<string> {
  const r = await guest(node, argv, stdinFile);
  if (r.exitCode !== 0) throw new Error(`${node}: ${argv.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

export const SBOX = ['nsenter', '--net=/run/docker/netns/ingress_sbox'];

/** Does the published port answer from this node (an HTTP GET from the lab namespace)? Tries a few times. */
export async function answers(node: string, tries = 2): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    const r = await execa(LAB, ['curl', node, '4'], { reject: false, stdin: 'ignore' });
    if (r.exitCode === 0) return true;
  }
  return false;
}

export async function truth(): Promise<Record<string, boolean>> {
  const got = await Promise.all(NODES.map((n) => answers(n)));
  return Object.fromEntries(NODES.map((n, i) => [n, got[i]]));
}

/** mesh-doctor on the machine, inside the lab namespace, against the manager's engine. */
export async function meshDoctor(...args: string[]) {
  return execa('ip', ['netns', 'exec', NS, 'env', `DOCKER_HOST=${MANAGER}`, process.execPath, join(ROOT, 'bin/run.js'), ...args], { reject: false, stdin: 'ignore' });
}

/** `capture --swarm` of the whole lab into a fresh folder. */
export async function captureSwarm(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'md-mesh-capture-'));
  const r = await meshDoctor('capture', '--swarm', '-q', '-o', dir, '--probe-image', PROBE_IMAGE, '--probe-timeout', '300');
  if (r.exitCode !== 0) throw new Error(`capture --swarm failed (${r.exitCode}): ${r.stderr}`);
  return dir;
}

export async function checkDir(dir: string): Promise<{ code: number; results: Result[] }> {
  const r = await execa(process.execPath, [join(ROOT, 'bin/run.js'), 'check', dir, '--format', 'json'], { reject: false, stdin: 'ignore' });
  if (r.exitCode === 2) throw new Error(`check could not run: ${r.stderr}`);
  return { code: r.exitCode ?? -1, results: (JSON.parse(r.stdout) as { results: Result[] }).results };
}

/** `mesh-doctor trace PORT DIR --format json`: each node's verdict, and where the walk stopped. */
export async function traceDir(dir: string, port = '8080'): Promise<Record<string, { verdict: string; summary: string }>> {
  const r = await execa(process.execPath, [join(ROOT, 'bin/run.js'), 'trace', port, dir, '--format', 'json'], { reject: false, stdin: 'ignore' });
  if (r.exitCode === 2) throw new Error(`trace could not run: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { nodes: { node: string; verdict: string; summary: string }[] };
  return Object.fromEntries(doc.nodes.map((n) => [n.node, { verdict: n.verdict, summary: n.summary }]));
}

/** What the traffic says each node's walk must end in: delivered where the port answered, dropped elsewhere. */
export function expectedWalks(t: Record<string, boolean>): Record<string, string> {
  return Object.fromEntries(Object.entries(t).map(([n, a]) => [n, a ? 'delivered' : 'dropped']));
}

const RANK = { pass: 0, skip: 1, warn: 2, error: 3, fail: 4 } as const;

/**
 * What mesh-doctor says about one node: its own results, and cluster results about it (a cluster
 * rule whose subject is the node's name, such as swarm-nodes-ready).
 */
export function aboutNode(results: Result[], node: string): Result[] {
  return results.filter((r) => r.node === node || (r.node === null && r.subject === node));
}

export function worst(results: Result[]): keyof typeof RANK {
  let w: keyof typeof RANK = 'pass';
  for (const r of results) if (RANK[r.status] > RANK[w]) w = r.status;
  return w;
}

export function failingRules(results: Result[]): string[] {
  return [...new Set(results.filter((r) => r.status === 'fail').map((r) => r.rule))].sort();
}

/** The kernel state a run must not change, per guest: host and sbox iptables, IPVS, neighbours, ip_forward. */
export async function kernelState(node: string): Promise<string> {
  const script = [
    'iptables-save', 'ip neigh', `${SBOX.join(' ')} iptables-save`, `${SBOX.join(' ')} ip neigh`,
    `${SBOX.join(' ')} cat /proc/net/ip_vs`, `${SBOX.join(' ')} ip addr`, 'cat /proc/sys/net/ipv4/ip_forward',
  ].map((c) => `echo "\\$ ${c}"; ${c} 2>&1`).join('; ');
  const out = await guestOk(node, ['sh', '-c', script]);
  return settled(out);
}

/** The guests' shares on the machine (where a capture inside a guest is written). */
export function shareOf(node: string): string {
  return join(SHARE, node);
}

export function labPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root');
  for (const p of ['/usr/bin/linux.uml', '/usr/sbin/debootstrap', '/sbin/mkfs.ext4']) if (!existsSync(p)) missing.push(p);
  if (!existsSync('/dev/net/tun')) missing.push('/dev/net/tun');
  return missing;
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Anything the lab leaves on the machine: namespace, links, processes, files, mounts. */
export async function leftovers(): Promise<string[]> {
  const out: string[] = [];
  const sh = async (cmd: string, args: string[]) => (await execa(cmd, args, { reject: false })).stdout;
  for (const l of (await sh('ip', ['netns', 'list'])).split('\n')) if (l.split(' ')[0] === NS) out.push(`netns ${l}`);
  for (const l of (await sh('ip', ['-o', 'link', 'show'])).split('\n')) if (/\bmdm(0|t\d)\b/.test(l)) out.push(`link ${l.split(':')[1]?.trim()}`);
  for (const l of (await sh('pgrep', ['-af', 'umid=mdmesh-'])).split('\n')) if (l.trim() && !/pgrep/.test(l)) out.push(`process ${l}`);
  for (const l of (await sh('cat', ['/proc/mounts'])).split('\n')) if (l.includes('mdmesh')) out.push(`mount ${l}`);
  for (const f of ['/tmp/mdmesh', '/dev/shm/mdmesh']) if (existsSync(f)) out.push(`file ${f}`);
  return out;
}
