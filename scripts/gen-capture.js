#!/usr/bin/env node
// Generate a large, healthy capture: N nodes, S services each publishing one ingress port, T tasks
// spread over the nodes. Every node has the full path (DNAT, marks, IPVS, neighbours) in the
// formats a live capture writes (iptables-save, /proc/net/ip_vs, ip neigh, ip -j addr).
// Usage: node scripts/gen-capture.js OUT [nodes=50] [services=500] [tasks=2000]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [out, nNodes = '50', nServices = '500', nTasks = '2000'] = process.argv.slice(2);
if (!out) {
  console.error('usage: gen-capture.js OUT [nodes] [services] [tasks]');
  process.exit(2);
}
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

nodes.forEach((n, i) => {
  const d = `nodes/${n.host}`;
  const sbox = ip(2 + i);
  write(`${d}/info.json`, JSON.stringify({ Name: n.host, ServerVersion: '27.5.1', Swarm: { NodeID: n.id, NodeAddr: n.addr, LocalNodeState: 'active', ControlAvailable: i === 0, Cluster: { DataPathPort: 4789 } } }));
  const local = tasks.filter((t) => t.node === n);
  const containers = Object.fromEntries(local.map((t) => [`c${t.id}`, { Name: `${t.svc.name}.1.${t.id}`, MacAddress: '02:42:0a:00:00:01', IPv4Address: `${t.addr}/8` }]));
  containers['ingress-sbox'] = { Name: 'ingress-endpoint', MacAddress: '02:42:0a:00:00:02', IPv4Address: `${sbox}/8` };
  write(`${d}/networks/ingress.json`, JSON.stringify([{ Name: 'ingress', Id: ING, Driver: 'overlay', Scope: 'swarm', Ingress: true, IPAM: { Config: [{ Subnet: '10.0.0.0/8', Gateway: '10.0.0.1' }] }, Containers: containers, Peers: nodes.map((p) => ({ Name: `${p.host}-x`, IP: p.addr })) }]));
  write(`${d}/networks/docker_gwbridge.json`, JSON.stringify([{ Name: 'docker_gwbridge', Id: `gw${i}`, Driver: 'bridge', Scope: 'local', IPAM: { Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }] }, Containers: { 'ingress-sbox': { Name: 'gateway_ingress-sbox', MacAddress: '02:42:ac:12:00:02', IPv4Address: '172.18.0.2/16' } } }]));
  const nat = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':DOCKER-INGRESS - [0:0]',
    '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER-INGRESS', '-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER-INGRESS',
    '-A POSTROUTING -o docker_gwbridge -m addrtype --src-type LOCAL -j MASQUERADE',
    ...services.map((s) => `-A DOCKER-INGRESS -p tcp -m tcp --dport ${s.port} -j DNAT --to-destination 172.18.0.2:${s.port}`),
    '-A DOCKER-INGRESS -j RETURN', 'COMMIT'];
  const filter = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':DOCKER-INGRESS - [0:0]', '-A FORWARD -j DOCKER-INGRESS',
    ...services.flatMap((s) => [`-A DOCKER-INGRESS -p tcp -m tcp --dport ${s.port} -j ACCEPT`, `-A DOCKER-INGRESS -p tcp -m state --state RELATED,ESTABLISHED -m tcp --sport ${s.port} -j ACCEPT`]),
    '-A DOCKER-INGRESS -j RETURN', 'COMMIT'];
  write(`${d}/host/iptables.txt`, `# Generated by iptables-save v1.8.9\n${nat.join('\n')}\n${filter.join('\n')}\n`);
  write(`${d}/host/sysctl.txt`, 'net.ipv4.ip_forward = 1\nnet.ipv4.conf.docker_gwbridge.route_localnet = 1\n');
  const mangle = ['*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
    ...services.map((s) => `-A PREROUTING -p tcp -m tcp --dport ${s.port} -j MARK --set-xmark 0x${s.mark.toString(16)}/0xffffffff`),
    ...services.map((s) => `-A INPUT -d ${s.vip}/32 -j MARK --set-xmark 0x${s.mark.toString(16)}/0xffffffff`), 'COMMIT'];
  write(`${d}/ingress_sbox/iptables.txt`, `${mangle.join('\n')}\n*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -d 10.0.0.0/8 -m ipvs --ipvs -j SNAT --to-source ${sbox}\nCOMMIT\n`);
  write(`${d}/ingress_sbox/ipvs.txt`, ['IP Virtual Server version 1.2.1 (size=4096)', 'Prot LocalAddress:Port Scheduler Flags', '  -> RemoteAddress:Port Forward Weight ActiveConn InActConn',
    ...services.flatMap((s) => [`FWM  ${hex8(s.mark)} rr`, ...backends.get(s.id).map((a) => `  -> ${ipHex(a)}:0000      Masq    1      0          0`)])].join('\n') + '\n');
  write(`${d}/ingress_sbox/neigh.txt`, tasks.map((t) => `${t.addr} dev eth0 lladdr 02:42:0a:00:00:01 REACHABLE`).join('\n') + '\n');
  write(`${d}/ingress_sbox/addr.json`, JSON.stringify([{ ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
    { ifname: 'eth0', mtu: 1450, addr_info: [{ family: 'inet', local: sbox, prefixlen: 8 }, ...services.map((s) => ({ family: 'inet', local: s.vip, prefixlen: 32 }))] },
    { ifname: 'eth1', mtu: 1500, addr_info: [{ family: 'inet', local: '172.18.0.2', prefixlen: 16 }] }]));
  write(`${d}/ingress_sbox/sysctl.txt`, 'net.ipv4.vs.conntrack = 1\nnet.ipv4.vs.expire_nodest_conn = 1\n');
});
