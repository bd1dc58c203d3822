import { parseAddr, parseNeigh, parseRoutes, parseSysctl, parseVxlanLinks } from '../../src/parse/net.js';

describe('neighbour tables', () => {
  it('reads ip neigh states, with lladdr absent when incomplete', () => {
    const p = parseNeigh(
      '10.0.0.98 dev eth0 lladdr 02:42:0a:00:00:62 REACHABLE\n10.0.0.5 dev eth0  INCOMPLETE\n10.0.0.6 dev eth0 FAILED\n10.0.0.1 dev eth0 lladdr 02:42:0a:00:00:01 router STALE\n10.0.0.7 dev eth0 lladdr 02:42:0a:00:00:07 PERMANENT\n',
      'neigh.txt',
    );
    expect(p.format).toBe('ip-neigh');
    expect(p.diagnostics).toEqual([]);
    expect(p.data.entries.map((e) => [e.address, e.lladdr, e.state, e.device])).toEqual([
      ['10.0.0.98', '02:42:0a:00:00:62', 'REACHABLE', 'eth0'],
      ['10.0.0.5', '', 'INCOMPLETE', 'eth0'],
      ['10.0.0.6', '', 'FAILED', 'eth0'],
      ['10.0.0.1', '02:42:0a:00:00:01', 'STALE', 'eth0'],
      ['10.0.0.7', '02:42:0a:00:00:07', 'PERMANENT', 'eth0'],
    ]);
  });

  it('reads ip -j neigh', () => {
    const p = parseNeigh('[{"dst":"10.0.0.98","dev":"eth0","lladdr":"02:42:0a:00:00:62","state":["REACHABLE"]},{"dst":"10.0.0.5","dev":"eth0","state":["INCOMPLETE"]}]', 'neigh.json');
    expect(p.format).toBe('ip-j-neigh');
    expect(p.data.entries.map((e) => [e.address, e.state, e.lladdr])).toEqual([
      ['10.0.0.98', 'REACHABLE', '02:42:0a:00:00:62'],
      ['10.0.0.5', 'INCOMPLETE', ''],
    ]);
  });

  it('gives each ip -j neigh entry the line where its object starts: 1 for one-line output, its own line pretty-printed', () => {
    const rows = [
      { dst: '10.0.0.98', dev: 'vxlan0', lladdr: '02:42:0a:00:00:62', state: ['PERMANENT'] },
      { dst: '10.0.0.5', dev: 'vxlan0', lladdr: '02:42:0a:00:00:05', state: ['PERMANENT'] },
    ];
    expect(parseNeigh(JSON.stringify(rows), 'neigh.json').data.entries.map((e) => e.line)).toEqual([1, 1]);
    const pretty = JSON.stringify(rows, null, 4);
    const starts = pretty.split('\n').flatMap((l, i) => (l === '    {' ? [i + 1] : []));
    expect(starts).toEqual([2, 10]);
    expect(parseNeigh(pretty, 'neigh.json').data.entries.map((e) => e.line)).toEqual(starts);
    // An entry skipped (no dst) does not shift the lines of the next.
    const gap = '[\n{"dev": "vxlan0", "state": ["PERMANENT"]},\n{"dst": "10.0.0.5", "state": ["PERMANENT"]}\n]';
    expect(parseNeigh(gap, 'neigh.json').data.entries.map((e) => [e.address, e.line])).toEqual([['10.0.0.5', 3]]);
  });

  it('reads arp -a and arp -an, <incomplete> and PERM', () => {
    const p = parseNeigh('? (10.0.0.37) at 02:42:0a:00:00:25 [ether] on eth0\nhost-x (10.0.0.5) at <incomplete> on eth0\n? (10.0.0.7) at 02:42:0a:00:00:07 [ether] PERM on eth0\n', 'neigh.txt');
    expect(p.format).toBe('arp-a');
    expect(p.diagnostics).toEqual([]);
    expect(p.data.entries.map((e) => [e.address, e.state, e.device])).toEqual([
      ['10.0.0.37', 'COMPLETE', 'eth0'],
      ['10.0.0.5', 'INCOMPLETE', 'eth0'],
      ['10.0.0.7', 'PERMANENT', 'eth0'],
    ]);
  });

  it('reads /proc/net/arp, flags 0x0 as incomplete', () => {
    const p = parseNeigh('IP address       HW type     Flags       HW address            Mask     Device\n10.0.0.98        0x1         0x2         02:42:0a:00:00:62     *        eth0\n10.0.0.5         0x1         0x0         00:00:00:00:00:00     *        eth0\n10.0.0.7         0x1         0x6         02:42:0a:00:00:07     *        eth0\n', 'neigh.txt');
    expect(p.format).toBe('proc-net-arp');
    expect(p.data.entries.map((e) => [e.address, e.state, e.lladdr])).toEqual([
      ['10.0.0.98', 'COMPLETE', '02:42:0a:00:00:62'],
      ['10.0.0.5', 'INCOMPLETE', ''],
      ['10.0.0.7', 'PERMANENT', '02:42:0a:00:00:07'],
    ]);
  });

  it('reads arp (table form)', () => {
    const p = parseNeigh('Address                  HWtype  HWaddress           Flags Mask            Iface\n10.0.0.98                ether   02:42:0a:00:00:62   C                     eth0\n10.0.0.5                         (incomplete)                              eth0\n', 'neigh.txt');
    expect(p.data.entries.map((e) => [e.address, e.state])).toEqual([
      ['10.0.0.98', 'COMPLETE'],
      ['10.0.0.5', 'INCOMPLETE'],
    ]);
  });

  it('names file and line of a line it cannot read; invalid JSON names its line', () => {
    expect(parseNeigh('10.0.0.98 dev eth0 lladdr 02:42:0a:00:00:62 REACHABLE\ngarbage here\n', 'n.txt').diagnostics).toEqual([expect.objectContaining({ file: 'n.txt', line: 2, severity: 'error' })]);
    expect(parseNeigh('[\n{"dst": "10.0.0.1",\n"dev": eth0}\n]', 'n.json').diagnostics[0]).toMatchObject({ line: 3, severity: 'error' });
  });
});

