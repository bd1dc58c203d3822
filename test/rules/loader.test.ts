import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRuleFile, loadRules, BUNDLED_RULES_DIR, RuleLoadError } from '../../src/rules/loader.js';
import { evaluate } from '../../src/rules/evaluate.js';
import type { Result } from '../../src/rules/types.js';
import { loadSnapshot } from '../../src/snapshot.js';
import { fixture, ROOT } from '../helpers/fixtures.js';

const require = createRequire(import.meta.url);

const GOOD = readFileSync(join(BUNDLED_RULES_DIR, 'published-port-has-dnat.yaml'), 'utf8');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'md-rules-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Write a rule file into a fresh folder and load it; returns the error message or 'loaded'. */
function load(text: string, name = 'published-port-has-dnat.yaml'): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  try {
    loadRuleFile(p, `rules/${name}`);
    return 'loaded';
  } catch (e) {
    expect(e).toBeInstanceOf(RuleLoadError);
    return (e as Error).message;
  }
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('rule loading', () => {
  it('loads every bundled rule, sorted by id, with the six ids the report spec fixes', () => {
    const ids = loadRules().map((r) => r.spec.id);
    expect(ids).toEqual(expect.arrayContaining(['dnat-target-is-sbox', 'fwmark-has-backend', 'backend-in-arp', 'peer-engine-versions', 'ipvs-available', 'published-port-has-dnat']));
    expect(ids).toEqual([...ids].sort());
  });

  it('gives every bundled rule a title, severity, remediation and references', () => {
    for (const r of loadRules()) {
      expect(r.spec.title.length).toBeGreaterThan(5);
      expect(['fail', 'warn']).toContain(r.spec.severity);
      expect(r.spec.remediation.length).toBeGreaterThan(40);
      expect(r.spec.references.length).toBeGreaterThan(0);
      expect(r.path).toBe(`rules/${r.spec.id}.yaml`);
      expect(r.docs).toBe(`docs/rules/${r.spec.id}.md`);
    }
  });

  it('names file and line of a YAML syntax error', () => {
    const bad = GOOD.replace('severity: fail', 'severity: [fail');
    expect(load(bad)).toMatch(/^rules\/published-port-has-dnat.yaml:\d+: invalid YAML/);
  });

  it('names file, line and field of a schema violation', () => {
    const bad = GOOD.replace('scope: node', 'scope: node\nsevrity: fail');
    expect(load(bad)).toBe(`rules/published-port-has-dnat.yaml:${lineOf(bad, 'sevrity')}: sevrity: unknown field 'sevrity'`);
    const badEnum = GOOD.replace('severity: fail', 'severity: critical');
    expect(load(badEnum)).toBe(`rules/published-port-has-dnat.yaml:${lineOf(badEnum, 'severity: critical')}: severity: must be one of "fail", "warn"`);
    expect(load(GOOD.replace(/^title: .*\n/m, ''))).toMatch(/\(top level\): missing required field 'title'/);
  });

  it('names file, line and field of a misspelt snapshot field, caught by the CEL type check', () => {
    const bad = GOOD.replace('assert: item.key in node.ingressDnatByPort', 'assert: item.key in node.ingressDnatByPrt');
    expect(load(bad)).toBe(`rules/published-port-has-dnat.yaml:${lineOf(bad, 'ingressDnatByPrt')}: checks[0].assert: CEL: No such key: ingressDnatByPrt`);
  });

  it('refuses an expression of the wrong type and an unknown function', () => {
    expect(load(GOOD.replace('assert: item.key in node.ingressDnatByPort', 'assert: item.key'))).toMatch(/checks\[0\]\.assert: CEL: expected bool, the expression gives string/);
    expect(load(GOOD.replace('forEach: cluster.ingressPorts', 'forEach: cluster.ingressPorts.size()'))).toMatch(/forEach: CEL: expected a list, the expression gives int/);
    expect(load(GOOD.replace('assert: item.key in node.ingressDnatByPort', 'assert: frobnicate(item.key)'))).toMatch(/checks\[0\]\.assert: CEL: .*frobnicate/);
  });

  it('refuses an id that differs from the file name, and a check above the rule severity', () => {
    expect(load(GOOD, 'other-name.yaml')).toMatch(/id: 'published-port-has-dnat' differs from the file name 'other-name'/);
    const warnRule = GOOD.replace('severity: fail', 'severity: warn').replace('  - assert: item.key in node.ingressDnatByPort', '  - assert: item.key in node.ingressDnatByPort\n    severity: fail');
    expect(load(warnRule)).toMatch(/checks\[0\]\.severity: 'fail' is above the rule's severity 'warn'/);
  });

  it('refuses an unknown capture input in requires', () => {
    expect(load(GOOD.replace('requires: [cluster.services, host.iptables.nat]', 'requires: [cluster.servics]'))).toMatch(/requires\[0\]: must match pattern/);
  });

  it('stops the whole load on one broken file, and on an empty or missing folder', () => {
    writeFileSync(join(dir, 'published-port-has-dnat.yaml'), GOOD);
    writeFileSync(join(dir, 'broken.yaml'), 'id: broken\n');
    expect(() => loadRules(dir)).toThrow(/broken.yaml/);
    rmSync(join(dir, 'broken.yaml'));
    expect(loadRules(dir).map((r) => r.spec.id)).toEqual(['published-port-has-dnat']);
    expect(() => loadRules(join(dir, 'none'))).toThrow(/cannot read rules folder/);
    rmSync(join(dir, 'published-port-has-dnat.yaml'));
    expect(() => loadRules(dir)).toThrow(/no rule files/);
  });

  it('never takes the cases file beside a rule (foo.cases.yaml, see rules test) for a rule', () => {
    writeFileSync(join(dir, 'published-port-has-dnat.yaml'), GOOD);
    writeFileSync(join(dir, 'published-port-has-dnat.cases.yaml'), '- capture: x\n  expect: [{node: n, status: pass}]\n');
    writeFileSync(join(dir, 'published-port-has-dnat.cases.yml'), '- capture: x\n  expect: [{node: n, status: pass}]\n');
    expect(loadRules(dir).map((r) => r.spec.id)).toEqual(['published-port-has-dnat']);
  });

  it('names both files of one id written twice (x.yaml and x.yml)', () => {
    writeFileSync(join(dir, 'published-port-has-dnat.yaml'), GOOD);
    writeFileSync(join(dir, 'published-port-has-dnat.yml'), GOOD);
    expect(() => loadRules(dir)).toThrow(/published-port-has-dnat\.yml: id: duplicate rule id 'published-port-has-dnat', also in .*published-port-has-dnat\.yaml$/);
  });
});

describe('a bundled rule the build checked (dist/rules-cache.json)', () => {
  /**
   * In a child process on the built package, with cel-js's parse counted: the expressions only a
   * finding reads (the checks' messages, evidence, where, remediation) are parsed when a finding
   * first needs them, not at every start; the findings are those of the rule loaded in full.
   */
  it('parses the expressions only a finding reads when one first needs them, and finds the same', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-lazy-'));
    try {
      const script = join(dir, 'lazy.mjs');
      const dist = (p: string) => JSON.stringify(join(ROOT, 'dist', p));
      writeFileSync(script, `
        const { Environment } = await import(${JSON.stringify(require.resolve('@marcbachmann/cel-js', { paths: [ROOT] }))});
        const parsed = new Set();
        const parse = Environment.prototype.parse;
        Environment.prototype.parse = function (expr) { parsed.add(expr); return parse.call(this, expr); };
        const { loadRules } = await import(${dist('rules/loader.js')});
        const { evaluate } = await import(${dist('rules/evaluate.js')});
        const { loadSnapshot } = await import(${dist('snapshot.js')});
        const rule = loadRules().find((r) => r.spec.id === 'dnat-target-is-sbox');
        const was = (e) => parsed.has(e);
        const spec = rule.spec;
        const open = spec.remediation.indexOf('$' + '{{');
        const hole = spec.remediation.slice(open + 3, spec.remediation.indexOf('}}', open)).trim();
        const atLoad = { assert: was(spec.checks[0].assert), pass: was(spec.pass), message: was(spec.checks[0].message), evidence: was(spec.evidence), remediation: was(hole) };
        const results = evaluate([rule], loadSnapshot(${JSON.stringify(fixture('broken-dnat-target'))}).snapshot);
        const afterFinding = { message: spec.checks.some((c) => was(c.message)), evidence: was(spec.evidence), remediation: was(hole) };
        process.stdout.write(JSON.stringify({ atLoad, afterFinding, results }));
      `);
      const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout) as { atLoad: Record<string, boolean>; afterFinding: Record<string, boolean>; results: Result[] };
      expect(out.atLoad).toEqual({ assert: true, pass: true, message: false, evidence: false, remediation: false });
      expect(out.afterFinding).toEqual({ message: true, evidence: true, remediation: true });
      // The same findings as the rule loaded in full from its file (every expression at load).
      const full = evaluate([loadRuleFile(join(BUNDLED_RULES_DIR, 'dnat-target-is-sbox.yaml'))], loadSnapshot(fixture('broken-dnat-target')).snapshot);
      expect(full.some((x) => x.status === 'fail')).toBe(true);
      expect(out.results).toEqual(JSON.parse(JSON.stringify(full)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
