import { parseEthtool } from '../../src/parse/ethtool.js';

/** `ethtool -k ens192` of a CentOS 8.2 VMware guest (vmxnet3), as posted in kubernetes-sigs/kubespray#7268 (head). */
const KUBESPRAY = [
  'Features for ens192:',
  'rx-checksumming: on',
  'tx-checksumming: on',
  '\ttx-checksum-ipv4: off [fixed]',
  '\ttx-checksum-ip-generic: on',
  '\ttx-checksum-ipv6: off [fixed]',
  '\ttx-checksum-fcoe-crc: off [fixed]',
  '\ttx-checksum-sctp: off [fixed]',
  'scatter-gather: on',
  '\ttx-scatter-gather: on',
  'tcp-segmentation-offload: on',
  '\ttx-tcp-segmentation: on',
  'rx-vlan-filter: on [fixed]',
].join('\n');
const FILE = 'nodes/n1/host/ethtool.txt';
const errors = (r: ReturnType<typeof parseEthtool>) => r.diagnostics.filter((d) => d.severity === 'error');

describe('parseEthtool', () => {
  it("reads the collectors' file: a header with the driver, then ethtool -k, with each feature's value, [fixed] and line", () => {
    const r = parseEthtool(`# interface ens192 driver vmxnet3\n${KUBESPRAY}\n# interface eth1 driver virtio_net\nFeatures for eth1:\ntx-checksumming: on\n\ttx-checksum-ip-generic: on\n`, FILE);
    expect(r.diagnostics).toEqual([]);
    expect(r.format).toBe('ethtool');
    const ens = r.data.interfaces.get('ens192')!;
    expect(ens).toMatchObject({ ifname: 'ens192', driver: 'vmxnet3', driverLine: 1, line: 1 });
    expect(ens.features.get('tx-checksum-ip-generic')).toEqual({ name: 'tx-checksum-ip-generic', on: true, fixed: false, requested: '', text: 'tx-checksum-ip-generic: on', line: 6 });
    expect(ens.features.get('tx-checksum-ipv4')).toMatchObject({ on: false, fixed: true, text: 'tx-checksum-ipv4: off [fixed]' });
    expect(ens.features.get('rx-vlan-filter')).toMatchObject({ on: true, fixed: true });
    expect(r.data.interfaces.get('eth1')).toMatchObject({ driver: 'virtio_net', line: 15 });
    expect(r.data.interfaces.get('eth1')!.features.get('tx-checksum-ip-generic')!.line).toBe(18);
  });

  it('reads [requested on], CRLF line ends and spaces instead of tabs', () => {
    const r = parseEthtool('Features for ens192:\r\n    tx-checksum-ip-generic: off\r\n    tx-tcp-segmentation: off [requested on]\r\n    tx-nocache-copy: off [not requested]\r\n', FILE);
    expect(r.diagnostics).toEqual([]);
    const f = r.data.interfaces.get('ens192')!.features;
    expect(f.get('tx-tcp-segmentation')).toMatchObject({ on: false, fixed: false, requested: 'on', text: 'tx-tcp-segmentation: off [requested on]' });
    expect(f.get('tx-nocache-copy')).toMatchObject({ on: false, requested: '' });
    expect(r.data.interfaces.get('ens192')!.driver).toBe('');
  });

  it('reads a file assembled by hand: ethtool -i and ethtool -k pasted with their prompts, in either order', () => {
    const info = (drv: string) => `driver: ${drv}\nversion: 1.5.0.0-k-NAPI\nfirmware-version: \nexpansion-rom-version: \nbus-info: 0000:0b:00.0\nsupports-statistics: yes\nsupports-test: no\nsupports-eeprom-access: no\nsupports-register-dump: yes\nsupports-priv-flags: no\n`;
    const r = parseEthtool(
      `[root@node1 ~]# ethtool -i ens192\n${info('vmxnet3')}[root@node1 ~]# ethtool -k ens192\n${KUBESPRAY}\n` +
        `[root@node1 ~]# ethtool -k eth1\nFeatures for eth1:\ntx-checksum-ip-generic: on\n[root@node1 ~]# ethtool -i eth1\n${info('e1000e')}`,
      FILE,
    );
    expect(errors(r)).toEqual([]);
    expect(r.data.interfaces.get('ens192')).toMatchObject({ driver: 'vmxnet3', driverLine: 2 });
    expect(r.data.interfaces.get('eth1')).toMatchObject({ driver: 'e1000e' });
    // Without prompts: an ethtool -i block before Features for goes to the interface named next; after it, to that one.
    const bare = parseEthtool(`${info('vmxnet3')}${KUBESPRAY}\nFeatures for eth1:\ntx-checksum-ip-generic: on\n${info('e1000e')}`, FILE);
    expect(errors(bare)).toEqual([]);
    expect([...bare.data.interfaces.values()].map((i) => [i.ifname, i.driver])).toEqual([['ens192', 'vmxnet3'], ['eth1', 'e1000e']]);
  });

  it('keeps an interface the collector could not read (a comment), and warns of a repeated feature', () => {
    const r = parseEthtool('# interface eth9 driver unknown\n# ethtool -k eth9 failed: Cannot get device feature info: Operation not supported\n# interface ens192 driver vmxnet3\nFeatures for ens192:\ntx-checksum-ip-generic: on\ntx-checksum-ip-generic: off\n', FILE);
    expect(errors(r)).toEqual([]);
    expect(r.data.interfaces.get('eth9')).toMatchObject({ driver: '', features: new Map() });
    expect(r.data.interfaces.get('ens192')!.features.get('tx-checksum-ip-generic')).toMatchObject({ on: false, line: 6 });
    expect(r.diagnostics).toContainEqual({ file: FILE, line: 6, severity: 'warning', message: expect.stringMatching(/listed again \(first at line 5\)/) });
    // A driver line no interface follows is said, not guessed.
    expect(parseEthtool('# interface ens192 driver vmxnet3\nFeatures for ens192:\ndriver: e1000e\n', FILE).diagnostics).toEqual([
      { file: FILE, line: 3, severity: 'warning', message: "'driver: e1000e' is followed by no interface: put its 'ethtool -k IF' output (Features for IF:) after it" },
    ]);
  });

  it.each([
    ['a line of something else', 'Features for ens192:\ntx-checksum-ip-generic: on\nSegmentation fault (core dumped)\n', 3, /not a line of 'ethtool -k'/],
    ['a value that is neither on nor off', 'Features for ens192:\ntx-checksum-ip-generic: maybe\n', 2, /not a line of 'ethtool -k'/],
    ['a feature before any interface', 'tx-checksum-ip-generic: on\n', 1, /before any 'Features for <IF>:' line/],
    ['two drivers for one interface', '# interface ens192 driver vmxnet3\nFeatures for ens192:\n[root@n1 ~]# ethtool -i ens192\ndriver: e1000e\n', 4, /driver 'e1000e' for ens192, whose driver is already 'vmxnet3' \(line 1\)/],
    ['an empty driver line', 'driver:\n', 1, /empty 'driver:'/],
    ['JSON', '[{"ifname":"ens192"}]', 1, /not a line of 'ethtool -k'/],
  ])('reports %s as an error at its line, never a throw', (_, text, line, message) => {
    let r: ReturnType<typeof parseEthtool> | undefined;
    expect(() => (r = parseEthtool(text, FILE))).not.toThrow();
    expect(errors(r!)).toContainEqual({ file: FILE, line, severity: 'error', message: expect.stringMatching(message) });
  });

  it('survives binary garbage and huge input without throwing', () => {
    const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)).toString('latin1');
    expect(() => parseEthtool(junk, FILE)).not.toThrow();
    const big = parseEthtool(`Features for ens192:\n${'tx-checksum-ip-generic: on\n'.repeat(20000)}`, FILE);
    expect(errors(big)).toEqual([]);
    expect(parseEthtool('', FILE)).toEqual({ format: 'ethtool', data: { interfaces: new Map() }, diagnostics: [] });
  });
});
