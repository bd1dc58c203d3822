import { spawn, spawnSync } from 'node:child_process';
import { closeSync, cpSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, fixture } from '../helpers/fixtures.js';
import { parseWithPrometheusClient, promtoolCheck, type ParsedFamily } from '../helpers/prometheus.js';

/**
 * `check` as cron and monitors run it (the built CLI): nagios on stdout with its exit codes,
 * prometheus to the textfile collector's folder, several formats in one run, and a run that could
 * not check. Nothing here reads this machine: a live run is given an engine that does not exist.
 */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const value = (fams: ParsedFamily[], name: string, labels: Record<string, string> = {}) =>
  fams.find((f) => f.name === name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('check -f nagios on stdout: the plugin line and its exit code', () => {
  it.each([
    ['seed-cluster', [], 0, /^MESH-DOCTOR OK - \d+ pass, \d+ skip on 3 nodes \| pass=/],
    ['broken-engine-patch', [], 1, /^MESH-DOCTOR WARNING - 1 warn on 3 nodes: peer-engine-versions on the cluster/],
    ['broken-engine-patch', ['--fail-on', 'warn'], 2, /^MESH-DOCTOR CRITICAL - 1 warn on 3 nodes/],
    ['broken-dnat-target', ['--fail-on', 'none'], 2, /^MESH-DOCTOR CRITICAL - 1 fail on 3 nodes: dnat-target-is-sbox on node 253 \(tcp\/8080\) \| /],
  ])('%s %j exits %d', (name, extra, code, first) => {
    const r = cli('check', `fixtures/${name}`, '-f', 'nagios', ...(extra as string[]));
    expect(r.stdout.split('\n')[0]).toMatch(first);
    expect(r.code).toBe(code);
    expect(r.stderr).toBe('');
  });
});

describe('check for cron and monitors', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'md-monitor-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes nagios to stdout, prometheus to the collector folder and JSON to a file in one run; the exit code is nagios\'s', () => {
    const prom = join(dir, 'mesh_doctor.prom');
    const r = cli('check', 'fixtures/broken-backend-arp', '-f', 'nagios', '-f', 'prometheus', '-o', prom, '-f', 'json', '-o', join(dir, 'r.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toMatch(/^MESH-DOCTOR CRITICAL - 1 fail, 1 warn on 3 nodes: /);
    const text = readFileSync(prom, 'utf8');
    const fams = parseWithPrometheusClient(text);
    expect(value(fams, 'mesh_doctor_rule_status', { rule: 'backend-in-arp', node: '234' })).toBe(2);
    expect(value(fams, 'mesh_doctor_rule_status', { rule: 'backend-in-arp', node: '228' })).toBe(1);
    expect(value(fams, 'mesh_doctor_check_completed')).toBe(1);
    expect(value(fams, 'mesh_doctor_last_run_duration_seconds')).toBeGreaterThan(0);
    expect(promtoolCheck(text)).toEqual({ code: 0, output: '' });
    expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).summary).toMatchObject({ fail: 1, warn: 1 });
    expect(readdirSync(dir).sort()).toEqual(['mesh_doctor.prom', 'r.json']);
  });

  it('keeps every pass for a JSON file while the report on stdout only counts them', () => {
    for (const stdout of [[], ['-f', 'nagios'], ['-f', 'prometheus']]) {
      const file = join(dir, 'r.json');
      const r = cli('check', 'fixtures/seed-cluster', ...stdout, '-f', 'json', '-o', file);
      expect(r.code).toBe(0);
      const report = JSON.parse(readFileSync(file, 'utf8')) as { summary: { pass: number }; results: { status: string }[] };
      expect(report.summary.pass).toBeGreaterThan(50);
      expect(report.results.filter((x) => x.status === 'pass')).toHaveLength(report.summary.pass);
    }
  });

  it('prints prometheus on stdout with the check\'s own exit code', () => {
    const ok = cli('check', 'fixtures/seed-cluster', '-f', 'prometheus');
    expect(ok.code).toBe(0);
    expect(value(parseWithPrometheusClient(ok.stdout), 'mesh_doctor_results', { status: 'fail' })).toBe(0);
    const bad = cli('check', 'fixtures/broken-dnat-target', '-f', 'prometheus');
    expect(bad.code).toBe(1);
    expect(value(parseWithPrometheusClient(bad.stdout), 'mesh_doctor_rule_status', { rule: 'dnat-target-is-sbox', node: '253' })).toBe(2);
  });

  it('reads a node whose folder name has a quote, a backslash, a newline and a | back from both formats', () => {
    const c = join(dir, 'c');
    cpSync(fixture('broken-dnat-target'), c, { recursive: true });
    const node = 'n"2\\5\n3|x';
    renameSync(join(c, 'nodes/253'), join(c, 'nodes', node));
    const prom = cli('check', c, '-f', 'prometheus');
    expect(value(parseWithPrometheusClient(prom.stdout), 'mesh_doctor_rule_status', { rule: 'dnat-target-is-sbox', node })).toBe(2);
    expect(promtoolCheck(prom.stdout)).toEqual({ code: 0, output: '' });
    const nagios = cli('check', c, '-f', 'nagios');
    expect(nagios.code).toBe(2);
    const lines = nagios.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0].split('|')).toHaveLength(2);
    expect(lines[0]).toContain('dnat-target-is-sbox on node n"2\\5\\n3/x (tcp/8080) | pass=');
    expect(lines[1]).toMatch(/^\[CRITICAL\] fail dnat-target-is-sbox on node n"2\\5\\n3\/x \(tcp\/8080\): DOCKER-INGRESS/);
  });

  it('a run that cannot check says UNKNOWN on stdout and exits 3 under nagios; the .prom file says completed 0', () => {
    const prom = join(dir, 'mesh_doctor.prom');
    expect(cli('check', 'fixtures/seed-cluster', '-f', 'prometheus', '-o', prom).code).toBe(0);
    expect(value(parseWithPrometheusClient(readFileSync(prom, 'utf8')), 'mesh_doctor_check_completed')).toBe(1);

    const missing = join(dir, 'no-capture');
    const r = cli('check', missing, '-f', 'nagios', '-f', 'prometheus', '-o', prom);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe(`MESH-DOCTOR UNKNOWN - capture folder not found: ${missing}\n`);
    expect(r.stderr).toBe(`mesh-doctor: error: capture folder not found: ${missing}\n`);
    const text = readFileSync(prom, 'utf8');
    const fams = parseWithPrometheusClient(text);
    expect(value(fams, 'mesh_doctor_check_completed')).toBe(0);
    expect(fams.map((f) => f.name)).not.toContain('mesh_doctor_rule_status');
    expect(promtoolCheck(text)).toEqual({ code: 0, output: '' });
    expect(readdirSync(dir)).toEqual(['mesh_doctor.prom']);
  });

  it('without nagios on stdout such a run still exits 2 with nothing on stdout, and still writes completed 0', () => {
    const prom = join(dir, 'mesh_doctor.prom');
    writeFileSync(prom, 'stale\n');
    const r = cli('check', join(dir, 'no-capture'), '-f', 'prometheus', '-o', prom);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mesh-doctor: error: capture folder not found: .*\n$/);
    expect(value(parseWithPrometheusClient(readFileSync(prom, 'utf8')), 'mesh_doctor_check_completed')).toBe(0);
  });

  it('a bad flag value under nagios is UNKNOWN, exit 3, one line on stderr', () => {
    const prom = join(dir, 'mesh_doctor.prom');
    const r = cli('check', 'fixtures/seed-cluster', '-f', 'nagios', '--fail-on', 'bogus', '-f', 'prometheus', '-o', prom);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^MESH-DOCTOR UNKNOWN - Expected --fail-on=bogus to be one of: fail, warn, none[^\n]*\n$/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^mesh-doctor: error: Expected --fail-on=bogus/);
    expect(value(parseWithPrometheusClient(readFileSync(prom, 'utf8')), 'mesh_doctor_check_completed')).toBe(0);
    // Not under nagios: oclif's own message and exit 2, as before.
    expect(cli('check', 'fixtures/seed-cluster', '--fail-on', 'bogus').code).toBe(2);
  });

  it('under nagios, warnings go to stderr after the report: where stderr is shown with stdout (Icinga), the status line stays first', () => {
    const config = join(dir, 'c.yaml');
    writeFileSync(config, 'accepted:\n  - rule: dnat-target-is-sbox\n    node: 253\n    reason: old | done\n    expires: 2020-01-31\n');
    const both = join(dir, 'out.txt');
    const fd = openSync(both, 'w');
    let status: number | null;
    try {
      status = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), 'check', 'fixtures/broken-dnat-target', '--config', config, '-f', 'nagios'], { cwd: ROOT, stdio: ['ignore', fd, fd] }).status;
    } finally {
      closeSync(fd);
    }
    expect(status).toBe(2);
    const lines = readFileSync(both, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^MESH-DOCTOR CRITICAL - 1 fail on 3 nodes: dnat-target-is-sbox on node 253/);
    expect(lines[1]).toMatch(/^\[CRITICAL\] fail dnat-target-is-sbox/);
    expect(lines[2]).toMatch(/^mesh-doctor: warning: .*c\.yaml:2: the acceptance of dnat-target-is-sbox \(node 253, any subject\) expired on 2020-01-31/);
    expect(lines).toHaveLength(3);
    // Not under nagios: the warning comes first, as before.
    const fd2 = openSync(both, 'w');
    try {
      spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), 'check', 'fixtures/broken-dnat-target', '--config', config, '-f', 'json'], { cwd: ROOT, stdio: ['ignore', fd2, fd2] });
    } finally {
      closeSync(fd2);
    }
    expect(readFileSync(both, 'utf8')).toMatch(/^mesh-doctor: warning: /);
  });

  it('an output file that cannot be written is UNKNOWN under nagios (files are written before stdout)', () => {
    const r = cli('check', 'fixtures/seed-cluster', '-f', 'nagios', '-f', 'json', '-o', join(dir, 'no/such/r.json'));
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^MESH-DOCTOR UNKNOWN - --output .*no\/such\/r\.json: cannot write it \(ENOENT\)\n$/);
  });

  it('a live run under nagios neither reads stdin nor draws a spinner: with stdin left open it ends, UNKNOWN when no engine answers', async () => {
    const sock = join(dir, 'no-engine.sock');
    const child = spawn(process.execPath, [join(ROOT, 'bin/run.js'), 'check', '--host', `unix://${sock}`, '--timeout', '2', '--probe-timeout', '5', '-f', 'nagios'], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    // stdin stays open and empty: a run that waited on it would never end.
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    child.stdin.destroy();
    expect(code).toBe(3);
    expect(stdout).toMatch(/^MESH-DOCTOR UNKNOWN - no node could be reached: .*not reachable[^\n]*\n$/);
    expect(stderr).toMatch(/^mesh-doctor: error: no node could be reached: [^\n]*\n$/);
    expect(stderr).not.toMatch(/[\r\u001b]/);
  }, 60_000);
});
