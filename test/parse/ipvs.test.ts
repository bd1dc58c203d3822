import { parseIpvs } from '../../src/parse/ipvs.js';

const PROC = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
FWM  0000205A rr
  -> 0A000062:0000      Masq    1      0          0
  -> 0A000063:0000      Masq    0      2          5
TCP  0A000061:0050 rr
  -> 0A000062:0050      Masq    1      0          0
TCP  [2001:0DB8:0000:0000:0000:0000:0000:0001]:0050 rr
  -> [2001:0DB8:0000:0000:0000:0000:0000:0002]:0050      Masq    1      0          0
`;

describe('IPVS formats', () => {
  it('reads /proc/net/ip_vs hex, IPv4 and IPv6', () => {
    const p = parseIpvs(PROC, 'ipvs.txt');
    expect(p.format).toBe('proc-ip_vs');
    expect(p.diagnostics).toEqual([]);
    const [fwm, tcp, v6] = p.data.services;
    expect(fwm).toMatchObject({ protocol: 'FWM', fwmark: 8282, scheduler: 'rr' });
    expect(fwm.backends.map((b) => [b.address, b.port, b.forward, b.weight, b.activeConn, b.inactConn])).toEqual([
      ['10.0.0.98', 0, 'Masq', 1, 0, 0],
      ['10.0.0.99', 0, 'Masq', 0, 2, 5],
    ]);
    expect(tcp).toMatchObject({ protocol: 'TCP', address: '10.0.0.97', port: 80 });
    expect(v6).toMatchObject({ address: '2001:db8::1', port: 80 });
    expect(v6.backends[0].address).toBe('2001:db8::2');
  });

  it('reads ipvsadm -Ln, with and without the prompt line', () => {
    const text = `[root@253 netns]# nsenter --net=/run/docker/netns/ingress_sbox ipvsadm -Ln
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
FWM  8282 rr
  -> 10.0.0.98:0                  Masq    1      0          0
`;
    const p = parseIpvs(text, 'ipvs.txt');
    expect(p.format).toBe('ipvsadm-L');
    expect(p.diagnostics).toEqual([]);
    expect(p.data.services[0]).toMatchObject({ fwmark: 8282 });
    expect(p.data.services[0].backends[0]).toMatchObject({ address: '10.0.0.98', port: 0, forward: 'Masq', weight: 1 });
  });

  it('reads ipvsadm -S -n', () => {
    const p = parseIpvs('-A -f 8282 -s rr\n-a -f 8282 -r 10.0.0.98:0 -m -w 1\n-A -t 10.0.0.97:80 -s wrr\n-a -t 10.0.0.97:80 -r 10.0.0.98:80 -g -w 0\n', 'ipvs.txt');
    expect(p.format).toBe('ipvsadm-S');
    expect(p.diagnostics).toEqual([]);
    expect(p.data.services.map((s) => [s.protocol, s.fwmark, s.address, s.port, s.scheduler, s.backends.length])).toEqual([
      ['FWM', 8282, '', 0, 'rr', 1],
      ['TCP', 0, '10.0.0.97', 80, 'wrr', 1],
    ]);
    expect(p.data.services[1].backends[0]).toMatchObject({ forward: 'Route', weight: 0 });
  });

  it('gives one mark number whichever spelling the file uses', () => {
    const a = parseIpvs('FWM  0000205A rr\n', 'a').data.services[0].fwmark;
    const b = parseIpvs('IP Virtual Server version 1.2.1 (size=4096)\nFWM  8282 rr\n', 'b').data.services[0].fwmark;
    const c = parseIpvs('-A -f 8282 -s rr\n', 'c').data.services[0].fwmark;
    expect([a, b, c]).toEqual([8282, 8282, 8282]);
  });

  it('tolerates --stats rows, with and without counters', () => {
    const stats = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
FWM  8282                                3       18        0     1096        0
  -> 10.0.0.98:0                         3       18        0     1096        0
  -> 10.0.0.99:0
`;
    const p = parseIpvs(stats, 'ipvs.txt');
    expect(p.diagnostics).toEqual([]);
    expect(p.data.services[0]).toMatchObject({ fwmark: 8282, scheduler: '' });
    expect(p.data.services[0].backends.map((b) => [b.address, b.weight, b.forward])).toEqual([
      ['10.0.0.98', -1, ''],
      ['10.0.0.99', -1, ''],
    ]);
  });

  it('reads an empty table as no services, not as an error', () => {
    const p = parseIpvs('IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n', 'ipvs.txt');
    expect(p.diagnostics).toEqual([]);
    expect(p.data.services).toEqual([]);
  });

  it('names the line of what it cannot read, and never returns silently empty data', () => {
    const p = parseIpvs('FWM  8282 rr\n  -> nonsense\n', 'ipvs.txt');
    expect(p.diagnostics).toEqual([expect.objectContaining({ severity: 'error', line: 2, file: 'ipvs.txt' })]);
    expect(parseIpvs('hello world\n', 'x').diagnostics[0]).toMatchObject({ severity: 'error', line: 1 });
    expect(parseIpvs('', 'x').diagnostics[0].severity).toBe('error');
    expect(parseIpvs('-a -f 1 -r 10.0.0.1:0 -m\n', 'x').diagnostics[0].message).toMatch(/no '-A' line/);
  });
});

