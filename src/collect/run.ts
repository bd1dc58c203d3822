import { driverLink, IPVS_CONN_COMMAND, isIfname, isModulesFile, MODULES_PATTERN } from './commands.js';

/**
 * The only way mesh-doctor runs a program: read-only commands from a fixed list, through execa,
 * without a shell, with a timeout, no stdin and the C locale. Anything else is refused before it
 * runs, so no code path can change a node's state.
 */
export interface CommandResult {
  ok: boolean;
  stdout: string;
  /** Why it failed, as one line (stderr, exit code, or the timeout); '' when ok. */
  error: string;
  /** ENOENT: the program is not installed. */
  missing: boolean;
  timedOut: boolean;
  /** The program's exit code; -1 when it did not exit by itself (not found, timed out, stopped). */
  exitCode: number;
  /** What it printed on stderr (kept to tell "grep matched nothing" from a failure). */
  stderr: string;
  ms: number;
}

/** An absolute path with no `.` or `..` part and no empty one: what it names is what it says. */
function plainPath(p: string): boolean {
  return p.split('/').slice(1).every((part, i, all) => part !== '.' && part !== '..' && (part !== '' || i === all.length - 1));
}

/** Program -> check of its arguments. Every entry can only read. */
const READ_ONLY: Record<string, (args: string[]) => boolean> = {
  'iptables-save': (a) => a.every((x) => x === '-c' || /^-t$|^(filter|nat|mangle|raw|security)$/.test(x)),
  'iptables-legacy-save': (a) => a.every((x) => x === '-c' || /^-t$|^(filter|nat|mangle|raw|security)$/.test(x)),
  'iptables-nft-save': (a) => a.every((x) => x === '-c' || /^-t$|^(filter|nat|mangle|raw|security)$/.test(x)),
  // `ip -j [-d] OBJECT [show ...]`: JSON, optionally with details, of a listing (`show` and nothing else).
  ip: (a) => {
    const o = a[1] === '-d' ? 2 : 1;
    return a.length > o && /^-j$|^-json$/.test(a[0]) && ['addr', 'route', 'neigh', 'link'].includes(a[o]) && (a.length === o + 1 || a[o + 1] === 'show');
  },
  // Kernel state under /proc, and dockerd's configuration file (that path exactly; nothing else under
  // /etc is read). A path that climbs out (`/proc/../etc/shadow`) is not under /proc.
  cat: (a) => a.length > 0 && a.every((x) => (x.startsWith('/proc/') && plainPath(x)) || x === '/etc/docker/daemon.json'),
  // Sysctls (`grep -r . /proc/sys/...`: every line of files under those paths); the UDP lines of
  // IPVS's connection table, at most so many (IPVS_CONN_COMMAND, exactly: its -m, pattern and path);
  // and the lines of the mesh's modules in one kernel's modules.builtin or modules.dep (that pattern
  // exactly, that file of /lib/modules/<release>/ and no other).
  grep: (a) =>
    (a.length >= 3 && a[0] === '-r' && a[1] === '.' && a.slice(2).every((x) => x.startsWith('/proc/sys/') && plainPath(x))) ||
    (a.length === IPVS_CONN_COMMAND.argv.length - 1 && a.every((x, i) => x === IPVS_CONN_COMMAND.argv[i + 1])) ||
    (a.length === 3 && a[0] === '-E' && a[1] === MODULES_PATTERN && isModulesFile(a[2])),
  // The running kernel's release, for its modules folder.
  uname: (a) => a.length === 1 && a[0] === '-r',
  // The node's own docker CLI, as the swarm probe runs it: info and network inspect only.
  docker: (a) =>
    a[0] === '-H' && /^unix:\/\/\/[\w./-]+$/.test(a[1] ?? '') &&
    ((a[2] === 'info' && a[3] === '--format' && a[4] === '{{json .}}' && a.length === 5) ||
      (a[2] === 'network' && a[3] === 'inspect' && a.length >= 5 && a.slice(4).every((x) => /^[\w.-]+$/.test(x)))),
  base64: (a) => a.length === 0,
  // The forwarding database, listed (`bridge -j fdb show`, optionally of one device): never add, del,
  // replace, append or flush.
  bridge: (a) => a[0] === '-j' && a[1] === 'fdb' && a[2] === 'show' && (a.length === 3 || (a.length === 5 && a[3] === 'dev' && isIfname(a[4]))),
  // IPVS's timeouts only (`-l --timeout` lists; it sets nothing).
  ipvsadm: (a) => a.length === 2 && ['-l', '-L'].includes(a[0]) && a[1] === '--timeout',
  // NetworkManager's device list, terse, of the fields named: `nmcli -t -f A,B device` (no
  // `device set`, `connect`, `disconnect`, `reapply`, `modify`, `delete`, ...).
  nmcli: (a) => a.length === 4 && a[0] === '-t' && a[1] === '-f' && /^[A-Z-]+(,[A-Z-]+)*$/.test(a[2]) && a[3] === 'device',
  // systemd-networkd's link list (no `reload`, `reconfigure`, `up`, `down`, `renew`, `forcerenew`, `delete`).
  networkctl: (a) => a[0] === 'list' && a.slice(1).every((x) => x === '--no-pager' || x === '--no-legend'),
  // One interface's offload features or driver (`-k`, `-i` list; `-K` would set).
  ethtool: (a) => a.length === 2 && (a[0] === '-k' || a[0] === '-i') && isIfname(a[1]),
  // Which driver a network device has: the link /sys/class/net/<IF>/device/driver, read.
  readlink: (a) => {
    const name = a[0]?.split('/')[4] ?? '';
    return a.length === 1 && isIfname(name) && a[0] === driverLink(name);
  },
  // A transport, not a read of the node: the Docker API over ssh, as the Docker CLI reaches ssh:// engines.
  ssh: (a) => {
    let i = 0;
    if (a[i] !== '-o' || a[i + 1] !== 'BatchMode=yes') return false;
    i += 2;
    if (a[i] === '-p') {
      if (!/^\d+$/.test(a[i + 1] ?? '')) return false;
      i += 2;
    }
    return /^([\w.-]+@)?[\w.:-]+$/.test(a[i] ?? '') && a.slice(i + 1).join(' ') === '-- docker system dial-stdio';
  },
  nsenter: (a) => {
    // nsenter --net=<path> <one of the commands above>
    const m = /^--net=(\/.+)$/.exec(a[0] ?? '');
    return !!m && a[1] !== undefined && a[1] !== 'nsenter' && isReadOnly(a[1], a.slice(2));
  },
};

