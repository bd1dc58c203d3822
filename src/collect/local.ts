import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CAPTURE_FORMAT, CAPTURE_VERSION, type CaptureError } from '../capture/read.js';
import { UsageError } from '../util/errors.js';
import { runReadOnly, searchPath } from './run.js';

export interface LocalCaptureOptions {
  /** The capture folder: created if missing; an existing capture of other nodes is added to. */
  outDir: string;
  /** Docker engine: unix:///path, tcp://host:port; default DOCKER_HOST or /var/run/docker.sock. */
  dockerHost?: string;
  /** dockerd's exec-root, where netns files live (default /run/docker). */
  execRoot?: string;
  /** Per command and per API call. */
  timeoutMs?: number;
  /** Progress, for a spinner. */
  onStep?: (text: string) => void;
  /** Where to look for programs (default: PATH and the system folders). */
  path?: string;
}

export interface StepTiming {
  what: string;
  ms: number;
  ok: boolean;
}

export interface LocalCaptureResult {
  node: string;
  dir: string;
  isManager: boolean;
  errors: CaptureError[];
  timings: StepTiming[];
}

/** Host sysctls the rules read, as files under /proc/sys (read directly: no process, per netns). */
const HOST_SYSCTLS = [
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.rp_filter',
  'net.ipv4.conf.default.rp_filter',
  'net.ipv4.conf.docker_gwbridge.rp_filter',
  'net.ipv4.conf.docker_gwbridge.route_localnet',
  'net.bridge.bridge-nf-call-iptables',
  'net.netfilter.nf_conntrack_count',
  'net.netfilter.nf_conntrack_max',
  'net.ipv4.neigh.default.gc_thresh1',
  'net.ipv4.neigh.default.gc_thresh2',
  'net.ipv4.neigh.default.gc_thresh3',
  'net.ipv4.tcp_keepalive_time',
];

interface DockerLike {
  info(): Promise<Record<string, unknown>>;
  listNetworks(): Promise<{ Name: string; Id: string; Driver: string }[]>;
  getNetwork(id: string): { inspect(): Promise<unknown> };
  listNodes(): Promise<unknown[]>;
  listServices(): Promise<unknown[]>;
  listTasks(): Promise<unknown[]>;
}

function dockerTarget(host: string | undefined): { label: string; options: Record<string, unknown> } {
  const h = host ?? process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (h.startsWith('unix://')) return { label: h, options: { socketPath: h.slice(7) } };
  if (h.startsWith('/')) return { label: `unix://${h}`, options: { socketPath: h } };
  const m = /^(tcp|http|https):\/\/([^:/]+)(?::(\d+))?/.exec(h);
  if (m) {
    const port = Number(m[3] ?? 2375);
    const tls = process.env.DOCKER_TLS_VERIFY === '1' || port === 2376 || m[1] === 'https';
    const certs = process.env.DOCKER_CERT_PATH;
    const options: Record<string, unknown> = { host: m[2], port, protocol: tls ? 'https' : 'http' };
    if (tls && certs) {
      options.ca = readFileSync(join(certs, 'ca.pem'));
      options.cert = readFileSync(join(certs, 'cert.pem'));
      options.key = readFileSync(join(certs, 'key.pem'));
    }
    return { label: h, options };
  }
  throw new UsageError(`DOCKER_HOST '${h}' is not understood (unix:///path or tcp://host:port)`);
}

