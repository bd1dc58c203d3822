import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaptureError } from '../capture/read.js';
import { nodeDir, writeErrors, writeJson } from '../capture/write.js';
import { obj } from '../util/obj.js';
import { driverLink, emptyMatch, ETHTOOL_COMMAND, fileText, forDevice, forKernel, HOST_COMMANDS, HOST_CONF_DIR, HOST_SYSCTLS, inNetns, inSbox, isNetworkId, keepLegacy, KERNEL_MODULE_COMMANDS, NET_CLASS_DIR, netnsDir, OVERLAY_COMMANDS, overlayNetnsPath, SBOX_COMMANDS, type CaptureCommand } from './commands.js';
import { isReadOnly } from './run.js';

/*
 * The probe a Swarm global job runs on every node. It needs only a POSIX shell and chroot in its
 * image: every command is the node's own, run through `chroot /host` (the node's root, mounted
 * read-only). Each output is printed base64-encoded between markers, so the job's logs carry it
 * intact (Docker splits log lines longer than 16 KiB; one-line JSON outputs are often longer).
 */

const MARK = '@@mesh-doctor';

export const DEFAULT_PROBE_IMAGE = 'busybox:stable';
/** Marks the probe's service or containers, so they are recognised and kept out of captures. */
export const PROBE_LABEL = 'org.mesh-doctor.probe';
/** Marks the containers of a --swarm probe job's tasks (kept apart from --host's probe containers). */
export const PROBE_TASK_LABEL = 'org.mesh-doctor.probe-task';

/** What --swarm and --host have in common. */
export interface ProbeOptions {
  outDir: string;
  /** The engine to start from (--swarm: a manager); default DOCKER_HOST or the local socket. */
  dockerHost?: string;
  /** Any image with a POSIX shell and chroot. */
  probeImage?: string;
  /** The engine socket as seen on each node. */
  probeSocket?: string;
  execRoot?: string;
  /** Per API call. */
  timeoutMs?: number;
  /** For all probes: nodes not done by then are reported as timed out. */
  probeTimeoutMs?: number;
  onStep?: (text: string) => void;
}

export function probeDefaults(o: ProbeOptions) {
  return {
    timeoutMs: o.timeoutMs ?? 10_000,
    probeTimeoutMs: o.probeTimeoutMs ?? 60_000,
    execRoot: o.execRoot ?? '/run/docker',
    socket: o.probeSocket ?? '/var/run/docker.sock',
    image: o.probeImage ?? DEFAULT_PROBE_IMAGE,
    step: o.onStep ?? (() => {}),
  };
}

/** A node that was probed, or why not: 'captured', 'down', 'failed', 'timed out', 'not scheduled'. */
export interface NodeOutcome {
  node: string;
  id: string;
  outcome: string;
  detail: string;
}


export function isProbeService(svc: unknown): boolean {
  return obj(obj(obj(svc).Spec).Labels)[PROBE_LABEL] !== undefined;
}

/**
 * A task of a probe job, also after its service was removed (the manager keeps such tasks for a
 * while): its container spec carries the probe label, or (probes before the label) its script.
 */
export function isProbeTask(task: unknown): boolean {
  const cs = obj(obj(obj(task).Spec).ContainerSpec);
  if (obj(cs.Labels)[PROBE_TASK_LABEL] !== undefined) return true;
  return Array.isArray(cs.Command) && cs.Command.some((c) => typeof c === 'string' && c.includes(MARK));
}

/**
 * cluster/ from a manager's lists, without mesh-doctor's own probe services and their tasks. The
 * manager's GET /networks holds every swarm network with its Options (encrypted, mtu): its overlays
 * go to cluster/networks.json when given.
 */
