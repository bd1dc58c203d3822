/**
 * What a capture of one node reads, shared by the local collector and the swarm probe, so both
 * write the same files from the same read-only commands (each checked against the allowlist of
 * src/collect/run.ts before it runs or is put in a probe script).
 */
export interface CaptureCommand {
  /** File in the node's capture folder. */
  file: string;
  argv: string[];
  /** How stdout becomes the file: as is, `grep -r .` output turned into `key = value` lines, or a
   *  `docker network inspect` array split into networks/<NAME>.json. */
  post?: 'sysctl' | 'networks' | 'redact' | 'ipvs-conn';
  /** Run in the ingress network's overlay namespace, whose name the swarm probe looks up on the node
   *  (argv holds the namespace's first-life path, for the allowlist and errors.json). */
  netns?: 'ingress-overlay';
  /** Run once per host interface that is a real device (see ETHTOOL_COMMAND): argv's `<IF>` is its name. */
  perDevice?: true;
  /** grep: exit 1 with nothing printed means no line matched, and the file is written empty (not an error). */
  noMatchIsEmpty?: true;
  /**
   * A grep of a file of the running kernel's modules folder (see KERNEL_MODULE_COMMANDS): argv's
   * `<KREL>` is the kernel's release (`uname -r`); grep's exit 1 (no line matched) is an empty file (noMatchIsEmpty).
   */
  perKernel?: true;
}

