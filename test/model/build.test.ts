import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../../src/capture/read.js';
import { buildSnapshot, iptablesRules, ipv4InCidr, releaseNode } from '../../src/model/build.js';
import { toJson } from '../../src/model/classes.js';
import { FIXTURES, fixture, snapshotOf, validator } from '../helpers/fixtures.js';

const validate = validator('snapshot.schema.json', true);

function copyOf(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'md-model-'));
  cpSync(fixture(name), dir, { recursive: true });
  return dir;
}

describe('snapshot', () => {
  it.each(readdirSync(FIXTURES))('of fixture %s matches the published JSON Schema', (name) => {
    const snap = snapshotOf(name);
    const json = toJson({ nodes: snap.nodes, cluster: snap.cluster });
    const ok = validate(json);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('gives every integer as a BigInt, so CEL sees int', () => {
    const n = snapshotOf('seed-cluster').nodes.find((x) => x.name === '253')!;
    const [dnat] = n.ingressDnat as { dport: unknown; line: unknown }[];
    expect(dnat.dport).toBe(8080n);
    expect((n.ipvsByMark as Map<bigint, unknown>).has(8282n)).toBe(true);
  });

  it('derives some fields when first read, once, and lists them with the others', () => {
    // Node's lazy fields (classes.ts LAZY_FIELDS) read as fields, keep one value, and are in the
    // node's JSON in schema order like every other.
    const snap = buildSnapshot(readCapture(fixture('seed-cluster')));
    const n = snap.nodes.find((x) => x.name === '234')!;
    expect(Object.getOwnPropertyNames(n)).not.toContain('marks');
    expect(n.marks).toBe(n.marks);
    expect((n.marksByValue as Map<bigint, unknown[]>).get(8282n)).toEqual(n.marks);
    expect((n.ipvsBackendsByAddress as Map<string, unknown[]>).get('10.0.0.98')).toEqual(n.ipvsBackends);
    const json = toJson(n) as Record<string, unknown>;
    const schema = JSON.parse(readFileSync('schemas/snapshot.schema.json', 'utf8')) as { $defs: { Node: { properties: Record<string, unknown> } } };
    expect(Object.keys(json)).toEqual(Object.keys(schema.$defs.Node.properties));
    expect((json.markByPort as Record<string, { mark: number }>)['tcp/8080'].mark).toBe(8282);
  });

  it('lets go of what a node derived (releaseNode), and derives it again, alike, when next read', () => {
    const snap = buildSnapshot(readCapture(fixture('seed-cluster')));
    const [n, other] = snap.nodes;
    const fields = ['ipvsBackends', 'ipvsBackendsByAddress', 'marks', 'markByPort', 'ingressDnat', 'ingressDnatByPort', 'sboxVips', 'marksByValue', 'nodeOverlays', 'neighbours', 'neighbourByIp'] as const;
    const before = fields.map((f) => n[f]);
    const services = n.ipvs as { backends: unknown[] }[];
    const backendsBefore = services.map((s) => s.backends);
    const rulesBefore = iptablesRules(n.host as Parameters<typeof iptablesRules>[0], 'nat', 'DOCKER-INGRESS');
    const otherMarks = other.marks;
    releaseNode(n);
    fields.forEach((f, i) => {
      expect([f, n[f] === before[i]]).toEqual([f, false]);
      expect(toJson(n[f])).toEqual(toJson(before[i]));
      // Kept again once derived.
      expect(n[f]).toBe(n[f]);
    });
    expect(services.map((s) => s.backends === backendsBefore[services.indexOf(s)])).not.toContain(true);
    expect(toJson(services.map((s) => s.backends))).toEqual(toJson(backendsBefore));
    expect(iptablesRules(n.host as Parameters<typeof iptablesRules>[0], 'nat', 'DOCKER-INGRESS')).not.toBe(rulesBefore);
    // Another node keeps its own.
    expect(other.marks).toBe(otherMarks);
    // What was made as a value, not derived, stays.
    const byMark = n.ipvsByMark;
    releaseNode(n);
    expect(n.ipvsByMark).toBe(byMark);
  });

  it("finds ingress_sbox's docker_gwbridge address in the network, else in the sbox addresses", () => {
    const snap = snapshotOf('seed-cluster');
    expect(snap.nodes.map((n) => [n.name, n.sboxGwbridgeIp, n.sboxIngressIp])).toEqual([
      ['228', '192.168.0.2', '10.0.0.4'],
      ['234', '192.168.0.2', '10.0.0.3'],
      ['253', '192.168.0.2', '10.0.0.2'],
    ]);
    const dir = copyOf('seed-cluster');
    try {
      unlinkSync(join(dir, 'nodes/253/networks/docker_gwbridge.json'));
      const n = buildSnapshot(readCapture(dir)).nodes.find((x) => x.name === '253')!;
      expect(n.sboxGwbridgeIp).toBe('192.168.0.2');
      expect(n.sboxGwbridgeIpSource).toBe('nodes/253/ingress_sbox/addr.txt (eth1)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('indexes what rules look up: DNAT by port, IPVS by mark, neighbours by address, marks', () => {
    const n = snapshotOf('seed-cluster').nodes.find((x) => x.name === '234')!;
    expect([...(n.ingressDnatByPort as Map<string, unknown[]>).keys()]).toEqual(['tcp/8080']);
    expect((n.neighbourByIp as Map<string, { state: string }>).get('10.0.0.98')!.state).toBe('REACHABLE');
    expect((n.marks as { chain: string; mark: bigint; port: bigint }[]).map((m) => [m.chain, m.mark, m.port])).toEqual([
      ['PREROUTING', 8282n, 8080n],
      ['INPUT', 8282n, 0n],
    ]);
    expect((n.ipvsBackends as { address: string; service: string }[]).map((b) => `${b.service} ${b.address}`)).toEqual(['FWM 8282 10.0.0.98']);
  });

  it('derives the cluster view: ingress ports, task ingress addresses, engine versions and their source', () => {
    const c = snapshotOf('seed-cluster').cluster;
    expect((c.ingressPorts as { key: string; service: string }[]).map((p) => `${p.service} ${p.key}`)).toEqual(['whoami tcp/8080']);
    expect((c.tasks as { ingressAddresses: string[] }[])[0].ingressAddresses).toEqual(['10.0.0.98']);
    expect((c.engineVersions as { node: string; source: string }[]).map((e) => `${e.node} ${e.source}`)).toEqual(['228 cluster/nodes.json', '234 cluster/nodes.json', '253 cluster/nodes.json']);
    expect(c.ingressNetworkId).toBe('n3dex97iv1gs5ugdluoc34dxi');
  });

  it('builds iptables rule objects of a chain only when asked, once', () => {
    const n = snapshotOf('seed-cluster').nodes.find((x) => x.name === '234')!;
    const host = n.host as Parameters<typeof iptablesRules>[0];
    expect(host.ruleCache.has('filter FORWARD')).toBe(false);
    const a = iptablesRules(host, 'filter', 'FORWARD');
    expect(a).toHaveLength(11);
    expect(iptablesRules(host, 'filter', 'FORWARD')).toBe(a);
    expect(iptablesRules(host, 'filter', 'NO-SUCH-CHAIN')).toEqual([]);
  });
});

describe('inputs', () => {
  it('tells present, missing, not captured and invalid apart', () => {
    const dir = copyOf('seed-cluster');
    try {
      unlinkSync(join(dir, 'nodes/253/ingress_sbox/ipvs.txt'));
      writeFileSync(join(dir, 'nodes/253/errors.json'), JSON.stringify([{ file: 'ingress_sbox/ipvs.txt', command: 'cat /proc/net/ip_vs', error: 'No such file or directory' }]));
      unlinkSync(join(dir, 'nodes/228/ingress_sbox/neigh.txt'));
      writeFileSync(join(dir, 'nodes/234/ingress_sbox/neigh.txt'), '10.0.0.98 dev eth0 lladdr 02:42:0a:00:00:62 REACHABLE\nnot a neighbour line\n');
      const snap = buildSnapshot(readCapture(dir));
      const input = (node: string, id: string) => snap.nodes.find((n) => n.name === node)!.inputs.get(id)!;
      expect(input('253', 'sbox.ipvs')).toMatchObject({ status: 'uncaptured', message: 'cat /proc/net/ip_vs: No such file or directory', file: 'nodes/253/ingress_sbox/ipvs.txt' });
      expect(input('228', 'sbox.neigh')).toMatchObject({ status: 'missing', file: 'nodes/228/ingress_sbox/neigh.txt' });
      expect(input('234', 'sbox.neigh')).toMatchObject({ status: 'invalid', line: 2n });
      expect(input('234', 'sbox.neigh').message).toMatch(/^nodes\/234\/ingress_sbox\/neigh.txt:2: /);
      expect(input('253', 'host.iptables.nat')).toMatchObject({ status: 'present', format: 'iptables-L', file: 'nodes/253/host/iptables-nat.txt' });
      expect(input('234', 'host.iptables.nat')).toMatchObject({ status: 'present', format: 'iptables-save', file: 'nodes/234/host/iptables.txt' });
      expect(snap.diagnostics).toEqual([expect.objectContaining({ file: 'nodes/234/ingress_sbox/neigh.txt', line: 2, severity: 'error' })]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses .txt and .json variants of one file side by side', () => {
    const dir = copyOf('seed-cluster');
    try {
      writeFileSync(join(dir, 'nodes/234/ingress_sbox/addr.txt'), '1: lo: <LOOPBACK> mtu 65536\n');
      const n = buildSnapshot(readCapture(dir)).nodes.find((x) => x.name === '234')!;
      expect(n.inputs.get('sbox.addr')).toMatchObject({ status: 'invalid' });
      expect(n.inputs.get('sbox.addr')!.message).toMatch(/both .*addr.txt and .*addr.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('falls back to docker node ls when nodes.json is absent', () => {
    const dir = copyOf('seed-cluster');
    try {
      unlinkSync(join(dir, 'cluster/nodes.json'));
      const c = buildSnapshot(readCapture(dir)).cluster;
      expect(c.inputs.get('cluster.nodes')).toMatchObject({ status: 'present', format: 'docker-node-ls' });
      expect((c.engineVersions as { node: string; version: string }[]).map((e) => `${e.node}=${e.version}`)).toEqual(['228=20.10.12', '234=20.10.12', '253=20.10.12']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('IPv4 prefixes (cidrContains, and every -s / -d a walk tests)', () => {
  it('holds an address in its prefix and not outside it, a bare address being a /32', () => {
    expect(ipv4InCidr('10.0.0.98', '10.0.0.0/24')).toBe(true);
    expect(ipv4InCidr('10.0.1.1', '10.0.0.0/24')).toBe(false);
    expect(ipv4InCidr('10.0.0.98', '10.0.0.98')).toBe(true);
    expect(ipv4InCidr('10.0.0.99', '10.0.0.98')).toBe(false);
    expect(ipv4InCidr('203.0.113.10', '0.0.0.0/0')).toBe(true);
    expect(ipv4InCidr('255.255.255.255', '255.255.255.254/31')).toBe(true);
    // The network's host bits do not matter (iptables -s 10.0.0.5/24 means 10.0.0.0/24).
    expect(ipv4InCidr('10.0.0.200', '10.0.0.5/24')).toBe(true);
  });

  it('is false for text that is no IPv4 address or prefix, never a wrapped number', () => {
    for (const [ip, cidr] of [['256.0.0.1', '0.0.0.0/0'], ['10.0.0.1', '10.0.0.0/33'], ['10.0.0.1', '10.0.0.0/x'], ['10.0.0', '10.0.0.0/8'], ['10.0.0.1.2', '10.0.0.0/8'], ['fe80::1', '10.0.0.0/8'], ['10.0.0.1', '300.0.0.0/8'], ['', '0.0.0.0/0'], ['10..0.1', '10.0.0.0/8'], ['10.0.0.1', '']]) {
      expect([ip, cidr, ipv4InCidr(ip, cidr)]).toEqual([ip, cidr, false]);
    }
  });
});

describe("dockerd's settings (host/daemon.json)", () => {
  const daemon = (snap: ReturnType<typeof snapshotOf>, node: string) => toJson(snap.nodes.find((n) => n.name === node)!.daemonConfig);
  const status = (snap: ReturnType<typeof snapshotOf>, node: string) => snap.nodes.find((n) => n.name === node)!.inputs.get('host.daemon-json')!;

  it('gives what the file sets and where, and present false where the node has none or it was not captured', () => {
    const snap = snapshotOf('broken-host-iptables-disabled');
    expect(daemon(snap, '234')).toEqual({ present: true, file: 'nodes/234/host/daemon.json', keys: ['iptables'], iptables: 'false', iptablesLine: 1, iptablesAt: 'nodes/234/host/daemon.json:1', ipForward: '', ipForwardLine: 0, ipForwardAt: 'nodes/234/host/daemon.json' });
    // No daemon.json on 228: errors.json says so, and the input says it was tried and not found.
    expect(daemon(snap, '228')).toMatchObject({ present: false, iptables: '', file: 'nodes/228/host/daemon.json' });
    expect(status(snap, '228')).toMatchObject({ status: 'uncaptured', command: 'cat /etc/docker/daemon.json', error: 'cat: /etc/docker/daemon.json: No such file or directory' });
    // A capture from before the collectors read it: missing.
    expect(status(snapshotOf('seed-cluster'), '228')).toMatchObject({ status: 'missing' });
    expect(daemon(snapshotOf('ok-host-daemon-json'), '234')).toMatchObject({ iptables: 'true', iptablesLine: 8, ipForward: 'true', ipForwardLine: 9 });
  });

  it('reads a daemon.json saved with a BOM or as UTF-16 (Notepad, PowerShell), as dockerd does; a broken one makes the input invalid, naming the line', () => {
    const dir = copyOf('seed-cluster');
    try {
      writeFileSync(join(dir, 'nodes/228/host/daemon.json'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{\n  "iptables": false\n}\n')]));
      writeFileSync(join(dir, 'nodes/234/host/daemon.json'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{\r\n  "ip-forward": false\r\n}\r\n', 'utf16le')]));
      writeFileSync(join(dir, 'nodes/253/host/daemon.json'), '{\n  # no comments in JSON\n  "iptables": false\n}\n');
      const snap = buildSnapshot(readCapture(dir));
      expect(daemon(snap, '228')).toMatchObject({ iptables: 'false', iptablesAt: 'nodes/228/host/daemon.json:2' });
      expect(daemon(snap, '234')).toMatchObject({ ipForward: 'false', ipForwardAt: 'nodes/234/host/daemon.json:2' });
      expect(status(snap, '253')).toMatchObject({ status: 'invalid', message: expect.stringMatching(/^nodes\/253\/host\/daemon.json:2: invalid JSON/) });
      expect(daemon(snap, '253')).toMatchObject({ present: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("IPVS's UDP connection entries (ingress_sbox/ipvs-conn.txt) and who holds an ingress address", () => {
  it('reads the entries into the node by destination; an empty file is a table with none; a bad line makes the input invalid, naming it', () => {
    const dir = copyOf('seed-cluster');
    try {
      writeFileSync(join(dir, 'nodes/228/ingress_sbox/ipvs-conn.txt'), 'UDP C0A80001 9C41 C0A80002 0202 0A000058 0202 UDP             297\n');
      writeFileSync(join(dir, 'nodes/234/ingress_sbox/ipvs-conn.txt'), '');
      writeFileSync(join(dir, 'nodes/253/ingress_sbox/ipvs-conn.txt'), 'UDP C0A80001 9C41 C0A80002 0202 0A000058 0202 UDP             297\nUDP C0A80001 9C41\n');
      const snap = buildSnapshot(readCapture(dir));
      const node = (name: string) => snap.nodes.find((n) => n.name === name)!;
      expect(toJson(node('228').ipvsUdpDestinations)).toEqual([expect.objectContaining({ key: '10.0.0.88:514', flows: 1, virtualPorts: [514], at: 'nodes/228/ingress_sbox/ipvs-conn.txt:1' })]);
      expect(node('228').inputs.get('sbox.ipvs-conn')).toMatchObject({ status: 'present', format: 'proc-ip_vs_conn' });
      expect(toJson(node('234').ipvsConnTable)).toMatchObject({ present: true, format: 'empty', udpFlows: 0 });
      expect(node('253').inputs.get('sbox.ipvs-conn')).toMatchObject({ status: 'invalid', message: expect.stringMatching(/^nodes\/253\/ingress_sbox\/ipvs-conn.txt:2: not a line of \/proc\/net\/ip_vs_conn/) });
      expect(toJson(node('253').ipvsConnTable)).toMatchObject({ present: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // A capture from before the collectors read it.
    expect(snapshotOf('seed-cluster').nodes[0].inputs.get('sbox.ipvs-conn')).toMatchObject({ status: 'missing', file: 'nodes/228/ingress_sbox/ipvs-conn.txt' });
  });

  it("finds the task behind each ingress address: one that should be running first, else a shut-down one that had it", () => {
    const dir = copyOf('seed-cluster');
    try {
      const tasks = JSON.parse(readFileSync(join(dir, 'cluster/tasks.json'), 'utf8')) as Record<string, unknown>[];
      const [running] = tasks;
      const attach = (addr: string) => [{ ...(running.NetworksAttachments as object[])[0], Addresses: [`${addr}/24`] }];
      // Shut-down tasks of slot 1, as the manager keeps them: one had the running task's address before it, one another.
      const old = (id: string, addr: string) => ({ ...running, ID: id, DesiredState: 'shutdown', Status: { State: 'shutdown', Message: 'shutdown' }, NetworksAttachments: attach(addr) });
      writeFileSync(join(dir, 'cluster/tasks.json'), JSON.stringify([old('oldtask00000000000000000a1', '10.0.0.98'), running, old('oldtask00000000000000000a2', '10.0.0.88')]));
      const byIp = buildSnapshot(readCapture(dir)).cluster.taskByIngressIp as Map<string, { id: string; desiredState: string }>;
      expect([...byIp].map(([ip, t]) => [ip, t.id, t.desiredState])).toEqual([
        ['10.0.0.98', 'qmpt38h7rk36evcywsm5pvaft', 'running'],
        ['10.0.0.88', 'oldtask00000000000000000a2', 'shutdown'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
