import { loadRules } from '../../src/rules/loader.js';
import { evaluate, exitCode, summarize } from '../../src/rules/evaluate.js';
import type { Result } from '../../src/rules/types.js';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../../src/capture/read.js';
import { buildSnapshot } from '../../src/model/build.js';
import { fixture, snapshotOf } from '../helpers/fixtures.js';
import { testRules } from '../helpers/rules.js';

const { load: rule } = testRules('evaluator');

const seed = snapshotOf('seed-cluster');
const only = (rs: Result[], node = '253') => rs.filter((r) => r.node === node);

describe('evaluation', () => {
  it('computes each `let` once per item, in order, and subject, checks and pass read them', () => {
    const r = rule('per-item-let', `forEach: node.marks
let:
  - name: port
    expression: item.protocol + "/" + string(item.port)
  - name: label
    expression: item.chain + " " + port
subject: label
checks:
  - assert: item.chain == "PREROUTING"
    message: '"not PREROUTING: " + label'
pass: '"marks " + port'
`);
    const rs = only(evaluate([r], seed));
    expect(rs.map((x) => [x.subject, x.status, x.message])).toEqual([
      ['PREROUTING tcp/8080', 'pass', 'marks tcp/8080'],
      ['INPUT all/0', 'fail', 'not PREROUTING: INPUT all/0'],
    ]);
  });

  it('refuses a `let` without forEach, and a name defined twice, naming the file and line', () => {
    expect(() => rule('let-no-foreach', `let:
  - name: x
    expression: '"a"'
checks:
  - assert: x == "a"
    message: '"x"'
pass: '"ok"'
`)).toThrow(/^rules\/let-no-foreach.yaml:\d+: let: needs forEach$/);
    expect(() => rule('let-twice', `variables:
  - name: x
    expression: '"a"'
forEach: node.marks
let:
  - name: x
    expression: '"b"'
checks:
  - assert: x == "a"
    message: '"x"'
pass: '"ok"'
`)).toThrow(/let-twice.yaml:\d+: name: 'x' is defined twice/);
  });

  it('turns a run-time CEL failure into an error result naming the field, and goes on', () => {
    const r = rule('runtime-error', `forEach: node.marks
checks:
  - assert: node.ipvsByMark[item.mark + 1].backends.size() > 0
    message: '"x"'
pass: '"ok"'
`);
    const [res] = only(evaluate([r], seed));
    expect(res.status).toBe('error');
    expect(res.message).toMatch(/^rule evaluation failed at checks\[0\]\.assert: /);
    expect(evaluate([r], seed).filter((x) => x.status === 'error')).toHaveLength(6); // two marks on each of three nodes
  });

  it('gives the first failing check: its severity and message; else the pass message', () => {
    const r = rule('ordered-checks', `severity: fail
forEach: node.marks
subject: item.chain
checks:
  - assert: item.chain != "INPUT"
    severity: warn
    message: '"input mark " + hex(item.mark)'
  - assert: item.port != 8080
    message: '"port 8080"'
pass: '"fine"'
`.replace('severity: fail\n', ''));
    const rs = only(evaluate([r], seed));
    expect(rs.map((x) => [x.subject, x.status, x.message])).toEqual([
      ['PREROUTING', 'fail', 'port 8080'],
      ['INPUT', 'warn', 'input mark 0x205a'],
    ]);
  });

  it('reports an empty forEach as pass (or skip) with its message: never silence', () => {
    const pass = rule('empty-pass', `forEach: node.marks.filter(m, m.chain == "NONE")
checks: [{assert: 'true', message: '"x"'}]
pass: '"x"'
empty: '"nothing marked"'
`);
    const skip = rule('empty-skip', `forEach: node.marks.filter(m, m.chain == "NONE")
emptyStatus: skip
checks: [{assert: 'true', message: '"x"'}]
pass: '"x"'
`);
    expect(only(evaluate([pass], seed)).map((x) => [x.status, x.message])).toEqual([['pass', 'nothing marked']]);
    expect(only(evaluate([skip], seed)).map((x) => [x.status, x.message])).toEqual([['skip', 'nothing to check here']]);
  });

  it('skips with its skipMessage when `when` is false', () => {
    const r = rule('when-false', `variables:
  - name: n
    expression: node.name
when: n == "228"
skipMessage: '"only 228, not " + n'
checks: [{assert: 'true', message: '"x"'}]
pass: '"on 228"'
`);
    expect(evaluate([r], seed).map((x) => [x.node, x.status, x.message])).toEqual([
      ['228', 'pass', 'on 228'],
      ['234', 'skip', 'only 228, not 234'],
      ['253', 'skip', 'only 228, not 253'],
    ]);
  });

  it('gates on required inputs: missing is a skip naming the file, optional ones do not gate', () => {
    const r = rule('needs-legacy', `requires: [host.iptables-legacy]
checks: [{assert: 'true', message: '"x"'}]
pass: '"x"'
`);
    expect(only(evaluate([r], seed))[0]).toMatchObject({ status: 'skip', message: 'needs nodes/253/host/iptables-legacy.txt, which is not in the capture' });
    const opt = rule('optional-legacy', `requires: ['host.iptables-legacy?']
checks: [{assert: 'true', message: '"x"'}]
pass: '"ran"'
`);
    expect(only(evaluate([opt], seed))[0]).toMatchObject({ status: 'pass', message: 'ran' });
  });

  it('fills evidence and remediation for warn and fail only', () => {
    const rs = evaluate(loadRules(), snapshotOf('broken-dnat-target'));
    for (const r of rs) {
      if (r.status === 'fail' || r.status === 'warn') {
        expect(Object.keys(r.evidence).length).toBeGreaterThan(0);
        expect(r.remediation).not.toBe('');
      } else {
        expect(r.evidence).toEqual({});
        expect(r.remediation).toBe('');
      }
    }
  });
});

