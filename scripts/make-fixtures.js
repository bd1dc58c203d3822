#!/usr/bin/env node
// Derive the broken fixtures from fixtures/seed-cluster: each is the healthy capture with one
// fault a real swarm can have, written as an ordinary capture folder with a README saying what is
// broken and which rule must catch it. Re-run after changing the seed: node scripts/make-fixtures.js
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const seed = join(fixtures, 'seed-cluster');

function edit(dir, file, fn) {
  const p = join(dir, file);
  const before = readFileSync(p, 'utf8');
  const after = fn(before);
  if (after === before) throw new Error(`${file}: edit changed nothing`);
  writeFileSync(p, after);
}
const json = (dir, file, fn) => edit(dir, file, (t) => JSON.stringify(fn(JSON.parse(t)), null, 2) + '\n');

/** One node runs another engine version: in the manager's node list, `docker node ls` and its info. */
function setEngine(d, host, version) {
  json(d, 'cluster/nodes.json', (nodes) =>
    nodes.map((n) => (n.Description.Hostname === host ? { ...n, Description: { ...n.Description, Engine: { ...n.Description.Engine, EngineVersion: version } } } : n)),
  );
  json(d, `nodes/${host}/info.json`, (i) => ({ ...i, ServerVersion: version }));
  edit(d, 'cluster/node-ls.txt', (t) => t.replace(new RegExp(`(${host} .*)20\\.10\\.12`), (_, head) => `${head}${version}`));
}

/* Batch B (host): seed-cluster has no host addresses or routes; these fixtures add them to one node. */
const ipAddr = (ifs) =>
  ifs.map(([name, mtu, cidrs], i) => [
    `${i + 1}: ${name}: <${name === 'lo' ? 'LOOPBACK' : 'BROADCAST,MULTICAST'},UP,LOWER_UP> mtu ${mtu} qdisc ${name === 'lo' ? 'noqueue' : 'fq_codel'} state ${name === 'lo' ? 'UNKNOWN' : 'UP'} group default qlen 1000`,
    `    link/${name === 'lo' ? 'loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00' : `ether 52:54:00:00:0${i}:${(i * 17).toString(16).padStart(2, '0')} brd ff:ff:ff:ff:ff:ff`}`,
    ...cidrs.flatMap((c) => [`    inet ${c} scope ${name === 'lo' ? 'host' : 'global'} ${name}`, '       valid_lft forever preferred_lft forever']),
  ].join('\n')).join('\n') + '\n';
function addHost(d, node, { addr, routes, sysctl }) {
  if (addr) writeFileSync(join(d, `nodes/${node}/host/addr.txt`), ipAddr(addr));
  if (routes) writeFileSync(join(d, `nodes/${node}/host/routes.txt`), routes.join('\n') + '\n');
  if (sysctl) edit(d, `nodes/${node}/host/sysctl.txt`, (t) => t + sysctl.join('\n') + '\n');
}
/*
 * host/ethtool.txt (vxlan-checksum-offload-safe). ETHTOOL_K is `ethtool -k ens192` of a CentOS 8.2
 * VMware guest as posted in kubernetes-sigs/kubespray#7268 (up to fcoe-mtu; the rest of its lines are
 * ethtool's remaining feature names, off [fixed] as on vmxnet3). `offOn` edits it as after
 * `ethtool -K ens192 tx-checksum-ip-generic off` (the kernel then drops TSO: off [requested on]).
 */
const ETHTOOL_K = (ifname, off = false) => {
  const text = [
    `Features for ${ifname}:`, 'rx-checksumming: on', 'tx-checksumming: on', '\ttx-checksum-ipv4: off [fixed]', '\ttx-checksum-ip-generic: on', '\ttx-checksum-ipv6: off [fixed]',
    '\ttx-checksum-fcoe-crc: off [fixed]', '\ttx-checksum-sctp: off [fixed]', 'scatter-gather: on', '\ttx-scatter-gather: on', '\ttx-scatter-gather-fraglist: off [fixed]',
    'tcp-segmentation-offload: on', '\ttx-tcp-segmentation: on', '\ttx-tcp-ecn-segmentation: off [fixed]', '\ttx-tcp-mangleid-segmentation: off', '\ttx-tcp6-segmentation: on',
    'generic-segmentation-offload: on', 'generic-receive-offload: on', 'large-receive-offload: off', 'rx-vlan-offload: on', 'tx-vlan-offload: on', 'ntuple-filters: off [fixed]',
    'receive-hashing: on', 'highdma: on', 'rx-vlan-filter: on [fixed]', 'vlan-challenged: off [fixed]', 'tx-lockless: off [fixed]', 'netns-local: off [fixed]', 'tx-gso-robust: off [fixed]',
    'tx-fcoe-segmentation: off [fixed]', 'tx-gre-segmentation: off [fixed]', 'tx-gre-csum-segmentation: off [fixed]', 'tx-ipxip4-segmentation: off [fixed]', 'tx-ipxip6-segmentation: off [fixed]',
    'tx-udp_tnl-segmentation: off [fixed]', 'tx-udp_tnl-csum-segmentation: off [fixed]', 'tx-gso-partial: off [fixed]', 'tx-sctp-segmentation: off [fixed]', 'tx-esp-segmentation: off [fixed]',
    'tx-udp-segmentation: off [fixed]', 'tls-hw-rx-offload: off [fixed]', 'fcoe-mtu: off [fixed]', 'tx-nocache-copy: off', 'loopback: off [fixed]', 'rx-fcs: off [fixed]', 'rx-all: off [fixed]',
    'tx-vlan-stag-hw-insert: off [fixed]', 'rx-vlan-stag-hw-parse: off [fixed]', 'rx-vlan-stag-filter: off [fixed]', 'l2-fwd-offload: off [fixed]', 'hw-tc-offload: off [fixed]',
    'esp-hw-offload: off [fixed]', 'esp-tx-csum-hw-offload: off [fixed]', 'rx-udp_tunnel-port-offload: off [fixed]', 'tls-hw-tx-offload: off [fixed]', 'rx-gro-hw: off [fixed]', 'tls-hw-record: off [fixed]',
  ].join('\n') + '\n';
  return off
    ? text.replace('tx-checksumming: on', 'tx-checksumming: off').replace('tx-checksum-ip-generic: on', 'tx-checksum-ip-generic: off').replace('tcp-segmentation-offload: on', 'tcp-segmentation-offload: off')
      .replace('\ttx-tcp-segmentation: on', '\ttx-tcp-segmentation: off [requested on]').replace('\ttx-tcp6-segmentation: on', '\ttx-tcp6-segmentation: off [requested on]')
    : text;
};
/*
 * host/vxlan.json (vxlan-port-not-shared): `ip -j -d link show type vxlan` as iproute2 6.1 printed it
 * on kernel 6.18 (this project's machine, 2026-12-08) for devices made as other VXLAN users make
 * theirs, each in a namespace of its own: a Proxmox SDN VXLAN zone's vnet (`vxlan_<vnet>`, VNI 20000
 * on 4789), flannel's vxlan backend (`flannel.1`, VNI 1 on its default port 8472, nolearning) and
 * Cilium's (`cilium_vxlan`, external, on 4789 where its tunnel-port is set so); and
 * flannel.1 as `ip -d link show type vxlan` prints it, as a person pastes it.
 */
const VXLAN_PROXMOX_JSON = "[{\"ifindex\":4,\"ifname\":\"vxlan_vnet1\",\"flags\":[\"BROADCAST\",\"MULTICAST\",\"UP\",\"LOWER_UP\"],\"mtu\":1450,\"qdisc\":\"noqueue\",\"operstate\":\"UNKNOWN\",\"linkmode\":\"DEFAULT\",\"group\":\"default\",\"txqlen\":1000,\"link_type\":\"ether\",\"address\":\"9a:b5:b4:62:1b:8b\",\"broadcast\":\"ff:ff:ff:ff:ff:ff\",\"promiscuity\":0,\"allmulti\":0,\"min_mtu\":68,\"max_mtu\":65535,\"linkinfo\":{\"info_kind\":\"vxlan\",\"info_data\":{\"id\":20000,\"local\":\"192.168.100.234\",\"link\":\"ens18\",\"port_range\":{\"low\":0,\"high\":0},\"port\":4789,\"learning\":true,\"ttl\":0,\"df\":\"unset\",\"ageing\":300,\"udp_csum\":true,\"udp_zero_csum6_tx\":false,\"udp_zero_csum6_rx\":false}},\"inet6_addr_gen_mode\":\"eui64\",\"num_tx_queues\":1,\"num_rx_queues\":1,\"gso_max_size\":65536,\"gso_max_segs\":65535,\"tso_max_size\":524280,\"tso_max_segs\":65535,\"gro_max_size\":65536}]\n";
const VXLAN_FLANNEL_JSON = "[{\"ifindex\":4,\"ifname\":\"flannel.1\",\"flags\":[\"BROADCAST\",\"MULTICAST\",\"UP\",\"LOWER_UP\"],\"mtu\":1450,\"qdisc\":\"noqueue\",\"operstate\":\"UNKNOWN\",\"linkmode\":\"DEFAULT\",\"group\":\"default\",\"txqlen\":1000,\"link_type\":\"ether\",\"address\":\"e6:92:1f:35:b4:5e\",\"broadcast\":\"ff:ff:ff:ff:ff:ff\",\"promiscuity\":0,\"allmulti\":0,\"min_mtu\":68,\"max_mtu\":65535,\"linkinfo\":{\"info_kind\":\"vxlan\",\"info_data\":{\"id\":1,\"local\":\"192.168.100.228\",\"link\":\"ens18\",\"port_range\":{\"low\":0,\"high\":0},\"port\":8472,\"learning\":false,\"ttl\":0,\"df\":\"unset\",\"ageing\":300,\"udp_csum\":true,\"udp_zero_csum6_tx\":false,\"udp_zero_csum6_rx\":false}},\"inet6_addr_gen_mode\":\"eui64\",\"num_tx_queues\":1,\"num_rx_queues\":1,\"gso_max_size\":65536,\"gso_max_segs\":65535,\"tso_max_size\":524280,\"tso_max_segs\":65535,\"gro_max_size\":65536}]\n";
/* Cilium's VXLAN tunnel device as it makes it (external, i.e. collect metadata: every VNI on its port), here on 4789. */
const VXLAN_CILIUM_JSON = "[{\"ifindex\":2,\"ifname\":\"cilium_vxlan\",\"flags\":[\"BROADCAST\",\"MULTICAST\",\"UP\",\"LOWER_UP\"],\"mtu\":1500,\"qdisc\":\"noqueue\",\"operstate\":\"UNKNOWN\",\"linkmode\":\"DEFAULT\",\"group\":\"default\",\"txqlen\":1000,\"link_type\":\"ether\",\"address\":\"f6:f2:0b:79:de:dc\",\"broadcast\":\"ff:ff:ff:ff:ff:ff\",\"promiscuity\":0,\"allmulti\":0,\"min_mtu\":68,\"max_mtu\":65535,\"linkinfo\":{\"info_kind\":\"vxlan\",\"info_data\":{\"external\":true,\"id\":0,\"port_range\":{\"low\":0,\"high\":0},\"port\":4789,\"learning\":false,\"ttl\":0,\"df\":\"unset\",\"ageing\":300,\"udp_csum\":true,\"udp_zero_csum6_tx\":false,\"udp_zero_csum6_rx\":false}},\"inet6_addr_gen_mode\":\"eui64\",\"num_tx_queues\":1,\"num_rx_queues\":1,\"gso_max_size\":65536,\"gso_max_segs\":65535,\"tso_max_size\":65536,\"tso_max_segs\":65535,\"gro_max_size\":65536}]\n";
const VXLAN_FLANNEL_TXT = "4: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n    link/ether e6:92:1f:35:b4:5e brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 \n    vxlan id 1 local 192.168.100.228 dev ens18 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 \n";
const writeVxlan = (d, node, text, file = 'vxlan.json') => writeFileSync(join(d, `nodes/${node}/host/${file}`), text);
/** `ethtool -i` of a vmxnet3 NIC. */
const ETHTOOL_I = 'driver: vmxnet3\nversion: 1.5.0.0-k-NAPI\nfirmware-version: \nexpansion-rom-version: \nbus-info: 0000:0b:00.0\nsupports-statistics: yes\nsupports-test: no\nsupports-eeprom-access: no\nsupports-register-dump: yes\nsupports-priv-flags: no\n';
/** A node whose swarm address is on ens192 (vmxnet3), with host/ethtool.txt as the collectors write it, or as a person pastes `ethtool -i` and `ethtool -k`. */
function addVmxnet3(d, node, { off = false, pasted = false } = {}) {
  addHost(d, node, { addr: [LO, ['ens192', 1500, [`192.168.100.${node}/24`]], DOCKER0, GWBRIDGE] });
  writeFileSync(join(d, `nodes/${node}/host/ethtool.txt`), pasted
    ? `[root@${node} ~]# ethtool -i ens192\n${ETHTOOL_I}[root@${node} ~]# ethtool -k ens192\n${ETHTOOL_K('ens192', off)}`
    : `# interface ens192 driver vmxnet3\n${ETHTOOL_K('ens192', off)}`);
}
/** cluster/networks.json: the seed's ingress (as 228 inspects it) plus the given overlays. */
function addNetworks(d, extra) {
  const ingress = JSON.parse(readFileSync(join(d, 'nodes/228/networks/ingress.json'), 'utf8'))[0];
  const { Containers, Peers, ...swarmWide } = ingress;
  writeFileSync(join(d, 'cluster/networks.json'), JSON.stringify([{ ...swarmWide, Containers: {}, Peers: null }, ...extra], null, 2) + '\n');
}
const overlay = (name, id, subnet, options) => ({
  Name: name, Id: id, Created: '2025-01-15T17:20:00Z', Scope: 'swarm', Driver: 'overlay', EnableIPv6: false,
  IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: subnet, Gateway: subnet.replace(/0\/\d+$/, '1') }] },
  Internal: false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: {},
  Options: { 'com.docker.network.driver.overlay.vxlanid_list': '4097', ...options }, Labels: {}, Peers: null,
});
/*
 * Which network manager holds Docker's interfaces (network-manager-leaves-docker): the seed's
 * article printed neither `nmcli device` nor `networkctl`; these fixtures add them to a node, as the
 * collectors write them (host/nmcli.txt, host/networkctl.txt), or the tool's absence to errors.json.
 */
