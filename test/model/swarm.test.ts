import { holdsAddresses, usableIpv4 } from '../../src/model/swarm.js';
import { snapshotOf } from '../helpers/fixtures.js';

describe('batch C model: the swarm views', () => {
  it('counts the addresses a subnet can hand out (network, broadcast and gateway taken)', () => {
    expect(usableIpv4('10.0.0.0/24')).toBe(253);
    expect(usableIpv4('10.0.0.0/29')).toBe(5);
    expect(usableIpv4('10.10.0.0/16')).toBe(65533);
    expect(usableIpv4('10.0.0.0/31')).toBe(-1);
    expect(usableIpv4('fd00::/64')).toBe(-1);
    expect(usableIpv4('10.0.0.300/24')).toBe(-1);
  });

  it('keeps a task\'s addresses until both desired and actual state are past running (swarmkit\'s allocator)', () => {
    expect(holdsAddresses({ desiredState: 'running', state: 'pending' })).toBe(true);
    expect(holdsAddresses({ desiredState: 'shutdown', state: 'running' })).toBe(true);
    expect(holdsAddresses({ desiredState: 'shutdown', state: 'complete' })).toBe(false);
    expect(holdsAddresses({ desiredState: 'shutdown', state: 'failed' })).toBe(false);
  });

  it('builds the capacity, the host ports and the running services per node from a capture', () => {
    const c = snapshotOf('seed-cluster').cluster as Record<string, unknown>;
    expect(c.ingressSubnet).toBe('10.0.0.0/24');
    expect(c.ingressCapacity).toMatchObject({ known: true, usable: 253n, vips: 1n, taskAddresses: 1n, sboxes: 3n, used: 5n, percent: 1n, file: 'nodes/228/networks/ingress.json' });
    expect((c.runningServicesByNode as Map<string, Map<string, boolean>>).get('pkv93oel5hesk9bn22uyit9rz')?.get('mnauoiowxg541iw0fenhqwemq')).toBe(true);
    const host = snapshotOf('broken-swarm-host-mode-port').cluster as Record<string, unknown>;
    expect(host.hostPorts).toEqual([expect.objectContaining({ key: 'tcp/9100', service: 'node-exporter', port: 9100n, file: 'cluster/services.json' })]);
  });

  it('gives workers, whose info has no Swarm.Cluster, the data-path port the managers print', () => {
    const s = snapshotOf('lab-healthy');
    expect((s.cluster as Record<string, unknown>).dataPathPorts).toEqual([expect.objectContaining({ node: 'node1', port: 4789n, file: 'nodes/node1/info.json' })]);
    expect(s.nodes.map((n) => n.dataPathPort)).toEqual([4789n, 4789n, 4789n]);
  });
});