export function writeCluster(outDir: string, nodes: unknown[], services: unknown[], tasks: unknown[], networks?: unknown[]): void {
  const probeIds = new Set(services.filter(isProbeService).map((s) => String(obj(s).ID)));
  mkdirSync(join(outDir, 'cluster'), { recursive: true });
  if (networks) writeJson(join(outDir, 'cluster/networks.json'), networks.filter((n) => obj(n).Driver === 'overlay'));
  writeJson(join(outDir, 'cluster/nodes.json'), nodes);
  writeJson(join(outDir, 'cluster/services.json'), services.filter((s) => !isProbeService(s)));
  writeJson(join(outDir, 'cluster/tasks.json'), tasks.filter((t) => !probeIds.has(String(obj(t).ServiceID)) && !isProbeTask(t)));
}

/**
 * Everything a probe captures on one node: the local capture's commands plus the node's Docker view.
 * Both networks come from one `docker network inspect` (the node's docker CLI is the slowest program
 * the probe runs); `post: 'networks'` splits its array into networks/<NAME>.json.
 */
export const PROBE_NETWORKS = ['ingress', 'docker_gwbridge'];

/** The ingress network's id in an engine's network list (the one marked Ingress, else the one named ingress); '' when none. */
export function ingressIdOf(networks: unknown[] | undefined): string {
  const list = (networks ?? []).map(obj);
  const id = (list.find((n) => n.Ingress === true) ?? list.find((n) => n.Name === 'ingress'))?.Id;
  return typeof id === 'string' && isNetworkId(id) ? id : '';
}

/**
 * The probe's commands. `ingressId` names the ingress network's overlay namespace (the manager's
 * network list knows it; the namespace's epoch is looked up on each node); '' when unknown, and
 * then the overlay files are recorded as not captured, saying why.
 */
