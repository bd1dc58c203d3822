import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netnsDir, overlayNetnsName } from '../../../src/collect/commands.js';
import { guest, guestOk, lab, ROOT, SBOX, shareOf, truth } from './mesh-lab.js';

/*
 * The faults the working-mesh suite injects into the real guests, one at a time, each undone before
 * the next. Each says what it does (the commands, as run inside the guest), which node it breaks
 * on purpose, and which rules must name the broken hop there.
 */

/** What the healthy lab looks like, read from the guests before any fault. */
export interface MeshFacts {
  /** ingress_sbox's address on docker_gwbridge (the DNAT target). */
  sboxIp: string;
  /** The published port's firewall mark in the sbox (decimal, as ipvsadm wants it). */
  mark: number;
  /** The service's only backend (its task's ingress address), on TASK_NODE. */
  backend: string;
  /** The sbox's SNAT of IPVS traffic to the ingress subnet, as `iptables -S` prints it without `-A`. */
  snat: string;
  /** The service's ingress VIP, a /32 on the sbox's eth0 (only the fault sbox-vip-removed needs it). */
  vip?: string;
  /** (Only the fault vxlan-fdb-row-deleted needs these four.) FAULT_NODE's namespace of the ingress network (/run/docker/netns/<epoch>-<id>), as its netns folder has it. */
  overlayNetns?: string;
  /** The backend's MAC and the VXLAN device, from FAULT_NODE's PERMANENT neighbour entry for it in that namespace. */
  backendMac?: string;
  vxlanDev?: string;
  /** TASK_NODE's underlay address (its Swarm.NodeAddr): where FAULT_NODE's VXLAN tunnels the backend's frames. */
  taskNodeAddr?: string;
  /** The ingress network's VXLAN id (its vxlanid_list; only the fault vxlan-vni-taken needs it). */
  ingressVni?: number;
}

/** The node the faults are made on: a worker that runs no task of the service. */
export const FAULT_NODE = 'node2';
export const TASK_NODE = 'node3';
export const PORT = 8080;

export interface Fault {
  id: string;
  title: string;
  node: string;
  /** The commands that make it, as a person would type them in the guest. */
  commands: (f: MeshFacts) => string[];
  /** How long to let it take effect, or a wait of its own. */
  settle?: () => Promise<void>;
  /** Rules that must fail on the node, naming the broken hop. */
  expect: string[];
  /**
   * False for a fault that leaves the port answering everywhere (a latent fault: a stale IPVS
   * service, default IPVS sysctls): then no node may fail and `warns` must warn on the node.
   */
  breaks?: boolean;
  warns?: string[];
  /** Put things back; then the suite waits until the port answers on every node again. */
  undo: (saved: Saved) => Promise<void>;
  /** Why it cannot break traffic here, when it cannot. */
  note?: string;
  /** Steps made from outside the guests (the lab's docker CLI, a client in its namespace), for the fixture's README. */
  outside?: string[];
}

/** State saved before a fault, for an exact undo. */
export interface Saved {
  node: string;
  hostIptables: string;
  sboxIptables: string;
  sboxIpvs: string;
  /** The /32 addresses (VIPs) on the sbox's eth0. */
  sboxVips: string[];
}