const NMCLI_ARGV = 'nmcli -t -f DEVICE,TYPE,STATE,CONNECTION device';
const NETWORKCTL_ARGV = 'networkctl list --no-pager --no-legend';
function addNetmgr(d, node, { nmcli, networkctl, errors = [] }) {
  if (nmcli) writeFileSync(join(d, `nodes/${node}/host/nmcli.txt`), nmcli.join('\n') + '\n');
  if (networkctl) writeFileSync(join(d, `nodes/${node}/host/networkctl.txt`), networkctl.join('\n') + '\n');
  if (errors.length) writeFileSync(join(d, `nodes/${node}/errors.json`), JSON.stringify(errors, null, 2) + '\n');
}
const nmcliMissing = { file: 'host/nmcli.txt', command: NMCLI_ARGV, error: 'nmcli: command not found' };
const nmNotRunning = { file: 'host/nmcli.txt', command: NMCLI_ARGV, error: 'Error: NetworkManager is not running.' };
const networkctlMissing = { file: 'host/networkctl.txt', command: NETWORKCTL_ARGV, error: 'networkctl: command not found' };
const LO = ['lo', 65536, ['127.0.0.1/8']];
const GWBRIDGE = ['docker_gwbridge', 1500, ['192.168.0.1/20']];
const DOCKER0 = ['docker0', 1500, ['172.17.0.1/16']];
const routesOf = (node, extra = []) => [
  `default via 192.168.100.1 dev eth0 proto static`,
  ...extra,
  `172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 linkdown`,
  `192.168.0.0/20 dev docker_gwbridge proto kernel scope link src 192.168.0.1`,
  `192.168.100.0/24 dev eth0 proto kernel scope link src 192.168.100.${node}`,
];
/**
 * /etc/docker/daemon.json as the collectors capture it: the file's text in host/daemon.json, or, for
 * a node without one (Docker's defaults), cat's "No such file" in errors.json.
 */
function writeDaemonJson(d, node, text) {
  if (text !== null) return writeFileSync(join(d, `nodes/${node}/host/daemon.json`), text);
  const p = join(d, `nodes/${node}/errors.json`);
  const errors = existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : [];
  errors.push({ file: 'host/daemon.json', command: 'cat /etc/docker/daemon.json', error: 'cat: /etc/docker/daemon.json: No such file or directory' });
  writeFileSync(p, JSON.stringify(errors, null, 2) + '\n');
}
/** A daemon.json of the kind the docs show (log rotation, metrics), leaving iptables to dockerd. */
const DAEMON_JSON_LOGS = '{\n  "log-driver": "json-file",\n  "log-opts": {\n    "max-size": "10m",\n    "max-file": "3"\n  },\n  "metrics-addr": "0.0.0.0:9323"\n}\n';

/** Swarm ports open, everything else dropped: a firewall written from the swarm tutorial's port list, without ESP. */
const SWARM_ONLY_INPUT = [
  ':INPUT DROP [0:0]',
  '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
  '-A INPUT -p tcp -m tcp --dport 2377 -j ACCEPT',
  '-A INPUT -p tcp -m tcp --dport 7946 -j ACCEPT',
  '-A INPUT -p udp -m udp --dport 7946 -j ACCEPT',
  '-A INPUT -p udp -m udp --dport 4789 -j ACCEPT',
];


/*
 * The ingress network's overlay namespace (ingress_overlay/): the seed's article printed none, so the
 * vxlan fixtures write what libnetwork programs there for the seed's endpoints (the ingress-sbox of
 * every node, task whoami.1 on 253; MACs and addresses from each node's networks/ingress.json):
 * per endpoint on another node a PERMANENT neighbour on vxlan0 and a row `<MAC> dev vxlan0 dst
 * <that node's address> self permanent`, beside the bridge's own rows. Each node in another format,
 * as the seed does: 228 as the collectors write it (`ip -j neigh`, `bridge -j fdb show`, one line),
 * 234 as pasted text (`ip neigh`, `bridge fdb show`), 253 pretty-printed (`ip -j -p`, `bridge -j -p`).
 */
const SEED_ENDPOINTS = [
  { ip: '10.0.0.4', mac: '02:42:0a:00:00:04', node: '228' },
  { ip: '10.0.0.3', mac: '02:42:0a:00:00:03', node: '234' },
  { ip: '10.0.0.2', mac: '02:42:0a:00:00:02', node: '253' },
  { ip: '10.0.0.98', mac: '02:42:0a:00:00:62', node: '253' },
];
const SEED_NODES = ['228', '234', '253'];
const underlay = (node) => `192.168.100.${node}`;
/** The rows of one node's overlay namespace; `fdbEdit` may drop or change the remote rows. */
function overlayState(node, fdbEdit = (rows) => rows) {
  const remote = SEED_ENDPOINTS.filter((e) => e.node !== node);
  const local = SEED_ENDPOINTS.filter((e) => e.node === node);
  const neigh = remote.map((e) => ({ dst: e.ip, dev: 'vxlan0', lladdr: e.mac, state: ['PERMANENT'] }));
  const vxMac = `4e:7a:${node.slice(0, 2)}:1c:0${node.slice(2)}:5d`.slice(0, 17);
  const fdb = [
    { mac: '33:33:00:00:00:01', ifname: 'br0', flags: ['self'], state: 'permanent' },
    { mac: '01:00:5e:00:00:01', ifname: 'br0', flags: ['self'], state: 'permanent' },
    { mac: vxMac, ifname: 'vxlan0', flags: [], master: 'br0', state: 'permanent' },
    ...local.flatMap((e, i) => [
      { mac: `d2:9c:5f:${node.slice(0, 2)}:0${i}:${node.slice(1)}`, ifname: `veth${i}`, flags: [], master: 'br0', state: 'permanent' },
      { mac: e.mac, ifname: `veth${i}`, flags: [], master: 'br0' },
    ]),
    ...fdbEdit(remote.map((e) => ({ mac: e.mac, ifname: 'vxlan0', dst: underlay(e.node), flags: ['self'], state: 'permanent' }))),
  ];
  return { neigh, fdb };
}
const fdbText = (r) => [r.mac, `dev ${r.ifname}`, r.dst ? `dst ${r.dst}` : '', r.master ? `master ${r.master}` : '', ...r.flags, r.state ?? ''].filter(Boolean).join(' ') + ' ';
function writeOverlay(d, edits = {}) {
  for (const node of SEED_NODES) {
    const { neigh, fdb } = overlayState(node, edits[node]);
    const dir = join(d, `nodes/${node}/ingress_overlay`);
    mkdirSync(dir, { recursive: true });
    if (node === '228') {
      writeFileSync(join(dir, 'neigh.json'), JSON.stringify(neigh) + '\n');
      writeFileSync(join(dir, 'fdb.json'), JSON.stringify(fdb) + '\n');
    } else if (node === '234') {
      writeFileSync(join(dir, 'neigh.txt'), neigh.map((n) => `${n.dst} dev ${n.dev} lladdr ${n.lladdr} PERMANENT `).join('\n') + '\n');
      writeFileSync(join(dir, 'fdb.txt'), fdb.map(fdbText).join('\n') + '\n');
    } else {
      writeFileSync(join(dir, 'neigh.json'), JSON.stringify(neigh, null, 4) + '\n');
      writeFileSync(join(dir, 'fdb.json'), JSON.stringify(fdb, null, 4) + '\n');
    }
  }
}

/*
 * A UDP service through the mesh, for ipvs-udp-flows-current: syslog publishes udp/514 in ingress
 * mode (VIP 10.0.0.90, mark 0x205b = 8283), updated once: its task on 253 (10.0.0.88) was replaced by
 * one on 234 (10.0.0.91), and the manager keeps the old one, shut down, with the address it had.
 * Everything libnetwork programs for it (service_linux.go) is added to every node in that node's
 * formats: the host's DNAT and filter ACCEPTs (-I: ahead of whoami's), the sbox's MARKs, its IPVS
 * FWM service, the VIP's /32 on the sbox's eth0, the sbox's neighbour entry of the task, and the
 * task's endpoint in 234's ingress network.
 */