export function probeCommands(execRoot: string, socket: string, ingressId = ''): CaptureCommand[] {
  const dockerCli = (...args: string[]) => ['docker', '-H', `unix://${socket}`, ...args];
  return [
    { file: 'info.json', argv: dockerCli('info', '--format', '{{json .}}') },
    { file: 'networks/', argv: dockerCli('network', 'inspect', ...PROBE_NETWORKS), post: 'networks' },
    ...HOST_COMMANDS,
    ...KERNEL_MODULE_COMMANDS,
    ETHTOOL_COMMAND,
    { file: 'host/iptables-legacy.txt', argv: ['iptables-legacy-save'] },
    // Plus every interface's conf folder (grepToSysctl keeps only rp_filter and route_localnet there).
    { file: 'host/sysctl.txt', argv: ['grep', '-r', '.', ...HOST_SYSCTLS.map((k) => `/proc/sys/${k.replace(/\./g, '/')}`), HOST_CONF_DIR], post: 'sysctl' },
    ...SBOX_COMMANDS.map((c) => inSbox(execRoot, c)),
    ...OVERLAY_COMMANDS.map((c): CaptureCommand => ({ ...inNetns(ingressId ? overlayNetnsPath(execRoot, ingressId) : `${netnsDir(execRoot)}/1-<ingress network id>`, c), netns: 'ingress-overlay' })),
  ];
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The probe: the container's shell enters the node's root once (`chroot /host`) and runs the rest
 * in the node's own /bin/sh, with the node's programs and a PATH of its own (a busybox chroot would
 * otherwise run its built-in applets). Nothing is written anywhere: each command's stdout goes
 * through the node's base64 straight to the log, its stderr and exit code through a variable.
 * One chroot instead of three per command: on a slow node the probe is several times faster.
 */
export function probeScript(execRoot: string, socket: string, ingressId = ''): string {
  return [
    'exec chroot /host /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C \\',
    `  MD_NODE="$MD_NODE" MD_NODE_ID="$MD_NODE_ID" /bin/sh -c ${quote(probeInner(execRoot, socket, ingressId))}`,
  ].join('\n');
}

/**
 * What runs in the node's own shell: every command of probeCommands(), each output between markers.
 * The overlay namespace's commands run with the namespace the node has: the shell picks, among
 * `<epoch>-<id>` names (see overlayNetnsName), the one of the highest epoch, by globs alone; where
 * there is none, their files are reported with the reason (rc 1), as a failed command's would be.
 */
export function probeInner(execRoot: string, socket: string, ingressId = ''): string {
  if (ingressId && !isNetworkId(ingressId)) throw new Error(`not a network id: ${ingressId}`);
  const commands = probeCommands(execRoot, socket, ingressId);
  for (const argv of commands.flatMap(runs)) {
    if (!isReadOnly(argv[0], argv.slice(1))) throw new Error(`probe command not known to be read-only: ${argv.join(' ')}`);
  }
  const plain = commands.filter((c) => !c.netns && !c.perDevice && !c.perKernel);
  const perDevice = commands.filter((c) => c.perDevice);
  const perKernel = commands.filter((c) => c.perKernel);
  const overlay = commands.filter((c) => c.netns === 'ingress-overlay');
  const dir = netnsDir(execRoot);
  const absent = (why: string, indent = '  ') => overlay.map((c) => `${indent}absent ${quote(c.file)} ${quote(why)}`);
  const overlayLines = ingressId
    ? [
        'ovns=',
        `for f in ${quote(dir + '/')}[1-9]${quote(`-${ingressId}`.slice(0, 11))} ${quote(dir + '/')}[1-9][0-9]${quote(`-${ingressId}`.slice(0, 10))}; do [ -e "$f" ] && ovns=$f; done`,
        'if [ -n "$ovns" ]; then',
        ...overlay.map((c) => `  emit ${quote(c.file)} ${quote(c.argv[0])} "--net=$ovns" ${c.argv.slice(2).map(quote).join(' ')}`),
        'else',
        ...absent(`no overlay namespace of the ingress network (${ingressId}) in ${dir}: this node has no endpoint on ingress`),
        'fi',
      ]
    : absent("the ingress network's id was unknown to the collector (the engine's network list has no ingress network): its overlay namespace could not be named", '');
  return [
    'exec 3>&1',
    'emit() {',
    '  f=$1; shift',
    `  echo "${MARK} out $f"`,
    // stdout to the log through base64 (fd 3); stderr and then the exit code into res.
    '  res=$( { { "$@"; echo "@@rc $?" >&2; } | base64 >&3; } 2>&1 )',
    '  rc=${res##*@@rc }',
    '  err=${res%@@rc *}',
    `  echo "${MARK} rc $f $rc"`,
    '  [ -z "$err" ] || printf %s "$err" | base64',
    `  echo "${MARK} end $f"`,
    '}',
    // A file that could not be read, and why, as emit reports a failed command.
    'absent() {',
    `  echo "${MARK} out $1"`,
    `  echo "${MARK} rc $1 1"`,
    '  printf %s "$2" | base64',
    `  echo "${MARK} end $1"`,
    '}',
    ...perDevice.flatMap((c, k) => deviceLoop(`md_dev${k}`, c)),
    `echo "${MARK} node $MD_NODE $MD_NODE_ID"`,
    ...plain.map((c) => `emit ${quote(c.file)} ${c.argv.map(quote).join(' ')}`),
    ...kernelLines(perKernel),
    ...perDevice.map((c, k) => `emit ${quote(c.file)} md_dev${k}`),
    ...overlayLines,
    `echo "${MARK} done"`,
  ].join('\n');
}

/**
 * The commands a probe command stands for, as the allowlist checks them (a per-device one: for a
 * sample interface, with the read of its driver; a per-kernel one: for a sample release, with uname).
 */
export function runs(c: CaptureCommand): string[][] {
  if (c.perDevice) return [forDevice(c, 'eth0'), ['readlink', driverLink('eth0')]];
  if (c.perKernel) return [forKernel(c, '6.1.0-13-amd64'), ['uname', '-r']];
  return [c.argv];
}

/** How errors.json names a command: a per-kernel one with the `$(uname -r)` the probe ran it with. */
export function commandText(c: CaptureCommand): string {
  return c.perKernel ? forKernel(c, '$(uname -r)').join(' ') : c.argv.join(' ');
}

/**
 * The per-kernel commands, with the node's `uname -r` for `<KREL>` (only a release of the characters
 * a path part may hold: else their files are reported, saying why).
 */
function kernelLines(cs: CaptureCommand[]): string[] {
  if (cs.length === 0) return [];
  const word = (a: string) => a.split('<KREL>').map((p) => (p ? quote(p) : '')).join('"$kr"');
  return [
    'kr=$(uname -r 2>/dev/null)',
    "case $kr in ''|.|..|*[!A-Za-z0-9._+~-]*) kr= ;; esac",
    'if [ -n "$kr" ]; then',
    // grep's exit 1 (no line matched) is written as an empty file by writeNode (noMatchIsEmpty).
    ...cs.map((c) => `  emit ${quote(c.file)} ${c.argv.map(word).join(' ')}`),
    'else',
    ...cs.map((c) => `  absent ${quote(c.file)} ${quote('uname -r printed no kernel release that a path may hold: the modules folder was not read')}`),
    'fi',
  ];
}

/** A word of a per-device command: `<IF>` becomes the loop's "$i", the rest is quoted. */
const deviceWord = (a: string) => a.split('<IF>').map((p) => (p ? quote(p) : '')).join('"$i"');

/**
 * A shell function that prints, for every interface of /sys/class/net with a device (a name of the
 * allowlist's characters only), `# interface <IF> driver <DRIVER>` and the command's output (or a
 * comment when it fails there); 127 when the node lacks the program, as emit reports a missing one.
 */
function deviceLoop(name: string, c: CaptureCommand): string[] {
  const link = ['readlink', driverLink('<IF>')].map(deviceWord).join(' ');
  return [
    `${name}() {`,
    `  command -v ${quote(c.argv[0])} >/dev/null 2>&1 || { echo ${quote(`${c.argv[0]}: command not found`)} >&2; return 127; }`,
    '  n=0',
    `  for d in ${quote(NET_CLASS_DIR + '/')}*/device; do`,
    '    [ -e "$d" ] || continue',
    '    i=${d%/device}; i=${i##*/}',
    '    case $i in -*|*[!A-Za-z0-9_.@:-]*|????????????????*) continue ;; esac',
    `    drv=$(${link} 2>/dev/null); drv=\${drv##*/}`,
    '    echo "# interface $i driver ${drv:-unknown}"',
    `    ${c.argv.map(deviceWord).join(' ')} 2>/dev/null || echo "# ${c.argv.slice(0, -1).join(' ')} $i failed (exit $?)"`,
    '    n=$((n+1))',
    '  done',
    `  [ "$n" -gt 0 ] || echo ${quote(`# no interface in ${NET_CLASS_DIR} is a device`)}`,
    '}',
  ];
}

export interface ProbeFile {
  rc: number;
  stdout: string;
  stderr: string;
}

export interface ProbeOutput {
  node: string;
  nodeId: string;
  files: Map<string, ProbeFile>;
  /** The probe printed its last line: it ran to the end. */
  complete: boolean;
}

/** Read a probe's log text back into files. Lines outside the markers (pull messages) are ignored. */
export function parseProbeLog(text: string): ProbeOutput {
  const out: ProbeOutput = { node: '', nodeId: '', files: new Map(), complete: false };
  let current: { file: string; rc: number; part: 'stdout' | 'stderr'; stdout: string[]; stderr: string[] } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith(MARK)) {
      const [, kind, a, b] = line.split(' ');
      if (kind === 'node') [out.node, out.nodeId] = [a ?? '', b ?? ''];
      else if (kind === 'out') current = { file: a, rc: NaN, part: 'stdout', stdout: [], stderr: [] };
      else if (kind === 'rc' && current) [current.rc, current.part] = [Number(b), 'stderr'];
      else if (kind === 'file') current = { file: a, rc: Number(b), part: 'stdout', stdout: [], stderr: [] };
      else if (kind === 'stderr' && current) current.part = 'stderr';
      else if (kind === 'end' && current) {
        const decode = (xs: string[]) => Buffer.from(xs.join(''), 'base64').toString('utf8');
        if (!Number.isNaN(current.rc)) out.files.set(current.file, { rc: current.rc, stdout: decode(current.stdout), stderr: decode(current.stderr) });
        current = undefined;
      } else if (kind === 'done') out.complete = true;
      continue;
    }
    if (current) current[current.part].push(line.trim());
  }
  return out;
}