/** A Docker API failure as the one line a person needs. */
export function dockerError(e: unknown, label: string, timeoutMs: number): UsageError {
  const err = e as NodeJS.ErrnoException & { statusCode?: number; json?: { message?: string } };
  switch (err.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new UsageError(`Docker is not reachable at ${label} (${err.code}): is dockerd running? Set DOCKER_HOST to reach another engine`);
    case 'EACCES':
    case 'EPERM':
      return new UsageError(`permission denied on ${label}: run as root or as a member of the docker group`);
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return new UsageError(`Docker at ${label} did not answer within ${timeoutMs / 1000}s`);
  }
  if (/timeout/i.test(String(err.message))) return new UsageError(`Docker at ${label} did not answer within ${timeoutMs / 1000}s`);
  return new UsageError(`Docker API error from ${label}: ${err.json?.message ?? err.message}`);
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

/** Merge into capture.json: a capture of several nodes records each source. */
function writeMeta(outDir: string, source: string): void {
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

/**
 * Capture the node this runs on: Docker API (and the cluster view when it is a manager), host
 * iptables, sysctls, addresses, routes, and inside ingress_sbox its iptables, IPVS, neighbours,
 * addresses and IPVS sysctls. Read-only. What cannot be read is recorded in errors.json.
 */
export async function captureLocal(o: LocalCaptureOptions): Promise<LocalCaptureResult> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const execRoot = o.execRoot ?? '/run/docker';
  const step = o.onStep ?? (() => {});
  const path = o.path ?? searchPath();
  const onPath = (program: string) => path.split(':').filter(Boolean).some((d) => existsSync(join(d, program)));
  const timings: StepTiming[] = [];
  const timed = async <T>(what: string, f: () => Promise<T>, ok: (v: T) => boolean = () => true): Promise<T> => {
    step(what);
    const t = performance.now();
    const v = await f();
    timings.push({ what, ms: performance.now() - t, ok: ok(v) });
    return v;
  };

  // Docker first: without it there is nothing to name the node by.
  const target = dockerTarget(o.dockerHost);
  const { default: Docker } = await import('dockerode');
  const docker = new Docker({ ...target.options, timeout: timeoutMs } as never) as unknown as DockerLike;
  let info: Record<string, unknown>;
  try {
    info = await timed('docker info', () => docker.info());
  } catch (e) {
    throw dockerError(e, target.label, timeoutMs);
  }
  const swarm = (info.Swarm ?? {}) as Record<string, unknown>;
  if (swarm.LocalNodeState !== 'active') {
    throw new UsageError(`this node is not in a swarm (Swarm.LocalNodeState: ${String(swarm.LocalNodeState || 'inactive')}): mesh-doctor checks the routing mesh of a swarm node`);
  }
  // The tools, before anything is written.
  const missing = (['iptables-save', 'nsenter'] as const).filter((p) => !onPath(p));
  if (missing.length) throw new UsageError(`${missing.join(' and ')} not found: install ${missing.map((m) => (m === 'nsenter' ? 'util-linux' : 'iptables')).join(' and ')} (capture runs the node's own tools)`);

  const node = String(info.Name || 'unknown');
  const dir = join(o.outDir, 'nodes', node);
  mkdirSync(join(dir, 'host'), { recursive: true });
  mkdirSync(join(dir, 'ingress_sbox'), { recursive: true });
  mkdirSync(join(dir, 'networks'), { recursive: true });
  const errors: CaptureError[] = [];
  writeJson(join(dir, 'info.json'), info);

  // Networks as this node sees them: ingress and docker_gwbridge at least, and every overlay.
  try {
    const nets = await timed('docker network ls', () => docker.listNetworks());
    const wanted = nets.filter((n) => n.Name === 'ingress' || n.Name === 'docker_gwbridge' || n.Driver === 'overlay');
    for (const want of ['ingress', 'docker_gwbridge']) {
      if (!wanted.some((n) => n.Name === want)) errors.push({ file: `networks/${want}.json`, command: `docker network inspect ${want}`, error: `no network named ${want} on this node` });
    }
    for (const n of wanted) {
      try {
        writeJson(join(dir, 'networks', `${n.Name}.json`), await timed(`docker network inspect ${n.Name}`, () => docker.getNetwork(n.Id).inspect()));
      } catch (e) {
        errors.push({ file: `networks/${n.Name}.json`, command: `docker network inspect ${n.Name}`, error: (e as Error).message });
      }
    }
  } catch (e) {
    errors.push({ file: 'networks/ingress.json', command: 'docker network ls', error: (e as Error).message });
  }

  // The cluster view, from a manager only.
  const isManager = swarm.ControlAvailable === true;
  const clusterDir = join(o.outDir, 'cluster');
  const clusterErrors: CaptureError[] = [];
  if (isManager) {
    mkdirSync(clusterDir, { recursive: true });
    for (const [file, call, get] of [
      ['nodes.json', 'GET /nodes', () => docker.listNodes()],
      ['services.json', 'GET /services', () => docker.listServices()],
      ['tasks.json', 'GET /tasks', () => docker.listTasks()],
    ] as const) {
      try {
        writeJson(join(clusterDir, file), await timed(call, get));
      } catch (e) {
        clusterErrors.push({ file, command: call, error: (e as Error).message });
      }
    }
    writeErrors(join(clusterDir, 'errors.json'), clusterErrors);
  } else if (!existsSync(join(clusterDir, 'services.json'))) {
    // A worker cannot list the swarm: say so, unless a manager's capture already filled cluster/.
    mkdirSync(clusterDir, { recursive: true });
    const why = `${node} is not a manager: capture a manager into the same folder for the swarm view`;
    writeErrors(join(clusterDir, 'errors.json'), [
      { file: 'nodes.json', command: 'GET /nodes', error: why },
      { file: 'services.json', command: 'GET /services', error: why },
      { file: 'tasks.json', command: 'GET /tasks', error: why },
    ]);
  }

  // Host and sbox kernel state: independent reads, run together; results kept in listing order.
  const sbox = join(execRoot, 'netns', 'ingress_sbox');
  const sboxExists = existsSync(sbox);
  const jobs: { file: string; program: string; args: string[] }[] = [
    { file: 'host/iptables.txt', program: 'iptables-save', args: [] },
    { file: 'host/addr.json', program: 'ip', args: ['-j', 'addr'] },
    { file: 'host/routes.json', program: 'ip', args: ['-j', 'route'] },
  ];
  const sboxJobs: { file: string; program: string; args: string[] }[] = [
    { file: 'ingress_sbox/iptables.txt', program: 'iptables-save', args: [] },
    { file: 'ingress_sbox/ipvs.txt', program: 'cat', args: ['/proc/net/ip_vs'] },
    { file: 'ingress_sbox/neigh.json', program: 'ip', args: ['-j', 'neigh'] },
    { file: 'ingress_sbox/addr.json', program: 'ip', args: ['-j', 'addr'] },
    { file: 'ingress_sbox/sysctl.txt', program: 'grep', args: ['-r', '.', '/proc/sys/net/ipv4/vs'] },
  ];
  if (sboxExists) jobs.push(...sboxJobs.map((j) => ({ file: j.file, program: 'nsenter', args: [`--net=${sbox}`, j.program, ...j.args] })));
  step('iptables, addresses, routes, ingress_sbox');
  const results = await Promise.all(jobs.map((j) => timed([j.program, ...j.args].join(' '), () => runReadOnly(j.program, j.args, timeoutMs, path), (x) => x.ok)));
  jobs.forEach((j, i) => {
    const r = results[i];
    if (!r.ok) errors.push({ file: j.file, command: [j.program, ...j.args].join(' '), error: r.error });
    // grep -r prints path:value; the capture wants `key = value`.
    else writeFileSync(join(dir, j.file), j.file.endsWith('sysctl.txt') ? grepToSysctl(r.stdout) : r.stdout);
  });
  if (!sboxExists) {
    for (const j of sboxJobs) {
      errors.push({ file: j.file, command: `nsenter --net=${sbox} ${[j.program, ...j.args].join(' ')}`, error: `the ingress_sbox netns ${sbox} does not exist on this node (no ingress sandbox; or set --exec-root)` });
    }
  }
  // Both iptables backends: where iptables is the nf_tables one and legacy tables exist too.
  if (onPath('iptables-legacy-save') && /nf_tables/.test(results[0].stdout.split('\n')[0] ?? '')) {
    const legacy = await timed('iptables-legacy-save', () => runReadOnly('iptables-legacy-save', [], timeoutMs, path), (x) => x.ok);
    if (legacy.ok && /^\*/m.test(legacy.stdout)) writeFileSync(join(dir, 'host/iptables-legacy.txt'), legacy.stdout);
    else if (!legacy.ok) errors.push({ file: 'host/iptables-legacy.txt', command: 'iptables-legacy-save', error: legacy.error });
  }
  step('host sysctls');
  writeFileSync(join(dir, 'host/sysctl.txt'), readSysctls(HOST_SYSCTLS));

  writeErrors(join(dir, 'errors.json'), errors);
  writeMeta(o.outDir, `mesh-doctor capture on ${node} (dockerd ${String(info.ServerVersion ?? '?')})`);
  return { node, dir, isManager, errors, timings };
}

function writeErrors(path: string, errors: CaptureError[]): void {
  if (errors.length) writeJson(path, errors);
}

function readSysctls(keys: string[]): string {
  const lines: string[] = [];
  for (const k of keys) {
    try {
      lines.push(`${k} = ${readFileSync('/proc/sys/' + k.replace(/\./g, '/'), 'utf8').trim()}`);
    } catch {
      // Absent on this kernel (module not loaded, interface not there): not a value to report.
    }
  }
  return lines.join('\n') + '\n';
}

function grepToSysctl(text: string): string {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const i = l.indexOf(':');
      return `${l.slice(0, i).replace('/proc/sys/', '').replace(/\//g, '.')} = ${l.slice(i + 1).trim()}`;
    })
    .join('\n') + '\n';
}