const SYSLOG = { id: 'q3s1yz9lgx5kv2hb8dn4wmt07', vip: '10.0.0.90', port: 514, mark: 0x205b };
const SYSLOG_TASK = { id: 'u8fdn3k6w2s0lhq5x9ra1cj4v', node: 't1ll9hzipxjms5mt14kxx7u3o', ip: '10.0.0.91', mac: '02:42:0a:00:00:5b' };
const SYSLOG_OLD_TASK = { id: 'h5cz2m7ve4q9kx1wr8bo3n6ty', node: 'pkv93oel5hesk9bn22uyit9rz', ip: '10.0.0.88', mac: '02:42:0a:00:00:58' };
function addUdpService(d, { ipvs234 = (rows) => rows, neigh234 = [] } = {}) {
  const port = { Protocol: 'udp', TargetPort: SYSLOG.port, PublishedPort: SYSLOG.port, PublishMode: 'ingress' };
  json(d, 'cluster/services.json', (svcs) => [
    ...svcs,
    {
      ID: SYSLOG.id, Version: { Index: 57 },
      Spec: { Name: 'syslog', Labels: {}, TaskTemplate: { ContainerSpec: { Image: 'balabit/syslog-ng:4.7.1' } }, Mode: { Replicated: { Replicas: 1 } }, EndpointSpec: { Mode: 'vip', Ports: [port] } },
      Endpoint: { Spec: { Mode: 'vip', Ports: [port] }, Ports: [port], VirtualIPs: [{ NetworkID: 'n3dex97iv1gs5ugdluoc34dxi', Addr: `${SYSLOG.vip}/24` }] },
    },
  ]);
  json(d, 'cluster/tasks.json', (tasks) => {
    const attach = (ip) => [{ ...tasks[0].NetworksAttachments[0], Addresses: [`${ip}/24`] }];
    const task = (t, desired, state, message) => ({ ID: t.id, ServiceID: SYSLOG.id, Slot: 1, NodeID: t.node, Status: { State: state, Message: message }, DesiredState: desired, NetworksAttachments: attach(t.ip) });
    return [...tasks, task(SYSLOG_OLD_TASK, 'shutdown', 'shutdown', 'shutdown'), task(SYSLOG_TASK, 'running', 'running', 'started')];
  });
  json(d, 'nodes/234/networks/ingress.json', (nets) => nets.map((n) => ({
    ...n,
    Containers: { ...n.Containers, '7d0c4e1f9a2b8c3d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d': { Name: `syslog.1.${SYSLOG_TASK.id}`, EndpointID: 'a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8', MacAddress: SYSLOG_TASK.mac, IPv4Address: `${SYSLOG_TASK.ip}/24`, IPv6Address: '' } },
  })));
  const hexMark = `0x${SYSLOG.mark.toString(16)}`;
  const dnatRule = `-A DOCKER-INGRESS -p udp -m udp --dport 514 -j DNAT --to-destination 192.168.0.2:514`;
  const acceptRules = ['-A DOCKER-INGRESS -p udp -m udp --dport 514 -j ACCEPT', '-A DOCKER-INGRESS -p udp -m state --state RELATED,ESTABLISHED -m udp --sport 514 -j ACCEPT'];
  const markRules = [`-A PREROUTING -p udp -m udp --dport 514 -j MARK --set-xmark ${hexMark}/0xffffffff`, `-A INPUT -d ${SYSLOG.vip}/32 -j MARK --set-xmark ${hexMark}/0xffffffff`];
  // 228: iptables -S per table, filter as `iptables -L -n --line-numbers`, IPVS as ipvsadm -S -n, neighbours as /proc/net/arp.
  edit(d, 'nodes/228/host/iptables-nat.txt', (t) => t.replace('-A DOCKER-INGRESS -p tcp', `${dnatRule}\n-A DOCKER-INGRESS -p tcp`));
  edit(d, 'nodes/228/host/iptables-filter.txt', (t) => t.replace(
    /(Chain DOCKER-INGRESS \(1 references\)\nnum .*\n)1    ACCEPT     tcp (.*)\n2    ACCEPT     tcp (.*)\n3    RETURN/,
    (_, head, a, b) => `${head}1    ACCEPT     udp  --  0.0.0.0/0            0.0.0.0/0            udp dpt:514\n2    ACCEPT     udp  --  0.0.0.0/0            0.0.0.0/0            state RELATED,ESTABLISHED udp spt:514\n3    ACCEPT     tcp ${a}\n4    ACCEPT     tcp ${b}\n5    RETURN`,
  ));
  edit(d, 'nodes/228/ingress_sbox/iptables-mangle.txt', (t) => t + markRules.join('\n') + '\n');
  edit(d, 'nodes/228/ingress_sbox/ipvs.txt', (t) => t + `-A -f ${SYSLOG.mark} -s rr\n-a -f ${SYSLOG.mark} -r ${SYSLOG_TASK.ip}:0 -m -w 1\n`);
  edit(d, 'nodes/228/ingress_sbox/addr.txt', (t) => t.replace('    inet 10.0.0.97/32 scope global eth0\n       valid_lft forever preferred_lft forever\n', (m) => `${m}    inet ${SYSLOG.vip}/32 scope global eth0\n       valid_lft forever preferred_lft forever\n`));
  edit(d, 'nodes/228/ingress_sbox/neigh.txt', (t) => t.replace(/(10\.0\.0\.98 .*\n)/, `$1${SYSLOG_TASK.ip.padEnd(17)}0x1         0x2         ${SYSLOG_TASK.mac}     *        eth0\n`));
  // 234: iptables-save, IPVS as /proc/net/ip_vs (hex), neighbours as ip neigh, addresses as ip -j addr.
  edit(d, 'nodes/234/host/iptables.txt', (t) => t.replace('-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j DNAT', `${dnatRule}\n-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j DNAT`).replace('-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j ACCEPT', `${acceptRules.join('\n')}\n-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j ACCEPT`));
  edit(d, 'nodes/234/ingress_sbox/iptables.txt', (t) => t.replace('-A INPUT -d 10.0.0.97/32', `${markRules[0]}\n-A INPUT -d 10.0.0.97/32`).replace(/(-A INPUT -d 10\.0\.0\.97\/32 .*\n)/, `$1${markRules[1]}\n`));
  const hexIp = (ip) => ip.split('.').map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0')).join('');
  const rows234 = ipvs234([{ ip: SYSLOG_TASK.ip, weight: 1, inact: 1 }]);
  edit(d, 'nodes/234/ingress_sbox/ipvs.txt', (t) => t + `FWM  ${SYSLOG.mark.toString(16).toUpperCase().padStart(8, '0')} rr\n` + rows234.map((r) => `  -> ${hexIp(r.ip)}:0000      Masq    ${r.weight}      0          ${r.inact}\n`).join(''));
  edit(d, 'nodes/234/ingress_sbox/neigh.txt', (t) => `${SYSLOG_TASK.ip} dev eth0 lladdr ${SYSLOG_TASK.mac} REACHABLE\n` + neigh234.map((l) => `${l}\n`).join('') + t);
  json(d, 'nodes/234/ingress_sbox/addr.json', (ifs) => ifs.map((i) => (i.ifname === 'eth0' ? { ...i, addr_info: [...i.addr_info, { family: 'inet', local: SYSLOG.vip, prefixlen: 32, scope: 'global', label: 'eth0' }] } : i)));
  // 253: -nvL listings, IPVS as ipvsadm, neighbours as arp -a, addresses as ip addr.
  edit(d, 'nodes/253/host/iptables-nat.txt', (t) => t.replace('    0     0 DNAT       tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:8080 to:192.168.0.2:8080', (m) => `    0     0 DNAT       udp  --  *      *       0.0.0.0/0            0.0.0.0/0            udp dpt:514 to:192.168.0.2:514\n${m}`));
  edit(d, 'nodes/253/host/iptables-filter.txt', (t) => t.replace('    0     0 ACCEPT     tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:8080', (m) => `    0     0 ACCEPT     udp  --  *      *       0.0.0.0/0            0.0.0.0/0            udp dpt:514\n    0     0 ACCEPT     udp  --  *      *       0.0.0.0/0            0.0.0.0/0            state RELATED,ESTABLISHED udp spt:514\n${m}`));
  edit(d, 'nodes/253/ingress_sbox/iptables-mangle.txt', (t) => t
    .replace(/(MARK set 0x205a\n)(\nChain INPUT)/, `$1    0     0 MARK       udp  --  *      *       0.0.0.0/0            0.0.0.0/0            udp dpt:514 MARK set ${hexMark}\n$2`)
    .replace(/(10\.0\.0\.97 +MARK set 0x205a\n)/, `$1    0     0 MARK       all  --  *      *       0.0.0.0/0            ${SYSLOG.vip.padEnd(20)} MARK set ${hexMark}\n`));
  edit(d, 'nodes/253/ingress_sbox/ipvs.txt', (t) => t + `FWM  ${SYSLOG.mark} rr\n  -> ${`${SYSLOG_TASK.ip}:0`.padEnd(28)} Masq    1      0          0\n`);
  edit(d, 'nodes/253/ingress_sbox/addr.txt', (t) => t.replace('    inet 10.0.0.97/32 scope global eth0\n       valid_lft forever preferred_lft forever\n', (m) => `${m}    inet ${SYSLOG.vip}/32 scope global eth0\n       valid_lft forever preferred_lft forever\n`));
  edit(d, 'nodes/253/ingress_sbox/neigh.txt', (t) => t + `? (${SYSLOG_TASK.ip}) at ${SYSLOG_TASK.mac} [ether] on eth0\n`);
}
/*
 * ingress_sbox/ipvs-conn.txt as the collectors write it: the UDP lines of /proc/net/ip_vs_conn in the
 * kernel's format (net/netfilter/ipvs/ip_vs_conn.c, ip_vs_conn_seq_show: "%-3s %08X %04X %08X %04X %s
 * %04X %-11s %7u%s"; UDP's one state is "UDP", ip_vs_proto_udp.c), or as `ipvsadm -Lnc` prints the
 * same entries (ipvsadm.c print_conn: "%-3s %-6s %-11s %-18s %-18s %s", the expiry as mm:ss), pasted
 * with its prompt, as in kubernetes/kubernetes#76664. Each flow: [client, client port, destination,
 * seconds left]; the virtual address is the sbox's docker_gwbridge address (the host's DNAT), the
 * virtual and destination port the published one (libnetwork's destinations have port 0).
 */
function writeIpvsConn(d, node, flows, { ipvsadm = false } = {}) {
  const hexIp = (ip) => ip.split('.').map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0')).join('');
  const hex4 = (n) => n.toString(16).toUpperCase().padStart(4, '0');
  const mmss = (s) => `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  const lines = flows.map(([client, cport, dest, expires]) => ipvsadm
    ? `UDP ${mmss(expires).padEnd(6)} ${'UDP'.padEnd(11)} ${`${client}:${cport}`.padEnd(18)} ${'192.168.0.2:514'.padEnd(18)} ${dest}:514`
    : `UDP ${hexIp(client)} ${hex4(cport)} ${hexIp('192.168.0.2')} ${hex4(514)} ${hexIp(dest)} ${hex4(514)} ${'UDP'.padEnd(11)} ${String(expires).padStart(7)}`);
  const head = ipvsadm ? [`[root@${node} ~]# nsenter --net=/run/docker/netns/ingress_sbox ipvsadm -Lnc`, 'IPVS connection entries', `pro expire ${'state'.padEnd(11)} ${'source'.padEnd(18)} ${'virtual'.padEnd(18)} destination`] : [];
  writeFileSync(join(d, `nodes/${node}/ingress_sbox/ipvs-conn.txt`), [...head, ...lines].map((l) => `${l}\n`).join(''));
}

/*
 * The kernel's modules (kernel-modules-present): host/modules.txt (/proc/modules or lsmod), and of
 * /lib/modules/<release>/ the mesh's lines of modules.builtin and modules.dep, each given as its text
 * or as [the error the node gave], which goes to errors.json with the collector's command.
 */
const { MODULES_PATTERN } = await import('../dist/collect/commands.js');
function writeModules(d, node, release, { loaded, builtin, dep, errors = [] }) {
  const info = JSON.parse(readFileSync(join(d, `nodes/${node}/info.json`), 'utf8'));
  if (info.KernelVersion !== release) json(d, `nodes/${node}/info.json`, (i) => ({ ...i, KernelVersion: release }));
  const all = [...readErrors(d, node), ...errors];
  const files = [
    ['host/modules.txt', 'cat /proc/modules', loaded],
    ['host/modules-builtin.txt', `grep -E ${MODULES_PATTERN} /lib/modules/${release}/modules.builtin`, builtin],
    ['host/modules-dep.txt', `grep -E ${MODULES_PATTERN} /lib/modules/${release}/modules.dep`, dep],
  ];
  for (const [file, command, v] of files) {
    if (typeof v === 'string') writeFileSync(join(d, `nodes/${node}/${file}`), v);
    else all.push({ file, command, error: v[0] });
  }
  writeFileSync(join(d, `nodes/${node}/errors.json`), JSON.stringify(all, null, 2) + '\n');
}
function readErrors(d, node) {
  const p = join(d, `nodes/${node}/errors.json`);
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : [];
}
/** A line of /proc/modules (name, size, use count, users, state, address): sizes and addresses as a 3.10 kernel prints them, written for these fixtures. */
const procModule = (name, size, users = '-', count = users === '-' ? 0 : users.split(',').filter(Boolean).length) => `${name} ${size} ${count} ${users} Live 0xffffffffc0${(size % 0xfffff).toString(16).padStart(5, '0')}000`;
/** modules.dep lines of a kernel with every module of the mesh's list loadable (module paths as the kernel tree lays them out; `.ko.xz` as CentOS 7 ships them). */
const DEP_3_10 = [
  'kernel/net/netfilter/ipvs/ip_vs.ko.xz: kernel/net/netfilter/nf_conntrack.ko.xz kernel/lib/libcrc32c.ko.xz',
  'kernel/net/netfilter/ipvs/ip_vs_rr.ko.xz: kernel/net/netfilter/ipvs/ip_vs.ko.xz kernel/net/netfilter/nf_conntrack.ko.xz kernel/lib/libcrc32c.ko.xz',
  'kernel/net/netfilter/xt_ipvs.ko.xz: kernel/net/netfilter/ipvs/ip_vs.ko.xz kernel/net/netfilter/nf_conntrack.ko.xz kernel/lib/libcrc32c.ko.xz',
  'kernel/net/netfilter/nf_conntrack.ko.xz:',
  'kernel/net/netfilter/nf_nat.ko.xz: kernel/net/netfilter/nf_conntrack.ko.xz',
  'kernel/net/netfilter/xt_nat.ko.xz: kernel/net/netfilter/nf_nat.ko.xz kernel/net/netfilter/nf_conntrack.ko.xz',
  'kernel/net/ipv4/netfilter/ipt_MASQUERADE.ko.xz: kernel/net/ipv4/netfilter/nf_nat_masquerade_ipv4.ko.xz kernel/net/ipv4/netfilter/nf_nat_ipv4.ko.xz kernel/net/netfilter/nf_nat.ko.xz kernel/net/netfilter/nf_conntrack.ko.xz',
  'kernel/net/netfilter/xt_addrtype.ko.xz:',
  'kernel/net/netfilter/xt_mark.ko.xz:',
  'kernel/net/netfilter/xt_conntrack.ko.xz: kernel/net/netfilter/nf_conntrack.ko.xz',
  'kernel/net/netfilter/xt_REDIRECT.ko.xz: kernel/net/netfilter/nf_nat_redirect.ko.xz kernel/net/netfilter/nf_nat.ko.xz kernel/net/netfilter/nf_conntrack.ko.xz',
  'kernel/net/ipv4/netfilter/iptable_nat.ko.xz: kernel/net/ipv4/netfilter/nf_nat_ipv4.ko.xz kernel/net/netfilter/nf_nat.ko.xz kernel/net/netfilter/nf_conntrack.ko.xz kernel/net/ipv4/netfilter/ip_tables.ko.xz',
  'kernel/net/ipv4/netfilter/iptable_mangle.ko.xz: kernel/net/ipv4/netfilter/ip_tables.ko.xz',
  'kernel/net/ipv4/netfilter/iptable_filter.ko.xz: kernel/net/ipv4/netfilter/ip_tables.ko.xz',
  'kernel/net/bridge/bridge.ko.xz: kernel/net/802/stp.ko.xz kernel/net/llc/llc.ko.xz',
  'kernel/net/bridge/br_netfilter.ko.xz: kernel/net/bridge/bridge.ko.xz kernel/net/802/stp.ko.xz kernel/net/llc/llc.ko.xz',
  'kernel/drivers/net/veth.ko.xz:',
  'kernel/drivers/net/vxlan.ko.xz: kernel/net/ipv4/udp_tunnel.ko.xz kernel/net/ipv6/ip6_udp_tunnel.ko.xz',
];
/** The head of the `lsmod` posted in moby/libnetwork#2227 (a Rock64 swarm node), as far as the post shows complete lines. */
const LSMOD_2227 = `Module                  Size  Used by
ip_vs_rr               16384  2
xt_ipvs                16384  2
ip_vs                 110592  5 ip_vs_rr,xt_ipvs
xt_REDIRECT            16384  1
nf_nat_redirect        16384  1 xt_REDIRECT
xt_nat                 16384  13
xt_tcpudp              16384  15
veth                   16384  0
vxlan                  40960  0
ip6_udp_tunnel         16384  1 vxlan
udp_tunnel             16384  1 vxlan
iptable_mangle         16384  2
xt_mark                16384  3
ipt_MASQUERADE         16384  3
nf_nat_masquerade_ipv4    16384  1 ipt_MASQUERADE
nf_conntrack_netlink    36864  0
iptable_nat            16384  3
nf_conntrack_ipv4      24576  6
nf_defrag_ipv4         16384  1 nf_conntrack_ipv4
nf_nat_ipv4            16384  1 iptable_nat
xt_addrtype            16384  5
iptable_filter         16384  2
xt_conntrack           16384  5
nf_nat                 20480  4 nf_nat_redirect,nf_nat_ipv4,xt_nat,nf_nat_masquerade_ipv4
nf_conntrack          126976  7 ip_vs,nf_nat,nf_nat_ipv4,xt_conntrack,nf_nat_masquerade_ipv4,nf_conntrack_netlink,nf_conntrack_ipv4
overlay                45056  1
snd_soc_rockchip_hdmi_dp    16384  0
snd_soc_rockchip_i2s    16384  4
snd_soc_rockchip_spdif    16384  2
rockchip_saradc        16384  0
`;
/** What this machine's kernel (6.18.44-fc-v1272, no loadable modules, no IPVS) gave the collectors, word for word. */
const HERE = '6.18.44-fc-v1272';
const HERE_ERRORS = {
  loaded: ['cat: /proc/modules: No such file or directory'],
  builtin: [`grep: /lib/modules/${HERE}/modules.builtin: No such file or directory`],
  dep: [`grep: /lib/modules/${HERE}/modules.dep: No such file or directory`],
};