describe('cluster rules that compare nodes', () => {
  const bundled = loadRules();
  const byId = (id: string) => bundled.find((r) => r.spec.id === id)!;

  /** The seed capture with one node's file replaced by text that cannot be parsed. */
  function seedWithBroken(file: string): Result[] {
    const dir = mkdtempSync(join(tmpdir(), 'md-eval-'));
    try {
      cpSync(fixture('seed-cluster'), dir, { recursive: true });
      writeFileSync(join(dir, 'nodes/228', file), '{"truncated": ');
      return evaluate([byId('peer-engine-versions'), byId('ingress-network-consistent')], buildSnapshot(readCapture(dir)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('pass on the seed, which every node could be read from', () => {
    expect(evaluate([byId('peer-engine-versions'), byId('ingress-network-consistent')], seed).map((r) => r.status)).toEqual(['pass', 'pass']);
  });

  it('give an error naming the file when one node\'s info.json cannot be read, not a comparison without it', () => {
    const [versions] = seedWithBroken('info.json');
    expect(versions.status).toBe('error');
    expect(versions.message).toMatch(/^cannot check: nodes\/228\/info\.json/);
  });

  it('give an error naming the file when one node\'s ingress network cannot be read', () => {
    const [, ingress] = seedWithBroken('networks/ingress.json');
    expect(ingress.status).toBe('error');
    expect(ingress.message).toMatch(/^cannot check: nodes\/228\/networks\/ingress\.json/);
  });
});

describe('a service none of whose tasks runs', () => {
  it('fails ipvs-backends-match-tasks naming the stale backends (was "No such key" error)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-eval-'));
    try {
      cpSync(fixture('seed-cluster'), dir, { recursive: true });
      const tasksFile = join(dir, 'cluster/tasks.json');
      const tasks = JSON.parse(readFileSync(tasksFile, 'utf8')) as { DesiredState: string; Status: { State: string } }[];
      for (const t of tasks) {
        t.DesiredState = 'shutdown';
        t.Status.State = 'shutdown';
      }
      writeFileSync(tasksFile, JSON.stringify(tasks));
      const rule = loadRules().find((r) => r.spec.id === 'ipvs-backends-match-tasks')!;
      const rs = evaluate([rule], buildSnapshot(readCapture(dir)));
      expect(rs.map((r) => r.status)).toEqual(['fail', 'fail', 'fail']);
      expect(rs[0].message).toMatch(/^IPVS FWM \d+ \(tcp\/8080\) has stale backends [\d.]+: no running task of service \S+ has them$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('exit code and summary', () => {
  const mk = (status: Result['status']): Result => ({ rule: 'r', status, severity: 'fail', node: null, subject: '', message: 'm', evidence: {}, remediation: '', docs: '' });

  it('follows --fail-on: fail (default), warn, none; error counts as fail', () => {
    expect(exitCode([mk('pass'), mk('warn'), mk('skip')], 'fail')).toBe(0);
    expect(exitCode([mk('pass'), mk('fail')], 'fail')).toBe(1);
    expect(exitCode([mk('error')], 'fail')).toBe(1);
    expect(exitCode([mk('warn')], 'warn')).toBe(1);
    expect(exitCode([mk('skip'), mk('pass')], 'warn')).toBe(0);
    expect(exitCode([mk('fail'), mk('error')], 'none')).toBe(0);
  });

  it('counts every status', () => {
    expect(summarize([mk('pass'), mk('pass'), mk('warn'), mk('error')])).toEqual({ pass: 2, warn: 1, fail: 0, skip: 0, error: 1 });
  });
});
