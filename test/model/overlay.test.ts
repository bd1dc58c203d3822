import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../../src/capture/read.js';
import { buildSnapshot } from '../../src/model/build.js';
import { ingressOverlayNetns, overlayModel, underlayViews } from '../../src/model/overlay.js';
import type { SwarmNode, SwarmTask } from '../../src/parse/docker.js';
import { fixture, snapshotOf } from '../helpers/fixtures.js';

type Row = { mac: string; device: string; dst: string; file: string; line: bigint };
type Vtep = { address: string; node: string; vtep: string; holder: string; service: string; file: string };

describe('the ingress overlay namespace, per node', () => {
  it('keeps every neighbour and FDB row with file and line, MACs lowercase, rows indexed by MAC', () => {
    const m = overlayModel(
      { entries: [{ address: '10.0.0.98', lladdr: '02:42:0A:00:00:62', state: 'PERMANENT', device: 'vxlan0', line: 3 }] },
      'nodes/a/ingress_overlay/neigh.txt',
      {
        entries: [
          { mac: '02:42:0a:00:00:62', device: 'vxlan0', dst: '10.1.0.3', vlan: 0, master: '', flags: ['self'], state: 'permanent', line: 7 },
          { mac: '02:42:0a:00:00:62', device: 'vxlan0', dst: '10.1.0.4', vlan: 0, master: '', flags: ['self'], state: '', line: 8 },
          { mac: '33:33:00:00:00:01', device: 'br0', dst: '', vlan: 0, master: '', flags: ['self'], state: 'permanent', line: 1 },
        ],
      },
      'nodes/a/ingress_overlay/fdb.txt',
      'n3dex97iv1gs5ugdluoc34dxi',
    );
    expect(m.overlayNeighbours).toEqual([expect.objectContaining({ address: '10.0.0.98', lladdr: '02:42:0a:00:00:62', file: 'nodes/a/ingress_overlay/neigh.txt', line: 3n })]);
    expect([...m.overlayFdbByMac.keys()]).toEqual(['02:42:0a:00:00:62', '33:33:00:00:00:01']);
    expect((m.overlayFdbByMac.get('02:42:0a:00:00:62') as Row[]).map((r) => `${r.dst} ${r.file}:${r.line}`)).toEqual(['10.1.0.3 nodes/a/ingress_overlay/fdb.txt:7', '10.1.0.4 nodes/a/ingress_overlay/fdb.txt:8']);
    expect(m.ingressOverlayNetns).toBe('/run/docker/netns/1-n3dex97iv1');
  });

  it('is empty, not absent, without the files; no namespace path without the ingress id', () => {
    const m = overlayModel(undefined, 'f', undefined, 'g', '');
    expect(m).toEqual({ overlayNeighbours: [], overlayFdb: [], overlayFdbByMac: new Map(), ingressOverlayNetns: '' });
    expect(ingressOverlayNetns('')).toBe('');
  });
});

const NODE = (id: string, hostname: string, addr: string, line = 0): SwarmNode => ({ id, hostname, role: 'worker', availability: 'active', state: 'ready', addr, engineVersion: '', leader: false, reachability: '', self: false, line });
const TASK = (over: Partial<SwarmTask>): SwarmTask => ({ id: 'task0000000001', serviceId: 'svc1', nodeId: 'n3', slot: 1, desiredState: 'running', state: 'running', attachments: [{ networkId: 'ing', networkName: 'ingress', ingress: true, addresses: ['10.0.0.98'] }], line: 4, ...over });
const nodeModel = (name: string, nodeAddr: string, containers: { key: string; name: string; ipv4: string }[] = [], peers: { name: string; ip: string }[] = []) => ({
  name,
  hostname: name,
  nodeAddr,
  networks: new Map([['ingress', { containers, peers }]]),
  inputs: new Map([
    ['info', { file: `nodes/${name}/info.json` }],
    ['network.ingress', { file: `nodes/${name}/networks/ingress.json` }],
  ]),
});