describe('a backend line met again (on another node, or in another service)', () => {
  // Each backend line's text is read once; every line with it gets a backend of its own (the model
  // adds the service to each), at its own line.
  it('gives each line its own backend object and line number, with the same fields', () => {
    const a = parseIpvs(PROC, 'a/ipvs.txt').data.services[0].backends[0];
    const b = parseIpvs(`${PROC}FWM  0000205B rr\n  -> 0A000062:0000      Masq    1      0          0\n`, 'b/ipvs.txt').data.services;
    const again = b[3].backends[0];
    expect(again).not.toBe(a);
    expect(again).not.toBe(b[0].backends[0]);
    expect({ ...again, line: a.line }).toEqual(a);
    expect([a.line, b[0].backends[0].line, again.line]).toEqual([5, 5, 12]);
  });

  it('reports a backend line first in the file as before any service, never dropping it as a pasted prompt', () => {
    const p = parseIpvs('  -> 0A000062:0000      Masq    1      0          0\nFWM  0000205A rr\n  -> 0A000063:0000      Masq    1      0          0\n', 'ipvs.txt');
    expect(p.diagnostics.map((d) => `${d.line} ${d.message}`)).toEqual(['1 backend line before any virtual service']);
  });

  it('reports a line that cannot be read at each line that has it, and one before any service as such', () => {
    const bad = '  -> 0A000062:0000      Masq    x      0          0';
    const p = parseIpvs(`IP Virtual Server version 1.2.1 (size=4096)\n${bad}\nFWM  0000205A rr\n${bad}\n${bad}\n`, 'ipvs.txt');
    expect(p.diagnostics.map((d) => `${d.line} ${d.message}`)).toEqual([
      '2 backend line before any virtual service',
      "4 cannot read backend weight and connection counts 'x 0 0' (numbers after Masq)",
      "5 cannot read backend weight and connection counts 'x 0 0' (numbers after Masq)",
    ]);
  });
});

describe('a listing read after another of its kind (the same lines, some moved or changed)', () => {
  it('reads each line as itself, service lines and backend lines, wherever the last listing had what', () => {
    const kind = 'ingress_sbox/ipvs.txt';
    parseIpvs(PROC, `nodes/a/${kind}`);
    const lines = PROC.split('\n');
    // Two services swapped, a mark and a weight changed, a service line broken: at places where the
    // last listing had other lines.
    const moved = [...lines.slice(0, 3), ...lines.slice(6, 8), 'FWM  0000205B rr', '  -> 0A000062:0000      Masq    3      0          0', '  -> 0A000063:0000      Masq    0      2          5', 'TCP  0A00006X:0050 rr', ...lines.slice(8)].join('\n');
    const p = parseIpvs(moved, `nodes/b/${kind}`);
    expect(p.data.services.map((s) => [s.protocol, s.fwmark, s.address, s.port, s.line, s.backends.map((b) => `${b.address} w${b.weight} ${b.activeConn}/${b.inactConn} @${b.line}`)])).toEqual([
      ['TCP', 0, '10.0.0.97', 80, 4, ['10.0.0.98 w1 0/0 @5']],
      ['FWM', 0x205b, '', 0, 6, ['10.0.0.98 w3 0/0 @7', '10.0.0.99 w0 2/5 @8']],
      ['TCP', 0, '2001:db8::1', 80, 10, ['2001:db8::2 w1 0/0 @11']],
    ]);
    expect(p.diagnostics.map((d) => `${d.line} ${d.message}`)).toEqual(["9 cannot read virtual address '0A00006X:0050'"]);
    // And as it reads alone, under a kind no listing had before.
    expect(parseIpvs(moved, 'fresh/kind.txt').data).toEqual(p.data);
  });
});