describe('addresses', () => {
  const IP_ADDR = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
2504: eth0@if2505: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default
    link/ether 02:42:0a:00:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0
    inet 10.0.0.2/24 brd 10.0.0.255 scope global eth0
       valid_lft forever preferred_lft forever
    inet 10.0.0.97/32 scope global eth0
       valid_lft forever preferred_lft forever
    inet6 fe80::42:aff:fe00:2/64 scope link
       valid_lft forever preferred_lft forever
`;
  it('reads ip addr: interfaces, MTU, MAC and every address', () => {
    const p = parseAddr(IP_ADDR, 'addr.txt');
    expect(p.diagnostics).toEqual([]);
    expect(p.data.interfaces.map((i) => [i.ifname, i.mtu, i.mac])).toEqual([
      ['lo', 65536, '00:00:00:00:00:00'],
      ['eth0', 1450, '02:42:0a:00:00:02'],
    ]);
    expect(p.data.addresses.map((a) => `${a.ifname} ${a.address}/${a.prefixLen}`)).toEqual(['lo 127.0.0.1/8', 'eth0 10.0.0.2/24', 'eth0 10.0.0.97/32', 'eth0 fe80::42:aff:fe00:2/64']);
  });

  it("keeps each interface's own line of ip addr (0 for ip -j addr, which has none)", () => {
    const text = '1: lo: <LOOPBACK,UP> mtu 65536 state UNKNOWN\n    link/loopback 00:00:00:00:00:00\n9: vx-001fff-q7k2m: <BROADCAST,MULTICAST> mtu 1450 qdisc noop state DOWN\n    link/ether 4e:1b:02:6f:55:10 brd ff:ff:ff:ff:ff:ff\n';
    expect(parseAddr(text, 'addr.txt').data.interfaces.map((i) => [i.ifname, i.state, i.line])).toEqual([
      ['lo', 'UNKNOWN', 1],
      ['vx-001fff-q7k2m', 'DOWN', 3],
    ]);
    expect(parseAddr(JSON.stringify([{ ifname: 'vx-001fff-q7k2m', mtu: 1450, operstate: 'DOWN', addr_info: [] }]), 'addr.json').data.interfaces).toEqual([
      expect.objectContaining({ ifname: 'vx-001fff-q7k2m', state: 'DOWN', line: 0 }),
    ]);
  });

  it('reads ip -j addr the same way', () => {
    const p = parseAddr(JSON.stringify([{ ifname: 'eth1', mtu: 1500, address: '02:42:c0:a8:00:02', addr_info: [{ family: 'inet', local: '192.168.0.2', prefixlen: 20 }] }]), 'addr.json');
    expect(p.format).toBe('ip-j-addr');
    expect(p.data.addresses).toEqual([expect.objectContaining({ ifname: 'eth1', address: '192.168.0.2', prefixLen: 20, family: 'inet' })]);
  });

  it('is an error for text that is not ip addr output', () => {
    expect(parseAddr('hello\n', 'addr.txt').diagnostics[0]).toMatchObject({ severity: 'error', line: 1 });
    expect(parseAddr('', 'addr.txt').diagnostics[0].severity).toBe('error');
  });
});

describe('routes and sysctls', () => {
  it('reads ip route and ip -j route', () => {
    const p = parseRoutes('default via 192.168.100.1 dev ens192 proto static metric 100\n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.2\n', 'routes.txt');
    expect(p.diagnostics).toEqual([]);
    expect(p.data.routes.map((r) => [r.destination, r.gateway, r.device, r.source])).toEqual([
      ['default', '192.168.100.1', 'ens192', ''],
      ['10.0.0.0/24', '', 'eth0', '10.0.0.2'],
    ]);
    expect(parseRoutes('[{"dst":"default","gateway":"10.0.0.1","dev":"eth0"}]', 'routes.json').data.routes[0]).toMatchObject({ destination: 'default', gateway: '10.0.0.1' });
  });

  it('reads key = value and key=value, skipping sysctl notes', () => {
    const p = parseSysctl('net.ipv4.ip_forward = 1\nnet.ipv4.vs.conntrack=1\nsysctl: permission denied on key "fs.protected_regular"\nnet/ipv4/conf/all/rp_filter = 2\n', 'sysctl.txt');
    expect(p.diagnostics).toEqual([]);
    expect(Object.fromEntries(p.data)).toEqual({ 'net.ipv4.ip_forward': '1', 'net.ipv4.vs.conntrack': '1', 'net.ipv4.conf.all.rp_filter': '2' });
    expect(parseSysctl('this is prose\n', 's').diagnostics[0]).toMatchObject({ severity: 'error', line: 1 });
  });
});

describe('an ip neigh line met again (on another node, or further on)', () => {
  // Each line's text is read once; every line with it gets an entry of its own, at its own line.
  it('gives each line its own entry and line number, and its problem at its own line', () => {
    const line = '10.0.0.98 dev eth0 lladdr 02:42:0a:00:00:62 REACHABLE';
    const a = parseNeigh(`${line}\n`, 'a/neigh.txt');
    const b = parseNeigh(`10.0.0.9 dev eth0 lladdr 02:42:0a:00:00:09\n${line}\n10.0.0.9 dev eth0 lladdr 02:42:0a:00:00:09\n`, 'b/neigh.txt');
    expect(b.format).toBe('ip-neigh');
    expect(b.data.entries).toHaveLength(1);
    expect(b.data.entries[0]).not.toBe(a.data.entries[0]);
    expect({ ...b.data.entries[0], line: 1 }).toEqual(a.data.entries[0]);
    expect(b.data.entries[0].line).toBe(2);
    expect(b.diagnostics.map((d) => `${d.file}:${d.line}`)).toEqual(['b/neigh.txt:1', 'b/neigh.txt:3']);
  });

  it('reads a line as another format where the file is in that format', () => {
    // The same text in a /proc/net/arp file is a row of that table, not an ip neigh line.
    const row = '10.0.0.5 0x1 0x2 02:42:0a:00:00:05 * eth0';
    expect(parseNeigh(`${row}\n`, 'n.txt').diagnostics).toHaveLength(1);
    const proc = parseNeigh(`IP address       HW type     Flags       HW address            Mask     Device\n${row}\n`, 'arp.txt');
    expect(proc.diagnostics).toEqual([]);
    expect(proc.data.entries.map((e) => [e.address, e.state, e.device])).toEqual([['10.0.0.5', 'COMPLETE', 'eth0']]);
  });
});

describe('one object per neighbour line that nodes share', () => {
  it("gives each node's table the entries of the last one where its lines read alike, and its own where they do not", () => {
    const text = '10.0.0.98 dev eth0 lladdr 02:42:0a:00:00:62 REACHABLE\n10.0.0.99 dev eth0 lladdr 02:42:0a:00:00:63 STALE\n';
    const a = parseNeigh(text, 'nodes/a/ingress_sbox/neigh.txt').data.entries;
    const b = parseNeigh(text.replace('STALE', 'REACHABLE'), 'nodes/b/ingress_sbox/neigh.txt').data.entries;
    expect(b[0]).toBe(a[0]);
    expect(b[1]).not.toBe(a[1]);
    expect([a[1].state, b[1].state, b[1].line]).toEqual(['STALE', 'REACHABLE', 2]);
  });
});

describe('VXLAN devices (ip -d link show type vxlan)', () => {
  // Printed by iproute2 6.1 on kernel 6.18 for a device made with
  // `ip link add flannel.1 type vxlan id 1 dstport 8472 local 192.168.100.228 dev ens18 nolearning`.
  const TEXT = [
    '4: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000',
    '    link/ether e6:92:1f:35:b4:5e brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 ',
    '    vxlan id 1 local 192.168.100.228 dev ens18 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1',
  ].join('\n') + '\n';
  const JSON_PRETTY = JSON.stringify(
    [
      { ifindex: 2, ifname: 'eth0', operstate: 'UP', linkinfo: { info_kind: 'veth' } },
      { ifindex: 11, ifname: 'vxlan.calico', operstate: 'UNKNOWN', linkinfo: { info_kind: 'vxlan', info_data: { id: 4096, link: 'eth0', port_range: { low: 0, high: 0 }, port: 4789, learning: true } } },
      { ifindex: 12, ifname: 'vx-001001-abcde', operstate: 'DOWN', linkinfo: { info_kind: 'vxlan', info_data: { id: 4097, port: 4789, proxy: true, l2miss: true, l3miss: true } } },
    ],
    null,
    2,
  );

  it('reads each device of the text form with its VNI, port, underlay device, local address, state and line', () => {
    const p = parseVxlanLinks(TEXT, 'host/vxlan.txt');
    expect(p.diagnostics).toEqual([]);
    expect(p.data.links).toEqual([{ ifname: 'flannel.1', vni: 1, external: false, port: 8472, dev: 'ens18', local: '192.168.100.228', state: 'UNKNOWN', line: 1 }]);
  });

  it('reads the -j form: only vxlan devices, each at the line of its "ifname"', () => {
    const p = parseVxlanLinks(JSON_PRETTY, 'host/vxlan.json');
    expect(p.format).toBe('ip-d-j-link');
    expect(p.diagnostics).toEqual([]);
    const lines = JSON_PRETTY.split('\n');
    expect(p.data.links.map((l) => [l.ifname, l.vni, l.port, l.dev, l.state, lines[l.line - 1].trim()])).toEqual([
      ['vxlan.calico', 4096, 4789, 'eth0', 'UNKNOWN', '"ifname": "vxlan.calico",'],
      ['vx-001001-abcde', 4097, 4789, '', 'DOWN', '"ifname": "vx-001001-abcde",'],
    ]);
  });

  it('reads no device from an empty listing in either form (ip -j prints [], ip nothing); an empty .json is an error, as for every ip -j file', () => {
    for (const [c, f] of [['[]\n', 'host/vxlan.json'], ['', 'host/vxlan.txt']]) {
      const p = parseVxlanLinks(c, f);
      expect([p.data.links, p.diagnostics]).toEqual([[], []]);
    }
    expect(parseVxlanLinks('', 'host/vxlan.json').diagnostics.map((d) => d.message)).toEqual(['empty file: expected JSON']);
  });

  it('names the line of a VXLAN device whose VNI it cannot read, and of output that is not ip link at all', () => {
    const bad = parseVxlanLinks(TEXT.replace('vxlan id 1 ', 'vxlan id one '), 'host/vxlan.txt');
    expect(bad.data.links).toEqual([]);
    expect(bad.diagnostics.map((d) => [d.severity, d.line])).toEqual([['error', 3]]);
    expect(bad.diagnostics[0].message).toMatch(/flannel\.1 has no VNI/);
    const other = parseVxlanLinks('Chain INPUT (policy ACCEPT)\ntarget prot opt source destination\n', 'host/vxlan.txt');
    expect(other.diagnostics.map((d) => [d.line, d.message])).toEqual([[1, "not 'ip -d link show type vxlan' output: 'Chain INPUT (policy ACCEPT)'"]]);
    const json = parseVxlanLinks('[{"ifname":"vx0","linkinfo":{"info_kind":"vxlan","info_data":{"id":"x","port":4789}}},\n{"ifname":"vx1","linkinfo":{"info_kind":"vxlan","info_data":{"port":4789}}}]', 'host/vxlan.json');
    expect(json.data.links).toEqual([]);
    expect(json.diagnostics.map((d) => d.line)).toEqual([1, 2]);
    expect(json.diagnostics[1].message).toMatch(/VNI is not in the output/);
  });

  it('reads an external (collect metadata) device, which has no VNI of its own, in either form', () => {
    // `ip link add cilium_vxlan type vxlan external dstport 4789`, as iproute2 6.1 printed it.
    const text = '2: cilium_vxlan: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n' +
      '    vxlan external id 0 srcport 0 0 dstport 4789 nolearning ttl auto ageing 300 udpcsum\n';
    const json = '[{"ifindex":2,"ifname":"cilium_vxlan","operstate":"UNKNOWN","linkinfo":{"info_kind":"vxlan","info_data":{"external":true,"id":0,"port":4789,"learning":false}}}]';
    for (const [c, f] of [[text, 'vxlan.txt'], [json, 'vxlan.json'], [text.replace(' id 0', ''), 'vxlan.txt'], [json.replace('"id":0,', ''), 'vxlan.json']]) {
      const p = parseVxlanLinks(c, f);
      expect(p.diagnostics).toEqual([]);
      expect(p.data.links.map((l) => [l.ifname, l.external, l.vni, l.port])).toEqual([['cilium_vxlan', true, 0, 4789]]);
    }
  });

  it('reads a dstport it cannot use as no port, saying so', () => {
    const p = parseVxlanLinks(TEXT.replace('dstport 8472', 'dstport 99999'), 'host/vxlan.txt');
    expect(p.data.links[0].port).toBe(0);
    expect(p.diagnostics.map((d) => [d.line, d.message])).toEqual([[3, 'dstport 99999 is not a UDP port']]);
  });
});
