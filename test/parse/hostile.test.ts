import { parseInfo, parseNetwork, parseNodeLs, parseNodes, parseServices, parseTasks } from '../../src/parse/docker.js';
import { parseIptables } from '../../src/parse/iptables.js';
import { parseIpvs } from '../../src/parse/ipvs.js';
import { parseIpvsConn } from '../../src/parse/ipvs-conn.js';
import { parseAddr, parseNeigh, parseRoutes, parseSysctl } from '../../src/parse/net.js';
import { parseFdb } from '../../src/parse/fdb.js';
import { jsonValueLines, type Diagnostic, type Parsed } from '../../src/parse/types.js';

/*
 * Captures from someone else: every input a parser cannot read is an error with the file and the
 * line of what it could not read, never an exception and never data that silently differs.
 */

const errors = (p: Parsed<unknown>): Diagnostic[] => p.diagnostics.filter((d) => d.severity === 'error');

/** Parsing never throws; the result has an error naming `file` at `line` whose message matches. */
function expectError(parse: () => Parsed<unknown>, file: string, line: number, message: RegExp): void {
  let p: Parsed<unknown> | undefined;
  expect(() => (p = parse())).not.toThrow();
  expect(errors(p!)).toContainEqual(expect.objectContaining({ file, line, severity: 'error', message: expect.stringMatching(message) }));
}

const SERVICE = {
  ID: 'svc1',
  Spec: { Name: 'web', Mode: { Replicated: { Replicas: 1 } }, EndpointSpec: { Mode: 'vip' } },
  Endpoint: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }], VirtualIPs: [{ NetworkID: 'n1', Addr: '10.0.0.5/24' }] },
};
/** services.json as the API prints it, with PublishedPort replaced by `port` (raw JSON text). */
const servicesWithPort = (port: string) => JSON.stringify([SERVICE], null, 2).replace('"PublishedPort": 8080', `"PublishedPort": ${port}`);
const PORT_LINE = servicesWithPort('8080').split('\n').findIndex((l) => l.includes('"PublishedPort"')) + 1;