export function isReadOnly(program: string, args: string[]): boolean {
  const check = READ_ONLY[program];
  return check !== undefined && check(args);
}

export class RefusedCommand extends Error {}

/** Where programs are looked for: PATH, then the system folders a cron PATH often lacks. */
export function searchPath(): string {
  return `${process.env.PATH ?? ''}:/usr/sbin:/sbin:/usr/bin:/bin`;
}

let execaModule: typeof import('execa') | undefined;

/**
 * Load execa ahead of the first command: once it is loaded, runReadOnly starts its process in the
 * call itself (not a tick later), so that a caller can start commands and then do other work (load
 * dockerode, ask Docker) while they run.
 */
export async function loadRunner(): Promise<void> {
  execaModule ??= await import('execa');
}

/** `stop`: when it aborts, the program is stopped as a timed-out one is, and its result says so. */
export async function runReadOnly(program: string, args: string[], timeoutMs: number, path: string = searchPath(), stop?: AbortSignal): Promise<CommandResult> {
  if (!isReadOnly(program, args)) throw new RefusedCommand(`refused to run a command not known to be read-only: ${[program, ...args].join(' ')}`);
  // Awaited only the first time: once loaded, the process starts in this call (see loadRunner).
  if (!execaModule) await loadRunner();
  const { execa } = execaModule!;
  const t = performance.now();
  const r = await execa(program, args, {
    reject: false,
    timeout: timeoutMs,
    forceKillAfterDelay: 1000,
    stdin: 'ignore',
    maxBuffer: 256 * 1024 * 1024,
    env: { LC_ALL: 'C', PATH: path },
    extendEnv: false,
    stripFinalNewline: false,
    ...(stop ? { cancelSignal: stop } : {}),
  });
  const ms = performance.now() - t;
  const missing = (r as { code?: string }).code === 'ENOENT';
  const none = { exitCode: -1, stderr: '' };
  if (r.isCanceled) return { ok: false, stdout: '', error: 'stopped: it was no longer wanted', missing: false, timedOut: false, ...none, ms };
  if (r.timedOut) return { ok: false, stdout: String(r.stdout ?? ''), error: `timed out after ${timeoutMs / 1000}s and was stopped`, missing: false, timedOut: true, ...none, ms };
  if (missing) return { ok: false, stdout: '', error: `${program}: command not found`, missing: true, timedOut: false, ...none, ms };
  const stderr = String(r.stderr ?? '');
  if (r.exitCode !== 0) {
    const err = stderr.trim().split('\n').filter(Boolean).pop() ?? '';
    return { ok: false, stdout: String(r.stdout ?? ''), error: err || `exited with code ${r.exitCode}`, missing: false, timedOut: false, exitCode: r.exitCode ?? -1, stderr, ms };
  }
  return { ok: true, stdout: String(r.stdout), error: '', missing: false, timedOut: false, exitCode: 0, stderr, ms };
}
