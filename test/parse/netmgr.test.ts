import { parseNetworkctl, parseNmcli, terseFields } from '../../src/parse/netmgr.js';

const F = 'nodes/x/host/nmcli.txt';
const G = 'nodes/x/host/networkctl.txt';
const errors = (r: { diagnostics: { severity: string; message: string; file: string; line: number }[] }) => r.diagnostics.filter((d) => d.severity === 'error');

describe('parseNmcli', () => {
  it('reads the terse output the collectors write, with the state of each device and whether NetworkManager holds it', () => {
    // As in mniedermaier/CybICS#224: boot-time Docker devices are connected (externally), a recreated veth gets 'Wired connection 4'.
    const r = parseNmcli(
      'eth0:ethernet:connected:Wired connection 1\ndocker_gwbridge:bridge:connected:docker_gwbridge\ndocker0:bridge:connected (externally):docker0\n' +
        'veth2d74e02:ethernet:connecting (getting IP configuration):Wired connection 4\nvethcb80f06:veth:unmanaged:\nlo:loopback:unmanaged:--\n',
      F,
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.format).toBe('nmcli-terse');
    expect(r.data.running).toBe(true);
    expect(r.data.links.map((l) => [l.ifname, l.type, l.state, l.detail, l.managed, l.line])).toEqual([
      ['eth0', 'ethernet', 'connected', 'Wired connection 1', true, 1],
      ['docker_gwbridge', 'bridge', 'connected', 'docker_gwbridge', true, 2],
      ['docker0', 'bridge', 'connected (externally)', 'docker0', false, 3],
      ['veth2d74e02', 'ethernet', 'connecting (getting IP configuration)', 'Wired connection 4', true, 4],
      ['vethcb80f06', 'veth', 'unmanaged', '', false, 5],
      ['lo', 'loopback', 'unmanaged', '', false, 6],
    ]);
  });

  it.each([
    ['unmanaged', false],
    ['connected (externally)', false],
    ['unknown', false],
    ['connected', true],
    ['disconnected', true],
    ['unavailable', true],
    ['connecting (prepare)', true],
    ['connecting (getting IP configuration)', true],
    ['deactivating', true],
    ['connection failed', true],
  ])('counts state %j as managed: %j', (state, managed) => {
    expect(parseNmcli(`docker0:bridge:${state}:\n`, F).data.links[0]).toMatchObject({ state, managed });
  });

  it("unescapes nmcli's \\: and \\\\ inside values, and reads the three fields of -f DEVICE,TYPE,STATE", () => {
    expect(terseFields('eth0:ethernet:connected:office\\: vlan\\\\10')).toEqual(['eth0', 'ethernet', 'connected', 'office: vlan\\10']);
    const r = parseNmcli('eth0:ethernet:connected:office\\: vlan 10\ndocker0:bridge:unmanaged\n', F);
    expect(r.diagnostics).toEqual([]);
    expect(r.data.links.map((l) => [l.ifname, l.detail])).toEqual([['eth0', 'office: vlan 10'], ['docker0', '']]);
  });

  it('reads a pasted `nmcli device` (header, aligned columns, connections with spaces, --), after its prompt', () => {
    const r = parseNmcli(
      [
        '[user@host ~]$ nmcli dev status',
        'DEVICE           TYPE      STATE                                  CONNECTION',
        'eth1             ethernet  connecting (getting IP configuration)  Wired connection 1',
        'docker0          bridge    connected (externally)                 docker0',
        'br-6829e80f8c88  bridge    unmanaged                              --',
        'lo               loopback  unmanaged                              --',
      ].join('\n'),
      F,
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.format).toBe('nmcli-device');
    expect(r.data.links.map((l) => [l.ifname, l.state, l.detail, l.managed, l.line])).toEqual([
      ['eth1', 'connecting (getting IP configuration)', 'Wired connection 1', true, 3],
      ['docker0', 'connected (externally)', 'docker0', false, 4],
      ['br-6829e80f8c88', 'unmanaged', '', false, 5],
      ['lo', 'unmanaged', '', false, 6],
    ]);
    // Collapsed spacing (a copy from a web page) reads the same.
    expect(parseNmcli('DEVICE TYPE STATE CONNECTION\ndocker0 bridge connected (externally) docker0\n', F).data.links[0]).toMatchObject({ ifname: 'docker0', state: 'connected (externally)', managed: false });
  });

  it("takes a pasted 'Error: NetworkManager is not running.' as the daemon not running, not as a bad line", () => {
    const r = parseNmcli('Error: NetworkManager is not running.\n', F);
    expect(r.diagnostics).toEqual([]);
    expect(r.data).toEqual({ links: [], running: false });
  });

  it.each([
    ['', 'empty'],
    ['\n\n', 'empty'],
    ['docker0:bridge:sideways:\n', "not an 'nmcli -t device' line"],
    ['just some words\n', "not an 'nmcli -t device' line"],
    [':bridge:connected:\n', "not an 'nmcli -t device' line"],
    ['DEVICE TYPE STATE CONNECTION\ndocker0 bridge\n', "not an 'nmcli device' line"],
    ['x'.repeat(200_000) + '\n', "not an 'nmcli -t device' line"],
  ])('reports %j as an error naming the file and line, without throwing', (text, message) => {
    const r = parseNmcli(text, F);
    expect(errors(r).map((d) => d.message).join('\n')).toContain(message);
    expect(r.diagnostics.every((d) => d.file === F)).toBe(true);
    for (const d of r.diagnostics) expect(d.message.length).toBeLessThan(200);
  });

  it('names the line of a garbage line among good ones, and keeps the good ones', () => {
    const r = parseNmcli('docker0:bridge:unmanaged:\n\u0000\u0001garbage\nveth1:ethernet:connected:Wired connection 2\n', F);
    expect(errors(r).map((d) => d.line)).toEqual([2]);
    expect(r.data.links.map((l) => l.ifname)).toEqual(['docker0', 'veth1']);
  });
});

