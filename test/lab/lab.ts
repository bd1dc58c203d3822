import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRules } from '../../src/rules/loader.js';
import type { Result } from '../../src/rules/types.js';

/** Driving test/lab/lab.sh: a real swarm of dockerd in namespaces on this machine. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LAB = join(ROOT, 'test/lab/lab.sh');
export const NODES = ['node1', 'node2', 'node3'];

export async function lab(...args: string[]): Promise<string> {
  const r = await execa(LAB, args, { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`lab.sh ${args.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

/** Run a command inside a lab node's namespaces; the result, never a throw. */
export async function inNode(node: string, ...cmd: string[]) {
  return execa(LAB, ['exec', node, ...cmd], { reject: false, stdin: 'ignore' });
}

/** The same, with environment variables set for the command. */
export async function inNodeEnv(node: string, env: Record<string, string>, ...cmd: string[]) {
  return inNode(node, 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...cmd);
}

/** mesh-doctor itself, run inside a node (mount, network and PID namespaces of that node). */
export async function meshDoctor(node: string, ...args: string[]) {
  return inNode(node, process.execPath, join(ROOT, 'bin/run.js'), ...args);
}

/** Capture the given nodes into one fresh folder, as a person does on each node. */
export async function captureAll(nodes: string[] = NODES): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'md-lab-capture-'));
  for (const n of nodes) {
    const r = await meshDoctor(n, 'capture', '-q', '-o', dir);
    if (r.exitCode !== 0) throw new Error(`capture on ${n} failed (${r.exitCode}): ${r.stderr}`);
  }
  return dir;
}

export async function checkJson(dir: string): Promise<{ code: number; results: Result[] }> {
  const r = await execa(process.execPath, [join(ROOT, 'bin/run.js'), 'check', dir, '--format', 'json'], { reject: false, stdin: 'ignore' });
  if (r.exitCode === 2) throw new Error(`check could not run: ${r.stderr}`);
  return { code: r.exitCode ?? -1, results: JSON.parse(r.stdout).results };
}

/** rule node subject -> status, the verdicts to compare between runs. */
export function verdicts(results: Result[]): Map<string, string> {
  return new Map(results.map((r) => [`${r.rule} ${r.node ?? 'cluster'} ${r.subject}`, r.status]));
}

/** The differences between two verdict sets, as 'key: before -> after'. */
export function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).map((k) => `${k}: ${before.get(k) ?? 'none'} -> ${after.get(k) ?? 'none'}`).sort();
}

/** The kernel state a run must not change: iptables of host and sbox, IPVS, neighbours. */
/**
 * Kernel state as text, without what moves by itself: iptables-save's comments and counters, a
 * neighbour's freshness (REACHABLE, STALE, DELAY, PROBE: any traffic, the Docker API's included,
 * moves it) and IPVS connection counters. Rules, entries, addresses, MACs and their order stay.
 */
export function settled(out: string): string {
  return out
    .replace(/^# (Generated|Completed) .*$/gm, '')
    .replace(/\[\d+:\d+\]/g, '')
    .replace(/ (REACHABLE|STALE|DELAY|PROBE)\s*$/gm, ' <fresh>')
    .replace(/^(\s+-> \S+\s+\S+\s+\d+)\s+\d+\s+\d+\s*$/gm, '$1');
}

export async function kernelState(node: string): Promise<string> {
  const sbox = '--net=/run/docker/netns/ingress_sbox';
  const parts: string[] = [];
  for (const cmd of [
    ['iptables-save'],
    ['ip', 'neigh'],
    ['nsenter', sbox, 'iptables-save'],
    ['nsenter', sbox, 'ip', 'neigh'],
    ['nsenter', sbox, 'cat', '/proc/net/ip_vs'],
    ['nsenter', sbox, 'ip', 'addr'],
    ['cat', '/proc/sys/net/ipv4/ip_forward'],
  ]) {
    const r = await inNode(node, ...cmd);
    const out = settled(`${r.stdout}\n${r.stderr}`);
    parts.push(`$ ${cmd.join(' ')} (exit ${r.exitCode})\n${out}`);
  }
  return parts.join('\n');
}

/** Anything a lab leaves on the machine: namespaces, links, processes, the FORWARD rule, files, mounts. */
export async function leftovers(): Promise<string[]> {
  const out: string[] = [];
  const sh = async (cmd: string, args: string[]) => (await execa(cmd, args, { reject: false })).stdout;
  for (const l of (await sh('ip', ['netns', 'list'])).split('\n')) if (l.startsWith('mdlab-')) out.push(`netns ${l}`);
  for (const l of (await sh('ip', ['-o', 'link', 'show'])).split('\n')) if (/mdlv\d|mdlab0/.test(l)) out.push(`link ${l.split(':')[1]?.trim()}`);
  // (The working-mesh lab's guests, test/lab/uml, say mdlab in their command lines too: not ours.)
  for (const l of (await sh('pgrep', ['-af', 'mdlab'])).split('\n')) if (l.trim() && !/pgrep|umid=mdmesh-/.test(l)) out.push(`process ${l}`);
  for (const l of (await sh('iptables', ['-S', 'FORWARD'])).split('\n')) if (l.includes('mdlab0')) out.push(`iptables ${l}`);
  for (const l of (await sh('cat', ['/proc/mounts'])).split('\n')) if (l.includes('/tmp/mdlab')) out.push(`mount ${l}`);
  if ((await execa('test', ['-e', '/tmp/mdlab'], { reject: false })).exitCode === 0) out.push('folder /tmp/mdlab');
  return out;
}

/**
 * Rules that read something of the node itself (a required input that is not cluster.*). On a node
 * that could not be captured or probed these must skip, naming why; a node rule that reads only the
 * managers' view (host-mode-ports-noted: which tasks run there) is still checked from that view.
 */
export const nodeInputRules = new Set(
  loadRules()
    .filter((r) => r.spec.scope === 'node' && (r.spec.requires ?? []).some((i) => !i.endsWith('?') && !i.startsWith('cluster.')))
    .map((r) => r.spec.id),
);
