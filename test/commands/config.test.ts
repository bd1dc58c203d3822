import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, fixture } from '../helpers/fixtures.js';

/** The real CLI (bin/run.js on the built dist/), run from `cwd` (where a config file is found). */
function cli(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TEAM = join(ROOT, 'examples/team-rules');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'md-cli-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const writeConfig = (text: string, name = '.mesh-doctor.yaml') => writeFileSync(join(dir, name), text);
const ACCEPT_253 = (expires: string) => `accepted:\n  - rule: dnat-target-is-sbox\n    node: 253\n    reason: moving node 253\n    expires: ${expires}\n`;
const results = (stdout: string) => JSON.parse(stdout).results as { rule: string; status: string; accepted?: { config: string } }[];

describe('check with a config file', () => {
  it('finds .mesh-doctor.yaml in the current folder: an accepted fail is listed apart and exit is 0', () => {
    writeConfig(ACCEPT_253('2099-12-31'));
    const r = cli(dir, 'check', fixture('broken-dnat-target'));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('\nAccepted  1 result the config accepts: not counted\n');
    expect(r.stdout).toContain('      accepted until 2099-12-31: moving node 253 (.mesh-doctor.yaml:2)\n');
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^\d+ pass, 0 warn, 0 fail, \d+ skip, 0 error, 1 accepted$/);
  });

  it('--no-config ignores it; --config reads another file, from anywhere', () => {
    writeConfig(ACCEPT_253('2099-12-31'));
    expect(cli(dir, 'check', fixture('broken-dnat-target'), '--no-config').code).toBe(1);
    mkdirSync(join(dir, 'ops'));
    writeConfig(ACCEPT_253('2099-12-31'), 'ops/mesh.yaml');
    const r = cli(ROOT, 'check', 'fixtures/broken-dnat-target', '--config', join(dir, 'ops/mesh.yaml'), '--format', 'json');
    expect(r.code).toBe(0);
    expect(results(r.stdout).find((x) => x.accepted)?.accepted?.config).toBe(`${join(dir, 'ops/mesh.yaml')}:2`);
  });

  it('warns on stderr of an expired acceptance, naming file:line and the date, and counts the result again', () => {
    writeConfig(ACCEPT_253('2020-01-31'));
    const r = cli(dir, 'check', fixture('broken-dnat-target'), '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('mesh-doctor: warning: .mesh-doctor.yaml:2: the acceptance of dnat-target-is-sbox (node 253, any subject) expired on 2020-01-31: it no longer applies\n');
    expect(results(r.stdout).filter((x) => x.accepted)).toEqual([]);
  });

  it('warns of an acceptance that matches nothing (stale config)', () => {
    writeConfig(ACCEPT_253('2099-12-31'));
    const r = cli(dir, 'check', fixture('seed-cluster'));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('mesh-doctor: warning: .mesh-doctor.yaml:2: the acceptance of dnat-target-is-sbox (node 253, any subject) matches no warn or fail result: remove it if the finding is gone (stale config)\n');
  });

  it('turns a rule off and changes a severity', () => {
    writeConfig('rules:\n  dnat-target-is-sbox: warn\n  conntrack-not-full: off\n');
    const r = cli(dir, 'check', fixture('broken-dnat-target'), '--format', 'json');
    expect(r.code).toBe(0);
    const rs = results(r.stdout);
    expect(rs.some((x) => x.rule === 'conntrack-not-full')).toBe(false);
    expect(rs.filter((x) => x.status === 'warn').map((x) => x.rule)).toEqual(['dnat-target-is-sbox']);
    expect(cli(dir, 'check', fixture('broken-dnat-target'), '--fail-on', 'warn').code).toBe(1);
  });

  it.each([
    ['rules:\n  ipvs-available: warn\n  no-such-rule: off\n', ".mesh-doctor.yaml:3: rules.no-such-rule: unknown rule id 'no-such-rule'"],
    ['accepted:\n  - rule: ipvs-available\n    reason: r\n    expires: 31/12/2027\n', '.mesh-doctor.yaml:4: accepted[0].expires: expected a date YYYY-MM-DD'],
    ['rules: {ipvs-available: disabled}\n', '.mesh-doctor.yaml:1: rules.ipvs-available: must be off, warn or fail (got "disabled")'],
    ['ruleFolders: [missing]\n', ".mesh-doctor.yaml:1: ruleFolders[0]: 'missing' (from the config's folder): cannot read rules folder"],
    ['rules: {ipvs-available: off\n', '.mesh-doctor.yaml:2: invalid YAML'],
  ])('exits 2 with one line naming the config file and line: %j', (text, message) => {
    writeConfig(text);
    // Every command that reads the config stops on it; one problem is enough to show that.
    const commands = text.includes('no-such-rule') ? [['check', fixture('seed-cluster')], ['rules', 'list'], ['rules', 'show', 'ipvs-available'], ['rules', 'test', TEAM]] : [['check', fixture('seed-cluster')]];
    for (const args of commands) {
      const r = cli(dir, ...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.startsWith(`mesh-doctor: error: ${message}`)).toBe(true);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('refuses --config with --no-config, and a --config file that is not there', () => {
    expect(cli(dir, 'check', fixture('seed-cluster'), '--config', 'x.yaml', '--no-config').stderr).toBe('mesh-doctor: error: --config and --no-config: choose one\n');
    const r = cli(dir, 'rules', 'list', '--config', 'x.yaml');
    expect([r.code, r.stderr]).toEqual([2, 'mesh-doctor: error: --config: file not found: x.yaml\n']);
  });

  it('prints control characters of a config escaped, in the report and on stderr', () => {
    writeConfig(`accepted:\n  - rule: dnat-target-is-sbox\n    subject: "tcp/\\e[2J9"\n    reason: "evil\\e]0;pwned\\a"\n    expires: 2099-12-31\n  - rule: dnat-target-is-sbox\n    reason: "evil\\e]0;pwned\\a"\n    expires: 2099-12-31\n`);
    const r = cli(dir, 'check', fixture('broken-dnat-target'));
    expect(r.stdout).toContain('accepted until 2099-12-31: evil\\e]0;pwned\\x07 (.mesh-doctor.yaml:6)');
    expect(r.stderr).toContain('(any node, subject tcp/\\e[2J9) matches no warn or fail result');
    expect(r.stdout + r.stderr).not.toMatch(/[\u0007\u001b]/);
  });
});

describe('--rules and --no-bundled-rules', () => {
  it('--rules adds a folder to the bundled rules; --no-bundled-rules leaves only the folders given', () => {
    const both = results(cli(ROOT, 'check', 'fixtures/seed-cluster', '--rules', 'examples/team-rules', '--format', 'json').stdout);
    expect(new Set(both.map((x) => x.rule))).toEqual(new Set([...results(cli(ROOT, 'check', 'fixtures/seed-cluster', '--format', 'json').stdout).map((x) => x.rule), 'no-privileged-published-port']));
    const only = results(cli(ROOT, 'check', 'fixtures/seed-cluster', '--rules', 'examples/team-rules', '--no-bundled-rules', '--format', 'json').stdout);
    expect(only.map((x) => [x.rule, x.status])).toEqual([['no-privileged-published-port', 'pass']]);
  });

  it('--rules takes one folder per flag and leaves the capture argument alone', () => {
    const r = cli(ROOT, 'check', '--rules', 'examples/team-rules', 'fixtures/seed-cluster', '--format', 'json');
    expect(r.code).toBe(0);
    expect(results(r.stdout).some((x) => x.rule === 'no-privileged-published-port')).toBe(true);
  });

  it("adds the config's ruleFolders, relative to the config file", () => {
    cpSync(TEAM, join(dir, 'team'), { recursive: true });
    writeConfig('ruleFolders: [team]\n', 'mesh-doctor.yaml');
    const r = cli(dir, 'check', fixture('seed-cluster'), '--format', 'json');
    expect(results(r.stdout).some((x) => x.rule === 'no-privileged-published-port')).toBe(true);
  });

  it('exits 2 naming both files when one id is in two folders', () => {
    mkdirSync(join(dir, 'mine'));
    cpSync(join(ROOT, 'rules/ipvs-available.yaml'), join(dir, 'mine/ipvs-available.yaml'));
    const r = cli(ROOT, 'check', 'fixtures/seed-cluster', '--rules', join(dir, 'mine'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`mesh-doctor: error: ${join(dir, 'mine/ipvs-available.yaml')}: id: duplicate rule id 'ipvs-available', also in rules/ipvs-available.yaml\n`);
  });
});

describe('rules list and rules show under a config', () => {
  it('list says where each rule comes from and its state', () => {
    writeConfig(`ruleFolders: [${TEAM}]\nrules:\n  conntrack-not-full: off\n  backend-in-arp: warn\n`);
    const r = cli(dir, 'rules', 'list');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^backend-in-arp +fail +node +as warn +bundled +Backend IPs/m);
    expect(r.stdout).toMatch(/^conntrack-not-full +fail +node +off +bundled /m);
    expect(r.stdout).toMatch(/^ipvs-available +fail +node +on +bundled /m);
    expect(r.stdout).toMatch(/^no-privileged-published-port +fail +cluster +on +\S*examples\/team-rules\/no-privileged-published-port\.yaml +No service/m);
    expect(r.stdout).toContain('\nconfig: .mesh-doctor.yaml (backend-in-arp as warn, conntrack-not-full off)\n');
    const json = JSON.parse(cli(dir, 'rules', 'list', '--format', 'json').stdout);
    expect(json.find((x: { id: string }) => x.id === 'backend-in-arp')).toMatchObject({ severity: 'fail', source: 'bundled', state: 'warn', config: '.mesh-doctor.yaml:4' });
    expect(json.find((x: { id: string }) => x.id === 'ipvs-available')).toMatchObject({ state: 'on', config: null });
  });

  it('show adds the source, the state and the acceptances that apply to the rule, expired ones marked', () => {
    writeConfig(`rules: {dnat-target-is-sbox: warn}\n${ACCEPT_253('2099-12-31')}  - rule: dnat-target-is-sbox\n    reason: old\n    expires: 2020-01-01\n  - rule: ipvs-available\n    reason: other rule\n    expires: 2099-01-01\n`);
    const r = cli(dir, 'rules', 'show', 'dnat-target-is-sbox', '--width', '0');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\nsource: bundled   state: as warn (.mesh-doctor.yaml:1)\n');
    expect(r.stdout).toMatch(/\nAccepted by the config:\n {2}\.mesh-doctor\.yaml:3: node 253, any subject, until 2099-12-31: moving node 253\n {2}\.mesh-doctor\.yaml:7: any node, any subject, until 2020-01-01 \(EXPIRED: no longer applies\): old\n$/);
    expect(r.stdout).not.toContain('other rule');
    const json = JSON.parse(cli(dir, 'rules', 'show', 'dnat-target-is-sbox', '--format', 'json').stdout);
    expect(json).toMatchObject({ source: 'bundled', state: 'warn', config: '.mesh-doctor.yaml:1' });
    expect(json.accepted.map((a: { expired: boolean; config: string }) => [a.config, a.expired])).toEqual([['.mesh-doctor.yaml:3', false], ['.mesh-doctor.yaml:7', true]]);
    expect(cli(dir, 'rules', 'show', 'ipvs-available', '--no-config').stdout).toContain('\nsource: bundled   state: on\n');
  });
});