const variants = {
  'broken-dnat-target': {
    says: "Node 253's DOCKER-INGRESS DNATs tcp/8080 to 192.168.0.3, but ingress_sbox is 192.168.0.2 on docker_gwbridge (a stale rule after docker_gwbridge was recreated).",
    fails: 'dnat-target-is-sbox on node 253',
    make: (d) => edit(d, 'nodes/253/host/iptables-nat.txt', (t) => t.replace('to:192.168.0.2:8080', 'to:192.168.0.3:8080')),
  },
  'broken-dnat-duplicate': {
    says: "Node 234's DOCKER-INGRESS has two DNAT rules for tcp/8080; the second is stale and never used.",
    fails: 'dnat-target-is-sbox on node 234 (both rules: the port has 2 DNAT rules)',
    make: (d) => edit(d, 'nodes/234/host/iptables.txt', (t) => t.replace('-A DOCKER-INGRESS -j RETURN', '-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.168.0.2:8080\n-A DOCKER-INGRESS -j RETURN')),
  },
  'broken-fwmark-no-backend': {
    says: 'On node 228, IPVS has the FWM 8282 service for tcp/8080 but no backend: the port times out from 228.',
    fails: 'fwmark-has-backend on node 228',
    make: (d) => edit(d, 'nodes/228/ingress_sbox/ipvs.txt', (t) => t.replace('-a -f 8282 -r 10.0.0.98:0 -m -w 1\n', '')),
  },
  'broken-fwmark-no-service': {
    says: "On node 234, ingress_sbox marks tcp/8080 with 0x205a but IPVS has no service at all (/proc/net/ip_vs lists only its headers).",
    fails: 'fwmark-has-backend on node 234',
    make: (d) => edit(d, 'nodes/234/ingress_sbox/ipvs.txt', (t) => t.replace(/FWM {2}0000205A rr\n.*\n/, '')),
  },
  'broken-backend-arp': {
    says: "Node 234's ingress_sbox has the backend 10.0.0.98 INCOMPLETE (the VXLAN path to node 253 is broken); node 228 has no entry for it at all.",
    fails: 'backend-in-arp: fail on node 234, warn on node 228',
    make: (d) => {
      edit(d, 'nodes/234/ingress_sbox/neigh.txt', (t) => t.replace('10.0.0.98 dev eth0 lladdr 02:42:0a:00:00:62 REACHABLE', '10.0.0.98 dev eth0  INCOMPLETE'));
      edit(d, 'nodes/228/ingress_sbox/neigh.txt', (t) => t.replace(/10\.0\.0\.98 .*\n/, ''));
    },
  },
  'broken-engine-major': {
    says: 'Node 228 was upgraded to engine 24.0.7 while 234 and 253 run 20.10.12.',
    fails: 'peer-engine-versions (fail: major versions differ)',
    make: (d) => setEngine(d, '228', '24.0.7'),
  },
  'broken-engine-patch': {
    says: 'Node 234 runs engine 20.10.21, the others 20.10.12: a rolling upgrade left half done.',
    fails: 'peer-engine-versions (warn: patch versions differ)',
    make: (d) => setEngine(d, '234', '20.10.21'),
  },
  'broken-no-ipvs': {
    says: 'The kernel has no IPVS on any node (as in the swarm lab): /proc/net/ip_vs is absent in ingress_sbox, so dockerd programmed no DOCKER-INGRESS DNAT and no sbox MARK.',
    fails: 'ipvs-available and published-port-has-dnat on every node',
    make: (d) => {
      for (const n of ['228', '234', '253']) {
        unlinkSync(join(d, `nodes/${n}/ingress_sbox/ipvs.txt`));
        writeFileSync(join(d, `nodes/${n}/errors.json`), JSON.stringify([{ file: 'ingress_sbox/ipvs.txt', command: 'cat /proc/net/ip_vs', error: 'No such file or directory' }], null, 2) + '\n');
      }
      edit(d, 'nodes/253/host/iptables-nat.txt', (t) => t.replace(/.*DNAT .*dpt:8080 to:192\.168\.0\.2:8080\n/, ''));
      edit(d, 'nodes/234/host/iptables.txt', (t) => t.replace(/-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j DNAT.*\n/, ''));
      edit(d, 'nodes/228/host/iptables-nat.txt', (t) => t.replace(/-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j DNAT.*\n/, ''));
      edit(d, 'nodes/253/ingress_sbox/iptables-mangle.txt', (t) => t.replace(/.*MARK set 0x205a\n/g, ''));
      edit(d, 'nodes/234/ingress_sbox/iptables.txt', (t) => t.replace(/-A (PREROUTING|INPUT) .*MARK.*\n/g, ''));
      edit(d, 'nodes/228/ingress_sbox/iptables-mangle.txt', (t) => t.replace(/-A (PREROUTING|INPUT) .*MARK.*\n/g, ''));
    },
  },
  'broken-missing-dnat': {
    says: "Node 228's DOCKER-INGRESS was flushed (a firewalld --reload): tcp/8080 answers on 234 and 253 but not on 228.",
    fails: 'published-port-has-dnat on node 228',
    make: (d) => edit(d, 'nodes/228/host/iptables-nat.txt', (t) => t.replace(/-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j DNAT.*\n/, '')),
  },
  'invalid-iptables-line': {
    says: "Node 253's host nat listing has a line damaged in pasting. The rules that read host nat report an error naming the file and line on 253; everything else is still checked.",
    fails: 'error results for dnat-target-is-sbox and published-port-has-dnat on node 253',
    make: (d) => edit(d, 'nodes/253/host/iptables-nat.txt', (t) => t.replace('Chain DOCKER-INGRESS (2 references)', 'Chain DOCKER-INGRESS (2 references)\n pkts bytes target     prot opt in     out     source               destination0     0 DNAT')),
  },
  'broken-ip-forward-off': {
    says: 'Node 228 had net.ipv4.ip_forward set to 0 by a hardening profile after dockerd started.',
    fails: 'ip-forward-enabled on node 228',
    make: (d) => edit(d, 'nodes/228/host/sysctl.txt', (t) => t.replace('net.ipv4.ip_forward = 1', 'net.ipv4.ip_forward = 0')),
  },
  'broken-gwbridge-masquerade': {
    says: "Node 234's MASQUERADE rule for docker_gwbridge's subnet was deleted from host nat POSTROUTING.",
    fails: 'gwbridge-masquerade on node 234',
    make: (d) => edit(d, 'nodes/234/host/iptables.txt', (t) => t.replace('-A POSTROUTING -s 192.168.0.0/20 ! -o docker_gwbridge -j MASQUERADE\n', '')),
  },
  'broken-node-down': {
    says: "The manager sees node 228 as down: its engine was stopped.",
    fails: 'swarm-nodes-ready',
    make: (d) => json(d, 'cluster/nodes.json', (nodes) => nodes.map((n) => (n.Description.Hostname === '228' ? { ...n, Status: { ...n.Status, State: 'down', Message: 'heartbeat failure' } } : n))),
  },
  'broken-missing-mark': {
    says: "On node 228, ingress_sbox mangle PREROUTING lost the MARK for tcp/8080: the DNAT brings the port into the sbox, where IPVS never sees it.",
    fails: 'published-port-has-mark on node 228',
    make: (d) => edit(d, 'nodes/228/ingress_sbox/iptables-mangle.txt', (t) => t.replace(/-A PREROUTING .*MARK.*\n/, '')),
  },
  'broken-stale-backend': {
    says: "Node 234's IPVS still balances tcp/8080 over 10.0.0.96, the address of a task that no longer runs (a stale backend after a restart).",
    fails: 'ipvs-backends-match-tasks on node 234 (and backend-in-arp warns there: nothing answers for 10.0.0.96)',
    make: (d) => edit(d, 'nodes/234/ingress_sbox/ipvs.txt', (t) => t.replace('  -> 0A000062:0000      Masq    1      0          0\n', '  -> 0A000062:0000      Masq    1      0          0\n  -> 0A000060:0000      Masq    1      0          0\n')),
  },
  'broken-peers-incomplete': {
    says: "Node 234's ingress network does not list node 253 (192.168.100.253), where the task of service web runs, among its peers: gossip on 7946 is blocked between them, and 234 cannot reach that task.",
    fails: 'ingress-peers-complete on node 234',
    make: (d) => json(d, 'nodes/234/networks/ingress.json', (nets) => nets.map((n) => ({ ...n, Peers: n.Peers.filter((p) => p.IP !== '192.168.100.253') }))),
  },
  'broken-ingress-recreated': {
    says: 'Node 228 still holds an old ingress network (another id) after ingress was removed and recreated while it was away.',
    fails: 'ingress-network-consistent',
    make: (d) => json(d, 'nodes/228/networks/ingress.json', (nets) => nets.map((n) => ({ ...n, Id: 'x0ldingre55netw0rk1d00000' }))),
  },
  // Batch A: ingress_sbox and IPVS.
  'broken-sbox-missing': {
    says:
      "Node 228 has no ingress_sbox: its ingress and docker_gwbridge networks list no ingress-sbox endpoint and every `nsenter --net=/run/docker/netns/ingress_sbox` of the collector failed with 'No such file or directory' (as in moby/moby#25693, where the sandbox went away with the node's last ingress task, and #24400). The host DNAT rules are still there. Can be made in the working-mesh lab by removing the netns of a stopped dockerd (umount + rm /run/docker/netns/ingress_sbox) and starting it without re-publishing.",
    fails: 'sbox-present on node 228 (the other sbox rules skip there: their inputs were not captured)',
    make: (d) => {
      json(d, 'nodes/228/networks/ingress.json', (nets) => nets.map((n) => ({ ...n, Containers: {} })));
      json(d, 'nodes/228/networks/docker_gwbridge.json', (nets) => nets.map((n) => ({ ...n, Containers: {} })));
      const files = ['iptables-mangle.txt', 'ipvs.txt', 'neigh.txt', 'addr.txt', 'sysctl.txt'];
      for (const f of files) unlinkSync(join(d, `nodes/228/ingress_sbox/${f}`));
      const cmd = { 'iptables-mangle.txt': 'iptables-save -t mangle', 'ipvs.txt': 'cat /proc/net/ip_vs', 'neigh.txt': 'ip neigh', 'addr.txt': 'ip addr', 'sysctl.txt': 'grep -r . /proc/sys/net/ipv4/vs' };
      const errors = files.map((f) => ({ file: `ingress_sbox/${f}`, command: `nsenter --net=/run/docker/netns/ingress_sbox ${cmd[f]}`, error: 'nsenter: cannot open /run/docker/netns/ingress_sbox: No such file or directory' }));
      writeFileSync(join(d, 'nodes/228/errors.json'), JSON.stringify(errors, null, 2) + '\n');
    },
  },
  'broken-sbox-vips': {
    says:
      "Node 234's ingress_sbox lost the /32 of service whoami's ingress VIP 10.0.0.97 from eth0; node 253's eth0 holds 10.0.0.50/32, a VIP no current service has (left over from a removed service). moby/moby#25219 reports VIPs missing from and left in the sandbox. Both can be made in the working-mesh lab with `ip addr del`/`ip addr add` inside the sbox.",
    fails: 'sbox-vips-match: warn on node 234 (10.0.0.97 missing) and on node 253 (10.0.0.50 extra)',
    make: (d) => {
      json(d, 'nodes/234/ingress_sbox/addr.json', (ifs) => ifs.map((i) => ({ ...i, addr_info: (i.addr_info ?? []).filter((a) => a.local !== '10.0.0.97') })));
      edit(d, 'nodes/253/ingress_sbox/addr.txt', (t) => t.replace('    inet 10.0.0.97/32 scope global eth0\n       valid_lft forever preferred_lft forever\n', (m) => m + '    inet 10.0.0.50/32 scope global eth0\n       valid_lft forever preferred_lft forever\n'));
    },
  },
  'broken-fwmark-reused': {
    says:
      "Node 234's ingress_sbox mangle PREROUTING marks tcp/9090, a port no service publishes any more, with 0x205a, the mark of service whoami's tcp/8080: two services' ports share one IPVS FWM service (moby/moby#30464, #26733: marks and services out of sync after services were removed and created). Can be made in the working-mesh lab by adding such a MARK rule inside the sbox.",
    fails: 'fwmark-unique on node 234',
    make: (d) => edit(d, 'nodes/234/ingress_sbox/iptables.txt', (t) => t.replace('-A INPUT -d 10.0.0.97/32', '-A PREROUTING -p tcp -m tcp --dport 9090 -j MARK --set-xmark 0x205a/0xffffffff\n-A INPUT -d 10.0.0.97/32')),
  },
  'broken-ipvs-stale-service': {
    says:
      "Node 228's IPVS still has FWM 8283, an IPVS service whose mark no rule in ingress_sbox mangle sets: left behind by a removed service (the stale side of moby/moby#30464). Can be made in the working-mesh lab with `ipvsadm -A -f 8283 -s rr` inside the sbox.",
    fails: 'ipvs-service-has-mark (warn) on node 228',
    make: (d) => edit(d, 'nodes/228/ingress_sbox/ipvs.txt', (t) => t + '-A -f 8283 -s rr\n-a -f 8283 -r 10.0.0.98:0 -m -w 1\n'),
  },
  'broken-sbox-snat-wrong': {
    says:
      "Node 234's ingress_sbox nat POSTROUTING SNATs IPVS traffic to 10.0.0.0/24 to 10.0.0.9, but the sbox's ingress address is 10.0.0.3 (a rule left from an earlier sandbox; libnetwork's service_linux.go writes `-d <subnet> -m ipvs --ipvs -j SNAT --to-source <sbox ip>`). Can be made in the working-mesh lab by rewriting that rule inside the sbox.",
    fails: 'sbox-snat-present on node 234',
    make: (d) => edit(d, 'nodes/234/ingress_sbox/iptables.txt', (t) => t.replace('-j SNAT --to-source 10.0.0.3', '-j SNAT --to-source 10.0.0.9')),
  },
  'broken-sbox-snat-missing': {
    says:
      "Node 234's ingress_sbox nat POSTROUTING lost its `-d 10.0.0.0/24 -m ipvs --ipvs -j SNAT --to-source 10.0.0.3` rule (a flushed sbox nat table): replies from tasks on other nodes bypass the sbox. Can be made in the working-mesh lab by deleting that rule inside the sbox.",
    fails: 'sbox-snat-present on node 234',
    make: (d) => edit(d, 'nodes/234/ingress_sbox/iptables.txt', (t) => t.replace('-A POSTROUTING -d 10.0.0.0/24 -m ipvs --ipvs -j SNAT --to-source 10.0.0.3\n', '')),
  },
  'broken-ipvs-conntrack-off': {
    says:
      "Node 253's ingress_sbox has net.ipv4.vs.conntrack = 0: IPVS connections get no conntrack entry, so the sbox's SNAT never applies and masqueraded replies are dropped (moby/moby#35082; libnetwork sets it to 1, moby/libnetwork#2491). Can be made in the working-mesh lab with `sysctl -w net.ipv4.vs.conntrack=0` inside the sbox.",
    fails: 'ipvs-conntrack-enabled on node 253',
    make: (d) => edit(d, 'nodes/253/ingress_sbox/sysctl.txt', (t) => t.replace('net.ipv4.vs.conntrack = 1', 'net.ipv4.vs.conntrack = 0')),
  },
  'broken-ipvs-sysctls-default': {
    says:
      "Node 228's ingress_sbox has the kernel's IPVS defaults (expire_nodest_conn = 0, conn_reuse_mode = 1, expire_quiescent_template = 0), as an engine before 19.03 leaves them: ~1 s SYN stalls under load (moby/moby#35082, moby/libnetwork#2491). Can be made in the working-mesh lab with `sysctl -w` inside the sbox.",
    fails: 'ipvs-sysctls-tuned on node 228 (a warn per sysctl: 3)',
    make: (d) =>
      edit(d, 'nodes/228/ingress_sbox/sysctl.txt', (t) =>
        t.replace('expire_nodest_conn = 1', 'expire_nodest_conn = 0').replace('expire_quiescent_template = 1', 'expire_quiescent_template = 0').replace('conn_reuse_mode = 0', 'conn_reuse_mode = 1')),
  },
  'broken-sbox-neigh-full': {
    says:
      "Node 253's kernel has its neighbour table limits scaled down (gc_thresh1/2/3 = 2/5/9, as captured in ingress_sbox/sysctl.txt) while ingress_sbox alone holds 8 entries: 88% of gc_thresh3. This is moby/libnetwork#1522's \"neighbor table overflow\" (there: 1024 with about a thousand tasks) at the seed's scale. Can be made in the working-mesh lab by lowering gc_thresh3 below a few times the sbox's entries.",
    fails: 'neighbour-table-headroom (warn) on node 253',
    make: (d) => edit(d, 'nodes/253/ingress_sbox/sysctl.txt', (t) => t + 'net.ipv4.neigh.default.gc_thresh1 = 2\nnet.ipv4.neigh.default.gc_thresh2 = 5\nnet.ipv4.neigh.default.gc_thresh3 = 9\n'),
  },
  'broken-ipvs-idle-timeout': {
    says:
      "Every node has IPVS's default timeouts in ingress_sbox (`ipvsadm -l --timeout`: 900 120 300, the kernel default) and the default net.ipv4.tcp_keepalive_time = 7200 on the host (the values of the working-mesh lab): a connection through the mesh idle for more than 15 minutes dies silently before its first keepalive (moby/moby#31208, #37822). The lab already shows it once ipvsadm is installed there.",
    fails: 'ipvs-idle-timeout (warn) on every node',
    make: (d) => {
      for (const n of ['228', '234', '253']) {
        writeFileSync(join(d, `nodes/${n}/ingress_sbox/ipvs-timeout.txt`), 'Timeout (tcp tcpfin udp): 900 120 300\n');
        edit(d, `nodes/${n}/host/sysctl.txt`, (t) => t.replace(/\n?$/, '\nnet.ipv4.tcp_keepalive_time = 7200\n'));
      }
    },
  },
  'ok-ipvs-idle-timeout': {
    says:
      "The seed with the tuning moby/moby#31208 recommends: IPVS's default timeouts in ingress_sbox (`ipvsadm -l --timeout`: 900 120 300) and net.ipv4.tcp_keepalive_time = 600 on every host, so keepalives come before IPVS forgets an idle connection.",
    fails: 'nothing',
    make: (d) => {
      for (const n of ['228', '234', '253']) {
        writeFileSync(join(d, `nodes/${n}/ingress_sbox/ipvs-timeout.txt`), 'Timeout (tcp tcpfin udp): 900 120 300\n');
        edit(d, `nodes/${n}/host/sysctl.txt`, (t) => t.replace(/\n?$/, '\nnet.ipv4.tcp_keepalive_time = 600\n'));
      }
    },
  },
  // The ingress overlay's VXLAN forwarding rows (ingress_overlay/, written by writeOverlay).
  'ok-vxlan-fdb': {
    says:
      "The seed with its ingress overlay namespace captured on every node (ingress_overlay/neigh and fdb, which the article did not print; written from the seed's endpoints and addresses): each endpoint on another node, the other nodes' ingress-sbox and task whoami.1 on 253, has its PERMANENT neighbour on vxlan0 and its row `<MAC> dev vxlan0 dst <the node holding it> self permanent`. 228's files are as the collectors write them (`ip -j neigh`, `bridge -j fdb show`), 234's as pasted text (`ip neigh`, `bridge fdb show`), 253's pretty-printed (`ip -j -p neigh`, `bridge -j -p fdb show`).",
    fails: 'nothing (vxlan-fdb-complete passes on every node)',
    make: (d) => writeOverlay(d),
  },
  'broken-vxlan-fdb-missing': {
    says:
      "As ok-vxlan-fdb, but node 234's ingress overlay namespace lost the FDB row of task whoami.1 (10.0.0.98, 02:42:0a:00:00:62 on 253) while its PERMANENT neighbour entry stayed, as after a peer flap (moby/moby#52661): IPVS on 234 picks that task and its frames are tunnelled nowhere. Can be made in the working-mesh lab with `bridge fdb del` in the overlay namespace (test/lab/uml/faults.ts, vxlan-fdb-row-deleted).",
    fails: 'vxlan-fdb-complete on node 234 (10.0.0.98)',
    make: (d) => writeOverlay(d, { 234: (rows) => rows.filter((r) => r.mac !== '02:42:0a:00:00:62') }),
  },
  'broken-vxlan-fdb-wrong-dst': {
    says:
      "As ok-vxlan-fdb, but on node 228 the FDB row of task whoami.1 (02:42:0a:00:00:62, on 253) tunnels to 192.168.100.234, another node of the swarm (a row left from a task that moved, or a peer's address confused): its frames reach 234, which does not hold it.",
    fails: 'vxlan-fdb-complete on node 228 (10.0.0.98)',
    make: (d) => writeOverlay(d, { 228: (rows) => rows.map((r) => (r.mac === '02:42:0a:00:00:62' ? { ...r, dst: '192.168.100.234' } : r)) }),
  },
  'broken-vxlan-fdb-unknown-dst': {
    says:
      "As ok-vxlan-fdb, but on node 253 the FDB row of 234's ingress-sbox (10.0.0.3, 02:42:0a:00:00:03) tunnels to 192.168.100.34, the address of no swarm node (a node's old address, kept after it rejoined with another): frames for it leave for no node of the swarm.",
    fails: 'vxlan-fdb-complete on node 253 (10.0.0.3)',
    make: (d) => writeOverlay(d, { 253: (rows) => rows.map((r) => (r.mac === '02:42:0a:00:00:03' ? { ...r, dst: '192.168.100.34' } : r)) }),
  },
  // IPVS's UDP flows (ingress_sbox/ipvs-conn.txt) of the syslog service (addUdpService), after its update.
  'ok-ipvs-udp-flows': {
    says:
      "A second service, syslog, publishes udp/514 in ingress mode; it was updated once, and its task on 253 (10.0.0.88, now shut down) replaced by one on 234 (10.0.0.91). Every sbox deleted the old destination, and the UDP flows go to the new task: 228's ingress_sbox/ipvs-conn.txt as the collectors write it (the UDP lines of /proc/net/ip_vs_conn, in the kernel's format: ip_vs_conn.c, ip_vs_conn_seq_show), 253's a pasted `ipvsadm -Lnc` (the form of kubernetes/kubernetes#76664's output), 234's empty (no UDP entry: grep found none). Nothing is broken.",
    fails: 'nothing (ipvs-udp-flows-current passes on every node)',
    make: (d) => {
      addUdpService(d);
      writeIpvsConn(d, '228', [['192.168.100.31', 51514, '10.0.0.91', 299], ['192.168.0.1', 40122, '10.0.0.91', 263]]);
      writeIpvsConn(d, '253', [['192.168.100.32', 45001, '10.0.0.91', 298]], { ipvsadm: true });
      writeFileSync(join(d, 'nodes/234/ingress_sbox/ipvs-conn.txt'), '');
    },
  },
  'broken-ipvs-udp-flow-nodest': {
    says:
      "The syslog service (udp/514) was updated: its task on 253 (10.0.0.88) was replaced by one on 234 (10.0.0.91), and every sbox deleted 10.0.0.88 from IPVS (FWM 8283). Node 228's sandbox has net.ipv4.vs.expire_nodest_conn = 0 (the kernel's default, as an engine before 19.03 left it): two syslog senders that kept sending (192.168.100.31:51514 and the node itself, masqueraded as 192.168.0.1:40122) still have their entries to 10.0.0.88:514, and the kernel drops their packets without renewing them until they expire (moby/moby#36878; ip_vs_core.c), 4:57 left for the longer; a third sender reaches the new task. 253 has expire_nodest_conn = 1, so its one entry to 10.0.0.88 ends at its next packet; 234 has no UDP entry (an empty file). Lines in the kernel's /proc/net/ip_vs_conn format (ip_vs_conn.c, ip_vs_conn_seq_show).",
    fails: 'ipvs-udp-flows-current (warn) on node 228 for 10.0.0.88:514, and ipvs-sysctls-tuned (warn) there for expire_nodest_conn = 0',
    make: (d) => {
      addUdpService(d);
      edit(d, 'nodes/228/ingress_sbox/sysctl.txt', (t) => t.replace('expire_nodest_conn = 1', 'expire_nodest_conn = 0'));
      writeIpvsConn(d, '228', [['192.168.100.31', 51514, '10.0.0.88', 297], ['192.168.100.32', 45001, '10.0.0.91', 299], ['192.168.0.1', 40122, '10.0.0.88', 181]]);
      writeIpvsConn(d, '253', [['192.168.100.33', 39811, '10.0.0.88', 12]]);
      writeFileSync(join(d, 'nodes/234/ingress_sbox/ipvs-conn.txt'), '');
    },
  },
  'broken-ipvs-udp-flow-quiescent': {
    says:
      "The syslog service (udp/514) was updated: its task on 253 (10.0.0.88, now shut down) was replaced by one on 234 (10.0.0.91). Node 234's IPVS kept the old destination at weight 0 (`-> 0A000058:0000 Masq 0 0 2` in FWM 0000205B): libnetwork de-weights a backend first and deletes it when the task's endpoint goes (service_linux.go, rmLBBackend), and here the deletion never came, as kubernetes/kubernetes#76664 shows for kube-proxy's graceful termination. The destination is still available, so the kernel keeps sending the two syslog senders that never pause to 10.0.0.88:514 and renews their entries at every packet (299 and 298 s left), whatever expire_nodest_conn says: blackholed while they send. 234's sbox still has a STALE neighbour entry for 10.0.0.88. 228's flows go to the new task; 253 has no UDP entry.",
    fails: 'ipvs-udp-flows-current (warn) on node 234 for 10.0.0.88:514, and ipvs-backends-match-tasks (fail) there: 10.0.0.88 is a backend no running task has',
    make: (d) => {
      addUdpService(d, { ipvs234: (rows) => [...rows, { ip: '10.0.0.88', weight: 0, inact: 2 }], neigh234: ['10.0.0.88 dev eth0 lladdr 02:42:0a:00:00:58 STALE'] });
      writeIpvsConn(d, '234', [['192.168.100.31', 51514, '10.0.0.88', 299], ['192.168.100.34', 50233, '10.0.0.91', 241], ['192.168.100.35', 33017, '10.0.0.88', 298]]);
      writeIpvsConn(d, '228', [['192.168.100.32', 45001, '10.0.0.91', 299]]);
      writeFileSync(join(d, 'nodes/253/ingress_sbox/ipvs-conn.txt'), '');
    },
  },
  // Batch C: the swarm's services and networks (cluster views).
  'broken-swarm-vip-stale-ingress': {
    says: "Service whoami's VIP 10.0.0.97 is still on network x0ldingre55netw0rk1d00000, an ingress network that was removed and recreated (now n3dex97iv1gs5ugdluoc34dxi) while the service kept publishing tcp/8080: its new tasks would hang in \"pending allocations\" (moby/moby#33878). Can be made in the working-mesh lab: `docker network rm ingress` and `docker network create --ingress` with a service publishing, on an engine that allows it.",
    fails: 'vips-on-current-ingress',
    make: (d) => json(d, 'cluster/services.json', (svcs) => svcs.map((s) => ({ ...s, Endpoint: { ...s.Endpoint, VirtualIPs: s.Endpoint.VirtualIPs.map((v) => ({ ...v, NetworkID: 'x0ldingre55netw0rk1d00000' })) } }))),
  },
  'broken-swarm-ingress-full': {
    says: 'The ingress network is 10.0.0.0/29 on every node: 5 usable addresses (8 less network, broadcast and gateway), all taken by 1 VIP, 1 task and 3 ingress-sbox addresses, so the next service or task gets "could not find an available IP while allocating VIP" (moby/moby#43052, where a /24 ran out). The subnet is shrunk instead of adding 250 services; the addresses already handed out are left as captured. Can be made in the lab by recreating ingress with `--subnet 10.0.0.0/29` before publishing.',
    fails: 'ingress-ip-capacity (fail: full)',
    make: (d) => {
      for (const n of ['228', '234', '253']) json(d, `nodes/${n}/networks/ingress.json`, (nets) => nets.map((x) => ({ ...x, IPAM: { ...x.IPAM, Config: x.IPAM.Config.map((c) => ({ ...c, Subnet: '10.0.0.0/29' })) } })));
    },
  },
  'broken-swarm-dnsrr-ingress': {
    says: 'Service whoami is in dnsrr endpoint mode (Spec.EndpointSpec.Mode and Endpoint.Spec.Mode) with no VIP, yet publishes tcp/8080 in ingress mode, as services created by old engines or through the API can be (moby/moby#25016): the port is DNATed into ingress_sbox and balanced nowhere. Current engines refuse to create it, so the lab cannot make it without an old engine.',
    fails: 'dnsrr-no-ingress-ports',
    make: (d) =>
      json(d, 'cluster/services.json', (svcs) =>
        svcs.map((s) => {
          const { VirtualIPs, ...endpoint } = s.Endpoint;
          return { ...s, Spec: { ...s.Spec, EndpointSpec: { ...s.Spec.EndpointSpec, Mode: 'dnsrr' } }, Endpoint: { ...endpoint, Spec: { ...endpoint.Spec, Mode: 'dnsrr' } } };
        }),
      ),
  },
  'broken-swarm-host-mode-port': {
    says: 'A second service, node-exporter, publishes tcp/9100 in host mode (as in the Docker docs, "bypass the routing mesh") and has its one task on node 253: the port answers on 253 only, not on 228 or 234. Can be made in the lab with `docker service create --publish mode=host,published=9100,target=9100 ...` and one replica.',
    fails: 'host-mode-ports-noted: warn on nodes 228 and 234, pass on 253',
    make: (d) => {
      json(d, 'cluster/services.json', (svcs) => [
        ...svcs,
        {
          ID: 'h0stm0desvc0000000000000a',
          Version: { Index: 40 },
          Spec: {
            Name: 'node-exporter',
            Labels: {},
            TaskTemplate: { ContainerSpec: { Image: 'prom/node-exporter:v1.7.0' } },
            Mode: { Replicated: { Replicas: 1 } },
            EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 9100, PublishedPort: 9100, PublishMode: 'host' }] },
          },
          Endpoint: {
            Spec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 9100, PublishedPort: 9100, PublishMode: 'host' }] },
            Ports: [{ Protocol: 'tcp', TargetPort: 9100, PublishedPort: 9100, PublishMode: 'host' }],
          },
        },
      ]);
      json(d, 'cluster/tasks.json', (tasks) => [
        ...tasks,
        { ID: 'h0stm0detask00000000000a1', ServiceID: 'h0stm0desvc0000000000000a', NodeID: 'pkv93oel5hesk9bn22uyit9rz', Slot: 1, DesiredState: 'running', Status: { State: 'running', Message: 'started' } },
      ]);
    },
  },
  'broken-swarm-task-no-ingress-address': {
    says: 'Service whoami has a second running task, whoami.2 on node 228, with no ingress address in its NetworksAttachments (none at all): no node lists it as an IPVS backend, so it gets none of tcp/8080 (the swarm side of moby/moby#33790). Not made in the lab: swarmkit does not start such a task on a healthy manager.',
    fails: 'tasks-have-ingress-address',
    make: (d) =>
      json(d, 'cluster/tasks.json', (tasks) => [
        ...tasks,
        { ...tasks[0], ID: 'n0ingre55addr000000000a2', NodeID: 'wll4l9u5sj9xyon5u1bvq8wth', Slot: 2, NetworksAttachments: [] },
      ]),
  },
  'broken-swarm-quorum-lost': {
    says: 'Nodes 228 and 234 are managers too (3 managers), and both are down and unreachable in the Raft view of 253, the leader: 1 of 3 managers is no quorum, so no service can be updated and no port reprogrammed (docs: maintain the quorum of managers). Can be made in the lab by promoting node2 and node3 and stopping their engines.',
    fails: 'managers-quorum (fail) and swarm-nodes-ready (the two nodes are down)',
    make: (d) =>
      json(d, 'cluster/nodes.json', (nodes) =>
        nodes.map((n) =>
          n.Description.Hostname === '253'
            ? n
            : { ...n, Spec: { ...n.Spec, Role: 'manager' }, Status: { ...n.Status, State: 'down', Message: 'heartbeat failure' }, ManagerStatus: { Reachability: 'unreachable', Addr: `${n.Status.Addr}:2377` } },
        ),
      ),
  },
  'broken-swarm-managers-even': {
    says: 'Node 228 was promoted: the swarm has 2 managers (253 the leader, 228 reachable), which tolerates no more failures than 1 (docs: maintain the quorum of managers). Can be made in the lab with `docker node promote node2`.',
    fails: 'managers-quorum (warn)',
    make: (d) =>
      json(d, 'cluster/nodes.json', (nodes) =>
        nodes.map((n) => (n.Description.Hostname === '228' ? { ...n, Spec: { ...n.Spec, Role: 'manager' }, ManagerStatus: { Reachability: 'reachable', Addr: '192.168.100.228:2377' } } : n)),
      ),
  },
  'broken-swarm-data-path-port': {
    says: "Node 234's docker info says DataPathPort 7789 while 228 and 253 say 4789: its VXLAN goes where the others do not listen (a node that kept another swarm's setting; the port conflicts of moby/moby#33416 and #44551 are why swarms move off 4789). Not made in the lab: a swarm has one data-path port, so this needs a node from another swarm.",
    fails: 'data-path-port-agreed',
    make: (d) => json(d, 'nodes/234/info.json', (i) => ({ ...i, Swarm: { ...i.Swarm, Cluster: { ...i.Swarm.Cluster, DataPathPort: 7789 } } })),
  },

  // Batch B (host).
  'broken-host-local-path': {
    says: "Node 228 lost the nat POSTROUTING rule `-o docker_gwbridge -m addrtype --src-type LOCAL -j MASQUERADE`, and net.ipv4.conf.docker_gwbridge.route_localnet was reset to 0 (a sysctl --system after dockerd started): the node's address answers on tcp/8080, localhost:8080 hangs. As reported in moby/moby#23812 and #46636.",
    fails: 'local-path-open on node 228 (warn twice: the MASQUERADE rule and route_localnet)',
    make: (d) => {
      edit(d, 'nodes/228/host/iptables-nat.txt', (t) => t.replace('-A POSTROUTING -o docker_gwbridge -m addrtype --src-type LOCAL -j MASQUERADE\n', ''));
      edit(d, 'nodes/228/host/sysctl.txt', (t) => t.replace('net.ipv4.conf.docker_gwbridge.route_localnet = 1', 'net.ipv4.conf.docker_gwbridge.route_localnet = 0'));
    },
  },
  'broken-host-iptables-split': {
    says: "Node 234 is an nf_tables host (iptables v1.8.7 (nf_tables)) whose legacy tables still hold Docker's chains from before an upgrade: iptables-nft-save printed '# Warning: iptables-legacy tables present' and iptables-legacy-save shows DOCKER, DOCKER-INGRESS and DOCKER-USER again. As in moby/moby#46636 and #46147.",
    fails: 'iptables-one-backend on node 234',
    make: (d) => {
      edit(d, 'nodes/234/host/iptables.txt', (t) => '# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n' + t.replace(/iptables-save v1\.4\.21/g, 'iptables-nft-save v1.8.7'));
      writeFileSync(join(d, 'nodes/234/host/iptables-legacy.txt'), [
        '# Generated by iptables-save v1.8.7 on Wed Jan 15 17:25:11 2025', '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
        ':DOCKER - [0:0]', ':DOCKER-INGRESS - [0:0]', '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER-INGRESS', '-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.168.0.2:8080',
        '-A DOCKER-INGRESS -j RETURN', 'COMMIT', '# Completed on Wed Jan 15 17:25:11 2025', '# Generated by iptables-save v1.8.7 on Wed Jan 15 17:25:11 2025', '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]',
        ':OUTPUT ACCEPT [0:0]', ':DOCKER-USER - [0:0]', '-A FORWARD -j DOCKER-USER', '-A DOCKER-USER -j RETURN', 'COMMIT', '# Completed on Wed Jan 15 17:25:11 2025', '',
      ].join('\n'));
    },
  },
  'ok-host-encrypted-overlay': {
    says: 'The swarm has an encrypted overlay, secure-net (`docker network create -d overlay --opt encrypted`), listed in cluster/networks.json with ingress; every host firewall accepts ESP (INPUT policy ACCEPT). Nothing is broken.',
    fails: 'nothing (esp-allowed-for-encrypted passes on every node)',
    make: (d) => addNetworks(d, [overlay('secure-net', 'q2kz9s7e0m1x3v5b8n4c6d0f2', '10.0.1.0/24', { encrypted: '' })]),
  },
  'broken-host-esp-blocked': {
    says: "The swarm has the encrypted overlay secure-net; node 234's INPUT drops by default and accepts only the swarm tutorial's ports (2377/tcp, 7946/tcp+udp, 4789/udp), not IP protocol 50: gossip and DNS work, secure-net carries nothing to 234. As in docker/for-linux#91.",
    fails: 'esp-allowed-for-encrypted on node 234 (from each peer, 192.168.100.228 and .253)',
    make: (d) => {
      addNetworks(d, [overlay('secure-net', 'q2kz9s7e0m1x3v5b8n4c6d0f2', '10.0.1.0/24', { encrypted: '' })]);
      edit(d, 'nodes/234/host/iptables.txt', (t) => t.replace(/:INPUT ACCEPT \[18220:1392000\]\n([\s\S]*?)(-A FORWARD -j DOCKER-USER)/, (_, between, fwd) => `${SWARM_ONLY_INPUT[0]}\n${between}${SWARM_ONLY_INPUT.slice(1).join('\n')}\n${fwd}`));
    },
  },
  'broken-host-mtu': {
    says: "Node 228's underlay (eth0, which holds its swarm address 192.168.100.228) has MTU 1400, as on a VPN or a cloud network: the ingress overlay's default MTU 1450 plus 50 bytes of VXLAN does not fit. As in moby/libnetwork#2661 and docker/for-linux#594.",
    fails: 'overlay-mtu-fits on node 228',
    make: (d) => addHost(d, '228', { addr: [LO, ['eth0', 1400, ['192.168.100.228/24']], DOCKER0, GWBRIDGE] }),
  },
  'broken-host-ingress-overlap': {
    says: "Node 253 has a second NIC, eth1, on the office LAN 10.0.0.0/24, the same range as the ingress network: hosts on that LAN are unreachable from the mesh. As in moby/moby#24220 and #33626.",
    fails: 'ingress-subnet-no-overlap on node 253',
    make: (d) =>
      addHost(d, '253', {
        addr: [LO, ['eth0', 1500, ['192.168.100.253/24']], ['eth1', 1500, ['10.0.0.50/24']], DOCKER0, GWBRIDGE],
        routes: routesOf('253', ['10.0.0.0/24 dev eth1 proto kernel scope link src 10.0.0.50']),
        sysctl: ['net.ipv4.conf.eth0.rp_filter = 2', 'net.ipv4.conf.eth1.rp_filter = 2'],
      }),
  },
  'broken-host-gwbridge-overlap': {
    says: "Node 234 routes 192.168.0.0/16 through a VPN gateway on eth0, over docker_gwbridge's 192.168.0.0/20: part of that network is unreachable and replies to it go into docker_gwbridge. As in docker/for-linux#1422.",
    fails: 'gwbridge-subnet-no-overlap on node 234',
    make: (d) =>
      addHost(d, '234', {
        addr: [LO, ['eth0', 1500, ['192.168.100.234/24']], DOCKER0, GWBRIDGE],
        routes: routesOf('234', ['192.168.0.0/16 via 192.168.100.1 dev eth0 proto static']),
      }),
  },
  'broken-host-rp-filter-strict': {
    says: "Node 253 has a second NIC, eth1 (10.20.0.53/24, a storage network), with net.ipv4.conf.eth1.rp_filter = 1 (strict, a RHEL default): mesh traffic arriving there and answered through eth0 is dropped. As in newsnowlabs/docker-ingress-routing-daemon#4.",
    fails: 'rp-filter-loose-on-multihomed on node 253 (eth1)',
    make: (d) =>
      addHost(d, '253', {
        addr: [LO, ['eth0', 1500, ['192.168.100.253/24']], ['eth1', 1500, ['10.20.0.53/24']], DOCKER0, GWBRIDGE],
        routes: routesOf('253', ['10.20.0.0/24 dev eth1 proto kernel scope link src 10.20.0.53']),
        sysctl: ['net.ipv4.conf.eth0.rp_filter = 0', 'net.ipv4.conf.eth1.rp_filter = 1'],
      }),
  },
  'broken-host-iptables-disabled': {
    says:
      "Node 234's /etc/docker/daemon.json is `{ \"iptables\": false }`, as posted in moby/moby#28241 (set there to keep Docker out of a ufw firewall): dockerd writes no iptables rules. The DOCKER-INGRESS DNAT and the sbox rules it wrote before are still in place, so tcp/8080 answers for now; after a reboot or a flush nothing puts them back. Nodes 228 and 253 have no daemon.json (the collector's cat said \"No such file\", recorded in errors.json): Docker's defaults.",
    fails: 'docker-iptables-enabled (warn) on node 234, for "iptables" at nodes/234/host/daemon.json:1',
    make: (d) => {
      writeDaemonJson(d, '234', '{ "iptables": false }\n');
      for (const n of ['228', '253']) writeDaemonJson(d, n, null);
    },
  },
  'ok-host-daemon-json': {
    says:
      'Every node has a daemon.json that leaves iptables and IP forwarding to dockerd: 228 sets log rotation and a metrics address (no "iptables" key: the default, true), 234 the same with `"iptables": true, "ip-forward": true` written out, and 253 has none (the collector\'s cat said "No such file", recorded in errors.json). Nothing is broken.',
    fails: 'nothing (docker-iptables-enabled passes on every node)',
    make: (d) => {
      writeDaemonJson(d, '228', DAEMON_JSON_LOGS);
      writeDaemonJson(d, '234', DAEMON_JSON_LOGS.replace('\n}\n', ',\n  "iptables": true,\n  "ip-forward": true\n}\n'));
      writeDaemonJson(d, '253', null);
    },
  },
  'broken-host-vxlan-port-shared': {
    says: "Node 234 also carries a Proxmox SDN VXLAN zone: its vnet device vxlan_vnet1 (VNI 20000, local 192.168.100.234, dev ens18) uses UDP 4789, the swarm's data-path port (host/vxlan.json, `ip -j -d link show type vxlan` of such a device, made on this project's machine). The kernel hands each VXLAN packet to the device of its VNI, so the swarm's ingress overlay (VNI 4096) still works beside it, but the managers do not see it: the overlay they give VNI 20000 will fail on 234 with \"error creating vxlan interface: file exists\" (moby/moby#44551: a swarm broken on a Proxmox SDN host). 228 and 253 have no VXLAN device (`[]`).",
    fails: 'vxlan-port-not-shared (warn) on node 234, for vxlan_vnet1 at nodes/234/host/vxlan.json:1',
    make: (d) => {
      writeVxlan(d, '234', VXLAN_PROXMOX_JSON);
      for (const n of ['228', '253']) writeVxlan(d, n, '[]\n');
    },
  },
  'broken-host-vxlan-external': {
    says: "Node 253 also runs Cilium with its tunnel port set to 4789, the swarm's data-path port: cilium_vxlan is up in external mode (collect metadata: every VNI on the port, through a UDP socket of its own; host/vxlan.json, `ip -j -d link show type vxlan` of such a device made on this project's machine). No overlay's VXLAN device can come up on 253 beside it: the kernel answers \"Address already in use\" (made on this machine: `ip link set vx-001000-abcde up` after cilium_vxlan; moby/moby#22424's \"failed to set link up: address already in use\", cilium/cilium#8990 the other way round). 228 and 234 have no VXLAN device (`[]`).",
    fails: 'vxlan-port-not-shared on node 253, for cilium_vxlan at nodes/253/host/vxlan.json:1',
    make: (d) => {
      writeVxlan(d, '253', VXLAN_CILIUM_JSON);
      for (const n of ['228', '234']) writeVxlan(d, n, '[]\n');
    },
  },
  'ok-host-vxlan-other-port': {
    says: "228 and 234 also run flannel's vxlan backend, flannel.1 (VNI 1) on flannel's default port 8472, not the swarm's data-path port 4789: no conflict. 228 holds host/vxlan.json as the collectors write it, 234 a pasted `ip -d link show type vxlan` (host/vxlan.txt); 253 has no VXLAN device (`[]`).",
    fails: 'nothing (vxlan-port-not-shared passes on every node)',
    make: (d) => {
      writeVxlan(d, '228', VXLAN_FLANNEL_JSON);
      writeVxlan(d, '234', VXLAN_FLANNEL_TXT, 'vxlan.txt');
      writeVxlan(d, '253', '[]\n');
    },
  },
  'broken-host-vxlan-csum-offload': {
    says: "Node 228 is a VMware guest whose swarm address 192.168.100.228 is on ens192, a vmxnet3 NIC with `tx-checksum-ip-generic: on` (host/ethtool.txt: the `ethtool -k ens192` posted in kubernetes-sigs/kubespray#7268, under the collectors' `# interface ens192 driver vmxnet3` header), and the swarm's data-path port is the default 4789: the NIC mangles the UDP checksum of the VXLAN packets it sends, the peers drop them, and a published port answers on 228 only when 228 runs the task (moby/moby#41775). Not made in the lab (it needs ESXi and vmxnet3).",
    fails: 'vxlan-checksum-offload-safe on node 228',
    make: (d) => addVmxnet3(d, '228'),
  },
  'ok-host-vxlan-csum-offload-off': {
    says: "Every node is a VMware guest with its swarm address on ens192 (vmxnet3), and the fix of moby/moby#41775 applied: `ethtool -K ens192 tx-checksum-ip-generic off` (`ethtool -k` as posted in kubernetes-sigs/kubespray#7268, edited as the kernel prints it after that command: tx-checksumming off, TSO `off [requested on]`). 228 and 253 hold host/ethtool.txt as the collectors write it; 234 holds it as a person pastes `ethtool -i ens192` and `ethtool -k ens192` with their prompts.",
    fails: 'nothing (vxlan-checksum-offload-safe passes on every node)',
    make: (d) => {
      for (const n of ['228', '234', '253']) addVmxnet3(d, n, { off: true, pasted: n === '234' });
    },
  },
  'ok-host-vxlan-csum-data-path-port': {
    says: "Every node is a VMware guest with its swarm address on ens192, a vmxnet3 NIC with `tx-checksum-ip-generic: on` (the `ethtool -k ens192` of kubernetes-sigs/kubespray#7268), but the swarm was created with `docker swarm init --data-path-port 7789` (info.json DataPathPort 7789 on every node): the vmxnet3 checksum bug is tied to UDP 4789 (moby/moby#41775; projectcalico/calico#9433 saw VXLAN on 4799 work with the offload on), so nothing is broken.",
    fails: 'nothing (vxlan-checksum-offload-safe passes on every node, naming port 7789)',
    make: (d) => {
      for (const n of ['228', '234', '253']) {
        addVmxnet3(d, n);
        json(d, `nodes/${n}/info.json`, (i) => ({ ...i, Swarm: { ...i.Swarm, Cluster: { ...i.Swarm.Cluster, DataPathPort: 7789 } } }));
      }
    },
  },
  'broken-host-advertise-nat': {
    says: "Node 228 sits behind NAT: its only address is 10.1.0.5 on eth0, while it advertises (and the manager knows it by) 192.168.100.228, the NAT's public address: peers send gossip and VXLAN to an address it does not hold. As in moby/moby#35318.",
    fails: 'advertise-addr-local on node 228 (warn)',
    make: (d) => addHost(d, '228', { addr: [LO, ['eth0', 1500, ['10.1.0.5/24']], DOCKER0, GWBRIDGE] }),
  },
  'ok-host-vxlan-host-mode': {
    says: "Node 253's overlay driver runs in host mode (libnetwork's fallback for a kernel that cannot move a VXLAN device into a namespace, or _OVERLAY_HOST_MODE set in dockerd's environment): the ingress network's VXLAN device vx-001000-n3dex (VNI 4096) stays in the host's namespace beside its bridge ov-001000-n3dex, which holds the ingress gateway 10.0.0.1/24, as libnetwork's overlay driver (ov_network.go) leaves them. Nothing is broken",
    fails: "nothing (vxlan-device-not-stale passes on node 253: the device is host mode's; the bridge is Docker's, so the ingress subnet does not overlap a host network)",
    make: (d) =>
      addHost(d, '253', {
        addr: [LO, ['eth0', 1500, ['192.168.100.253/24']], DOCKER0, GWBRIDGE, ['ov-001000-n3dex', 1450, ['10.0.0.1/24']], ['vx-001000-n3dex', 1450, []]],
        routes: routesOf('253', ['10.0.0.0/24 dev ov-001000-n3dex proto kernel scope link src 10.0.0.1']),
      }),
  },
  'broken-host-netmgr-nm': {
    says:
      "Node 234 runs NetworkManager with `unmanaged-devices=none` (as the image of mniedermaier/CybICS#224 did), so it owns Docker's interfaces: `nmcli device` (host/nmcli.txt) shows docker_gwbridge `connected` with a profile of NetworkManager's own and a container's new veth `connecting (getting IP configuration)` on `Wired connection 4` (NetworkManager runs DHCP on it and, 45 s later, fails it: CybICS#224's journal; NetworkManager enslaving Swarm's veths to docker_gwbridge: docker/for-linux#43). docker0 and the veth of a container started at boot are `connected (externally)`: configured by Docker, only watched, left alone. The tasks on 234 lose the mesh after a restart.",
    fails: 'network-manager-leaves-docker (warn) on node 234, for docker_gwbridge and veth2d74e02 (not for docker0 or vethcb80f06, which are connected (externally))',
    make: (d) =>
      addNetmgr(d, '234', {
        nmcli: [
          'eth0:ethernet:connected:Wired connection 1',
          'docker_gwbridge:bridge:connected:docker_gwbridge',
          'docker0:bridge:connected (externally):docker0',
          'vethcb80f06:ethernet:connected (externally):vethcb80f06',
          'veth2d74e02:ethernet:connecting (getting IP configuration):Wired connection 4',
          'lo:loopback:unmanaged:',
        ],
        errors: [networkctlMissing],
      }),
  },
  'broken-host-netmgr-networkd': {
    says:
      "Node 253 runs systemd-networkd with a catch-all .network file (`[Match] Name=*`, DHCP): `networkctl list` (host/networkctl.txt) shows docker0 and a container's veth `configured` and docker_gwbridge `configuring`, as in systemd/systemd#28626 (\"networkctl shows 'configuring' for docker0 and br-* devices\") and weaveworks/weave#2729 (docker0 and the veths `configured`); networkd wipes their configuration when the links change (coreos/docker#30). The node has no NetworkManager (errors.json: nmcli: command not found).",
    fails: 'network-manager-leaves-docker (warn) on node 253, for docker0, docker_gwbridge and veth5d497dc',
    make: (d) =>
      addNetmgr(d, '253', {
        networkctl: [
          '  1 lo              loopback carrier     unmanaged',
          '  2 eth0            ether    routable    configured',
          '  3 docker0         bridge   routable    configured',
          '  4 docker_gwbridge bridge   routable    configuring',
          '  7 veth5d497dc     ether    degraded    configured',
        ],
        errors: [nmcliMissing],
      }),
  },
  'ok-host-netmgr-unmanaged': {
    says:
      "Each node as network-manager-leaves-docker wants it. 228 runs NetworkManager with Docker's conf.d drop-in (`unmanaged-devices=interface-name:docker*;interface-name:veth*;...`): its pasted `nmcli device` shows docker_gwbridge and the veths `unmanaged` (all Docker interfaces `unmanaged` after the fix of mniedermaier/CybICS#224) and docker0 `connected (externally)` (configured by Docker, only watched); it has no networkctl. 234 is a desktop-style install: NetworkManager is not running (errors.json: `Error: NetworkManager is not running.`) and the pasted `networkctl` warns that systemd-networkd is not running and lists every link `n/a unmanaged` (what networkctl prints when /run/systemd/netif/state is absent: systemd's networkctl.c, warn_networkd_missing). 253 runs systemd-networkd with a `05-docker-unmanaged.network` (`Unmanaged=yes`, systemd/systemd#28626's fix): Docker's links are `unmanaged`, eth0 `configured`; it has no nmcli.",
    fails: 'nothing (network-manager-leaves-docker passes on every node)',
    make: (d) => {
      addNetmgr(d, '228', {
        nmcli: [
          'DEVICE           TYPE      STATE                   CONNECTION',
          'eth0             ethernet  connected               Wired connection 1',
          'docker0          bridge    connected (externally)  docker0',
          'docker_gwbridge  bridge    unmanaged               --',
          'veth2d74e02      ethernet  unmanaged               --',
          'vethcb80f06      ethernet  unmanaged               --',
          'lo               loopback  unmanaged               --',
        ],
        errors: [networkctlMissing],
      });
      addNetmgr(d, '234', {
        networkctl: [
          'WARNING: systemd-networkd is not running, output will be incomplete.',
          '',
          'IDX LINK            TYPE     OPERATIONAL SETUP',
          '  1 lo              loopback n/a         unmanaged',
          '  2 eth0            ether    n/a         unmanaged',
          '  3 docker0         bridge   n/a         unmanaged',
          '  4 docker_gwbridge bridge   n/a         unmanaged',
          '',
          '4 links listed.',
        ],
        errors: [nmNotRunning],
      });
      addNetmgr(d, '253', {
        networkctl: [
          '  1 lo              loopback carrier     unmanaged',
          '  2 eth0            ether    routable    configured',
          '  3 docker0         bridge   routable    unmanaged',
          '  4 docker_gwbridge bridge   routable    unmanaged',
          '  7 veth5d497dc     ether    degraded    unmanaged',
        ],
        errors: [nmcliMissing],
      });
    },
  },
};

