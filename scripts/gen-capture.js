#!/usr/bin/env node
// Generate a large, healthy capture: N nodes, S services each publishing one ingress port, T tasks
// spread over the nodes. Every node has the full path (DNAT, marks, IPVS, neighbours) in the
// formats a live capture writes (iptables-save, /proc/net/ip_vs, ip neigh, ip -j addr).
// Usage: node scripts/gen-capture.js OUT [nodes=50] [services=500] [tasks=2000] [options]
//   --ipvs-backends B   one node, one service, B tasks: one FWM service with B real servers
//                       (nodes, services and tasks given before it win)
//   --stale K           K extra IPVS backends of the first service on every node that no task has
//   --missing K         the first service's last K tasks have no IPVS backend on any node
//   --iptables-mb M     node-0's host iptables-save grows to about M MB: a firewall's worth of
//                       filter rules (INPUT, DOCKER-USER, fail2ban-style chains) and nat rules
//                       (bridge port DNATs), around Docker's real DOCKER-INGRESS DNAT rules
//   --busy P            nodes that carry traffic, so that their files differ as a real swarm's do:
//                       on each node P% of the IPVS backend lines have connection counts of their
//                       own, and the sbox's neighbour entries are REACHABLE, STALE or DELAY as
//                       traffic left them there; every task has its own MAC (02:42 and its address,
//                       as Docker makes it). Without it every node's sbox files are the same.
//   --failed P          a broken overlay: P% of each node's sbox neighbour entries FAILED (`ip neigh`
//                       prints no MAC for them), so backend-in-arp fails for those backends and
//                       the walk of their ports stops there: the check of a swarm in trouble
//   --restarted P       P% of the nodes restarted dockerd after the services were made: libnetwork
//                       gives fwmarks from a counter of each dockerd's own (fwMarkCtr, from 0x100, in
//                       the order the engine meets the services: Go's map order after a restart),
//                       so those nodes mark and balance each port with a mark of their own, their
//                       sbox mangle rules and IPVS services in that order, and their host's
//                       DOCKER-INGRESS rules (nat and filter, which libnetwork inserts with -I) in
//                       the reverse order. Without it every node lists every service alike
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const opts = {};
const positional = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i].startsWith('--')) {
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v < 0) {
      console.error(`gen-capture.js: ${argv[i]} needs a number`);
      process.exit(2);
    }
    opts[argv[i].slice(2)] = v;
    i++;
  } else positional.push(argv[i]);
}
const backendsOnly = opts['ipvs-backends'] !== undefined;
const [out, nNodes = backendsOnly ? '1' : '50', nServices = backendsOnly ? '1' : '500', nTasks = backendsOnly ? String(opts['ipvs-backends']) : '2000'] = positional;
if (!out) {
  console.error('usage: gen-capture.js OUT [nodes] [services] [tasks] [--ipvs-backends B] [--stale K] [--missing K] [--iptables-mb M] [--busy P] [--failed P] [--restarted P]');
  process.exit(2);
}
const STALE = opts.stale ?? 0;
const MISSING = opts.missing ?? 0;
const IPTABLES_MB = opts['iptables-mb'] ?? 0;
const BUSY = opts.busy;
const FAILED = opts.failed ?? 0;
const RESTARTED = opts.restarted ?? 0;
/** A number in [0, 1) from two integers, the same every run. */
const noise = (a, b) => {
  let h = (Math.imul(a + 1, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return ((h ^ (h >>> 13)) >>> 0) / 2 ** 32;
};
/** A task's MAC: Docker's 02:42 and the address's four bytes (with --busy; else the one MAC every entry had). */
const macOf = (addr) => (BUSY === undefined ? '02:42:0a:00:00:01' : `02:42:${addr.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join(':')}`);
const N = Number(nNodes), S = Number(nServices), T = Number(nTasks);
const ING = 'ingressnetworkid0000000000';
const ip = (n) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`; // inside the ingress /8
const hex8 = (n) => n.toString(16).toUpperCase().padStart(8, '0');
const ipHex = (a) => a.split('.').map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0')).join('');
const write = (p, text) => {
  mkdirSync(join(out, p, '..'), { recursive: true });
  writeFileSync(join(out, p), text);
};

const nodes = Array.from({ length: N }, (_, i) => ({ id: `node${String(i).padStart(21, '0')}`, host: `node-${i}`, addr: `192.168.${i >> 8}.${(i & 255) + 1}` }));
const services = Array.from({ length: S }, (_, i) => ({ id: `svc${String(i).padStart(22, '0')}`, name: `svc-${i}`, port: 30000 + i, mark: 0x100 + i, vip: ip(1000 + i) }));
const tasks = Array.from({ length: T }, (_, i) => ({ id: `task${String(i).padStart(21, '0')}`, svc: services[i % S], node: nodes[i % N], addr: ip(5000 + i) }));

write('capture.json', JSON.stringify({ format: 'mesh-doctor-capture', version: 1, capturedAt: new Date(0).toISOString(), source: `generated: ${N} nodes, ${S} services, ${T} tasks` }));
write('cluster/nodes.json', JSON.stringify(nodes.map((n, i) => ({
  ID: n.id, Spec: { Role: i === 0 ? 'manager' : 'worker', Availability: 'active' },
  Description: { Hostname: n.host, Engine: { EngineVersion: '27.5.1' } }, Status: { State: 'ready', Addr: n.addr },
  ...(i === 0 ? { ManagerStatus: { Leader: true, Reachability: 'reachable' } } : {}),
}))));
write('cluster/services.json', JSON.stringify(services.map((s) => ({
  ID: s.id, Spec: { Name: s.name, Mode: { Replicated: { Replicas: T / S } }, EndpointSpec: { Mode: 'vip' } },
  Endpoint: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: s.port, PublishMode: 'ingress' }], VirtualIPs: [{ NetworkID: ING, Addr: `${s.vip}/8` }] },
}))));
write('cluster/tasks.json', JSON.stringify(tasks.map((t) => ({
  ID: t.id, ServiceID: t.svc.id, NodeID: t.node.id, Slot: 1, DesiredState: 'running', Status: { State: 'running' },
  NetworksAttachments: [{ Network: { ID: ING, Spec: { Name: 'ingress', Ingress: true } }, Addresses: [`${t.addr}/8`] }],
}))));

const backends = new Map(services.map((s) => [s.id, []]));
for (const t of tasks) backends.get(t.svc.id).push(t.addr);
if (S > 0) {
  // Faults on the first service, the same on every node: addresses no task has, tasks IPVS lacks.
  const first = backends.get(services[0].id);
  first.splice(Math.max(0, first.length - MISSING), MISSING);
  for (let k = 0; k < STALE; k++) first.push(ip(0xc00000 + k));
}

/** A backend line's ActiveConn and InActConn on node i: zero, or with --busy on P% of lines counts of that node's own. */
function counts(i, k) {
  if (BUSY === undefined || noise(i, k) * 100 >= BUSY) return '0          0';
  const r = noise(k, i);
  return `${Math.floor(r * 20)}      ${Math.floor(noise(i + 7, k) * 300)}`;
}
/** A neighbour entry's state on node i: REACHABLE, or with --busy what traffic left there. */
function neighState(i, k) {
  if (BUSY === undefined) return 'REACHABLE';
  const r = noise(i + 101, k);
  return r < 0.5 ? 'REACHABLE' : r < 0.9 ? 'STALE' : 'DELAY';
}

nodes.forEach((n, i) => {
  const d = `nodes/${n.host}`;
  const sbox = ip(2 + i);
  write(`${d}/info.json`, JSON.stringify({ Name: n.host, ServerVersion: '27.5.1', Swarm: { NodeID: n.id, NodeAddr: n.addr, LocalNodeState: 'active', ControlAvailable: i === 0, Cluster: { DataPathPort: 4789 } } }));
  const local = tasks.filter((t) => t.node === n);
  const containers = Object.fromEntries(local.map((t) => [`c${t.id}`, { Name: `${t.svc.name}.1.${t.id}`, MacAddress: macOf(t.addr), IPv4Address: `${t.addr}/8` }]));
  containers['ingress-sbox'] = { Name: 'ingress-endpoint', MacAddress: '02:42:0a:00:00:02', IPv4Address: `${sbox}/8` };
  write(`${d}/networks/ingress.json`, JSON.stringify([{ Name: 'ingress', Id: ING, Driver: 'overlay', Scope: 'swarm', Ingress: true, IPAM: { Config: [{ Subnet: '10.0.0.0/8', Gateway: '10.0.0.1' }] }, Containers: containers, Peers: nodes.map((p) => ({ Name: `${p.host}-x`, IP: p.addr })) }]));
  write(`${d}/networks/docker_gwbridge.json`, JSON.stringify([{ Name: 'docker_gwbridge', Id: `gw${i}`, Driver: 'bridge', Scope: 'local', IPAM: { Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }] }, Containers: { 'ingress-sbox': { Name: 'gateway_ingress-sbox', MacAddress: '02:42:ac:12:00:02', IPv4Address: '172.18.0.2/16' } } }]));
  // The services in the order this node's dockerd met them, each with the mark it gave.
  const restarted = noise(i + 307, 0) * 100 < RESTARTED;
  const marked = restarted ? services.map((s, j) => [noise(i + 401, j), s]).sort((a, b) => a[0] - b[0]).map(([, s], k) => ({ ...s, mark: 0x100 + k })) : services;
  // DOCKER-INGRESS rules are inserted at the top (-I): the last service met comes first.
  const ingressOrder = restarted ? [...marked].reverse() : services;
  const nat = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':DOCKER-INGRESS - [0:0]',
    '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER-INGRESS', '-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER-INGRESS',
    '-A POSTROUTING -o docker_gwbridge -m addrtype --src-type LOCAL -j MASQUERADE', '-A POSTROUTING -s 172.18.0.0/16 ! -o docker_gwbridge -j MASQUERADE',
    ...ingressOrder.map((s) => `-A DOCKER-INGRESS -p tcp -m tcp --dport ${s.port} -j DNAT --to-destination 172.18.0.2:${s.port}`),
    '-A DOCKER-INGRESS -j RETURN', 'COMMIT'];
  const filter = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':DOCKER-INGRESS - [0:0]', '-A FORWARD -j DOCKER-INGRESS',
    ...ingressOrder.flatMap((s) => [`-A DOCKER-INGRESS -p tcp -m tcp --dport ${s.port} -j ACCEPT`, `-A DOCKER-INGRESS -p tcp -m state --state RELATED,ESTABLISHED -m tcp --sport ${s.port} -j ACCEPT`]),
    '-A DOCKER-INGRESS -j RETURN', 'COMMIT'];
  if (i === 0 && IPTABLES_MB > 0) bulkUp(nat, filter, IPTABLES_MB * 1e6);
  write(`${d}/host/iptables.txt`, `# Generated by iptables-save v1.8.9\n${nat.join('\n')}\n${filter.join('\n')}\n`);
  write(`${d}/host/sysctl.txt`, 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.docker_gwbridge.route_localnet = 1\n');
  const mangle = ['*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
    ...marked.map((s) => `-A PREROUTING -p tcp -m tcp --dport ${s.port} -j MARK --set-xmark 0x${s.mark.toString(16)}/0xffffffff`),
    ...marked.map((s) => `-A INPUT -d ${s.vip}/32 -j MARK --set-xmark 0x${s.mark.toString(16)}/0xffffffff`), 'COMMIT'];
  write(`${d}/ingress_sbox/iptables.txt`, `${mangle.join('\n')}\n*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -d 10.0.0.0/8 -m ipvs --ipvs -j SNAT --to-source ${sbox}\nCOMMIT\n`);
  write(`${d}/ingress_sbox/ipvs.txt`, ['IP Virtual Server version 1.2.1 (size=4096)', 'Prot LocalAddress:Port Scheduler Flags', '  -> RemoteAddress:Port Forward Weight ActiveConn InActConn',
    ...marked.flatMap((s) => [`FWM  ${hex8(s.mark)} rr`, ...backends.get(s.id).map((a, k) => `  -> ${ipHex(a)}:0000      Masq    1      ${counts(i, s.mark * 64 + k)}`)])].join('\n') + '\n');
  write(`${d}/ingress_sbox/neigh.txt`, tasks.map((t, k) => (noise(i + 211, k) * 100 < FAILED ? `${t.addr} dev eth0 FAILED` : `${t.addr} dev eth0 lladdr ${macOf(t.addr)} ${neighState(i, k)}`)).join('\n') + '\n');
  write(`${d}/ingress_sbox/addr.json`, JSON.stringify([{ ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
    { ifname: 'eth0', mtu: 1450, addr_info: [{ family: 'inet', local: sbox, prefixlen: 8 }, ...services.map((s) => ({ family: 'inet', local: s.vip, prefixlen: 32 }))] },
    { ifname: 'eth1', mtu: 1500, addr_info: [{ family: 'inet', local: '172.18.0.2', prefixlen: 16 }] }]));
  write(`${d}/ingress_sbox/sysctl.txt`, 'net.ipv4.vs.conntrack = 1\nnet.ipv4.vs.expire_nodest_conn = 1\n');
});

/**
 * Grow a node's nat and filter tables to about `bytes` with rules a busy host has: per-address
 * DOCKER-USER and INPUT rules, fail2ban chains, bridge containers' port DNATs. None of them matches
 * the mesh's traffic (sources in 198.18.0.0/15, ports outside the published ones), so verdicts stay
 * those of the healthy capture, but every walk and lookup has the whole file to go through.
 */
function bulkUp(nat, filter, bytes) {
  const src = (k) => `198.${18 + ((k >> 16) & 1)}.${(k >> 8) & 255}.${k & 255}`;
  const natCommit = nat.pop();
  const filterCommit = filter.pop();
  const filterChains = [':DOCKER-USER - [0:0]', ':f2b-sshd - [0:0]', ':f2b-nginx - [0:0]'];
  filter.splice(4, 0, ...filterChains);
  filter.splice(filter.indexOf('-A FORWARD -j DOCKER-INGRESS'), 0, '-A FORWARD -j DOCKER-USER');
  filter.push('-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd', '-A INPUT -p tcp -m multiport --dports 80,443 -j f2b-nginx');
  nat.splice(5, 0, ':DOCKER - [0:0]');
  nat.push('-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER');
  let size = nat.join('\n').length + filter.join('\n').length;
  const natRules = [];
  const userRules = [];
  const inputRules = [];
  const f2b = [];
  for (let k = 0; size < bytes; k++) {
    const lines = [
      `-A DOCKER ! -i docker0 -p tcp -m tcp --dport ${20000 + (k % 9000)} -j DNAT --to-destination 172.17.${(k >> 8) & 255}.${k & 255}:8080`,
      k % 2
        ? `-A DOCKER-USER -s ${src(k)}/32 -i eth0 -m comment --comment "blocklist entry ${k}" -j DROP`
        : `-A DOCKER-USER -s ${src(k)}/32 -p tcp -m multiport --dports 80,443,${30000 + (k % 500)} -j DROP`,
      `-A INPUT -s ${src(k)}/32 -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT`,
      `-A f2b-${k % 2 ? 'nginx' : 'sshd'} -s ${src(k)}/32 -j REJECT --reject-with icmp-port-unreachable`,
    ];
    natRules.push(lines[0]);
    userRules.push(lines[1]);
    inputRules.push(lines[2]);
    f2b.push(lines[3]);
    for (const l of lines) size += l.length + 1;
  }
  // Pushed one by one: spreading 50,000 arguments overflows the stack.
  for (const l of [...natRules, natCommit]) nat.push(l);
  for (const l of [...inputRules, ...userRules, '-A DOCKER-USER -j RETURN', ...f2b, '-A f2b-sshd -j RETURN', '-A f2b-nginx -j RETURN', filterCommit]) filter.push(l);
}
