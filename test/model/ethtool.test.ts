import { snapshotOf } from '../helpers/fixtures.js';
import { ethtoolInterfaces } from '../../src/model/host.js';
import { parseEthtool } from '../../src/parse/ethtool.js';

describe('the node model: ethtoolInterfaces (host/ethtool.txt)', () => {
  it('holds each NIC by name with its driver and features, lines as BigInt and file:line', () => {
    const file = 'nodes/n1/host/ethtool.txt';
    const m = ethtoolInterfaces(parseEthtool('# interface ens192 driver vmxnet3\nFeatures for ens192:\n\ttx-checksum-ip-generic: off [requested on]\n', file).data, file);
    const ens = m.get('ens192') as { ifname: string; driver: string; driverAt: string; line: bigint; at: string; features: Map<string, Record<string, unknown>> };
    expect(ens).toMatchObject({ ifname: 'ens192', driver: 'vmxnet3', driverAt: `${file}:1`, file, line: 1n, at: `${file}:1` });
    expect({ ...ens.features.get('tx-checksum-ip-generic') }).toEqual({ name: 'tx-checksum-ip-generic', on: false, fixed: false, requested: 'on', text: 'tx-checksum-ip-generic: off [requested on]', file, line: 3n, at: `${file}:3` });
    expect(ethtoolInterfaces(undefined, file).size).toBe(0);
  });

  it('is built from a capture: the input host.ethtool present where the file is, missing where not', () => {
    const s = snapshotOf('broken-host-vxlan-csum-offload');
    const n228 = s.nodes.find((n) => n.name === '228')!;
    expect(n228.inputs.get('host.ethtool')).toMatchObject({ status: 'present', file: 'nodes/228/host/ethtool.txt', format: 'ethtool' });
    expect(n228.nodeAddrInterface).toBe('ens192');
    const ens = (n228.ethtoolInterfaces as Map<string, { driver: string; features: Map<string, { on: boolean; at: string }> }>).get('ens192')!;
    expect(ens.driver).toBe('vmxnet3');
    expect(ens.features.get('tx-checksum-ip-generic')).toMatchObject({ on: true, at: 'nodes/228/host/ethtool.txt:6' });
    const n234 = s.nodes.find((n) => n.name === '234')!;
    expect(n234.inputs.get('host.ethtool')).toMatchObject({ status: 'missing' });
    expect((n234.ethtoolInterfaces as Map<string, unknown>).size).toBe(0);
    // The hand-pasted file (ethtool -i, then ethtool -k, with prompts) gives the same model.
    const pasted = snapshotOf('ok-host-vxlan-csum-offload-off').nodes.find((n) => n.name === '234')!;
    expect((pasted.ethtoolInterfaces as Map<string, { driver: string }>).get('ens192')!.driver).toBe('vmxnet3');
  });
});
