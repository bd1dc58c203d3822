import { setMaxListeners } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { release as osRelease } from 'node:os';
import { basename, join } from 'node:path';
import type { CaptureError } from '../capture/read.js';
import { nodeDir, writeErrors, writeJson, writeMeta } from '../capture/write.js';
import { dockerClient, dockerError } from './docker.js';
import { UsageError } from '../util/errors.js';
import { loadRunner, runReadOnly, searchPath, type CommandResult } from './run.js';
import { driverLink, emptyMatch, ETHTOOL_COMMAND, ethtoolHeader, fileText, forDevice, forKernel, HOST_COMMANDS, HOST_CONF_DIR, HOST_SYSCTLS, inNetns, inSbox, isIfname, isKernelRelease, keepConf, keepLegacy, KERNEL_MODULE_COMMANDS, NET_CLASS_DIR, netnsDir, OVERLAY_COMMANDS, overlayNetnsName, overlayNetnsPath, SBOX_COMMANDS, sboxPath, type CaptureCommand } from './commands.js';
import { ingressIdOf, writeCluster } from './probe.js';

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
  /** The host's network interfaces, for host/ethtool.txt (default /sys/class/net). */
  sysClassNet?: string;
  /** The running kernel's release, whose modules folder is read (default: os.release(), `uname -r`). */
  kernelRelease?: string;
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