/** Host sysctls the rules read (read from /proc/sys: per network namespace). */
export const HOST_SYSCTLS = [
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

/** Per-interface IPv4 settings; of these the capture keeps only CONF_KEYS, and not for Docker's veth/vx- devices. */
export const HOST_CONF_DIR = '/proc/sys/net/ipv4/conf';
export const CONF_KEYS = ['rp_filter', 'route_localnet'];
/** An interface's conf key worth keeping: rp_filter and route_localnet, except on Docker's per-container devices. */
export function keepConf(ifname: string, key: string): boolean {
  return CONF_KEYS.includes(key) && !/^(veth|vx-)/.test(ifname);
}

/** dockerd's configuration file (its --config-file default on Linux). */
export const DAEMON_JSON = '/etc/docker/daemon.json';

export const HOST_COMMANDS: CaptureCommand[] = [
  { file: 'host/iptables.txt', argv: ['iptables-save'] },
  { file: 'host/addr.json', argv: ['ip', '-j', 'addr'] },
  { file: 'host/routes.json', argv: ['ip', '-j', 'route'] },
  // The host's own VXLAN devices with their VNI and UDP port (vxlan-port-not-shared, beside
  // vxlan-device-not-stale): another VXLAN user on the data-path port (Calico, Proxmox SDN, a
  // hand-made tunnel) holds VNIs the swarm's overlays need. `ip -d` alone prints them.
  { file: 'host/vxlan.json', argv: ['ip', '-j', '-d', 'link', 'show', 'type', 'vxlan'] },
  // dockerd's settings (docker-iptables-enabled reads "iptables" and "ip-forward"). Most nodes have
  // no daemon.json: cat's "No such file or directory" goes to errors.json, and rules read that as
  // Docker's defaults, not as a file not captured.
  { file: 'host/daemon.json', argv: ['cat', DAEMON_JSON], post: 'redact' },
  // Which network manager claims Docker's interfaces (network-manager-leaves-docker). Both ask a
  // daemon and change nothing. Where the tool is missing, or NetworkManager is not running (nmcli
  // exits 8, 'Error: NetworkManager is not running.'), the file is recorded in errors.json: the node
  // does not use that manager, which is not the same as a capture that did not ask. networkctl
  // without systemd-networkd running still lists the links (OPERATIONAL n/a, SETUP unmanaged) and
  // warns on stderr.
  { file: 'host/nmcli.txt', argv: ['nmcli', '-t', '-f', 'DEVICE,TYPE,STATE,CONNECTION', 'device'] },
  { file: 'host/networkctl.txt', argv: ['networkctl', 'list', '--no-pager', '--no-legend'] },
  // The kernel modules loaded now (kernel-modules-present). Absent where the kernel was built without
  // loadable modules (CONFIG_MODULES unset): cat's "No such file" goes to errors.json, and says so.
  { file: 'host/modules.txt', argv: ['cat', '/proc/modules'] },
];

/**
 * The kernel modules the routing mesh needs, by every name one may go by (an iptables table's module
 * for either backend, the MASQUERADE target's before and after Linux 5.2): the lines of the modules
 * folder the capture keeps. kernel-modules-present says which of them each node must have and why
 * (src/model/modules.ts).
 */
export const MESH_MODULES = [
  'ip_vs', 'ip_vs_rr', 'xt_ipvs', 'nf_conntrack', 'nf_nat', 'xt_nat', 'xt_MASQUERADE', 'ipt_MASQUERADE', 'xt_addrtype', 'xt_mark',
  'xt_conntrack', 'xt_REDIRECT', 'iptable_nat', 'iptable_mangle', 'iptable_filter', 'nf_tables', 'nft_compat', 'nft_chain_nat',
  'nft_chain_nat_ipv4', 'bridge', 'br_netfilter', 'veth', 'vxlan',
];
/**
 * A line of modules.builtin (`kernel/net/bridge/bridge.ko`) or modules.dep
 * (`kernel/net/netfilter/ipvs/ip_vs_rr.ko.zst: kernel/net/netfilter/ipvs/ip_vs.ko.zst ...`) whose
 * own module (the first path, not one it depends on) is one of MESH_MODULES. The same text for
 * `grep -E` and for a JavaScript RegExp.
 */
export const MODULES_PATTERN = `^([^ :]*/)?(${MESH_MODULES.join('|')})\\.ko(\\.[a-z0-9]+)?(:|$)`;
/** Where the modules of kernel release R are: /lib/modules/R (kmod's and depmod's default). */
export const MODULES_DIR = '/lib/modules';
/**
 * Of the running kernel's modules folder, the lines of the mesh's modules: those built in
 * (modules.builtin) and those that can be loaded (modules.dep, depmod's list of every module file).
 * Filtered, not copied whole: modules.dep is hundreds of KB. Where the folder cannot be read (a
 * container without /lib/modules, a kernel without modules), grep's error goes to errors.json.
 */
export const KERNEL_MODULE_COMMANDS: CaptureCommand[] = [
  { file: 'host/modules-builtin.txt', argv: ['grep', '-E', MODULES_PATTERN, `${MODULES_DIR}/<KREL>/modules.builtin`], perKernel: true, noMatchIsEmpty: true },
  { file: 'host/modules-dep.txt', argv: ['grep', '-E', MODULES_PATTERN, `${MODULES_DIR}/<KREL>/modules.dep`], perKernel: true, noMatchIsEmpty: true },
];
/** A kernel release (`uname -r`: 6.1.0-13-amd64, 6.6.31+rpt-rpi-v8) that may go into a path: one plain part. */
export function isKernelRelease(s: string): boolean {
  return /^[A-Za-z0-9._+~-]{1,64}$/.test(s) && s !== '.' && s !== '..';
}
/** A per-kernel command for one kernel release. */
export function forKernel(c: CaptureCommand, release: string): string[] {
  return c.argv.map((a) => a.replace('<KREL>', release));
}
/** Whether a path is modules.builtin or modules.dep of one kernel release's modules folder. */
export function isModulesFile(path: string): boolean {
  const m = /^\/lib\/modules\/([^/]+)\/modules\.(builtin|dep)$/.exec(path);
  return !!m && isKernelRelease(m[1]);
}

/**
 * host/ethtool.txt: for each host interface that is a real device (has /sys/class/net/<IF>/device),
 * a header `# interface <IF> driver <DRIVER>` (the basename of /sys/class/net/<IF>/device/driver)
 * and then `ethtool -k <IF>`. Only the underlay's entry is read (vxlan-checksum-offload-safe); every
 * device's is kept, as a person looks for the NIC by name. Where the node has no ethtool, errors.json
 * says so and the file is absent.
 */
export const ETHTOOL_COMMAND: CaptureCommand = { file: 'host/ethtool.txt', argv: ['ethtool', '-k', '<IF>'], perDevice: true };
export const NET_CLASS_DIR = '/sys/class/net';
/** An interface name that may go into a command or a path (the kernel's are at most 15 characters). */
export function isIfname(s: string): boolean {
  return /^[\w.@:-]{1,15}$/.test(s) && !s.startsWith('-') && s !== '.' && s !== '..';
}
/** A per-device command for one interface. */
export function forDevice(c: CaptureCommand, ifname: string): string[] {
  return c.argv.map((a) => a.replace('<IF>', ifname));
}
/** The link whose target's basename is an interface's driver. */
export function driverLink(ifname: string, dir = NET_CLASS_DIR): string {
  return `${dir}/${ifname}/device/driver`;
}
export function ethtoolHeader(ifname: string, driver: string): string {
  return `# interface ${ifname} driver ${driver || 'unknown'}`;
}

/**
 * The UDP entries of the sbox's IPVS connection table, `/proc/net/ip_vs_conn` (the kernel's
 * ip_vs_conn_seq_show: one line per connection, 67 bytes for IPv4, hex addresses and ports), for
 * ipvs-udp-flows-current. A busy node holds hundreds of thousands: the capture keeps the UDP lines
 * only (grep `^UDP`), at most IPVS_CONN_MAX of them (about 130 KB; a node's flows to a task that is
 * gone are a share of them, and a sample shows them as well as the whole table would; reading them
 * costs a check about 5 ms per node). grep stops after one more (`-m`), and when that
 * one came, the file ends with the line cutIpvsConn writes, so a rule can say "at least". No UDP
 * entry at all: grep exits 1 and the file is written empty. The kernel lists the table in hash
 * order, so the lines kept are a sample of the flows, not the oldest ones.
 */
export const IPVS_CONN_MAX = 2000;
export const IPVS_CONN_FILE = '/proc/net/ip_vs_conn';
export const IPVS_CONN_COMMAND: CaptureCommand = {
  file: 'ingress_sbox/ipvs-conn.txt',
  argv: ['grep', '-m', String(IPVS_CONN_MAX + 1), '^UDP', IPVS_CONN_FILE],
  post: 'ipvs-conn',
  noMatchIsEmpty: true,
};
/** The last line of ingress_sbox/ipvs-conn.txt when the table had more UDP entries than it keeps. */
export function ipvsConnCutLine(max = IPVS_CONN_MAX): string {
  return `# cut at ${max} UDP entries: ingress_sbox has more; the first ${max} in the kernel's order are kept`;
}
/** grep's output as the file keeps it: at most `max` lines, and the cut line when there were more. */
export function cutIpvsConn(text: string, max = IPVS_CONN_MAX): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length <= max) return lines.length ? lines.join('\n') + '\n' : '';
  return lines.slice(0, max).join('\n') + '\n' + ipvsConnCutLine(max) + '\n';
}
/** A command's exit that still means "its file, empty": grep finding no line (exit 1, nothing printed). */
export function emptyMatch(c: CaptureCommand, exitCode: number, stdout: string, stderr: string): boolean {
  return c.noMatchIsEmpty === true && exitCode === 1 && stdout === '' && stderr.trim() === '';
}