describe('where each ingress address lives, swarm-wide', () => {
  const base = { services: [{ id: 'svc1', name: 'web', mode: 'replicated', endpointMode: 'vip', ports: [], virtualIPs: [], line: 1 }], nodesFile: 'cluster/nodes.json', tasksFile: 'cluster/tasks.json', ingressNetworkId: 'ing' };

  it("puts a running task at its node's own Swarm.NodeAddr, ahead of the manager's Status.Addr (which NAT may change)", () => {
    const v = underlayViews({ ...base, nodes: [nodeModel('node3', '10.78.0.13')], swarmNodes: [NODE('n3', 'node3', '203.0.113.3')], tasks: [TASK({})] });
    expect(v.ingressVtepByIp.get('10.0.0.98')).toMatchObject({ address: '10.0.0.98', node: 'node3', vtep: '10.78.0.13', holder: 'task web.1', service: 'web', file: 'cluster/tasks.json', line: 4n });
    // Both are addresses of a swarm node.
    expect([...v.underlayByAddr.keys()].sort()).toEqual(['10.78.0.13', '203.0.113.3']);
  });

  it("takes the manager's Status.Addr for a node that has no folder; never 0.0.0.0", () => {
    const v = underlayViews({ ...base, nodes: [], swarmNodes: [NODE('n3', 'node3', '10.78.0.13', 9), NODE('n1', 'node1', '0.0.0.0')], tasks: [TASK({}), TASK({ id: 't2', nodeId: 'n1', slot: 2, attachments: [{ networkId: 'ing', networkName: 'ingress', ingress: false, addresses: ['10.0.0.99'] }] })] });
    expect(v.ingressVtepByIp.get('10.0.0.98')).toMatchObject({ node: 'node3', vtep: '10.78.0.13' });
    expect(v.ingressVtepByIp.has('10.0.0.99')).toBe(false); // node1's only address is 0.0.0.0
    expect(v.underlayByAddr.get('10.78.0.13')).toMatchObject({ node: 'node3', source: 'cluster/nodes.json:9' });
    expect(v.underlayByAddr.has('0.0.0.0')).toBe(false);
  });

  it('skips tasks not meant to run, and attachments to other networks', () => {
    const v = underlayViews({
      ...base,
      nodes: [nodeModel('node3', '10.78.0.13')],
      swarmNodes: [NODE('n3', 'node3', '10.78.0.13')],
      tasks: [TASK({ desiredState: 'shutdown' }), TASK({ id: 't2', attachments: [{ networkId: 'other', networkName: 'backend', ingress: false, addresses: ['10.0.1.5'] }] })],
    });
    expect([...v.ingressVtepByIp.keys()]).toEqual([]);
  });

  it("places the endpoints each node lists on ingress (its ingress-sbox) at that node, and the peers' addresses are underlay addresses", () => {
    const v = underlayViews({
      ...base,
      nodes: [nodeModel('node2', '10.78.0.12', [{ key: 'ingress-sbox', name: 'ingress-endpoint', ipv4: '10.0.0.3' }, { key: 'c0ffee', name: 'web.1.abc', ipv4: '10.0.0.98' }], [{ name: 'node1-1a2b', ip: '10.78.0.11' }])],
      swarmNodes: [],
      tasks: [],
    });
    expect(v.ingressVtepByIp.get('10.0.0.3')).toMatchObject({ node: 'node2', vtep: '10.78.0.12', holder: 'ingress-sbox', service: '', file: 'nodes/node2/networks/ingress.json' });
    expect(v.ingressVtepByIp.get('10.0.0.98')).toMatchObject({ node: 'node2', holder: 'web.1.abc' });
    expect(v.underlayByAddr.get('10.78.0.11')).toMatchObject({ node: 'node1-1a2b', source: 'nodes/node2/networks/ingress.json' });
  });

  it('a task the manager places elsewhere wins over a stale endpoint a node still lists', () => {
    const v = underlayViews({
      ...base,
      nodes: [nodeModel('node2', '10.78.0.12', [{ key: 'c0ffee', name: 'web.1.old', ipv4: '10.0.0.98' }]), nodeModel('node3', '10.78.0.13')],
      swarmNodes: [NODE('n2', 'node2', '10.78.0.12'), NODE('n3', 'node3', '10.78.0.13')],
      tasks: [TASK({})],
    });
    expect((v.ingressVtepByIp.get('10.0.0.98') as Vtep).node).toBe('node3');
  });
});

