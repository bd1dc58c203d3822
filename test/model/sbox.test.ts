import { ipvsUdpFlows, minutesSeconds } from '../../src/model/sbox.js';
import { toJson } from '../../src/model/classes.js';
import { parseIpvsConn } from '../../src/parse/ipvs-conn.js';

const FILE = 'nodes/228/ingress_sbox/ipvs-conn.txt';
/** A /proc/net/ip_vs_conn line (ip_vs_conn_seq_show's format) of a flow from 192.168.0.1:cport to 192.168.0.2:vport, sent to dest:dport. */
const line = (proto: string, cport: number, vport: number, dest: string, dport: number, expires: number) =>
  `${proto.padEnd(3)} C0A80001 ${cport.toString(16).toUpperCase().padStart(4, '0')} C0A80002 ${vport.toString(16).toUpperCase().padStart(4, '0')} ${dest} ${dport.toString(16).toUpperCase().padStart(4, '0')} ${(proto === 'TCP' ? 'ESTABLISHED' : proto).padEnd(11)} ${String(expires).padStart(7)}`;

describe("IPVS's UDP flows in ingress_sbox, by destination (ipvsUdpFlows)", () => {
  it('groups the UDP entries by destination address and port, in the order the file first names each, leaving TCP out', () => {
    const text = [
      line('UDP', 40001, 514, '0A000058', 514, 120), // 10.0.0.88:514
      line('TCP', 40002, 8080, '0A000062', 8080, 899),
      line('UDP', 40003, 514, '0A00005B', 514, 299), // 10.0.0.91:514
      line('UDP', 40004, 5514, '0A000058', 514, 297),
      line('UDP', 40005, 514, '0A000058', 514, 3),
      line('UDP', 40006, 514, '0A000058', 5140, 60), // another port of that address: another destination
      ...[40007, 40008, 40009, 40010].map((p) => line('UDP', p, 514, '0A000058', 514, 30)),
    ].join('\n');
    const parsed = parseIpvsConn(text, FILE);
    expect(parsed.diagnostics).toEqual([]);
    const { ipvsConnTable, ipvsUdpDestinations } = ipvsUdpFlows(parsed.data, parsed.format, FILE);
    expect(toJson(ipvsConnTable)).toEqual({ present: true, file: FILE, format: 'proc-ip_vs_conn', udpFlows: 9, cut: false, cutAt: 0, cutLine: 0, at: FILE });
    expect(toJson(ipvsUdpDestinations)).toEqual([
      // Two clients as examples, the published ports they came in on (ascending), the longest expiry, the first five lines.
      { key: '10.0.0.88:514', address: '10.0.0.88', port: 514, flows: 7, clients: ['192.168.0.1:40001', '192.168.0.1:40004'], virtualPorts: [514, 5514], maxExpires: 297, maxExpiresText: '4:57', file: FILE, line: 1, lines: [1, 4, 5, 7, 8], at: `${FILE}:1` },
      { key: '10.0.0.91:514', address: '10.0.0.91', port: 514, flows: 1, clients: ['192.168.0.1:40003'], virtualPorts: [514], maxExpires: 299, maxExpiresText: '4:59', file: FILE, line: 3, lines: [3], at: `${FILE}:3` },
      { key: '10.0.0.88:5140', address: '10.0.0.88', port: 5140, flows: 1, clients: ['192.168.0.1:40006'], virtualPorts: [514], maxExpires: 60, maxExpiresText: '1:00', file: FILE, line: 6, lines: [6], at: `${FILE}:6` },
    ]);
  });

  it("says the collectors cut the table, at its cut line; an IPv6 destination's key is in brackets", () => {
    const v6 = 'UDP 2001:0db8:0000:0000:0000:0000:0000:0001 9C41 2001:0db8:0000:0000:0000:0000:0000:0002 0202 2001:0db8:0000:0000:0000:0000:0000:0058 0202 UDP             120';
    const parsed = parseIpvsConn(`${v6}\n# cut at 1 UDP entries: ingress_sbox has more\n`, FILE);
    expect(parsed.diagnostics).toEqual([]);
    const { ipvsConnTable, ipvsUdpDestinations } = ipvsUdpFlows(parsed.data, parsed.format, FILE);
    expect(toJson(ipvsConnTable)).toMatchObject({ udpFlows: 1, cut: true, cutAt: 1, cutLine: 2, at: `${FILE}:2` });
    expect(toJson(ipvsUdpDestinations)).toEqual([expect.objectContaining({ key: '[2001:db8::58]:514', clients: ['[2001:db8::1]:40001'] })]);
  });

  it('has no destination for an empty table, nor where the input was not read', () => {
    const empty = parseIpvsConn('', FILE);
    expect(toJson(ipvsUdpFlows(empty.data, empty.format, FILE))).toEqual({ ipvsConnTable: { present: true, file: FILE, format: 'empty', udpFlows: 0, cut: false, cutAt: 0, cutLine: 0, at: FILE }, ipvsUdpDestinations: [] });
    expect(toJson(ipvsUdpFlows(undefined, '', FILE))).toEqual({ ipvsConnTable: { present: false, file: FILE, format: '', udpFlows: 0, cut: false, cutAt: 0, cutLine: 0, at: FILE }, ipvsUdpDestinations: [] });
  });

  it('writes an expiry as ipvsadm -Lnc does, minutes and seconds', () => {
    expect([0, 9, 60, 297, 300, 3600].map(minutesSeconds)).toEqual(['0:00', '0:09', '1:00', '4:57', '5:00', '60:00']);
  });
});
