import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck, type CheckOptions } from '../../src/check.js';
import { loadConfig } from '../../src/config/load.js';
import type { Result } from '../../src/rules/types.js';
import { fixture } from '../helpers/fixtures.js';
import { ruleHead } from '../helpers/rules.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'md-apply-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** runCheck of a fixture under a config written from `text` (shown as c.yaml), judged on 2026-06-15. */
function check(name: string, text: string | undefined, over: Partial<CheckOptions> = {}) {
  const p = join(dir, `c${n++}.yaml`);
  if (text !== undefined) writeFileSync(p, text);
  return runCheck({
    dir: fixture(name), format: 'json', failOn: 'fail', color: false, verbose: false, toolVersion: '0.1.0', now: new Date('2026-06-15T12:00:00Z'),
    config: text === undefined ? undefined : loadConfig(p, 'c.yaml'),
    ...over,
  });
}
const of = (results: Result[], rule: string) => results.filter((r) => r.rule === rule);
const accept = (fields: string) => `accepted:\n  - rule: dnat-target-is-sbox\n${fields}    reason: moving node 253 to the new subnet\n    expires: 2026-06-30\n`;

describe('rules turned off or given another severity', () => {
  it('does not evaluate a rule that is off', () => {
    const out = check('broken-dnat-target', 'rules:\n  dnat-target-is-sbox: off\n');
    expect(of(out.input.results, 'dnat-target-is-sbox')).toEqual([]);
    expect(out.input.rules.map((r) => r.spec.id)).not.toContain('dnat-target-is-sbox');
    expect(out.exitCode).toBe(0);
    expect(check('broken-dnat-target', undefined).exitCode).toBe(1);
  });

  it('makes a fail a warn when the rule is set to warn (exit 0 under --fail-on fail, 1 under warn)', () => {
    const out = check('broken-dnat-target', 'rules: {dnat-target-is-sbox: warn}\n');
    const [bad] = of(out.input.results, 'dnat-target-is-sbox').filter((r) => r.status !== 'pass');
    expect(bad).toMatchObject({ node: '253', subject: 'tcp/8080', status: 'warn', severity: 'warn' });
    expect(of(out.input.results, 'dnat-target-is-sbox').every((r) => r.severity === 'warn')).toBe(true);
    expect(out.exitCode).toBe(0);
    expect(check('broken-dnat-target', 'rules: {dnat-target-is-sbox: warn}\n', { failOn: 'warn' }).exitCode).toBe(1);
  });

  it('makes a warn a fail when the rule is set to fail', () => {
    expect(check('broken-engine-patch', undefined).exitCode).toBe(0);
    const out = check('broken-engine-patch', 'rules: {peer-engine-versions: fail}\n');
    expect(of(out.input.results, 'peer-engine-versions')).toEqual([expect.objectContaining({ status: 'fail', severity: 'fail', node: null })]);
    expect(out.exitCode).toBe(1);
  });

  it('leaves passes, skips and errors as they are', () => {
    const plain = check('invalid-iptables-line', undefined).input.results;
    const set = check('invalid-iptables-line', `rules:\n${[...new Set(plain.map((r) => r.rule))].map((id) => `  ${id}: warn\n`).join('')}`).input.results;
    expect(set.map((r) => r.status)).toEqual(plain.map((r) => (r.status === 'fail' ? 'warn' : r.status)));
    expect(set.some((r) => r.status === 'error')).toBe(true);
  });

  it('refuses --rule naming a rule the config turns off, and a config that turns every rule off', () => {
    expect(() => check('seed-cluster', 'rules: {ipvs-available: off}\n', { ruleIds: ['ipvs-available'] })).toThrow("--rule: 'ipvs-available' is off in c.yaml:1 (--no-config ignores the config)");
    const team = join(dir, 'team');
    mkdirSync(team);
    writeFileSync(join(team, 'only.yaml'), ruleHead('only', 'config') + `checks: [{assert: 'true', message: '"no"'}]\npass: '"yes"'\n`);
    expect(() => check('seed-cluster', 'rules: {only: off}\n', { rulesDirs: [team], bundledRules: false })).toThrow('every rule is off in c.yaml: nothing to check');
  });
});