export async function save(node: string): Promise<Saved> {
  const [hostIptables, sboxIptables, sboxIpvs, sboxAddr] = await Promise.all([
    guestOk(node, ['iptables-save']),
    guestOk(node, [...SBOX, 'iptables-save']),
    guestOk(node, [...SBOX, 'ipvsadm', '-S', '-n']),
    guestOk(node, [...SBOX, 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']),
  ]);
  const sboxVips = [...sboxAddr.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\/32/g)].map((m) => m[1]);
  return { node, hostIptables, sboxIptables, sboxIpvs, sboxVips };
}

async function withFile<T>(text: string, f: (file: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'md-mesh-'));
  const file = join(dir, 'in');
  writeFileSync(file, text);
  try {
    return await f(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** iptables-restore of one table as saved (the rest untouched). */
export async function restoreTable(s: Saved, where: 'host' | 'sbox', table: string): Promise<void> {
  const text = where === 'host' ? s.hostIptables : s.sboxIptables;
  const prefix = where === 'host' ? [] : SBOX;
  await withFile(text, (file) => guestOk(s.node, [...prefix, 'iptables-restore', '-T', table], file));
}

export async function restoreIpvs(s: Saved): Promise<void> {
  await guestOk(s.node, [...SBOX, 'ipvsadm', '-C']);
  await withFile(s.sboxIpvs, (file) => guestOk(s.node, [...SBOX, 'ipvsadm', '-R'], file));
}

/** Run the fault's commands in its guest (each through sh -c, as typed). */
export async function inject(fault: Fault, facts: MeshFacts): Promise<void> {
  for (const c of fault.commands(facts)) await guestOk(fault.node, ['sh', '-c', c]);
}

export async function waitFor(what: string, seconds: number, test: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await test()) return (Date.now() - t0) / 1000;
    if (Date.now() - t0 > seconds * 1000) throw new Error(`timed out after ${seconds}s waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 2000));
  }
}

export async function allAnswer(): Promise<boolean> {
  return Object.values(await truth()).every(Boolean);
}

async function nodeState(node: string): Promise<string> {
  return (await lab('docker', 'node1', 'node', 'inspect', node, '--format', '{{.Status.State}}')).trim();
}

/**
 * While nf_conntrack_max is lowered no new connection reaches the guest, the agent's own included:
 * the guest puts it back by itself when the lab drops a file into its share (hostfs, no network), or
 * after this long at most.
 */
const CONNTRACK_WINDOW_S = 300;

/** The UDP service of the fault udp-flow-stuck: a Node.js echo server (the guest's own node, through a read-only bind of /), answering with its task's hostname. */
const UDP_PORT = 9999;
const UDP_SERVER = `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(require('os').hostname()+' '+m,r.port,r.address));s.bind(${UDP_PORT})`;
/** The stuck client's fixed source port, and the first of the fresh ones (one per try). */
const UDP_CLIENT_PORT = 40000;
const UDP_FRESH_PORT = 40001;
const nodeAddr = (node: string) => `10.78.0.1${node.replace(/^node/, '')}`;

const UDP_FLOW = join(ROOT, 'test/lab/uml/udp-flow.cjs');
/** One UDP flow from the lab's namespace to a node's published UDP port (test/lab/uml/udp-flow.cjs). */
async function udpFlow(node: string, srcPort: number, count: number): Promise<{ sent: number; replies: string[] }> {
  return JSON.parse(await lab('ns', 'node', UDP_FLOW, nodeAddr(node), String(UDP_PORT), String(srcPort), String(count))) as { sent: number; replies: string[] };
}

async function udpServiceRunning(): Promise<boolean> {
  const ps = await lab('docker', 'node1', 'service', 'ps', 'udp', '--filter', 'desired-state=running', '--format', '{{.CurrentState}}');
  return /^Running/m.test(ps);
}

export const FAULTS: Fault[] = [
  {
    id: 'dnat-deleted',
    title: 'the DOCKER-INGRESS DNAT for the port deleted',
    node: FAULT_NODE,
    commands: (f) => [`iptables -t nat -D DOCKER-INGRESS -p tcp -m tcp --dport ${PORT} -j DNAT --to-destination ${f.sboxIp}:${PORT}`],
    expect: ['published-port-has-dnat'],
    undo: (s) => restoreTable(s, 'host', 'nat'),
  },
  {
    id: 'dnat-rewritten',
    title: 'the DNAT rewritten to an address nobody holds',
    node: FAULT_NODE,
    commands: (f) => [`iptables -t nat -R DOCKER-INGRESS 1 -p tcp -m tcp --dport ${PORT} -j DNAT --to-destination ${nobody(f.sboxIp)}:${PORT}`],
    expect: ['dnat-target-is-sbox'],
    undo: (s) => restoreTable(s, 'host', 'nat'),
  },
  {
    id: 'dnat-stale-duplicate',
    title: 'a stale duplicate DNAT inserted ahead of the good one',
    node: FAULT_NODE,
    commands: (f) => [`iptables -t nat -I DOCKER-INGRESS 1 -p tcp -m tcp --dport ${PORT} -j DNAT --to-destination ${nobody(f.sboxIp)}:${PORT}`],
    expect: ['dnat-target-is-sbox'],
    undo: (s) => restoreTable(s, 'host', 'nat'),
  },
  {
    id: 'sbox-mark-deleted',
    title: 'the sbox MARK rule for the port deleted',
    node: FAULT_NODE,
    commands: (f) => [`nsenter --net=/run/docker/netns/ingress_sbox iptables -t mangle -D PREROUTING -p tcp -m tcp --dport ${PORT} -j MARK --set-xmark 0x${f.mark.toString(16)}/0xffffffff`],
    expect: ['published-port-has-mark'],
    undo: (s) => restoreTable(s, 'sbox', 'mangle'),
  },
  {
    id: 'ipvs-service-deleted',
    title: "the IPVS fwmark service deleted in the node's sbox",
    node: FAULT_NODE,
    commands: (f) => [`nsenter --net=/run/docker/netns/ingress_sbox ipvsadm -D -f ${f.mark}`],
    expect: ['fwmark-has-backend'],
    undo: restoreIpvs,
  },
  {
    id: 'ipvs-backend-deleted',
    title: 'its only backend deleted',
    node: FAULT_NODE,
    commands: (f) => [`nsenter --net=/run/docker/netns/ingress_sbox ipvsadm -d -f ${f.mark} -r ${f.backend}:0`],
    expect: ['fwmark-has-backend', 'ipvs-backends-match-tasks'],
    undo: restoreIpvs,
  },
  {
    id: 'ipvs-backend-weight-0',
    title: 'its only backend set to weight 0',
    node: FAULT_NODE,
    commands: (f) => [`nsenter --net=/run/docker/netns/ingress_sbox ipvsadm -e -f ${f.mark} -r ${f.backend}:0 -m -w 0`],
    expect: ['fwmark-has-backend'],
    undo: restoreIpvs,
  },
  {
    id: 'sbox-neigh-wrong-mac',
    title: "in the sbox, the remote backend's neighbour entry replaced by a wrong MAC",
    node: FAULT_NODE,
    commands: (f) => [`nsenter --net=/run/docker/netns/ingress_sbox ip neigh replace ${f.backend} lladdr 02:42:de:ad:be:ef dev eth0 nud permanent`],
    expect: ['backend-in-arp'],
    undo: async (s) => {
      const facts = await readFacts();
      await guestOk(s.node, [...SBOX, 'ip', 'neigh', 'del', facts.backend, 'dev', 'eth0']);
    },
  },
  {
    id: 'docker-user-drop',
    title: 'a DOCKER-USER DROP for the published port',
    node: FAULT_NODE,
    commands: () => [`iptables -I DOCKER-USER -p tcp --dport ${PORT} -j DROP`],
    expect: ['forward-path-open'],
    undo: (s) => restoreTable(s, 'host', 'filter'),
  },
  {
    id: 'forward-reject-first',
    title: "a REJECT at the top of FORWARD, ahead of Docker's jumps (the RHEL/ufw pattern)",
    node: FAULT_NODE,
    commands: () => ['iptables -I FORWARD 1 -j REJECT --reject-with icmp-host-prohibited'],
    expect: ['forward-path-open'],
    undo: (s) => restoreTable(s, 'host', 'filter'),
  },
  {
    id: 'ip-forward-off',
    title: 'net.ipv4.ip_forward=0',
    node: FAULT_NODE,
    commands: () => ['sysctl -w net.ipv4.ip_forward=0'],
    expect: ['ip-forward-enabled'],
    undo: async (s) => {
      await guestOk(s.node, ['sysctl', '-w', 'net.ipv4.ip_forward=1']);
    },
  },
  {
    id: 'vxlan-port-dropped',
    title: 'the VXLAN data port (udp 4789) dropped on INPUT, the only task elsewhere',
    node: FAULT_NODE,
    commands: () => ['iptables -I INPUT 1 -p udp --dport 4789 -j DROP'],
    expect: ['swarm-ports-open'],
    undo: (s) => restoreTable(s, 'host', 'filter'),
  },
  {
    id: 'nat-flushed',
    title: 'the whole nat table flushed (what a firewall reload does)',
    node: FAULT_NODE,
    commands: () => ['iptables -t nat -F && iptables -t nat -X'],
    expect: ['published-port-has-dnat', 'gwbridge-masquerade'],
    undo: (s) => restoreTable(s, 'host', 'nat'),
  },
  {
    id: 'conntrack-full',
    title: 'nf_conntrack_max set below the current count',
    node: FAULT_NODE,
    // Every new connection to the guest is dropped meanwhile, the agent's own included: the guest
    // puts the old value back by itself.
    commands: () => [
      'rm -f /share/undo-conntrack',
      `(old=$(cat /proc/sys/net/netfilter/nf_conntrack_max); echo 1 > /proc/sys/net/netfilter/nf_conntrack_max; i=0; while [ ! -e /share/undo-conntrack ] && [ $i -lt ${CONNTRACK_WINDOW_S} ]; do sleep 1; i=$((i+1)); done; echo $old > /proc/sys/net/netfilter/nf_conntrack_max; rm -f /share/undo-conntrack) >/dev/null 2>&1 </dev/null &`,
    ],
    expect: ['conntrack-not-full'],
    undo: async (s) => {
      writeFileSync(join(shareOf(s.node), 'undo-conntrack'), '');
      await waitFor('nf_conntrack_max to be put back', CONNTRACK_WINDOW_S + 60, async () => {
        const r = await guest(s.node, ['cat', '/proc/sys/net/netfilter/nf_conntrack_max']);
        return r.exitCode === 0 && Number(r.stdout) > 1;
      });
    },
  },
  {
    id: 'sbox-snat-deleted',
    title: "the sbox's SNAT of IPVS traffic to the ingress subnet deleted",
    node: FAULT_NODE,
    commands: (f) => [`nsenter --net=/run/docker/netns/ingress_sbox iptables -t nat -D ${f.snat}`],
    expect: ['sbox-snat-present'],
    undo: (s) => restoreTable(s, 'sbox', 'nat'),
  },
  {
    id: 'ipvs-conntrack-off',
    title: 'net.ipv4.vs.conntrack=0 in the sbox',
    node: FAULT_NODE,
    commands: () => ['nsenter --net=/run/docker/netns/ingress_sbox sysctl -w net.ipv4.vs.conntrack=0'],
    expect: ['ipvs-conntrack-enabled'],
    undo: async (s) => {
      await guestOk(s.node, [...SBOX, 'sysctl', '-w', 'net.ipv4.vs.conntrack=1']);
    },
  },
  {
    id: 'ipvs-sysctls-default',
    title: "the sbox's IPVS sysctls put back to the kernel's defaults (conn_reuse_mode=1, expire_nodest_conn=0)",
    node: FAULT_NODE,
    commands: () => ['nsenter --net=/run/docker/netns/ingress_sbox sysctl -w net.ipv4.vs.conn_reuse_mode=1 net.ipv4.vs.expire_nodest_conn=0'],
    expect: [],
    breaks: false,
    warns: ['ipvs-sysctls-tuned'],
    undo: async (s) => {
      await guestOk(s.node, [...SBOX, 'sysctl', '-w', 'net.ipv4.vs.conn_reuse_mode=0', 'net.ipv4.vs.expire_nodest_conn=1']);
    },
  },
  {
    id: 'ipvs-stale-service',
    title: 'a stale IPVS fwmark service (a mark no rule sets) added in the sbox',
    node: FAULT_NODE,
    commands: () => ['nsenter --net=/run/docker/netns/ingress_sbox ipvsadm -A -f 4242 -s rr'],
    expect: [],
    breaks: false,
    warns: ['ipvs-service-has-mark'],
    undo: restoreIpvs,
  },
  {
    id: 'local-path-jump-deleted',
    title: "host nat OUTPUT's jump to DOCKER-INGRESS deleted (localhost:8080 stops working; outside traffic does not care)",
    node: FAULT_NODE,
    commands: () => ['iptables -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j DOCKER-INGRESS'],
    expect: [],
    breaks: false,
    warns: ['local-path-open'],
    undo: (s) => restoreTable(s, 'host', 'nat'),
  },
  {
    id: 'dockerd-stopped',
    title: 'dockerd stopped on a worker',
    node: FAULT_NODE,
    commands: () => ['touch /run/mdlab/hold && pkill -TERM -x dockerd'],
    settle: async () => {
      await waitFor(`${FAULT_NODE} to be down in the manager's view`, 120, async () => (await nodeState(FAULT_NODE)) === 'down');
    },
    expect: ['swarm-nodes-ready'],
    undo: async (s) => {
      await guestOk(s.node, ['rm', '-f', '/run/mdlab/hold']);
      await waitFor(`${FAULT_NODE} to be ready again`, 180, async () => (await nodeState(FAULT_NODE)) === 'ready');
    },
  },
  {
    id: 'vxlan-fdb-row-deleted',
    title: "in the ingress overlay namespace, the backend's VXLAN forwarding row deleted, its PERMANENT neighbour entry kept (what a peer flap leaves, moby/moby#52661)",
    node: FAULT_NODE,
    // In swarm mode dockerd does not watch for misses: the row stays gone until it reprograms the peer.
    // After dockerd-stopped, so the fixtures of the faults before keep their numbers (node2's
    // namespace is made again then under the same name: a new daemon life starts at epoch 1).
    commands: (f) => {
      if (!f.overlayNetns || !f.backendMac || !f.vxlanDev || !f.taskNodeAddr) throw new Error(`the backend's overlay entry on ${FAULT_NODE} was not found: ${JSON.stringify(f)}`);
      return [`nsenter --net=${f.overlayNetns} bridge fdb del ${f.backendMac} dev ${f.vxlanDev} dst ${f.taskNodeAddr} self`];
    },
    expect: ['vxlan-fdb-complete'],
    // The row as libnetwork writes it (netlink NeighSet: create or replace).
    undo: async (s) => {
      const f = await readFacts();
      await guestOk(s.node, ['nsenter', `--net=${f.overlayNetns}`, 'bridge', 'fdb', 'replace', f.backendMac!, 'dev', f.vxlanDev!, 'dst', f.taskNodeAddr!, 'self', 'permanent']);
    },
  },
  {
    // DOCKER-INGRESS accepts the port in FORWARD whatever the way out, so the firewall walk passes:
    // only the route is wrong. What a VPN or a LAN route over 172.16/12 does to a node.
    id: 'gwbridge-route-hijacked',
    title: "a host route sending the sbox's docker_gwbridge address out of the underlay (eth0)",
    node: FAULT_NODE,
    commands: (f) => [`ip route add ${f.sboxIp}/32 dev eth0`],
    expect: ['gwbridge-subnet-no-overlap'],
    undo: async (s) => {
      const f = await readFacts();
      await guestOk(s.node, ['ip', 'route', 'del', `${f.sboxIp}/32`, 'dev', 'eth0']);
    },
  },
  {
    // Published ports reach the sbox at its docker_gwbridge address and are marked by port: the VIP
    // is not on their path. The lab showed it (2026-12-02): the port kept answering on node2, so
    // sbox-vips-match warns on a missing VIP.
    id: 'sbox-vip-removed',
    title: "the service's ingress VIP removed from the sbox's eth0",
    node: FAULT_NODE,
    commands: (f) => {
      if (!f.vip) throw new Error("the sbox's eth0 holds no /32: no VIP to remove");
      return [`nsenter --net=/run/docker/netns/ingress_sbox ip addr del ${f.vip}/32 dev eth0`];
    },
    expect: [],
    breaks: false,
    warns: ['sbox-vips-match'],
    undo: async (s) => {
      for (const vip of s.sboxVips) await guestOk(s.node, [...SBOX, 'ip', 'addr', 'replace', `${vip}/32`, 'dev', 'eth0']);
    },
  },
  {
    // The lab's guests boot with keepalive at 600 s (guest-init.sh), under IPVS's 900 s: this puts
    // the kernel's default back on one node. Latent: the port answers; only a connection idle for
    // more than 900 s would die, which no GET here waits for.
    id: 'tcp-keepalive-stock',
    title: "the host's net.ipv4.tcp_keepalive_time put back to the kernel's 7200 s, above IPVS's 900 s idle timeout",
    node: FAULT_NODE,
    commands: () => ['sysctl -w net.ipv4.tcp_keepalive_time=7200'],
    expect: [],
    breaks: false,
    warns: ['ipvs-idle-timeout'],
    undo: async (s) => {
      await guestOk(s.node, ['sysctl', '-w', 'net.ipv4.tcp_keepalive_time=600']);
    },
  },
  {
    // libnetwork makes an overlay subnet's VXLAN device in the host's namespace and moves it into the
    // network's own at once; a daemon killed between the two leaves it there, holding its VNI on port
    // 4789 (down, as it was made). Latent here: the ingress network's device is already in its own
    // namespace, so the port keeps answering; what it blocks is the next overlay given VNI 0x1fff.
    id: 'vxlan-device-left-behind',
    title: "a VXLAN device named as libnetwork names an overlay's (vx-001fff-q7k2m: VNI 8191, network q7k2m..., which the swarm does not have) left in the host's namespace",
    node: FAULT_NODE,
    commands: () => ['ip link add vx-001fff-q7k2m type vxlan id 8191 dstport 4789 dev eth0'],
    expect: [],
    breaks: false,
    warns: ['vxlan-device-not-stale'],
    undo: async (s) => {
      await guestOk(s.node, ['ip', 'link', 'delete', 'vx-001fff-q7k2m']);
    },
  },
  {
    // Another VXLAN user on the host (here as Calico names its device, with Calico's default VNI,
    // 4096, which is also the first the swarm's managers give) made while dockerd is down: when
    // dockerd starts and sets the ingress network up again, the kernel refuses its VXLAN device
    // ("error creating vxlan interface: file exists", seen in the lab 2026-12-08) and the sbox
    // never joins the overlay. The kernel counts devices made in the host's namespace and moved
    // away, so the same command while dockerd runs is refused instead.
    id: 'vxlan-vni-taken',
    title: "another VXLAN device (vxlan.calico) on port 4789 holding the ingress network's VNI, made while dockerd was stopped, then dockerd started",
    node: FAULT_NODE,
    commands: (f) => {
      if (!f.ingressVni) throw new Error("the ingress network's VNI was not found (docker network inspect ingress: vxlanid_list)");
      return [
        'touch /run/mdlab/hold && pkill -TERM -x dockerd; while pgrep -x dockerd >/dev/null; do sleep 1; done',
        `ip link add vxlan.calico type vxlan id ${f.ingressVni} dstport 4789 dev eth0 && ip link set vxlan.calico up`,
        'rm -f /run/mdlab/hold',
      ];
    },
    settle: async () => {
      await waitFor(`${FAULT_NODE} to be ready again`, 180, async () => (await nodeState(FAULT_NODE)) === 'ready');
      await waitFor(`${FAULT_NODE}'s dockerd to fail setting up the ingress network`, 180, async () =>
        /error creating vxlan interface: file exists/.test((await guest(FAULT_NODE, ['tail', '-n', '50', '/share/dockerd.log'])).stdout));
    },
    // No ingress network on node2 (docker network inspect: "No such network"), so no sbox and no DNAT.
    expect: ['vxlan-port-not-shared', 'sbox-present', 'published-port-has-dnat'],
    undo: async (s) => {
      await guestOk(s.node, ['sh', '-c', 'touch /run/mdlab/hold && pkill -TERM -x dockerd; while pgrep -x dockerd >/dev/null; do sleep 1; done; ip link delete vxlan.calico; rm -f /run/mdlab/hold']);
      await waitFor(`${FAULT_NODE} to be ready again`, 180, async () => (await nodeState(FAULT_NODE)) === 'ready');
    },
  },
  {
    // moby/moby#36878: IPVS keeps a UDP client's entry 300 s after its last datagram, so a client
    // that keeps sending stays on the task it first reached. After a service update that task is
    // gone; with expire_nodest_conn=0 (the kernel's default; libnetwork sets 1 in the sbox) IPVS
    // keeps sending the flow to the old address. The traffic shows it (settle): the stuck flow gets
    // no answer, a fresh one from another source port reaches the new task. Latent for the lab's
    // truth (8080/tcp answers everywhere).
    id: 'udp-flow-stuck',
    title: "a UDP client's flow left on a task that is gone: service udp (9999/udp, ingress) updated while a client kept sending to node2, whose sbox has net.ipv4.vs.expire_nodest_conn = 0",
    node: FAULT_NODE,
    outside: [
      `docker service create --name udp --constraint node.hostname==${TASK_NODE} --publish published=${UDP_PORT},target=${UDP_PORT},protocol=udp --mount type=bind,src=/,dst=/host,readonly ${'mdlab/web:1'} chroot /host /usr/local/bin/node -e "<a UDP echo server>"`,
      `# from the lab's namespace: a client sending from port ${UDP_CLIENT_PORT} to ${nodeAddr(FAULT_NODE)}:${UDP_PORT} (answered), then`,
      'docker service update --force udp',
      `# the same client again: no answer; a client from a new source port (${UDP_FRESH_PORT} on): answered by the new task`,
    ],
    commands: () => ['nsenter --net=/run/docker/netns/ingress_sbox sysctl -w net.ipv4.vs.expire_nodest_conn=0'],
    settle: async () => {
      await lab('docker', 'node1', 'service', 'create', '--detach', '--name', 'udp', '--constraint', `node.hostname==${TASK_NODE}`,
        '--publish', `published=${UDP_PORT},target=${UDP_PORT},protocol=udp`, '--mount', 'type=bind,src=/,dst=/host,readonly', 'mdlab/web:1', 'chroot', '/host', '/usr/local/bin/node', '-e', UDP_SERVER);
      await waitFor(`the udp service to answer on ${FAULT_NODE}`, 240, async () => (await udpServiceRunning()) && (await udpFlow(FAULT_NODE, UDP_FRESH_PORT - 1, 2)).replies.length > 0);
      const before = await udpFlow(FAULT_NODE, UDP_CLIENT_PORT, 2);
      if (before.replies.length === 0) throw new Error(`the client's flow to ${FAULT_NODE}:${UDP_PORT} got no answer before the update`);
      const old = before.replies[0].split(' ')[0];
      await lab('docker', 'node1', 'service', 'update', '--detach', '--force', 'udp');
      // A new source port each try: a flow that met the old task while it was going would stay there too.
      let fresh = UDP_FRESH_PORT;
      await waitFor('the updated udp task to answer a fresh flow', 240, async () => (await udpServiceRunning()) && (await udpFlow(FAULT_NODE, fresh++, 2)).replies.some((r) => !r.startsWith(`${old} `)));
      // The stuck flow: still no answer, while its entry lives on (each datagram renews its 300 s).
      const stuck = await udpFlow(FAULT_NODE, UDP_CLIENT_PORT, 3);
      if (stuck.replies.length > 0) throw new Error(`the client's flow was not left on the old task: ${JSON.stringify(stuck)}`);
    },
    expect: [],
    breaks: false,
    warns: ['ipvs-udp-flows-current', 'ipvs-sysctls-tuned'],
    undo: async (s) => {
      await lab('docker', 'node1', 'service', 'rm', 'udp');
      await guestOk(s.node, [...SBOX, 'sysctl', '-w', 'net.ipv4.vs.expire_nodest_conn=1']);
    },
  },
];