/**
 * Capture the node this runs on: Docker API (and the cluster view when it is a manager), host
 * iptables, sysctls, addresses, routes, inside ingress_sbox its iptables, IPVS (and its UDP
 * connection entries), neighbours, addresses and IPVS sysctls, and inside the ingress network's overlay namespace its neighbours and
 * VXLAN forwarding rows. Read-only. What cannot be read is recorded in errors.json.
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

  // Aborted when the capture ends, so that one that stops early (Docker unreachable, not a swarm,
  // tools missing) does not wait for reads still under way (up to their timeout) to exit.
  const reads = readsController();
  /** One read, timed, stopped with the capture. */
  const runOne = (argv: string[]): Promise<CommandResult> => timed(argv.join(' '), () => runReadOnly(argv[0], argv.slice(1), timeoutMs, path, reads.signal), (x) => x.ok);
  const run = (jobs: CaptureCommand[]): Promise<CommandResult[]> => Promise.all(jobs.map((j) => runOne(j.argv)));

  // The host's and ingress_sbox's kernel state needs nothing from Docker: those reads start first and
  // run, each a process of its own, while dockerode loads and Docker answers (run after Docker, their
  // time was added to its). What they print is kept until the node's folder is known; nothing is
  // written before Docker has said that this node is in a swarm.
  await loadRunner();
  const sbox = sboxPath(execRoot);
  const sboxExists = existsSync(sbox);
  // The kernel's modules folder, by its release (as `uname -r` prints it: Node reads the same uname).
  const release = o.kernelRelease ?? osRelease();
  const kernelFiles = isKernelRelease(release) ? KERNEL_MODULE_COMMANDS.map((c): CaptureCommand => ({ ...c, argv: forKernel(c, release) })) : [];
  const early: CaptureCommand[] = [...HOST_COMMANDS, ...kernelFiles, ...(sboxExists ? SBOX_COMMANDS.map((c) => inSbox(execRoot, c)) : [])];
  step('iptables, addresses, routes, ingress_sbox');
  const earlyRuns = run(early);
  // Awaited below; until then (and when Docker fails first, never) its failure is not unhandled.
  earlyRuns.catch(() => undefined);
  const ethtool = onPath('ethtool') ? readEthtool(o.sysClassNet ?? NET_CLASS_DIR, runOne) : Promise.resolve({ error: 'ethtool: command not found' });
  ethtool.catch(() => undefined);
  try {
    return await rest();
  } finally {
    reads.abort();
  }

  /** The rest of the capture, once the host's and sbox's reads are under way. */
  async function rest(): Promise<LocalCaptureResult> {
    // Docker next: without it there is nothing to name the node by.
    const { docker, label } = await dockerClient(o.dockerHost, timeoutMs);
    let info: Record<string, unknown>;
    try {
      info = await timed('docker info', () => docker.info());
    } catch (e) {
      throw dockerError(e, label, timeoutMs);
    }
    const swarm = (info.Swarm ?? {}) as Record<string, unknown>;
    if (swarm.LocalNodeState !== 'active') {
      throw new UsageError(`this node is not in a swarm (Swarm.LocalNodeState: ${String(swarm.LocalNodeState || 'inactive')}): mesh-doctor checks the routing mesh of a swarm node`);
    }
    // The tools, before anything is written.
    const missing = (['iptables-save', 'nsenter'] as const).filter((p) => !onPath(p));
    if (missing.length) throw new UsageError(`${missing.join(' and ')} not found: install ${missing.map((m) => (m === 'nsenter' ? 'util-linux' : 'iptables')).join(' and ')} (capture runs the node's own tools)`);

    const node = String(info.Name || 'unknown');
    const dir = nodeDir(o.outDir, node);
    const errors: CaptureError[] = [];
    writeJson(join(dir, 'info.json'), info);

    // Networks as this node sees them: ingress and docker_gwbridge at least, and every overlay.
    let ingressId = '';
    try {
      const nets = await timed('docker network ls', () => docker.listNetworks());
      ingressId = ingressIdOf(nets);
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
      try {
        const [nodes, services, tasks, networks] = await timed('GET /nodes, /services, /tasks, /networks', () => Promise.all([docker.listNodes(), docker.listServices(), docker.listTasks(), docker.listNetworks().catch((e: Error) => {
          clusterErrors.push({ file: 'networks.json', command: 'GET /networks', error: e.message });
          return undefined;
        })]));
        writeCluster(o.outDir, nodes, services, tasks, networks);
      } catch (e) {
        for (const [file, command] of [['nodes.json', 'GET /nodes'], ['services.json', 'GET /services'], ['tasks.json', 'GET /tasks']]) {
          clusterErrors.push({ file, command, error: (e as Error).message });
        }
        mkdirSync(clusterDir, { recursive: true });
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
        { file: 'networks.json', command: 'GET /networks', error: why },
      ]);
    }

    // The ingress overlay's namespace is named by the network's id, known now; then every read's
    // result, in listing order (host, sbox, overlay).
    const overlay = ingressOverlay(execRoot, ingressId);
    const late: CaptureCommand[] = 'path' in overlay ? OVERLAY_COMMANDS.map((c) => inNetns(overlay.path, c)) : [];
    if (late.length > 0) step('the ingress overlay');
    const lateRuns = run(late);
    const jobs = [...early, ...late];
    const results = [...(await earlyRuns), ...(await lateRuns)];
    jobs.forEach((j, i) => {
      const r = results[i];
      // grep exits 1 when no line matched (no UDP entry in IPVS's connection table, none of the mesh's
      // modules in modules.builtin): an empty file, not an error.
      if (r.ok || emptyMatch(j, r.exitCode, r.stdout, r.stderr)) writeFileSync(join(dir, j.file), fileText(j, r.stdout));
      else errors.push({ file: j.file, command: j.argv.join(' '), error: r.error });
    });
    if (kernelFiles.length === 0) {
      for (const j of KERNEL_MODULE_COMMANDS) errors.push({ file: j.file, command: j.argv.join(' '), error: `the kernel release (${JSON.stringify(release).slice(0, 80)}) is not one a path may hold: its modules folder was not read` });
    }
    if (!sboxExists) {
      for (const j of SBOX_COMMANDS) {
        errors.push({ file: j.file, command: inSbox(execRoot, j).argv.join(' '), error: `the ingress_sbox netns ${sbox} does not exist on this node (no ingress sandbox; or set --exec-root)` });
      }
    }
    if ('why' in overlay) {
      for (const j of OVERLAY_COMMANDS) errors.push({ file: j.file, command: inNetns(ingressId ? overlayNetnsPath(execRoot, ingressId) : `${netnsDir(execRoot)}/1-<ingress network id>`, j).argv.join(' '), error: overlay.why });
    }
    // Both iptables backends: where iptables is the nf_tables one and legacy tables exist too.
    if (onPath('iptables-legacy-save') && keepLegacy(results[0].stdout, '*')) {
      const legacy = await runOne(['iptables-legacy-save']);
      if (legacy.ok && keepLegacy(results[0].stdout, legacy.stdout)) writeFileSync(join(dir, 'host/iptables-legacy.txt'), legacy.stdout);
      else if (!legacy.ok) errors.push({ file: 'host/iptables-legacy.txt', command: 'iptables-legacy-save', error: legacy.error });
    }
    // The NICs' offload features (host/ethtool.txt); without ethtool, errors.json says so.
    const eth = await ethtool;
    if ('text' in eth) writeFileSync(join(dir, ETHTOOL_COMMAND.file), eth.text);
    else errors.push({ file: ETHTOOL_COMMAND.file, command: ETHTOOL_COMMAND.argv.join(' '), error: eth.error });
    step('host sysctls');
    writeFileSync(join(dir, 'host/sysctl.txt'), readSysctls(HOST_SYSCTLS) + readConf());

    writeErrors(join(dir, 'errors.json'), errors);
    writeMeta(o.outDir, `mesh-doctor capture on ${node} (dockerd ${String(info.ServerVersion ?? '?')})`);
    return { node, dir, isManager, errors, timings };
  }
}

