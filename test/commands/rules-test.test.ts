import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/fixtures.js';

/** The real CLI (bin/run.js on the built dist/), run from the project's folder. */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const EXAMPLE_OUTPUT = `ok      no-privileged-published-port  examples/team-rules/no-privileged-published-port.cases/cases.yaml:4  whoami publishes 8080 only
ok      no-privileged-published-port  examples/team-rules/no-privileged-published-port.cases/cases.yaml:9  legacy-web publishes 80

1 rule, 2 cases: 2 ok, 0 failed
`;

describe('mesh-doctor rules test', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'md-cli-rules-test-'));
    cpSync(join(ROOT, 'examples/team-rules'), dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const casesFile = () => join(dir, 'no-privileged-published-port.cases/cases.yaml');

  it('passes the worked example of examples/team-rules: one line per case, a summary, exit 0', () => {
    const r = cli('rules', 'test', 'examples/team-rules');
    expect(r).toEqual({ code: 0, stdout: EXAMPLE_OUTPUT, stderr: '' });
  });

  it('is what the README shows', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('$ mesh-doctor rules test examples/team-rules\n' + EXAMPLE_OUTPUT);
  });

  it('exits 1 when a case fails, with a diff of expected against got', () => {
    writeFileSync(casesFile(), readFileSync(casesFile(), 'utf8').replace('{node: null, subject: tcp/80, status: fail}', '{node: null, subject: tcp/80, status: warn}'));
    const r = cli('rules', 'test', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`FAILED  no-privileged-published-port  ${casesFile()}:9  legacy-web publishes 80
      expected (-), got (+):
      - cluster  tcp/80  warn
      + cluster  tcp/80  fail: service legacy-web publishes tcp/80 in ingress mode: ports below 1024 are for the hosts
`);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('1 rule, 2 cases: 1 ok, 1 failed');
  });

  it('exits 1 when the rule changes under its cases (the cases catch a broken rule)', () => {
    const rule = join(dir, 'no-privileged-published-port.yaml');
    writeFileSync(rule, readFileSync(rule, 'utf8').replace('item.port >= 1024', 'item.port >= 80'));
    const r = cli('rules', 'test', dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('      - cluster  tcp/80  fail\n      + cluster  tcp/80  pass: service legacy-web publishes tcp/80, not below 1024\n');
  });

  it('exits 1 on a rule with no cases, or no case that expects a problem', () => {
    rmSync(join(dir, 'no-privileged-published-port.cases'), { recursive: true });
    let r = cli('rules', 'test', dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^no cases +no-privileged-published-port {2}\(add /m);
    writeFileSync(join(dir, 'no-privileged-published-port.cases.yaml'), `- capture: ${join(ROOT, 'examples/team-rules/no-privileged-published-port.cases/only-8080')}\n  expect: [{node: null, status: pass}]\n`);
    r = cli('rules', 'test', dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ok +no-privileged-published-port /m);
    expect(r.stdout).toMatch(/^no failing case +no-privileged-published-port {2}\(no case expects warn, fail, skip or error/m);
  });

  it('exits 2 with one line naming the file and line of a malformed cases file', () => {
    writeFileSync(casesFile(), readFileSync(casesFile(), 'utf8').replace('status: fail}', 'status: failed}'));
    const r = cli('rules', 'test', dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`mesh-doctor: error: ${casesFile()}:13: [1].expect[1].status: must be one of "pass", "warn", "fail", "skip", "error"\n`);
  });

  it('exits 2 on a folder that is not there, and on a rule id a bundled rule has', () => {
    expect(cli('rules', 'test', join(dir, 'none')).stderr).toMatch(/^mesh-doctor: error: cannot read rules folder .*none: ENOENT\n$/);
    cpSync(join(ROOT, 'rules/ipvs-available.yaml'), join(dir, 'ipvs-available.yaml'));
    const r = cli('rules', 'test', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/duplicate rule id 'ipvs-available'/);
    expect(cli('rules', 'test', dir, '--no-bundled-rules').stdout).toMatch(/^no cases +ipvs-available/m);
  });
});