describe('accepted findings', () => {
  it('marks a covered fail as accepted: same status, not counted, counted apart in the summary', () => {
    const out = check('broken-dnat-target', accept('    node: 253\n    subject: tcp/8080\n'));
    const [bad] = out.input.results.filter((r) => r.status === 'fail');
    expect(bad).toMatchObject({ rule: 'dnat-target-is-sbox', status: 'fail', accepted: { reason: 'moving node 253 to the new subnet', expires: '2026-06-30', config: 'c.yaml:2' } });
    expect(out.exitCode).toBe(0);
    expect(out.input.summary).toMatchObject({ fail: 0, accepted: 1 });
    const s = out.input.summary;
    expect(s.pass + s.warn + s.fail + s.skip + s.error + s.accepted).toBe(out.input.results.length);
    expect(out.warnings).toEqual([]);
  });

  it('matches node and subject exactly when given, and any when left out', () => {
    const accepted = (fields: string) => check('broken-dnat-target', accept(fields)).input.results.filter((r) => r.accepted).length;
    expect(accepted('')).toBe(1);
    expect(accepted('    node: 253\n')).toBe(1);
    expect(accepted('    subject: tcp/8080\n')).toBe(1);
    expect(accepted('    node: 228\n')).toBe(0);
    expect(accepted('    subject: tcp/808\n')).toBe(0);
  });

  it('covers a cluster rule with node null, cluster or no node', () => {
    for (const node of ['    node: null\n', '    node: cluster\n', '']) {
      const out = check('broken-engine-patch', `accepted:\n  - rule: peer-engine-versions\n${node}    reason: rolling upgrade\n    expires: 2026-07-01\n`, { failOn: 'warn' });
      expect(of(out.input.results, 'peer-engine-versions')[0]).toMatchObject({ status: 'warn', accepted: { reason: 'rolling upgrade' } });
      expect(out.exitCode).toBe(0);
    }
  });

  it('never accepts a pass, a skip or an error', () => {
    const out = check('invalid-iptables-line', 'accepted:\n' + ['ip-forward-enabled', 'conntrack-not-full', 'dnat-target-is-sbox', 'published-port-has-dnat'].map((rule) => `  - {rule: ${rule}, reason: r, expires: 2027-01-01}\n`).join(''));
    expect(out.input.results.filter((r) => r.accepted)).toEqual([]);
    expect(out.input.results.some((r) => r.status === 'error')).toBe(true);
    expect(out.exitCode).toBe(1);
  });

  it('applies through its expiry day (UTC), and after it warns naming file:line and the date, counting the result again', () => {
    const text = accept('');
    expect(check('broken-dnat-target', text, { now: new Date('2026-06-30T23:59:59Z') }).exitCode).toBe(0);
    const late = check('broken-dnat-target', text, { now: new Date('2026-07-01T00:00:00Z') });
    expect(late.exitCode).toBe(1);
    expect(late.input.results.filter((r) => r.accepted)).toEqual([]);
    expect(late.warnings).toEqual(['c.yaml:2: the acceptance of dnat-target-is-sbox (any node, any subject) expired on 2026-06-30: it no longer applies']);
  });

  it('warns of an acceptance that matched nothing (stale config), but not of one for a rule that did not run', () => {
    const text = accept('    node: 228\n');
    expect(check('broken-dnat-target', text).warnings).toEqual(['c.yaml:2: the acceptance of dnat-target-is-sbox (node 228, any subject) matches no warn or fail result: remove it if the finding is gone (stale config)']);
    expect(check('broken-dnat-target', text, { ruleIds: ['ipvs-available'] }).warnings).toEqual([]);
    expect(check('broken-dnat-target', text + 'rules: {dnat-target-is-sbox: off}\n').warnings).toEqual([]);
  });

  it('uses the first acceptance that covers a result; a later one that also covers it is not stale', () => {
    const out = check('broken-dnat-target', accept('    node: 253\n') + '  - rule: dnat-target-is-sbox\n    reason: second\n    expires: 2026-12-31\n');
    expect(out.input.results.find((r) => r.accepted)?.accepted?.config).toBe('c.yaml:2');
    expect(out.warnings).toEqual([]);
  });

  it('accepts after the severity change: a fail set to warn and accepted is a warn, accepted', () => {
    const out = check('broken-dnat-target', accept('') + 'rules: {dnat-target-is-sbox: warn}\n', { failOn: 'warn' });
    expect(out.input.results.find((r) => r.accepted)).toMatchObject({ status: 'warn', severity: 'warn' });
    expect(out.exitCode).toBe(0);
  });
});