/** Docker's multiplexed log stream (8-byte frame headers) as text; a plain (TTY) stream as is. */
export function demuxLogs(buf: Buffer): string {
  const chunks: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && buf[i] <= 2 && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const size = buf.readUInt32BE(i + 4);
    chunks.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  if (i === 0) return buf.toString('utf8');
  return Buffer.concat(chunks).toString('utf8');
}

/** One node's folder from its probe output; what is missing goes to errors.json with the reason. */
export function writeNode(outDir: string, host: string, commands: ReturnType<typeof probeCommands>, out: ProbeOutput | undefined, why: { detail: string } | undefined): void {
  const dir = nodeDir(outDir, host);
  const errors: CaptureError[] = [];
  const hostIptables = out?.files.get('host/iptables.txt');
  for (const c of commands) {
    const command = commandText(c);
    const f = out?.files.get(c.file);
    if (c.post === 'networks') {
      writeNetworks(dir, c, f, why, errors);
      continue;
    }
    if (!f) {
      errors.push({ file: c.file, command, error: why?.detail ?? 'the probe stopped before this command' });
      continue;
    }
    if (c.file === 'host/iptables-legacy.txt') {
      // Absent tools are no error.
      if (f.rc === 0 && keepLegacy(hostIptables?.stdout ?? '', f.stdout)) writeFileSync(join(dir, c.file), f.stdout);
      else if (f.rc !== 0 && f.rc !== 127) errors.push({ file: c.file, command, error: lastLine(f.stderr) || `exited with code ${f.rc}` });
      continue;
    }
    // grep exits 2 when some sysctls do not exist on this kernel: the others are still good.
    if (c.post === 'sysctl' && f.stdout.trim() && f.rc !== 127) {
      writeFileSync(join(dir, c.file), fileText(c, f.stdout));
      continue;
    }
    // grep of IPVS's connection table exits 1 when the sbox has no UDP entry: an empty file, not an error.
    if (f.rc === 0 || emptyMatch(c, f.rc, f.stdout, f.stderr)) writeFileSync(join(dir, c.file), fileText(c, f.stdout));
    else errors.push({ file: c.file, command, error: f.rc === 127 ? `${c.argv[0]}: command not found on the node` : lastLine(f.stderr) || `exited with code ${f.rc}` });
  }
  writeErrors(join(dir, 'errors.json'), errors);
}

