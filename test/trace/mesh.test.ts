import { forwardToSbox, inputFrom, nodeAddress, OUTSIDE, routeDevice, walkView } from '../../src/trace/mesh.js';
import type { NodeModel } from '../../src/model/build.js';
import { snapshotOf } from '../helpers/fixtures.js';

const lab = snapshotOf('lab-healthy');
const node = (name: string, snap = lab): NodeModel => snap.nodes.find((n) => n.name === name)!;

describe("the mesh's firewall hops on a real capture (the working-mesh lab)", () => {
  it("walks a client's connection to the published port through FORWARD into ingress_sbox, accepted by DOCKER-INGRESS", () => {
    const n2 = node('node2');
    const w = forwardToSbox(n2, 'tcp', 8080)!;
    expect(w.verdict).toBe('pass');
    const v = walkView(w);
    expect(v).toMatchObject({ verdict: 'pass', action: 'ACCEPT', table: 'filter', chain: 'DOCKER-INGRESS', rule: '-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j ACCEPT', undecided: [] });
    expect(v.at).toMatch(/^nodes\/node2\/host\/iptables\.txt:\d+$/);
    expect(v.hops.map((h) => h.replace(/ \(.*\)$/, ''))).toEqual(['mangle PREROUTING: policy ACCEPT', 'mangle FORWARD: policy ACCEPT', 'filter FORWARD: jump DOCKER-USER', 'filter DOCKER-USER: RETURN', 'filter FORWARD: jump DOCKER-INGRESS', 'filter DOCKER-INGRESS: ACCEPT']);
  });

  it('a port nothing accepts falls to the FORWARD policy DROP', () => {
    const v = walkView(forwardToSbox(node('node2'), 'tcp', 9999));
    expect(v).toMatchObject({ verdict: 'stop', action: 'DROP', chain: 'FORWARD', rule: ':FORWARD DROP' });
  });

  it("walks a peer's VXLAN, gossip and control packets through INPUT (policy ACCEPT here)", () => {
    const n1 = node('node1');
    for (const [proto, port] of [['udp', 4789], ['tcp', 7946], ['udp', 7946], ['tcp', 2377]] as const) {
      expect(inputFrom(n1, proto, port, '10.78.0.13')!.verdict).toBe('pass');
    }
  });

  it('knows the node: its swarm address, and the interface a packet takes', () => {
    const n3 = node('node3');
    expect(nodeAddress(n3)).toBe('10.78.0.13');
    expect(routeDevice(n3, '10.78.0.11')).toBe('eth0');
    expect(routeDevice(n3, '172.18.0.2')).toBe('docker_gwbridge');
    expect(routeDevice(n3, OUTSIDE)).toBeUndefined(); // the lab has no default route
  });

  it('says nothing rather than guess when there is no sbox address or no iptables', () => {
    const seed = snapshotOf('seed-cluster');
    expect(walkView(undefined).verdict).toBe('unknown');
    expect(forwardToSbox({ ...node('253', seed), sboxGwbridgeIp: '' } as NodeModel, 'tcp', 8080)).toBeUndefined();
  });
});

describe('ESP (IP protocol 50) through INPUT, for encrypted overlays', () => {
  it('passes where INPUT accepts everything, and stops at a DROP policy that opens only the swarm ports', () => {
    expect(inputFrom(node('node1'), 'esp', 0, '10.78.0.13')!.verdict).toBe('pass');
    const blocked = snapshotOf('broken-host-esp-blocked');
    const v = walkView(inputFrom(node('234', blocked), 'esp', 0, '192.168.100.228'));
    expect(v).toMatchObject({ verdict: 'stop', action: 'DROP', chain: 'INPUT', rule: ':INPUT DROP' });
    // The swarm ports still pass the same firewall: only ESP is stopped.
    expect(inputFrom(node('234', blocked), 'udp', 4789, '192.168.100.228')!.verdict).toBe('pass');
  });
});