/** Run inside ingress_sbox (prefixed with nsenter --net=...). */
export const SBOX_COMMANDS: CaptureCommand[] = [
  { file: 'ingress_sbox/iptables.txt', argv: ['iptables-save'] },
  { file: 'ingress_sbox/ipvs.txt', argv: ['cat', '/proc/net/ip_vs'] },
  { file: 'ingress_sbox/neigh.json', argv: ['ip', '-j', 'neigh'] },
  { file: 'ingress_sbox/addr.json', argv: ['ip', '-j', 'addr'] },
  { file: 'ingress_sbox/sysctl.txt', argv: ['grep', '-r', '.', '/proc/sys/net/ipv4/vs'], post: 'sysctl' },
  // IPVS's timeouts: only ipvsadm reads them (netlink; no /proc or /sys file has them). Without
  // ipvsadm on the node the file is recorded as not captured and ipvs-idle-timeout skips.
  { file: 'ingress_sbox/ipvs-timeout.txt', argv: ['ipvsadm', '-l', '--timeout'] },
  // The UDP entries of IPVS's connection table, bounded (see IPVS_CONN_COMMAND).
  IPVS_CONN_COMMAND,
];

/**
 * Run inside the ingress network's overlay namespace (see overlayNetnsName): the neighbour entries
 * and the VXLAN forwarding rows libnetwork's overlay driver programs for every endpoint on another
 * node. `bridge fdb show` without `dev`: with it, iproute2 leaves the device out of every row.
 */
