import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { loadRuleSet } from '../../src/config/rules.js';
import { BUNDLED_RULES_DIR, loadRules, ruleSource } from '../../src/rules/loader.js';
import { ruleHead } from '../helpers/rules.js';

const BODY = `checks:
  - assert: 'true'
    message: '"never"'
pass: '"fine"'
`;
const bundledIds = loadRules().map((r) => r.spec.id);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'md-ruleset-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A folder `name` under the temporary folder with a rule file for each id; returns its path. */
function folder(name: string, ...ids: string[]): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  for (const id of ids) writeFileSync(join(d, `${id}.yaml`), ruleHead(id, 'rule set') + BODY);
  return d;
}

function config(text: string) {
  const p = join(dir, '.mesh-doctor.yaml');
  writeFileSync(p, text);
  return loadConfig(p, '.mesh-doctor.yaml');
}

const message = (f: () => unknown) => {
  try {
    f();
    return 'loaded';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('the rules of a run', () => {
  it('are the bundled rules and each --rules folder, sorted by id, each saying where it comes from', () => {
    const team = folder('team', 'team-a', 'aaa-first');
    const rules = loadRuleSet({ rulesDirs: [team] });
    expect(rules.map((r) => r.spec.id)).toEqual([...bundledIds, 'team-a', 'aaa-first'].sort());
    const source = Object.fromEntries(rules.map((r) => [r.spec.id, ruleSource(r)]));
    expect(source['ipvs-available']).toBe('bundled');
    expect(source['team-a']).toMatch(/team\/team-a\.yaml$/);
  });

  it('are only the folders given with bundled: false (--no-bundled-rules), and nothing at all is refused', () => {
    const team = folder('team', 'team-a');
    expect(loadRuleSet({ rulesDirs: [team], bundled: false }).map((r) => r.spec.id)).toEqual(['team-a']);
    expect(message(() => loadRuleSet({ bundled: false }))).toBe('--no-bundled-rules leaves no rules: give --rules DIR, or ruleFolders in the config');
  });

  it('stop on one id in two folders, naming both files', () => {
    const a = folder('a', 'same-id');
    const b = folder('b', 'same-id');
    expect(message(() => loadRuleSet({ rulesDirs: [a, b], bundled: false }))).toMatch(/b\/same-id\.yaml: id: duplicate rule id 'same-id', also in .*a\/same-id\.yaml$/);
    const clash = folder('clash', 'ipvs-available');
    expect(message(() => loadRuleSet({ rulesDirs: [clash] }))).toMatch(/clash\/ipvs-available\.yaml: id: duplicate rule id 'ipvs-available', also in rules\/ipvs-available\.yaml$/);
  });

  it('read a folder named twice (or through a link, or the bundled folder itself) once', () => {
    const team = folder('team', 'team-a');
    symlinkSync(team, join(dir, 'link'));
    expect(loadRuleSet({ rulesDirs: [team, join(dir, 'link'), join(team, '.')], bundled: false }).map((r) => r.spec.id)).toEqual(['team-a']);
    expect(loadRuleSet({ rulesDirs: [BUNDLED_RULES_DIR] }).length).toBe(bundledIds.length);
  });

  it("add the config's ruleFolders, relative to the config's folder; one that cannot be read names the config line", () => {
    folder('team', 'team-a');
    const c = config('rules: {}\nruleFolders:\n  - team\n');
    expect(loadRuleSet({ config: c }).map((r) => r.spec.id)).toContain('team-a');
    const bad = config('ruleFolders:\n  - team\n  - missing\n');
    expect(message(() => loadRuleSet({ config: bad }))).toMatch(/^\.mesh-doctor\.yaml:3: ruleFolders\[1\]: 'missing' \(from the config's folder\): cannot read rules folder .*missing: ENOENT$/);
  });

});

describe('the config against the rules', () => {
  it('refuses an unknown rule id, naming the config file, the line and the id', () => {
    expect(message(() => loadRuleSet({ config: config('rules:\n  ipvs-available: warn\n  ipvs-availabel: off\n') }))).toBe(
      ".mesh-doctor.yaml:3: rules.ipvs-availabel: unknown rule id 'ipvs-availabel' (see: mesh-doctor rules list)",
    );
    expect(message(() => loadRuleSet({ config: config('accepted:\n  - rule: nope\n    reason: r\n    expires: 2030-01-01\n') }))).toBe(
      ".mesh-doctor.yaml:2: accepted[0].rule: unknown rule id 'nope' (see: mesh-doctor rules list)",
    );
  });

  it('knows the ids of its own ruleFolders, and not those of a folder left out', () => {
    folder('team', 'team-a');
    expect(message(() => loadRuleSet({ config: config('ruleFolders: [team]\nrules: {team-a: warn}\n') }))).toBe('loaded');
    expect(message(() => loadRuleSet({ config: config('rules: {team-a: warn}\n') }))).toMatch(/^\.mesh-doctor\.yaml:1: rules\.team-a: unknown rule id 'team-a'/);
  });

  it("refuses an acceptance whose node cannot fit its rule's scope", () => {
    expect(message(() => loadRuleSet({ config: config('accepted:\n  - rule: peer-engine-versions\n    node: n1\n    reason: r\n    expires: 2030-01-01\n') }))).toMatch(
      /^\.mesh-doctor\.yaml:3: accepted\[0\]\.node: 'peer-engine-versions' is a cluster rule: its results have no node/,
    );
    expect(message(() => loadRuleSet({ config: config('accepted:\n  - rule: ipvs-available\n    node: null\n    reason: r\n    expires: 2030-01-01\n') }))).toMatch(
      /^\.mesh-doctor\.yaml:3: accepted\[0\]\.node: 'ipvs-available' is a node rule/,
    );
    for (const node of ['null', 'cluster']) {
      expect(message(() => loadRuleSet({ config: config(`accepted:\n  - rule: peer-engine-versions\n    node: ${node}\n    reason: r\n    expires: 2030-01-01\n`) }))).toBe('loaded');
    }
  });

  it('can be a copy of the bundled rules used alone', () => {
    const copy = join(dir, 'copy');
    cpSync(BUNDLED_RULES_DIR, copy, { recursive: true });
    expect(loadRuleSet({ rulesDirs: [copy], bundled: false }).map((r) => r.spec.id)).toEqual(bundledIds);
  });
});
