import { parseIpvsConn } from '../../src/parse/ipvs-conn.js';
import { cutIpvsConn } from '../../src/collect/commands.js';

/**
 * Lines as the kernel prints /proc/net/ip_vs_conn: net/netfilter/ipvs/ip_vs_conn.c,
 * ip_vs_conn_seq_show, `"%-3s %08X %04X %08X %04X %s %04X %-11s %7u%s\n"` (the header
 * `Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData`).
 */
const HEADER = 'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData';
const UDP = 'UDP C0A80001 9C41 C0A80002 0202 0A000058 0202 UDP             297';
const TCP = 'TCP 0A004FB6 0045 0A004FB6 1F90 0A004FB6 1F91 SYN_RECV         57';

describe('parseIpvsConn (/proc/net/ip_vs_conn, ipvsadm -Lnc)', () => {
  it("reads the kernel's lines: hex addresses as dotted quads, hex ports, state, seconds left, persistence engine", () => {
    const r = parseIpvsConn(`${HEADER}\n${UDP}\n${TCP}\n${TCP.replace('57', ' 7 sip 1a2b3c')}\n`, 'f');
    expect(r.diagnostics).toEqual([]);
    expect(r.format).toBe('proc-ip_vs_conn');
    expect(r.data.cutAt).toBe(0);
    expect(r.data.conns).toEqual([
      { protocol: 'UDP', clientAddress: '192.168.0.1', clientPort: 40001, virtualAddress: '192.168.0.2', virtualPort: 514, destAddress: '10.0.0.88', destPort: 514, state: 'UDP', expires: 297, peName: '', peData: '', line: 2 },
      { protocol: 'TCP', clientAddress: '10.0.79.182', clientPort: 69, virtualAddress: '10.0.79.182', virtualPort: 8080, destAddress: '10.0.79.182', destPort: 8081, state: 'SYN_RECV', expires: 57, peName: '', peData: '', line: 3 },
      expect.objectContaining({ expires: 7, peName: 'sip', peData: '1a2b3c', line: 4 }),
    ]);
  });

  it('reads an IPv6 line (%pI6, eight groups) and ip_vs_conn_sync (an Origin column before the seconds)', () => {
    const v6 = 'UDP 2001:0db8:0000:0000:0000:0000:0000:0001 9c41 2001:0db8:0000:0000:0000:0000:0000:0002 0202 2001:0db8:0000:0000:0000:0000:0000:0058 0202 UDP             120';
    const sync = 'UDP C0A80001 9C41 C0A80002 0202 0A000058 0202 UDP         LOCAL      30';
    const r = parseIpvsConn(`${v6}\n${sync}\n`, 'f');
    expect(r.diagnostics).toEqual([]);
    expect(r.data.conns.map((c) => [c.clientAddress, c.destAddress, c.destPort, c.expires])).toEqual([
      ['2001:db8::1', '2001:db8::58', 514, 120],
      ['192.168.0.1', '10.0.0.88', 514, 30],
    ]);
  });

  it('reads ipvsadm -Lnc as posted in kubernetes/kubernetes#76664, with its prompt and headers; mm:ss as seconds', () => {
    const text = [
      '# ipvsadm -Lnc | grep :514',
      'IPVS connection entries',
      'pro expire state       source             virtual            destination',
      'UDP 04:24  UDP         192.168.127.89:44117 192.168.127.89:514 192.168.129.116:514',
      'UDP 04:12  UDP         192.168.128.178:42898 192.168.127.89:514 192.168.128.193:514',
    ].join('\n');
    const r = parseIpvsConn(text, 'f');
    expect(r.diagnostics).toEqual([]);
    expect(r.format).toBe('ipvsadm-Lnc');
    expect(r.data.conns).toEqual([
      { protocol: 'UDP', clientAddress: '192.168.127.89', clientPort: 44117, virtualAddress: '192.168.127.89', virtualPort: 514, destAddress: '192.168.129.116', destPort: 514, state: 'UDP', expires: 264, peName: '', peData: '', line: 4 },
      expect.objectContaining({ clientAddress: '192.168.128.178', destAddress: '192.168.128.193', expires: 252, line: 5 }),
    ]);
    // --persistent-conn adds the persistence engine's columns; IPv6 in brackets; a pasted prompt first.
    const pe = parseIpvsConn('[root@n1 ~]# ipvsadm -Lnc --persistent-conn\nUDP 00:59  UDP         [2001:db8::1]:5060 [2001:db8::2]:5060 [2001:db8::58]:5060 sip 1a2b\n', 'f');
    expect(pe.diagnostics).toEqual([]);
    expect(pe.data.conns[0]).toMatchObject({ clientAddress: '2001:db8::1', destAddress: '2001:db8::58', destPort: 5060, expires: 59, peName: 'sip', peData: '1a2b', line: 2 });
  });

  it("reads the collectors' cut line: how many UDP entries were kept of more, and warns when the file does not hold that many", () => {
    const lines = Array.from({ length: 4 }, (_, i) => UDP.replace('9C41', (0x9c41 + i).toString(16).toUpperCase()));
    const cut = cutIpvsConn(lines.join('\n') + '\n', 3);
    const r = parseIpvsConn(cut, 'f');
    expect(r.diagnostics).toEqual([]);
    expect(r.data).toMatchObject({ cutAt: 3, cutLine: 4 });
    expect(r.data.conns).toHaveLength(3);
    const short = parseIpvsConn(`${UDP}\n# cut at 5000 UDP entries: ingress_sbox has more\n# cut at 10 UDP entries\n`, 'f');
    expect(short.diagnostics.map((d) => [d.severity, d.line, d.message])).toEqual([
      ['warning', 3, 'a second cut line (the first is line 2): the first is kept'],
      ['warning', 2, 'the cut line says 5000 UDP entries were kept, the file has 1'],
    ]);
    expect(short.data).toMatchObject({ cutAt: 5000, cutLine: 2 });
  });

  it('reads an empty file (no UDP entry: what the collectors write) and one of headers only as an empty table', () => {
    for (const text of ['', '\n', `${HEADER}\n`, 'IPVS connection entries\npro expire state       source             virtual            destination\n']) {
      const r = parseIpvsConn(text, 'f');
      expect(r.diagnostics).toEqual([]);
      expect(r.data.conns).toEqual([]);
    }
    expect(parseIpvsConn('', 'f').format).toBe('empty');
  });

  it("reads a line in the kernel's columns and the same line pasted with other spacing alike", () => {
    const kernel = parseIpvsConn(`${UDP}\n${TCP}\n`, 'f');
    const spaced = parseIpvsConn(`${UDP.replace(/ +/g, '  ')}\n${TCP.replace(/ +/g, '\t')}\n`, 'f');
    expect(kernel.diagnostics).toEqual([]);
    expect(spaced.data).toEqual(kernel.data);
    expect(kernel.data.conns.map((c) => [c.clientPort, c.virtualPort, c.destPort, c.destAddress])).toEqual([[40001, 514, 514, '10.0.0.88'], [69, 8080, 8081, '10.0.79.182']]);
  });

  it('reads CRLF and collapsed spacing', () => {
    const r = parseIpvsConn(`${HEADER}\r\n${UDP.replace(/ +/g, ' ')}\r\n`, 'f');
    expect(r.diagnostics).toEqual([]);
    expect(r.data.conns[0]).toMatchObject({ destAddress: '10.0.0.88', expires: 297, line: 2 });
  });

  it.each([
    ['UDP C0A80001 9C41 C0A80002 0202 0A000058 0202 UDP', 'expected at least 9'],
    ['UDP C0A8001 9C41 C0A80002 0202 0A000058 0202 UDP 297', "cannot read address 'C0A8001'"],
    ['UDP C0A80001 9C41 C0A80002 0202 10.0.0.88 0202 UDP 297', "cannot read address '10.0.0.88'"],
    // In the kernel's columns, but for one character that is no hex digit.
    ['UDP C0A8000G 9C41 C0A80002 0202 0A000058 0202 UDP             297', "cannot read address 'C0A8000G'"],
    ['UDP C0A80001 9C41 C0A80002 0202 0A000058 02x2 UDP             297', "cannot read port '02x2'"],
    ['UDP C0A80001 9C4 C0A80002 0202 0A000058 0202 UDP 297', "cannot read port '9C4'"],
    ['UDP C0A80001 9C41 C0A80002 0202 0A000058 0202 UDP 4:57', "cannot read the expiry '4:57'"],
    ['UDP C0A80001 9C41 C0A80002 0202 0A000058 0202 UDP 99999999999', "cannot read the expiry"],
    ['UDP 04:24  UDP         192.168.127.89:44117 192.168.127.89:514', 'expected at least 6'],
    ['UDP 04:24  UDP         client.corp:44117 192.168.127.89:514 192.168.129.116:514', "'client.corp' is a name, not an address: list with ipvsadm -Lnc (-n, numeric)"],
    ['UDP 04:24  UDP         192.168.127.89:syslog 192.168.127.89:514 192.168.129.116:514', "cannot read '192.168.127.89:syslog' as address:port"],
    ['UDP 04:24  UDP         192.168.127.89:99999 192.168.127.89:514 192.168.129.116:514', 'port 99999 out of range'],
    ['UDP 04:24  UDP         300.168.127.89:4 192.168.127.89:514 192.168.129.116:514', "'300.168.127.89' is a name, not an address"],
    ['FWM  8282 rr', 'expected at least 9'],
  ])('reports %j as an error naming the line, without throwing', (line, message) => {
    const r = parseIpvsConn(`${UDP}\n${line}\n`, 'nodes/x/ingress_sbox/ipvs-conn.txt');
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: 'nodes/x/ingress_sbox/ipvs-conn.txt', line: 2 });
    expect(errors[0].message).toContain(message);
    expect(errors[0].message).toMatch(/^not a line of \/proc\/net\/ip_vs_conn/);
    // The line it can read is still read.
    expect(r.data.conns).toHaveLength(1);
  });
});