/**
 * Faults written but not yet run in the lab: `MD_FAULTS=id npm run test:mesh` runs one (numbered
 * after FAULTS); once it passes there, it moves into FAULTS and its capture becomes a fixture.
 */
export const CANDIDATE_FAULTS: Fault[] = [];

/** An address in the sbox's subnet that nobody holds. */
function nobody(sboxIp: string): string {
  return sboxIp.replace(/\.\d+$/, '.99');
}

export async function readFacts(): Promise<MeshFacts> {
  const dnat = await guestOk(FAULT_NODE, ['iptables', '-t', 'nat', '-S', 'DOCKER-INGRESS']);
  const sboxIp = /--to-destination (\d+\.\d+\.\d+\.\d+):/.exec(dnat)?.[1];
  const mangle = await guestOk(FAULT_NODE, [...SBOX, 'iptables', '-t', 'mangle', '-S', 'PREROUTING']);
  const mark = /--set-xmark (0x[0-9a-f]+)/.exec(mangle)?.[1];
  const ipvs = await guestOk(FAULT_NODE, [...SBOX, 'ipvsadm', '-S', '-n']);
  const backend = /-r (\d+\.\d+\.\d+\.\d+):0/.exec(ipvs)?.[1];
  const nat = await guestOk(FAULT_NODE, [...SBOX, 'iptables', '-t', 'nat', '-S', 'POSTROUTING']);
  const snat = /^-A (POSTROUTING .*-j SNAT .*)$/m.exec(nat)?.[1];
  const addr = await guestOk(FAULT_NODE, [...SBOX, 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
  const vip = /inet (\d+\.\d+\.\d+\.\d+)\/32/.exec(addr)?.[1];
  if (!sboxIp || !mark || !backend || !snat) throw new Error(`the healthy lab lacks a hop: DNAT ${sboxIp}, mark ${mark}, backend ${backend}, SNAT ${snat}\n${dnat}\n${mangle}\n${ipvs}\n${nat}\n${addr}`);
  return { sboxIp, mark: Number(mark), backend, snat, vip, ...(await overlayFacts(backend)) };
}

/**
 * The ingress overlay namespace on FAULT_NODE, and the backend's entry there, for the fault
 * vxlan-fdb-row-deleted; none of these read the FDB row itself (its undo reads them again after
 * deleting it). What cannot be found is left out here; that fault's commands then fail, naming it.
 */
async function overlayFacts(backend: string): Promise<Pick<MeshFacts, 'overlayNetns' | 'backendMac' | 'vxlanDev' | 'taskNodeAddr' | 'ingressVni'>> {
  try {
    const ingressId = (await lab('docker', FAULT_NODE, 'network', 'inspect', 'ingress', '--format', '{{.Id}}')).trim();
    const names = (await guestOk(FAULT_NODE, ['ls', netnsDir('/run/docker')])).split(/\s+/).filter(Boolean);
    const ns = overlayNetnsName(names, ingressId);
    if (!ns) return {};
    const overlayNetns = `${netnsDir('/run/docker')}/${ns}`;
    const neigh = JSON.parse(await guestOk(FAULT_NODE, ['nsenter', `--net=${overlayNetns}`, 'ip', '-j', 'neigh'])) as { dst?: string; dev?: string; lladdr?: string; state?: string[] }[];
    const entry = neigh.find((n) => n.dst === backend && n.state?.includes('PERMANENT'));
    const taskNodeAddr = (await lab('docker', TASK_NODE, 'info', '--format', '{{.Swarm.NodeAddr}}')).trim();
    const vni = (await lab('docker', FAULT_NODE, 'network', 'inspect', 'ingress', '--format', '{{index .Options "com.docker.network.driver.overlay.vxlanid_list"}}')).trim();
    return { overlayNetns, backendMac: entry?.lladdr, vxlanDev: entry?.dev, taskNodeAddr: taskNodeAddr || undefined, ingressVni: /^\d+$/.test(vni) ? Number(vni) : undefined };
  } catch {
    return {};
  }
}