describe('parseNetworkctl', () => {
  it('reads the --no-legend output the collectors write: SETUP configuring, configured and failed are managed', () => {
    // As in weaveworks/weave#2729 and systemd/systemd#28626.
    const r = parseNetworkctl('  1 lo               loopback  carrier     unmanaged\n  3 docker0          ether     routable    configured\n 10 br-0123456789ab  bridge    routable    configuring\n 11 veth5d497dc      ether     degraded    failed\n 12 vx-001000-jytwr  vxlan     off         pending\n', G);
    expect(r.diagnostics).toEqual([]);
    expect(r.data.running).toBe(true);
    expect(r.data.links.map((l) => [l.ifname, l.type, l.state, l.detail, l.managed, l.line])).toEqual([
      ['lo', 'loopback', 'unmanaged', 'carrier', false, 1],
      ['docker0', 'ether', 'configured', 'routable', true, 2],
      ['br-0123456789ab', 'bridge', 'configuring', 'routable', true, 3],
      ['veth5d497dc', 'ether', 'failed', 'degraded', true, 4],
      ['vx-001000-jytwr', 'vxlan', 'pending', 'off', false, 5],
    ]);
  });

  it('reads a pasted `networkctl` with header and legend', () => {
    const r = parseNetworkctl('$ networkctl\nIDX LINK  TYPE     OPERATIONAL SETUP\n  1 lo    loopback carrier     unmanaged\n  2 eth0  ether    routable    configured\n\n2 links listed.\n', G);
    expect(r.diagnostics).toEqual([]);
    expect(r.data.links.map((l) => [l.ifname, l.line])).toEqual([['lo', 3], ['eth0', 4]]);
  });

  it("knows systemd-networkd was not running: its warning, or OPERATIONAL n/a on every link; then nothing is managed", () => {
    const warned = parseNetworkctl('WARNING: systemd-networkd is not running, output will be incomplete.\n\nIDX LINK    TYPE   OPERATIONAL SETUP\n  1 lo      loopback n/a unmanaged\n  5 docker0 bridge n/a unmanaged\n\n2 links listed.\n', G);
    expect(warned.diagnostics).toEqual([]);
    expect(warned.data.running).toBe(false);
    const na = parseNetworkctl('  1 lo loopback n/a unmanaged\n  5 docker0 bridge n/a configured\n', G);
    expect(na.data.running).toBe(false);
    expect(na.data.links.some((l) => l.managed)).toBe(false);
    expect(parseNetworkctl('  1 lo loopback carrier unmanaged\n  5 docker0 bridge n/a unmanaged\n', G).data.running).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['  1 lo loopback carrier sideways\n', "not a 'networkctl list' line"],
    ['  x lo loopback carrier unmanaged\n', "not a 'networkctl list' line"],
    ['  1 lo loopback carrier\n', "not a 'networkctl list' line"],
    ['● 1 lo loopback carrier unmanaged extra\n', "not a 'networkctl list' line"],
    ['y'.repeat(200_000), "not a 'networkctl list' line"],
  ])('reports %j as an error naming the file and line, without throwing', (text, message) => {
    const r = parseNetworkctl(text, G);
    expect(errors(r).map((d) => d.message).join('\n')).toContain(message);
    expect(r.diagnostics.every((d) => d.file === G)).toBe(true);
  });
});