describe('the snapshot of a capture with ingress_overlay/', () => {
  it('reads all three formats of ok-vxlan-fdb alike (one-line JSON, text, pretty JSON), with lines', () => {
    const snap = snapshotOf('ok-vxlan-fdb');
    for (const n of snap.nodes) {
      expect(n.inputs.get('overlay.neigh')!.status).toBe('present');
      expect(n.inputs.get('overlay.fdb')!.status).toBe('present');
      expect((n.overlayNeighbours as unknown[]).length).toBe(n.name === '253' ? 2 : 3);
    }
    const fdb234 = snap.nodes.find((n) => n.name === '234')!.overlayFdbByMac as Map<string, Row[]>;
    expect(fdb234.get('02:42:0a:00:00:62')).toEqual([expect.objectContaining({ device: 'vxlan0', dst: '192.168.100.253', file: 'nodes/234/ingress_overlay/fdb.txt', line: 8n })]);
    const n253 = snap.nodes.find((n) => n.name === '253')!;
    expect((n253.overlayNeighbours as Row[]).map((x) => Number(x.line))).toEqual([2, 10]);
    expect(n253.ingressOverlayNetns).toBe('/run/docker/netns/1-n3dex97iv1');
    const vteps = snap.cluster.ingressVtepByIp as Map<string, Vtep>;
    expect([...vteps.values()].map((x) => `${x.address} ${x.holder} ${x.node} ${x.vtep}`).sort()).toEqual([
      '10.0.0.2 ingress-sbox 253 192.168.100.253',
      '10.0.0.3 ingress-sbox 234 192.168.100.234',
      '10.0.0.4 ingress-sbox 228 192.168.100.228',
      '10.0.0.98 task whoami.1 253 192.168.100.253',
    ]);
  });

  it('still loads a capture without the files (every capture before them): inputs missing, or not captured with the reason', () => {
    const snap = snapshotOf('seed-cluster');
    expect(snap.nodes.map((n) => [n.inputs.get('overlay.neigh')!.status, n.inputs.get('overlay.fdb')!.file])).toEqual([
      ['missing', 'nodes/228/ingress_overlay/fdb.json'],
      ['missing', 'nodes/234/ingress_overlay/fdb.json'],
      ['missing', 'nodes/253/ingress_overlay/fdb.json'],
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'md-overlay-'));
    try {
      cpSync(fixture('ok-vxlan-fdb'), dir, { recursive: true });
      unlinkSync(join(dir, 'nodes/228/ingress_overlay/neigh.json'));
      unlinkSync(join(dir, 'nodes/228/ingress_overlay/fdb.json'));
      writeFileSync(join(dir, 'nodes/228/errors.json'), JSON.stringify([{ file: 'ingress_overlay/neigh.json', command: 'nsenter --net=/run/docker/netns/1-n3dex97iv1 ip -j neigh', error: 'no overlay namespace of the ingress network' }]));
      writeFileSync(join(dir, 'nodes/234/ingress_overlay/fdb.txt'), '02:42:0a:00:00:62 dev vxlan0 dst\n');
      const s = buildSnapshot(readCapture(dir));
      const input = (node: string, id: string) => s.nodes.find((n) => n.name === node)!.inputs.get(id)!;
      expect(input('228', 'overlay.neigh')).toMatchObject({ status: 'uncaptured', message: 'nsenter --net=/run/docker/netns/1-n3dex97iv1 ip -j neigh: no overlay namespace of the ingress network' });
      expect(input('234', 'overlay.fdb')).toMatchObject({ status: 'invalid', line: 1n });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
