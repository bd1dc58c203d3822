import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, runRuleTests } from '../../src/cases/run.js';
import type { Expectation } from '../../src/cases/load.js';
import type { Result, Status } from '../../src/rules/types.js';
import { ROOT } from '../helpers/fixtures.js';

const result = (node: string | null, subject: string, status: Status): Result => ({ rule: 'r', status, severity: 'fail', node, subject, message: `${subject} is ${status}`, evidence: {}, remediation: '', docs: 'r.yaml', where: [] });
const want = (node: string | null, subject: string | undefined, status: Status): Expectation => ({ node, subject, status });

describe('a case compared with the results', () => {
  const results = [result('a', 'tcp/80', 'fail'), result('a', 'tcp/8080', 'pass'), result('b', 'tcp/80', 'pass'), result('b', 'tcp/8080', 'pass')];

  it('passes when every expectation is met and every non-pass is expected; passes nobody listed are allowed', () => {
    expect(compare([want('a', 'tcp/80', 'fail')], results)).toEqual({ missing: [], unexpected: [] });
    expect(compare([want('a', 'tcp/80', 'fail'), want('b', 'tcp/8080', 'pass')], results)).toEqual({ missing: [], unexpected: [] });
  });

  it('names an expectation no result meets: other status, other subject, other node', () => {
    for (const e of [want('a', 'tcp/80', 'warn'), want('a', 'tcp/443', 'fail'), want('c', 'tcp/80', 'fail'), want('b', 'tcp/80', 'fail')]) {
      expect(compare([want('a', 'tcp/80', 'fail'), e], results)).toEqual({ missing: [e], unexpected: [] });
    }
  });

  it('names a result that is not a pass and that nothing expected', () => {
    expect(compare([want('b', 'tcp/80', 'pass')], results)).toEqual({ missing: [], unexpected: [results[0]] });
  });

  it('lets an expectation without subject stand for any subject on its node, with that status', () => {
    expect(compare([want('a', undefined, 'fail')], results)).toEqual({ missing: [], unexpected: [] });
    expect(compare([want('a', undefined, 'fail'), want('b', undefined, 'pass')], results)).toEqual({ missing: [], unexpected: [] });
    expect(compare([want('b', undefined, 'fail')], results)).toEqual({ missing: [want('b', undefined, 'fail')], unexpected: [results[0]] });
  });

  it('matches a cluster rule by the null node', () => {
    const cluster = [result(null, 'engine versions', 'warn')];
    expect(compare([want(null, 'engine versions', 'warn')], cluster)).toEqual({ missing: [], unexpected: [] });
    expect(compare([want('a', 'engine versions', 'warn')], cluster).unexpected).toEqual(cluster);
  });
});

describe('rules test on a folder', () => {
  const EXAMPLE = join(ROOT, 'examples/team-rules');
  const CAPTURES = join(EXAMPLE, 'no-privileged-published-port.cases');
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'md-rules-test-'));
    cpSync(join(EXAMPLE, 'no-privileged-published-port.yaml'), join(dir, 'no-privileged-published-port.yaml'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Write the rule's cases file with captures from the example, by name. */
  const cases = (text: string) => writeFileSync(join(dir, 'no-privileged-published-port.cases.yaml'), text.replace(/capture: (\S+)/g, (_m, c) => `capture: ${join(CAPTURES, c)}`));
  const PASS = '- capture: only-8080\n  expect: [{node: null, subject: tcp/8080, status: pass}]\n';
  const FAIL = '- capture: publishes-80\n  expect: [{node: null, subject: tcp/80, status: fail}]\n';
  const run = () => runRuleTests({ dir, bundledRules: false });

  it('passes the worked example of examples/team-rules, with the bundled rules loaded beside it', () => {
    const out = runRuleTests({ dir: EXAMPLE });
    expect(out.exitCode).toBe(0);
    expect(out.outcomes.map((o) => [o.case.name, o.missing.length + o.unexpected.length])).toEqual([
      ['whoami publishes 8080 only', 0],
      ['legacy-web publishes 80', 0],
    ]);
    expect(out.text.trimEnd().split('\n').pop()).toBe('1 rule, 2 cases: 2 ok, 0 failed');
  });

  it('passes a rule with a passing and a failing case', () => {
    cases(PASS + FAIL);
    expect(run()).toMatchObject({ exitCode: 0, gaps: [] });
  });

  it('fails a rule with no cases, with no failing case, or with no passing case', () => {
    expect(run()).toMatchObject({ exitCode: 1, gaps: [{ rule: 'no-privileged-published-port', gap: 'no cases' }] });
    expect(run().text).toMatch(/^no cases {9}no-privileged-published-port {2}\(add .*no-privileged-published-port\.cases\.yaml\)$/m);
    cases(PASS);
    expect(run()).toMatchObject({ exitCode: 1, gaps: [{ gap: 'no failing case' }] });
    cases(FAIL);
    expect(run()).toMatchObject({ exitCode: 1, gaps: [{ gap: 'no passing case' }] });
  });

  it('fails a case whose expectations the rule does not meet, and shows expected (-) against got (+)', () => {
    cases(PASS + '- capture: publishes-80\n  expect: [{node: null, subject: tcp/80, status: warn}]\n');
    const out = run();
    expect(out.exitCode).toBe(1);
    const lines = out.text.split('\n');
    const at = lines.findIndex((l) => l.startsWith('FAILED'));
    expect(lines[at]).toMatch(/^FAILED {2}no-privileged-published-port {2}.*no-privileged-published-port\.cases\.yaml:3 {2}.*publishes-80$/);
    expect(lines.slice(at + 1, at + 4)).toEqual([
      '      expected (-), got (+):',
      '      - cluster  tcp/80  warn',
      '      + cluster  tcp/80  fail: service legacy-web publishes tcp/80 in ingress mode: ports below 1024 are for the hosts',
    ]);
    expect(lines.at(-2)).toBe('1 rule, 2 cases: 1 ok, 1 failed');
  });

  it('fails a case for a result nobody expected, and for an expected subject with no result at all', () => {
    cases(PASS + '- capture: publishes-80\n  expect:\n    - {node: null, subject: tcp/8080, status: pass}\n    - {node: null, subject: udp/53, status: fail}\n');
    const text = run().text;
    expect(text).toContain('      - cluster  udp/53  fail\n      + cluster  udp/53  (no result)\n      + cluster  tcp/80  fail: service legacy-web');
  });

  it('counts cases for a rule that is not in the folder as a problem', () => {
    cases(PASS + FAIL);
    mkdirSync(join(dir, 'gone-rule.cases'));
    const out = run();
    expect(out.exitCode).toBe(1);
    expect(out.text).toMatch(/^no rule {10}\S*gone-rule\.cases {2}\(cases for a rule that is not in /m);
  });

  it('stops (exit 2) naming the case when its capture cannot be read as a capture', () => {
    mkdirSync(join(dir, 'not-a-capture'));
    writeFileSync(join(dir, 'no-privileged-published-port.cases.yaml'), PASS.replace(/capture: \S+/, 'capture: not-a-capture'));
    expect(run).toThrow(/no-privileged-published-port\.cases\.yaml:1: capture 'not-a-capture': .*not-a-capture is not a mesh-doctor capture/);
  });
});
