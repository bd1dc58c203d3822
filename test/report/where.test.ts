import { nodeLabel, parseWhere, placeOf, problems, repoFile } from '../../src/report/where.js';
import type { ReportInput } from '../../src/report/types.js';
import type { Result } from '../../src/rules/types.js';

const result = (over: Partial<Result>): Result => ({
  rule: 'r', status: 'fail', severity: 'fail', node: '253', subject: '', message: '', evidence: {}, remediation: '', where: [], docs: 'rules/r.yaml', ...over,
});

describe('where a result shows in the capture', () => {
  it('reads file:line, a file alone, and a line 0 as no line', () => {
    expect(parseWhere('nodes/253/host/iptables-nat.txt:30')).toEqual({ file: 'nodes/253/host/iptables-nat.txt', line: 30 });
    expect(parseWhere('cluster/nodes.json')).toEqual({ file: 'cluster/nodes.json' });
    expect(parseWhere('nodes/node2/ingress_sbox/neigh.json:0')).toEqual({ file: 'nodes/node2/ingress_sbox/neigh.json' });
    // A node's name may hold a colon or a newline: only the last `:digits` is the line.
    expect(parseWhere('nodes/a:1\nb/host/x.txt:7')).toEqual({ file: 'nodes/a:1\nb/host/x.txt', line: 7 });
  });

  it("is a result's first where, else the capture file its message names (an error's), else nothing", () => {
    expect(placeOf(result({ where: ['nodes/253/host/sysctl.txt', 'nodes/253/host/iptables.txt:4'] }))).toEqual({ file: 'nodes/253/host/sysctl.txt' });
    expect(placeOf(result({ status: 'error', message: "cannot check: nodes/253/host/iptables-nat.txt:29: malformed column header (two lines run together?): 'pkts'" }))).toEqual({ file: 'nodes/253/host/iptables-nat.txt', line: 29 });
    expect(placeOf(result({ status: 'error', message: 'cannot check: cluster/services.json: not read: a FIFO, not a regular file' }))).toEqual({ file: 'cluster/services.json' });
    expect(placeOf(result({ status: 'error', message: 'rules/x.yaml: evaluation over budget on node n1' }))).toBeUndefined();
  });

  it('gives paths from the repository root when the capture is in one', () => {
    const r = { capturePath: 'ops/capture' } as ReportInput;
    expect(repoFile(r, 'nodes/1/info.json')).toBe('ops/capture/nodes/1/info.json');
    expect(repoFile({ capturePath: '' } as ReportInput, 'nodes/1/info.json')).toBe('nodes/1/info.json');
    expect(repoFile({} as ReportInput, 'nodes/1/info.json:3')).toBe('nodes/1/info.json:3');
  });

  it('lists the problems fail and error first, then warn, then the accepted ones; no pass or skip', () => {
    const rs = [
      result({ status: 'warn', subject: 'w' }),
      result({ status: 'pass', subject: 'p' }),
      result({ status: 'fail', subject: 'a', accepted: { reason: 'x', expires: '2099-01-01', config: 'c:1' } }),
      result({ status: 'error', subject: 'e' }),
      result({ status: 'skip', subject: 's' }),
      result({ status: 'fail', subject: 'f' }),
    ];
    expect(problems(rs).map((x) => x.subject)).toEqual(['e', 'f', 'w', 'a']);
    expect(nodeLabel(null)).toBe('cluster');
    expect(nodeLabel('253')).toBe('node 253');
  });
});