/** The ingress network's overlay namespace on this node, or why there is none to read. */
function ingressOverlay(execRoot: string, ingressId: string): { path: string } | { why: string } {
  if (!ingressId) return { why: "the ingress network's id is unknown (docker network ls lists no ingress network): its overlay namespace cannot be named" };
  const dir = netnsDir(execRoot);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch (e) {
    return { why: `cannot list ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): no overlay namespace of the ingress network to read (or set --exec-root)` };
  }
  const name = overlayNetnsName(names, ingressId);
  if (!name) return { why: `no overlay namespace of the ingress network (${ingressId}) in ${dir}: this node has no endpoint on ingress (or set --exec-root)` };
  return { path: `${dir}/${name}` };
}

/**
 * What stops a capture's reads when it ends. Every read in flight listens on its signal (execa's
 * cancelSignal): a dozen at once and one more per NIC, past Node's default of 10 listeners, whose
 * MaxListenersExceededWarning would reach the user's terminal. So it has no limit.
 */
export function readsController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}

/**
 * host/ethtool.txt (see ETHTOOL_COMMAND): per interface of `dir` that is a real device, its driver
 * (the basename of its device/driver link; `unknown` when that cannot be read) and `ethtool -k`; an
 * interface ethtool cannot read is noted in a comment. Or why nothing could be read.
 */
export async function readEthtool(dir: string, run: (argv: string[]) => Promise<CommandResult>): Promise<{ text: string } | { error: string }> {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    return { error: `cannot list ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  const devices = names.filter((i) => isIfname(i) && existsSync(join(dir, i, 'device')));
  if (devices.length === 0) return { text: `# no interface in ${dir} is a device\n` };
  const results = await Promise.all(devices.map((i) => run(forDevice(ETHTOOL_COMMAND, i))));
  const missing = results.find((r) => r.missing);
  if (missing) return { error: missing.error };
  const parts = devices.map((i, k) => {
    let driver = '';
    try {
      driver = basename(readlinkSync(driverLink(i, dir)));
    } catch {
      // No driver bound, or the link is unreadable: the header says unknown.
    }
    const r = results[k];
    return `${ethtoolHeader(i, driver)}\n${r.ok ? r.stdout.replace(/\n*$/, '\n') : `# ethtool -k ${i} failed: ${r.error}\n`}`;
  });
  return { text: parts.join('') };
}

/** rp_filter and route_localnet of every interface but Docker's per-container ones (names may hold dots: read by path). */
function readConf(): string {
  const lines: string[] = [];
  let ifaces: string[] = [];
  try {
    ifaces = readdirSync(HOST_CONF_DIR);
  } catch {
    return '';
  }
  for (const i of ifaces) {
    for (const key of ['rp_filter', 'route_localnet']) {
      if (!keepConf(i, key) || HOST_SYSCTLS.includes(`net.ipv4.conf.${i}.${key}`)) continue;
      try {
        lines.push(`net.ipv4.conf.${i}.${key} = ${readFileSync(join(HOST_CONF_DIR, i, key), 'utf8').trim()}`);
      } catch {
        // Gone since the listing: nothing to report.
      }
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
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