describe('JSON of the wrong shape (docker API, ip -j)', () => {
  it.each([
    ['a float', '8080.5'],
    ['out of range', '70000'],
    ['negative', '-1'],
    ['too large for a double (1e309)', '1e309'],
    ['a word', '"http"'],
    ['null', 'null'],
  ])('services.json PublishedPort %s is an error at its line', (_, port) => {
    expectError(() => parseServices(servicesWithPort(port), 'cluster/services.json'), 'cluster/services.json', PORT_LINE, /PublishedPort is .*expected an integer from 0 to 65535/);
    expect(parseServices(servicesWithPort(port), 'cluster/services.json').data[0].ports[0].publishedPort).toBe(0);
  });

  it('services.json Endpoint.Ports a string is an error at its line', () => {
    const text = JSON.stringify([{ ...SERVICE, Endpoint: { Ports: '8080:80' } }], null, 2);
    const line = text.split('\n').findIndex((l) => l.includes('"Ports"')) + 1;
    expectError(() => parseServices(text, 'services.json'), 'services.json', line, /^service entry 0: Endpoint.Ports is "8080:80", expected a list$/);
  });

  it('services.json: a VIP with a prefix that is no number is an error, not a crash later', () => {
    const text = JSON.stringify([{ ...SERVICE, Endpoint: { ...SERVICE.Endpoint, VirtualIPs: [{ NetworkID: 'n1', Addr: '10.0.0.5/abc' }] } }], null, 2);
    const line = text.split('\n').findIndex((l) => l.includes('10.0.0.5/abc')) + 1;
    expectError(() => parseServices(text, 'services.json'), 'services.json', line, /VirtualIPs\[0\]\.Addr is "10.0.0.5\/abc": not ADDRESS\/PREFIX-LENGTH/);
  });

  it('services.json: a null entry and a string entry are errors at their lines', () => {
    const text = '[\n  null,\n  "svc"\n]';
    const p = parseServices(text, 'services.json');
    expect(errors(p).map((d) => [d.line, d.message])).toEqual([
      [2, 'service entry 0 is null, expected a service object'],
      [3, 'service entry 1 is "svc", expected a service object'],
    ]);
  });

  it('tasks.json: a float slot and addresses that are not a list are errors', () => {
    const text = JSON.stringify([{ ID: 't1', ServiceID: 's1', Slot: 1.5, NetworksAttachments: [{ Network: { ID: 'n' }, Addresses: '10.0.0.9/24' }] }], null, 2);
    const p = parseTasks(text, 'tasks.json');
    expect(errors(p).map((d) => d.message)).toEqual(['task entry 0: Slot is 1.5, expected an integer from 0 to 9007199254740991', 'task entry 0: NetworksAttachments[0].Addresses is "10.0.0.9/24", expected a list']);
    expect(errors(p).map((d) => d.line)).toEqual([5, 11]);
  });

  it('info.json Swarm null is an error (Swarm is never null in docker info)', () => {
    const text = '{\n  "ServerVersion": "27.5.1",\n  "Swarm": null\n}';
    expectError(() => parseInfo(text, 'nodes/a/info.json'), 'nodes/a/info.json', 3, /^docker info Swarm is null, expected an object$/);
  });

  it('info.json DataPathPort out of range is an error', () => {
    const text = '{"ServerVersion": "27.5.1", "Swarm": {"Cluster": {"DataPathPort": 99999}}}';
    expectError(() => parseInfo(text, 'info.json'), 'info.json', 1, /DataPathPort is 99999/);
  });

  it('nodes.json: a node whose Description is null or a string is an error', () => {
    const text = JSON.stringify([{ ID: 'a', Description: null }, { ID: 'b', Description: 'x', ManagerStatus: { Leader: 'yes' } }], null, 2);
    const p = parseNodes(text, 'nodes.json');
    expect(errors(p).map((d) => d.message)).toEqual([
      'node entry 0: Description is null, expected an object',
      'node entry 1: Description is "x", expected an object',
      'node entry 1: ManagerStatus.Leader is "yes", expected true or false',
    ]);
  });

  it('a network whose Containers is a list, or whose endpoint is a number, is an error', () => {
    expectError(() => parseNetwork('{"Name": "ingress", "Id": "x",\n "Containers": []}', 'n.json'), 'n.json', 2, /^network Containers is a list, expected an object$/);
    expectError(() => parseNetwork('{"Name": "ingress", "Id": "x",\n "Containers": {\n "abc": 5}}', 'n.json'), 'n.json', 3, /^network Containers.abc is 5, expected an object$/);
  });

  it('Go nulls for empty lists and maps read as empty, without an error', () => {
    const p = parseNetwork('{"Name": "ingress", "Id": "x", "Containers": null, "Peers": null, "IPAM": {"Config": null}}', 'n.json');
    expect(p.diagnostics).toEqual([]);
    expect(p.data).toMatchObject({ containers: [], peers: [], subnets: [] });
  });

  it('neigh.json as an object, with "dst": 5, with null entries, or a string, is an error', () => {
    expectError(() => parseNeigh('{"dev": "eth0"}', 'neigh.json'), 'neigh.json', 1, /has no "dst"/);
    expectError(() => parseNeigh('[\n{"dst": 5, "state": ["REACHABLE"]}\n]', 'neigh.json'), 'neigh.json', 2, /^ip -j neigh entry 0: dst is 5, expected a string$/);
    expectError(() => parseNeigh('[\n{"dst": "10.0.0.2", "state": ["REACHABLE"]},\nnull\n]', 'neigh.json'), 'neigh.json', 3, /^ip -j neigh entry 1 is null, expected an object$/);
    expectError(() => parseNeigh('[{"dst": "10.0.0.2", "state": 5}]', 'neigh.json'), 'neigh.json', 1, /state is 5, expected a list/);
    expectError(() => parseNeigh('[{"dst": "10.0.0.2", "lladdr": {"a": 1}}]', 'neigh.json'), 'neigh.json', 1, /lladdr is an object, expected a string/);
  });

  it('ip -j addr with addr_info null entries, a number, or a bad prefix length is an error', () => {
    expectError(() => parseAddr('[{"ifname": "eth0", "addr_info": [null]}]', 'addr.json'), 'addr.json', 1, /addr_info\[0\] is null/);
    expectError(() => parseAddr('[{"ifname": "eth0", "addr_info": 5}]', 'addr.json'), 'addr.json', 1, /addr_info is 5, expected a list/);
    expectError(() => parseAddr('[{"ifname": "eth0",\n "addr_info": [{"family": "inet", "local": "10.0.0.2", "prefixlen": 8080.5}]}]', 'addr.json'), 'addr.json', 2, /prefixlen is 8080.5/);
    expectError(() => parseAddr('[{"ifname": "eth0", "mtu": "big"}]', 'addr.json'), 'addr.json', 1, /mtu is "big"/);
  });

  it('bridge -j fdb: a row without a MAC, with "mac": 5, a MAC that is none, or null is an error at its line', () => {
    expectError(() => parseFdb('[\n{"ifname": "vxlan0", "dst": "10.0.0.1"}\n]', 'fdb.json'), 'fdb.json', 2, /^bridge -j fdb entry 0 has no "mac"$/);
    expectError(() => parseFdb('[\n{"mac": 5}\n]', 'fdb.json'), 'fdb.json', 2, /^bridge -j fdb entry 0: mac is 5, expected a string$/);
    expectError(() => parseFdb('[{"mac": "02:42"},\n{"mac": "vxlan0"}]', 'fdb.json'), 'fdb.json', 2, /^bridge -j fdb entry 1: mac "vxlan0" is not a MAC address$/);
    expectError(() => parseFdb('[\n{"mac": "02:42:0a:00:00:05"},\nnull\n]', 'fdb.json'), 'fdb.json', 3, /^bridge -j fdb entry 1 is null, expected an object$/);
  });

  it('bridge -j fdb: fields of the wrong type are errors at their lines, and read as empty', () => {
    const text = '[{"mac": "02:42:0a:00:00:05",\n "ifname": ["vxlan0"],\n "dst": {"ip": "10.0.0.1"},\n "flags": "self",\n "vlan": 70000,\n "state": 5}]';
    const p = parseFdb(text, 'fdb.json');
    expect(errors(p).map((d): [number, string] => [d.line, d.message]).sort((x, y) => x[0] - y[0])).toEqual([
      [2, 'bridge -j fdb entry 0: ifname is a list, expected a string'],
      [3, 'bridge -j fdb entry 0: dst is an object, expected a string'],
      [4, 'bridge -j fdb entry 0: flags is "self", expected a list'],
      [5, 'bridge -j fdb entry 0: vlan is 70000, expected an integer from 0 to 4095'],
      [6, 'bridge -j fdb entry 0: state is 5, expected a string'],
    ]);
    expect(p.data.entries).toEqual([expect.objectContaining({ mac: '02:42:0a:00:00:05', device: '', dst: '', vlan: 0, flags: [], state: '' })]);
  });

  it('bridge fdb show: a row that is no row, an unknown word, a keyword without its value or a bad VLAN is an error at its line', () => {
    expectError(() => parseFdb('02:42:0a:00:00:05 dev vxlan0 dst 10.0.0.1 self permanent\ndev vxlan0 dst 10.0.0.1\n', 'fdb.txt'), 'fdb.txt', 2, /not a 'bridge fdb show' row/);
    expectError(() => parseFdb('02:42:0a:00:00:05 dev vxlan0 dst 10.0.0.1 selfish permanent\n', 'fdb.txt'), 'fdb.txt', 1, /unknown word 'selfish'/);
    expectError(() => parseFdb('\n02:42:0a:00:00:05 dev vxlan0 dst\n', 'fdb.txt'), 'fdb.txt', 2, /'dst' without its value/);
    expectError(() => parseFdb('02:42:0a:00:00:05 dev br0 vlan 5000 master br0\n', 'fdb.txt'), 'fdb.txt', 1, /vlan 5000 is not a VLAN id/);
  });

  it('ip -j route with "dst": [] is an error', () => {
    expectError(() => parseRoutes('[{"dst": []}]', 'routes.json'), 'routes.json', 1, /dst is a list, expected a string/);
  });

  it('JSON that is a bare number or null is an error, not a crash', () => {
    for (const text of ['5', 'null', '"x"', 'true']) {
      for (const parse of [parseServices, parseTasks, parseNodes, parseNetwork, parseInfo, parseNeigh, parseAddr, parseRoutes, parseFdb] as ((c: string, f: string) => Parsed<unknown>)[]) {
        let p: Parsed<unknown> | undefined;
        expect(() => (p = parse(text.startsWith('[') || text.startsWith('{') ? text : `[${text}]`, 'f.json'))).not.toThrow();
        expect(errors(p!).length).toBeGreaterThan(0);
      }
    }
  });
});