Object.assign(variants, {
  'broken-host-kernel-modules': {
    says:
      "Node 253 runs this machine's own kernel, 6.18.44-fc-v1272, built without loadable modules and without IPVS (`# CONFIG_MODULES is not set`, `# CONFIG_IP_VS is not set` in its /proc/config.gz): the collectors found no /proc/modules and no /lib/modules/6.18.44-fc-v1272 (errors.json holds cat's and grep's own words from this machine), and ingress_sbox has no /proc/net/ip_vs nor net.ipv4.vs (as in the swarm lab, test/lab: dockerd programmed no DOCKER-INGRESS DNAT and no sbox MARK). IPVS itself is ipvs-available's finding; kernel-modules-present adds that ip_vs_rr and xt_ipvs, which need IPVS, are not there either (a kernel that loads no modules has only what is built in), while the rest the mesh needs shows in the capture (rules using addrtype, conntrack, MASQUERADE, DNAT; net.netfilter.nf_conntrack_max = 262144 and net.bridge.bridge-nf-call-iptables = 1, this machine's values). Node 234 runs Moby Linux (4.9.36-moby, the Docker for AWS kernel of docker-archive/for-aws#92, whose netfilter is built in: dockerd's modprobe there says `module nf_nat not found in modules.dep`, linuxkit/linuxkit#3028) and was captured from a container without /lib/modules: its /proc/modules lists none of the mesh's modules, its rules show most of them in the kernel, but veth, vxlan and xt_REDIRECT nothing shows, so the rule cannot tell there and skips. Node 228 has no module files (a capture from before they were read).",
    fails: 'kernel-modules-present on node 253 (ip_vs_rr and xt_ipvs), ipvs-available, published-port-has-dnat and published-port-has-mark on 253; kernel-modules-present skips on 234 (cannot tell) and 228 (not captured)',
    make: (d) => {
      unlinkSync(join(d, 'nodes/253/ingress_sbox/ipvs.txt'));
      unlinkSync(join(d, 'nodes/253/ingress_sbox/sysctl.txt'));
      writeFileSync(join(d, 'nodes/253/errors.json'), JSON.stringify([
        { file: 'ingress_sbox/ipvs.txt', command: 'nsenter --net=/run/docker/netns/ingress_sbox cat /proc/net/ip_vs', error: 'cat: /proc/net/ip_vs: No such file or directory' },
        { file: 'ingress_sbox/sysctl.txt', command: 'nsenter --net=/run/docker/netns/ingress_sbox grep -r . /proc/sys/net/ipv4/vs', error: 'grep: /proc/sys/net/ipv4/vs: No such file or directory' },
      ], null, 2) + '\n');
      edit(d, 'nodes/253/host/iptables-nat.txt', (t) => t.replace(/.*DNAT .*dpt:8080 to:192\.168\.0\.2:8080\n/, ''));
      edit(d, 'nodes/253/ingress_sbox/iptables-mangle.txt', (t) => t.replace(/.*MARK set 0x205a\n/g, ''));
      edit(d, 'nodes/253/host/sysctl.txt', (t) => t + 'net.netfilter.nf_conntrack_max = 262144\n');
      writeModules(d, '253', HERE, HERE_ERRORS);
      writeModules(d, '234', '4.9.36-moby', { loaded: '', builtin: ['grep: /lib/modules/4.9.36-moby/modules.builtin: No such file or directory'], dep: ['grep: /lib/modules/4.9.36-moby/modules.dep: No such file or directory'] });
      edit(d, 'nodes/234/host/sysctl.txt', (t) => t + 'net.netfilter.nf_conntrack_max = 262144\n');
    },
  },
  'broken-host-kernel-no-ip-vs-rr': {
    says:
      "Node 234's kernel has IPVS but not its round-robin scheduler, as Scaleway's docker kernels had in scaleway/kernel-tools#293 (IPVS added by #289, IP_VS_RR only by #295): ip_vs is loaded, but ip_vs_rr is in none of host/modules.txt (/proc/modules), modules-builtin.txt and modules-dep.txt. dockerd marks the published port in ingress_sbox, then cannot create its IPVS service (libnetwork gives every service the rr scheduler): /proc/net/ip_vs lists none, and tcp/8080 does not answer on 234. The module lines are written for this fixture (a CentOS 7 kernel's module paths, the seed's 3.10.0-1160.el7.x86_64), with ip_vs_rr's left out.",
    fails: 'kernel-modules-present on node 234 (ip_vs_rr), and fwmark-has-backend there (the mark has no IPVS service)',
    make: (d) => {
      writeModules(d, '234', '3.10.0-1160.el7.x86_64', {
        loaded: ['ip_vs 145497 2 xt_ipvs, Live 0xffffffffc0a4f000', 'xt_ipvs 12730 1 - Live 0xffffffffc0a48000'].join('\n') + '\n',
        builtin: '',
        dep: DEP_3_10.filter((l) => !l.startsWith('kernel/net/netfilter/ipvs/ip_vs_rr.')).join('\n') + '\n',
      });
      edit(d, 'nodes/234/ingress_sbox/ipvs.txt', (t) => t.replace(/FWM .*\n( +->.*\n)*/, ''));
    },
  },
  'ok-host-kernel-modules': {
    says:
      "Every node has the modules the routing mesh needs, each shown a different way. 228 is the Rock64 node of moby/libnetwork#2227 (kernel 4.4.126-rockchip-ayufan-239, as the same reporter gave it in ayufan-rock64/linux-build#238): host/modules.txt is the `lsmod` posted there (its head, as far as its lines are complete), and modules-dep.txt lists bridge and br_netfilter as loadable (written for this fixture). 234's /proc/modules lists only the IPVS modules ingress_sbox uses (ip_vs, ip_vs_rr, xt_ipvs), and modules-dep.txt has every module of the list (a CentOS 7 kernel's module paths, written for this fixture): the others are loadable, and netfilter modules and link types load on first use. 253 was captured from a container without /lib/modules (grep: No such file), on a kernel with its netfilter core built in: /proc/modules lists xt_ipvs, veth, vxlan and xt_REDIRECT, and the rest shows in the capture (ingress_sbox's /proc/net/ip_vs and its rr service, the rules using addrtype, conntrack, MARK, DNAT and MASQUERADE, net.netfilter.nf_conntrack_max and net.bridge.bridge-nf-call-iptables). Nothing is broken.",
    fails: 'nothing (kernel-modules-present passes on every node)',
    make: (d) => {
      writeModules(d, '228', '4.4.126-rockchip-ayufan-239', {
        loaded: LSMOD_2227,
        builtin: '',
        dep: ['kernel/net/bridge/bridge.ko: kernel/net/802/stp.ko kernel/net/llc/llc.ko', 'kernel/net/bridge/br_netfilter.ko: kernel/net/bridge/bridge.ko kernel/net/802/stp.ko kernel/net/llc/llc.ko'].join('\n') + '\n',
      });
      writeModules(d, '234', '3.10.0-1160.el7.x86_64', {
        loaded: [procModule('ip_vs_rr', 12600), procModule('xt_ipvs', 12730), procModule('ip_vs', 145497, 'ip_vs_rr,xt_ipvs,'), procModule('ext4', 579979, 'mbcache,jbd2,'), procModule('virtio_net', 28063)].join('\n') + '\n',
        builtin: '',
        dep: DEP_3_10.join('\n') + '\n',
      });
      writeModules(d, '253', '3.10.0-1160.el7.x86_64', {
        loaded: [procModule('xt_ipvs', 12730), procModule('veth', 13410), procModule('vxlan', 49678), procModule('xt_REDIRECT', 12564), procModule('nf_nat_redirect', 12729, 'xt_REDIRECT,')].join('\n') + '\n',
        builtin: ['grep: /lib/modules/3.10.0-1160.el7.x86_64/modules.builtin: No such file or directory'],
        dep: ['grep: /lib/modules/3.10.0-1160.el7.x86_64/modules.dep: No such file or directory'],
      });
      edit(d, 'nodes/253/host/sysctl.txt', (t) => t + 'net.netfilter.nf_conntrack_max = 262144\n');
    },
  },
});

for (const [name, v] of Object.entries(variants)) {
  const dir = join(fixtures, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(seed, dir, { recursive: true });
  v.make(dir);
  json(dir, 'capture.json', (c) => ({ ...c, source: `fixtures/seed-cluster with one fault: ${v.says}` }));
  writeFileSync(join(dir, 'README.md'), `# ${name}\n\n${v.says}\n\nMust be caught by: ${v.fails}.\n\nDerived from \`seed-cluster\` by \`scripts/make-fixtures.js\`.\n`);
}
console.log(`wrote ${Object.keys(variants).length} fixtures`);
