import { parseIpvsTimeout } from '../../src/parse/ipvs-timeout.js';
import { sysctlLines } from '../../src/parse/sysctl-lines.js';

describe('parseIpvsTimeout (`ipvsadm -l --timeout`)', () => {
  it('reads the three timeouts and their line, after a pasted prompt', () => {
    const r = parseIpvsTimeout('[root@253 ~]# nsenter --net=/run/docker/netns/ingress_sbox ipvsadm -l --timeout\nTimeout (tcp tcpfin udp): 900 120 300\n', 'f');
    expect(r.diagnostics).toEqual([]);
    expect(r.data).toEqual({ tcp: 900, tcpfin: 120, udp: 300, line: 2 });
  });

  it('tolerates collapsed or extra spacing', () => {
    expect(parseIpvsTimeout('Timeout (tcp tcpfin udp):  7200  120   300  \n', 'f').data).toMatchObject({ tcp: 7200, tcpfin: 120, udp: 300, line: 1 });
  });

  it.each([
    ['', 'no timeout line'],
    ['IP Virtual Server version 1.2.1 (size=4096)\n', "not an 'ipvsadm -l --timeout' line"],
    ['Timeout (tcp tcpfin udp): 900 120\n', "not an 'ipvsadm -l --timeout' line"],
    ['Timeout (tcp tcpfin udp): 99999999999 120 300\n', 'out of range'],
    ['Timeout (tcp tcpfin udp): 900 120 300\nTimeout (tcp tcpfin udp): 60 120 300\n', 'a second timeout line'],
  ])('reports %j as an error naming the line, without throwing', (text, message) => {
    const r = parseIpvsTimeout(text, 'nodes/x/ingress_sbox/ipvs-timeout.txt');
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message).join('\n')).toContain(message);
    expect(r.diagnostics.every((d) => d.file === 'nodes/x/ingress_sbox/ipvs-timeout.txt')).toBe(true);
  });
});

describe('sysctlLines', () => {
  it('gives the line of each key as parseSysctl reads it: the last of a repeated key, slashes as dots', () => {
    const m = sysctlLines('# comment\nnet.ipv4.vs.conntrack = 0\nnet/ipv4/vs/conn_reuse_mode = 1\nnot a line\nnet.ipv4.vs.conntrack = 1\n');
    expect([...m]).toEqual([
      ['net.ipv4.vs.conntrack', 5],
      ['net.ipv4.vs.conn_reuse_mode', 3],
    ]);
  });
});