export const OVERLAY_COMMANDS: CaptureCommand[] = [
  { file: 'ingress_overlay/neigh.json', argv: ['ip', '-j', 'neigh'] },
  { file: 'ingress_overlay/fdb.json', argv: ['bridge', '-j', 'fdb', 'show'] },
];

/** A swarm network id (base 36; Docker's are 25 characters): all that may go into a namespace path or a glob. */
export function isNetworkId(id: string): boolean {
  return /^[a-z0-9]{1,64}$/i.test(id);
}

export function netnsDir(execRoot: string): string {
  return `${execRoot.replace(/\/$/, '')}/netns`;
}

/**
 * The overlay driver names a network's namespace `<epoch>-<network id>` cut to 12 characters
 * (libnetwork osl.GenerateKey of `fmt.Sprintf("%d-", n.initEpoch) + n.id`): `1-` and the first 10
 * characters of the id, `2-` after the namespace was destroyed and made again in one daemon life,
 * and so on. Of the names in the netns folder, the one of the highest epoch, as libnetwork itself
 * looks it up; undefined when the node has none (no local endpoint on that network).
 */
export function overlayNetnsName(names: string[], networkId: string): string | undefined {
  let best: { name: string; epoch: number } | undefined;
  for (const name of names) {
    const m = /^([1-9]\d*)-/.exec(name);
    if (!m || name !== `${m[1]}-${networkId}`.slice(0, 12)) continue;
    const epoch = Number(m[1]);
    if (!best || epoch > best.epoch) best = { name, epoch };
  }
  return best?.name;
}

/** The path of the first life of a network's namespace: what a person types (the collectors look the epoch up). */
export function overlayNetnsPath(execRoot: string, networkId: string): string {
  return `${netnsDir(execRoot)}/${`1-${networkId}`.slice(0, 12)}`;
}

export function inNetns(path: string, c: CaptureCommand): CaptureCommand {
  return { ...c, argv: ['nsenter', `--net=${path}`, ...c.argv] };
}

export function sboxPath(execRoot: string): string {
  return `${execRoot.replace(/\/$/, '')}/netns/ingress_sbox`;
}

export function inSbox(execRoot: string, c: CaptureCommand): CaptureCommand {
  return { ...c, argv: ['nsenter', `--net=${sboxPath(execRoot)}`, ...c.argv] };
}

/**
 * The user and password in a URL (`http://user:secret@proxy:3128`, as daemon.json's "proxies" and
 * "registry-mirrors" may hold them) replaced by `<redacted>`: a capture is made to be attached to
 * tickets. The rest stays as it was, line for line.
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/@\s"\\]+@/g, '$1<redacted>@');
}

/** What a command's output becomes in its file: sysctl lines made `key = value`, credentials redacted, IPVS connections cut, or as printed. */
export function fileText(c: CaptureCommand, stdout: string): string {
  if (c.post === 'ipvs-conn') return cutIpvsConn(stdout);
  return c.post === 'sysctl' ? grepToSysctl(stdout) : c.post === 'redact' ? redactUrlCredentials(stdout) : stdout;
}

/** `grep -r .` prints path:value; the capture wants `key = value` (of net/ipv4/conf only what keepConf keeps). */
export function grepToSysctl(text: string): string {
  const lines = text
    .split('\n')
    .filter((l) => l.includes(':'))
    .filter((l) => {
      const m = /^\/proc\/sys\/net\/ipv4\/conf\/([^/:]+)\/([^/:]+):/.exec(l);
      return !m || keepConf(m[1], m[2]);
    })
    .map((l) => {
      const i = l.indexOf(':');
      return `${l.slice(0, i).replace('/proc/sys/', '').replace(/\//g, '.')} = ${l.slice(i + 1).trim()}`;
    });
  // A key read twice (a file named and also under a folder grep walked) is written once.
  const seen = new Set<string>();
  const unique = lines.filter((l) => {
    const k = l.slice(0, l.indexOf(' = '));
    return seen.has(k) ? false : (seen.add(k), true);
  });
  return unique.length ? unique.join('\n') + '\n' : '';
}

/**
 * Keep iptables-legacy-save's output only where both backends hold rules: iptables is the nf_tables
 * one (its save header says so) and the legacy tables are not empty.
 */
export function keepLegacy(iptablesSave: string, legacySave: string): boolean {
  return /nf_tables/.test(iptablesSave.split('\n')[0] ?? '') && /^\*/m.test(legacySave);
}