describe('a backend line whose connection counts are its own', () => {
  // A node that carries traffic prints the same backends as the others with counts of its own: the
  // backend is read once, each line keeps its counts.
  it('gives each line its counts, and reads the rest as the same backend', () => {
    const head = 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\nFWM  0000205A rr\n';
    const a = parseIpvs(`${head}  -> 0A000062:0000      Masq    1      14      138\n`, 'a/ipvs.txt').data.services[0].backends[0];
    const b = parseIpvs(`${head}  -> 0A000062:0000      Masq    1      3      0\n  -> 0A000062:0000      Masq    x      3      0\n`, 'b/ipvs.txt');
    expect([a.address, a.forward, a.weight, a.activeConn, a.inactConn]).toEqual(['10.0.0.98', 'Masq', 1, 14, 138]);
    expect([b.data.services[0].backends[0].activeConn, b.data.services[0].backends[0].inactConn]).toEqual([3, 0]);
    expect(b.diagnostics.map((d) => `${d.line} ${d.message}`)).toEqual(["6 cannot read backend weight and connection counts 'x 3 0' (numbers after Masq)"]);
  });

  it('reads counts past 32 bits, and a line without a forward method, as a line of its own', () => {
    const head = 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\nFWM  0000205A rr\n';
    const p = parseIpvs(`${head}  -> 0A000062:0000      Masq    1      9999999999      0\n  -> 0A000063:0000      12    5      7      8\n`, 'ipvs.txt');
    expect(p.diagnostics.map((d) => `${d.line} ${d.message}`)).toEqual(["4 cannot read backend weight and connection counts '1 9999999999 0' (numbers after Masq)"]);
    const [b] = p.data.services[0].backends;
    expect([b.address, b.forward, b.weight, b.activeConn, b.inactConn]).toEqual(['10.0.0.99', '', -1, 0, 0]);
  });
});

describe('one object per backend line that nodes share', () => {
  it("gives each node's listing the backend objects of the last one where its lines read alike, and its own where they do not", () => {
    const a = parseIpvs(PROC, 'nodes/a/ingress_sbox/ipvs.txt').data.services;
    // Another node, the same listing but for the second backend's connection counts.
    const b = parseIpvs(PROC.replace('Masq    0      2          5', 'Masq    0      7          9'), 'nodes/b/ingress_sbox/ipvs.txt').data.services;
    expect(b[0].backends[0]).toBe(a[0].backends[0]);
    expect(b[1].backends[0]).toBe(a[1].backends[0]);
    expect(b[0].backends[1]).not.toBe(a[0].backends[1]);
    expect([a[0].backends[1], b[0].backends[1]].map((x) => [x.address, x.activeConn, x.inactConn, x.line])).toEqual([
      ['10.0.0.99', 2, 5, 6],
      ['10.0.0.99', 7, 9, 6],
    ]);
    // The same line at another place is a backend of its own (its line number).
    const c = parseIpvs(PROC.replace('FWM  0000205A rr\n', 'FWM  0000205A rr\n  -> 0A000064:0000      Masq    1      0          0\n'), 'nodes/c/ingress_sbox/ipvs.txt').data.services;
    expect(c[0].backends.map((x) => [x.address, x.line])).toEqual([['10.0.0.100', 5], ['10.0.0.98', 6], ['10.0.0.99', 7]]);
    expect(c[0].backends[1]).not.toBe(a[0].backends[0]);
  });
});