describe('iptables that cannot be read', () => {
  const save = (rule: string) => `*nat\n:DOCKER-INGRESS - [0:0]\n${rule}\nCOMMIT\n`;

  it('a non-numeric --dport is an error at its line', () => {
    expectError(() => parseIptables(save('-A DOCKER-INGRESS -p tcp -m tcp --dport abc -j DNAT --to-destination 172.18.0.2:8080'), 'iptables.txt'), 'iptables.txt', 3, /--dport abc is not a port/);
  });

  it('a port out of range, or a multiport list with a word, is an error', () => {
    expectError(() => parseIptables(save('-A DOCKER-INGRESS -p tcp -m tcp --dport 70000 -j ACCEPT'), 'f'), 'f', 3, /--dport 70000 is not a port/);
    expectError(() => parseIptables(save('-A DOCKER-INGRESS -p tcp -m multiport --dports 80,web -j ACCEPT'), 'f'), 'f', 3, /--dports 80,web is not a port list/);
    expectError(() => parseIptables(save(`-A DOCKER-INGRESS -p tcp -m tcp --sport ${'9'.repeat(400)} -j ACCEPT`), 'f'), 'f', 3, /--sport 9+ is not a port/);
  });

  it('a non-numeric --to-destination port is an error at its line', () => {
    expectError(() => parseIptables(save('-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:xyz'), 'iptables.txt'), 'iptables.txt', 3, /--to-destination 172.18.0.2:xyz is not ADDRESS\[:PORT\]/);
  });

  it('reads the NAT target forms iptables prints', () => {
    for (const [to, address, port] of [['172.18.0.2:8080', '172.18.0.2', 8080], ['172.18.0.2', '172.18.0.2', 0], ['172.18.0.2:8080-8090', '172.18.0.2', 8080], ['10.0.0.1-10.0.0.9:80', '10.0.0.1-10.0.0.9', 80], [':8080', '', 8080], ['[::1]:80', '::1', 80]] as const) {
      const p = parseIptables(save(`-A DOCKER-INGRESS -p tcp --dport 80 -j DNAT --to-destination ${to}`), 'f');
      expect(p.diagnostics).toEqual([]);
      expect(p.data.tables.get('nat')!.get('DOCKER-INGRESS')!.rules[0]).toMatchObject({ toAddress: address, toPort: port });
    }
  });

  it('a mark that is no 32-bit number is an error (a false "no mark" otherwise)', () => {
    expectError(() => parseIptables(`*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 80 -j MARK --set-xmark 0x${'f'.repeat(300)}/0xffffffff\nCOMMIT\n`, 'f'), 'f', 3, /cannot read mark value/);
    expectError(() => parseIptables(`*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 80 -j MARK --set-mark banana\nCOMMIT\n`, 'f'), 'f', 3, /cannot read mark value 'banana'/);
  });

  it('a table cut before its COMMIT (at the end of the file) is an error naming the table and its line', () => {
    const cut = '# Generated by iptables-save v1.8.9\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:DOCKER-INGRESS - [0:0]\n-A PREROUTING -j DOCKER-INGRESS\n';
    expectError(() => parseIptables(cut, 'host/iptables.txt'), 'host/iptables.txt', 5, /^table nat \(line 5\) has no COMMIT before the end of the file/);
  });

  it('a table with no COMMIT before the next *table is an error', () => {
    const cut = '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j ACCEPT\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n';
    expectError(() => parseIptables(cut, 'f'), 'f', 1, /^table nat \(line 1\) has no COMMIT before '\*filter' at line 4/);
  });

  it('a rule after COMMIT, outside any table, is an error', () => {
    expectError(() => parseIptables('*nat\n:X - [0:0]\nCOMMIT\n-A X -j ACCEPT\n', 'f'), 'f', 4, /rule outside a table \(after the COMMIT at line 3/);
  });

  it('-L listings: a numeric port out of range is an error, an unknown service name a warning', () => {
    const listing = (extra: string) => `Chain DOCKER-INGRESS (2 references)\ntarget     prot opt source               destination\nDNAT       tcp  --  0.0.0.0/0            0.0.0.0/0            ${extra}\n`;
    expectError(() => parseIptables(listing(`tcp dpt:${'9'.repeat(400)} to:172.18.0.2:8080`), 'iptables-nat.txt', 'nat'), 'iptables-nat.txt', 3, /dpt:9+ is not a port/);
    expectError(() => parseIptables(listing('tcp dpt:8080 to:172.18.0.2:99999'), 'iptables-nat.txt', 'nat'), 'iptables-nat.txt', 3, /to:172.18.0.2:99999 is not ADDRESS/);
    const named = parseIptables(listing('tcp dpt:frobnicate to:172.18.0.2:8080'), 'iptables-nat.txt', 'nat');
    expect(named.diagnostics.map((d) => d.severity)).toEqual(['warning']);
  });
});

describe('IPVS output that cannot be read', () => {
  it('a non-numeric backend port in ipvsadm -Ln is an error', () => {
    expectError(() => parseIpvs('FWM  8282 rr\n  -> 10.0.0.98:abc   Masq    1      0          0\n', 'ipvs.txt'), 'ipvs.txt', 2, /cannot read backend address '10.0.0.98:abc'/);
    expectError(() => parseIpvs('FWM  8282 rr\n  -> 10.0.0.98:70000   Masq    1      0          0\n', 'ipvs.txt'), 'ipvs.txt', 2, /cannot read backend address/);
  });

  it('a weight that is no number is an error (weight 0 decides whether IPVS uses a backend)', () => {
    expectError(() => parseIpvs('FWM  8282 rr\n  -> 10.0.0.98:0   Masq    heavy      0          0\n', 'ipvs.txt'), 'ipvs.txt', 2, /cannot read backend weight/);
    expectError(() => parseIpvs('-A -f 8282 -s rr\n-a -f 8282 -r 10.0.0.98:0 -m -w abc\n', 'ipvs.txt'), 'ipvs.txt', 2, /cannot read weight 'abc'/);
  });

  it('ipvsadm -S: a real server with a port that is no number is an error, not an address', () => {
    expectError(() => parseIpvs('-A -f 8282 -s rr\n-a -f 8282 -r 10.0.0.98:xyz -m -w 1\n', 'ipvs.txt'), 'ipvs.txt', 2, /cannot read real server '10.0.0.98:xyz'/);
  });

  it('a firewall mark wider than 32 bits is an error', () => {
    expectError(() => parseIpvs(`FWM  ${'9'.repeat(40)} rr\n`, 'ipvs.txt'), 'ipvs.txt', 1, /cannot read firewall mark/);
  });
});

describe('text a person pasted or an editor saved', () => {
  const IPTABLES = '*nat\n:DOCKER-INGRESS - [0:0]\n-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:8080\nCOMMIT\n';
  const SAMPLES: [string, (c: string, f: string) => Parsed<unknown>, string][] = [
    ['iptables-save', parseIptables, IPTABLES],
    ['ipvsadm -Ln', parseIpvs, 'FWM  8282 rr\n  -> 10.0.0.98:0   Masq    1      0          0\n'],
    ['/proc/net/ip_vs_conn', parseIpvsConn, 'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\nUDP C0A80001 9C41 C0A80002 0202 0A000058 0202 UDP             297\n'],
    ['ipvsadm -Lnc', parseIpvsConn, 'IPVS connection entries\npro expire state       source             virtual            destination\nUDP 04:24  UDP         192.168.127.89:44117 192.168.127.89:514 192.168.129.116:514\n'],
    ['ip neigh', parseNeigh, '10.0.0.98 dev eth0 lladdr 02:42:0a:00:00:62 REACHABLE\n'],
    ['ip -j neigh', parseNeigh, '[{"dst": "10.0.0.98", "dev": "eth0", "state": ["REACHABLE"]}]'],
    ['bridge fdb show', parseFdb, '02:42:0a:00:00:62 dev vxlan0 dst 192.168.100.253 self permanent\n'],
    ['bridge -j fdb show', parseFdb, '[{"mac": "02:42:0a:00:00:62", "ifname": "vxlan0", "dst": "192.168.100.253", "flags": ["self"], "state": "permanent"}]'],
    ['ip addr', parseAddr, '1: eth0: <UP> mtu 1450 state UP\n    inet 10.0.0.2/24 scope global eth0\n'],
    ['ip -j route', parseRoutes, '[{"dst": "default", "gateway": "10.0.0.1", "dev": "eth0"}]'],
    ['sysctl', parseSysctl, 'net.ipv4.ip_forward = 1\n'],
    ['docker info', parseInfo, '{"ServerVersion": "27.5.1", "Swarm": {"NodeID": "x"}}'],
    ['services.json', parseServices, JSON.stringify([SERVICE])],
    ['docker node ls', parseNodeLs, 'ID                            HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION\nabc123def456 *                node1      Ready     Active         Leader           27.5.1\n'],
  ];

  it.each(SAMPLES)('%s: a leading byte order mark (U+FEFF) reads as if absent', (_, parse, text) => {
    const plain = parse(text, 'f');
    expect(plain.diagnostics).toEqual([]);
    expect(parse('\uFEFF' + text, 'f')).toEqual(plain);
  });

  it.each(SAMPLES)('%s: NUL characters anywhere never throw', (_, parse, text) => {
    for (let i = 0; i <= text.length; i += 7) {
      expect(() => parse(text.slice(0, i) + '\0' + text.slice(i), 'f')).not.toThrow();
    }
    expect(() => parse('\0'.repeat(1000), 'f')).not.toThrow();
  });

  it.each(SAMPLES)('%s: a 2 MB line is refused or read, in linear time, never a crash', (_, parse, text) => {
    for (const long of ['a'.repeat(2e6), `${'1'.repeat(1e6)}:${'2'.repeat(1e6)}`, ` ${'-A X '.repeat(4e5)}`, `[${'['.repeat(1e5)}`]) {
      const t = Date.now();
      expect(() => parse(text + long + '\n', 'f')).not.toThrow();
      expect(() => parse(long, 'f')).not.toThrow();
      expect(Date.now() - t).toBeLessThan(10_000);
    }
  });
});

describe('finding the line of a JSON value', () => {
  it('follows keys and indices, and gives 0 for a path that is not there', () => {
    const text = '[\n  {"a": 1,\n   "b": [\n     "x",\n     {"c": null}\n   ]},\n  5\n]';
    expect(jsonValueLines(text, [[0, 'a'], [0, 'b', 1, 'c'], [1], [0, 'b', 0], [2], [0, 'nope'], []])).toEqual([2, 5, 7, 4, 0, 0, 1]);
  });

  it('reads escaped keys and the last of duplicate keys as JSON.parse does', () => {
    expect(jsonValueLines('{"a\\u0062": 1,\n"ab": 2}', [['ab']])).toEqual([2]);
  });

  it('does not recurse: deep nesting is no stack overflow', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(jsonValueLines(deep, [[0, 0, 0]])).toEqual([1]);
  });
});