/** One `docker network inspect A B` into networks/A.json and networks/B.json; a missing one is an error. */
function writeNetworks(dir: string, c: CaptureCommand, f: ProbeFile | undefined, why: { detail: string } | undefined, errors: CaptureError[]): void {
  const command = c.argv.join(' ');
  const names = c.argv.slice(c.argv.indexOf('inspect') + 1);
  let found: unknown[] = [];
  if (f && f.rc !== 127) {
    try {
      const parsed: unknown = JSON.parse(f.stdout || '[]');
      if (Array.isArray(parsed)) found = parsed;
    } catch {
      // Not JSON: every network below is reported with the command's own error.
    }
  }
  for (const name of names) {
    const net = found.find((n) => obj(n).Name === name);
    if (net) {
      writeJson(join(dir, 'networks', `${name}.json`), [net]);
      continue;
    }
    const said = f ? f.stderr.split('\n').find((l) => l.includes(name)) ?? lastLine(f.stderr) : '';
    const error = !f ? why?.detail ?? 'the probe stopped before this command' : f.rc === 127 ? 'docker: command not found on the node' : said || `no network named ${name} on this node`;
    errors.push({ file: `networks/${name}.json`, command, error });
  }
}

function lastLine(s: string): string {
  return s.trim().split('\n').filter(Boolean).pop() ?? '';
}
