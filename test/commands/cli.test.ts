import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, fixture } from '../helpers/fixtures.js';

/** The real CLI (bin/run.js on the built dist/), as a user or a pipeline runs it. */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function treeHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      h.update(`${p}\0${st.mode}\0${st.mtimeMs}\0`);
      if (st.isDirectory()) walk(p);
      else h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

describe('mesh-doctor check', () => {
  it('prints a full report of the seed and exits 0', () => {
    const r = cli('check', 'fixtures/seed-cluster');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('node 253');
    // No fail, no error; which rules skip on the article's capture (it lacks some inputs) is
    // test/rules/fixtures.test.ts's to say, rule by rule.
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^\d+ pass, 0 warn, 0 fail, \d+ skip, 0 error$/);
    expect(r.stderr).toBe('');
  });

  it('writes several reports in one run: the terminal report on stdout, JSON to its file (colourless, whole), the exit code of the check', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-formats-'));
    try {
      const file = join(dir, 'report.json');
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), 'check', 'fixtures/broken-dnat-target', '-f', 'stylish', '--color', '-f', 'json', '-o', file], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('\u001b['); // stdout asked for colour
      expect(r.stdout).toMatch(/1 fail/);
      const doc = JSON.parse(readFileSync(file, 'utf8'));
      expect(doc.results.filter((x: { status: string }) => x.status === 'fail').map((x: { rule: string }) => x.rule)).toEqual(['dnat-target-is-sbox']);
      expect(readFileSync(file, 'utf8')).not.toContain('\u001b[');
      expect(readdirSync(dir)).toEqual(['report.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses two reports on stdout with one line and exit 2, before checking anything', () => {
    const r = cli('check', 'fixtures/seed-cluster', '-f', 'json', '-f', 'stylish');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('mesh-doctor: error: --format json and --format stylish would both go to stdout: give all but one an --output FILE\n');
  });

  it('prints a clean report of the working-mesh lab as it came up, but for the stock IPVS idle timeout', () => {
    const r = cli('check', 'fixtures/lab-healthy');
    expect(r.code).toBe(0);
    // No fail, no error; the few skips (inputs the lab's capture lacks) are listed in test/rules/fixtures.test.ts.
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^\d+ pass, 3 warn, 0 fail, \d+ skip, 0 error$/);
    // The only warnings: stock Docker and kernel defaults (IPVS 900 s, keepalive 7200 s), once per node.
    const warns = r.stdout.split('\n').filter((l) => /^\s+\S+ warn /.test(l));
    expect(warns.map((l) => l.trim().split(/\s+/)[2])).toEqual(['ipvs-idle-timeout', 'ipvs-idle-timeout', 'ipvs-idle-timeout']);
  });

  it('exits 1 on a failure, and follows --fail-on', () => {
    expect(cli('check', 'fixtures/broken-dnat-target').code).toBe(1);
    expect(cli('check', 'fixtures/broken-dnat-target', '--fail-on', 'none').code).toBe(0);
    expect(cli('check', 'fixtures/broken-engine-patch').code).toBe(0);
    expect(cli('check', 'fixtures/broken-engine-patch', '--fail-on', 'warn').code).toBe(1);
    expect(cli('check', 'fixtures/invalid-iptables-line').code).toBe(1);
  });

  it('--format json prints only the JSON report on stdout', () => {
    const r = cli('check', 'fixtures/broken-no-ipvs', '--format', 'json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    // No IPVS: ipvs-available and the two published-port rules fail on each of 3 nodes.
    expect(doc.summary).toMatchObject({ warn: 0, fail: 9, error: 0 });
    expect(doc.summary.pass + doc.summary.skip + 9).toBe(doc.results.length);
    expect(r.stderr).toBe('');
  });

  it('--rule narrows the run to the named rules', () => {
    const doc = JSON.parse(cli('check', 'fixtures/seed-cluster', '--format', 'json', '--rule', 'ipvs-available').stdout);
    expect(new Set(doc.results.map((r: { rule: string }) => r.rule))).toEqual(new Set(['ipvs-available']));
  });

  it.each([
    [['check', 'fixtures/no-such-capture'], /^mesh-doctor: error: capture folder not found: fixtures\/no-such-capture\n$/],
    [['check', 'package.json'], /^mesh-doctor: error: not a folder: package.json/],
    [['check', 'src'], /^mesh-doctor: error: src is not a mesh-doctor capture/],
    [['check', 'fixtures/seed-cluster', '--rule', 'nope'], /^mesh-doctor: error: --rule: unknown rule id 'nope'/],
    [['check', 'fixtures/seed-cluster', '--rules', 'no-such-dir'], /^mesh-doctor: error: cannot read rules folder no-such-dir/],
    [['rules', 'show', 'nope'], /^mesh-doctor: error: unknown rule id 'nope'/],
  ])('%j: one line on stderr, exit 2, nothing on stdout', (args, message) => {
    const r = cli(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it('exits 2 on a bad flag or a surplus argument, without a stack trace (and never reads this machine)', () => {
    // `check` with no folder captures this machine: no unit test may do that.
    for (const args of [['check', 'fixtures/seed-cluster', 'fixtures/seed-cluster'], ['check', 'fixtures/seed-cluster', '--fail-on', 'bogus'], ['check', 'fixtures/seed-cluster', '--format', 'xml'], ['check', 'fixtures/seed-cluster', '--max-file-size', 'lots']]) {
      const r = cli(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('stops before checking anything when a rule file is invalid, naming file, line and field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-cli-rules-'));
    try {
      cpSync(join(ROOT, 'rules'), dir, { recursive: true });
      const p = join(dir, 'backend-in-arp.yaml');
      writeFileSync(p, readFileSync(p, 'utf8').replace('forEach: distinct(node.ipvsBackends.map(b, b.address))', 'forEach: distinct(node.ipvsBackend.map(b, b.address))'));
      const r = cli('check', 'fixtures/seed-cluster', '--no-bundled-rules', '--rules', dir, '--format', 'json');
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/backend-in-arp.yaml:\d+: forEach: CEL: No such key: ipvsBackend\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never changes the capture it reads', () => {
    const before = treeHash(fixture('broken-no-ipvs'));
    cli('check', 'fixtures/broken-no-ipvs', '--format', 'json');
    cli('check', 'fixtures/broken-no-ipvs');
    expect(treeHash(fixture('broken-no-ipvs'))).toBe(before);
  });

  it('--help works for every command', () => {
    for (const args of [['--help'], ['check', '--help'], ['rules', 'list', '--help'], ['rules', 'show', '--help'], ['rules', 'test', '--help']]) {
      const r = cli(...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/USAGE/);
    }
  });
});

describe('mesh-doctor rules', () => {
  it('list shows id, severity, scope, state, source and title of every rule', () => {
    const r = cli('rules', 'list');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^ID\s+SEVERITY\s+SCOPE\s+STATE\s+SOURCE\s+TITLE$/);
    expect(r.stdout).toMatch(/peer-engine-versions\s+fail\s+cluster\s+on\s+bundled\s+Peers agree on engine version/);
    const json = JSON.parse(cli('rules', 'list', '--format', 'json').stdout);
    expect(json.length).toBeGreaterThanOrEqual(6);
  });

  it('show prints what the rule checks, reads, and what to do', () => {
    const r = cli('rules', 'show', 'fwmark-has-backend');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^fwmark-has-backend — FWM mark has an IPVS backend/);
    expect(r.stdout).toContain('Reads:\n  sbox.iptables.mangle\n  sbox.ipvs');
    expect(r.stdout).toContain('What to do when it fails:');
  });
});

describe('mesh-doctor check on hostile input and hostile outputs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'md-cli-hostile-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('never prints what a symlink out of the capture points at; the node says what it could not read, as an error (exit 1)', () => {
    const c = join(dir, 'c');
    cpSync(fixture('seed-cluster'), c, { recursive: true });
    writeFileSync(join(dir, 'shadow'), 'root:$6$TOP-SECRET-HASH:19000:0:99999:7:::\n');
    rmSync(join(c, 'nodes/253/host/sysctl.txt'));
    symlinkSync(join(dir, 'shadow'), join(c, 'nodes/253/host/sysctl.txt'));
    for (const format of ['stylish', 'json']) {
      const r = cli('check', c, '--format', format);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).not.toContain('TOP-SECRET');
    }
    const doc = JSON.parse(cli('check', c, '--format', 'json').stdout);
    const ipf = doc.results.find((x: { rule: string; node: string }) => x.rule === 'ip-forward-enabled' && x.node === '253');
    expect(ipf).toMatchObject({ status: 'error', message: `cannot check: nodes/253/host/sysctl.txt: not read: a symbolic link to ${join(dir, 'shadow')}, outside the capture` });
  });

  it('prints control characters from the capture escaped, on stdout and stderr', () => {
    const c = join(dir, 'c');
    cpSync(fixture('seed-cluster'), c, { recursive: true });
    const p = join(c, 'cluster/services.json');
    writeFileSync(p, readFileSync(p, 'utf8').replace('"Name": "whoami"', '"Name": "who\\u001b[2J\\u001b]0;pwned\\u0007ami\\u009b31m"'));
    // A service name reaches messages through the rules; a bad file name reaches stderr.
    const r = cli('check', c, '--verbose');
    expect(r.stdout).toContain('who\\e[2J\\e]0;pwned\\x07ami\\x9b31m');
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    const json = cli('check', c, '--format', 'json').stdout;
    expect(json).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(JSON.stringify(JSON.parse(json))).toContain('who\\u001b[2J');
    const bad = join(dir, 'evil\u001b[2Jname');
    const e = cli('check', bad);
    expect(e.code).toBe(2);
    expect(e.stderr).toBe(`mesh-doctor: error: capture folder not found: ${join(dir, 'evil')}\\e[2Jname\n`);
  });

  it('stops with one line and exit 2 on a capture with no node: a gate never passes on nothing', () => {
    mkdirSync(join(dir, 'cluster'));
    mkdirSync(join(dir, 'nodes'));
    const r = cli('check', dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`mesh-doctor: error: ${dir}: the capture has no node (no folder under nodes/): nothing to check\n`);
  });

  it('stops with one line and exit 2 when no engine could be probed', () => {
    const sock = join(dir, 'no-engine.sock');
    const r = cli('check', '--host', `unix://${sock}`, '--timeout', '2', '--probe-timeout', '5');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^mesh-doctor: error: no node could be reached: .*not reachable/);
  });

  it('--rule-timeout and --rule-max-values set the budget each rule runs under; a bad value is one line, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-cli-budget-'));
    try {
      // A rule that builds 256 values: within the default budget, over a budget of 100.
      writeFileSync(join(dir, 'big.yaml'), `id: big
title: Builds a large list
severity: fail
scope: cluster
description: A rule that builds a list of 256 values.
subject: '"x"'
checks:
  - assert: '[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15].map(a, [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15].map(b, a * b)).size() == 16'
    message: '"no"'
pass: '"built"'
remediation: Nothing to do here.
references: [https://github.com/google/cel-spec]
`);
      expect(cli('check', 'fixtures/seed-cluster', '--no-bundled-rules', '--rules', dir).code).toBe(0);
      const r = cli('check', 'fixtures/seed-cluster', '--no-bundled-rules', '--rules', dir, '--rule-max-values', '100', '--format', 'json');
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).results[0]).toMatchObject({ status: 'error', message: expect.stringMatching(/big\.yaml: evaluation over budget on the cluster: produced more than 100 values/) });
      for (const [flag, value] of [['--rule-timeout', 'soon'], ['--rule-timeout', '0'], ['--rule-max-values', '-5'], ['--rule-max-values', '1.5']]) {
        const bad = cli('check', 'fixtures/seed-cluster', flag, value);
        expect(bad.code).toBe(2);
        expect(bad.stdout).toBe('');
        expect(bad.stderr).toMatch(new RegExp(`^mesh-doctor: error: ${flag}: expected .*, got '${value.replace('.', '\\.')}'\n$`));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a capture file over --max-file-size, naming it, and checks the rest', () => {
    const doc = JSON.parse(cli('check', 'fixtures/seed-cluster', '--format', 'json', '--max-file-size', '2K').stdout);
    const refused = doc.diagnostics.filter((d: { message: string }) => /more than the 2 KiB a file may have/.test(d.message));
    expect(refused.length).toBeGreaterThan(0);
    expect(doc.results.some((x: { status: string }) => x.status === 'pass')).toBe(true);
    expect(doc.results.some((x: { status: string; message: string }) => x.status === 'error' && /--max-file-size/.test(x.message))).toBe(true);
  });

  it('says one line and exits 2 when stdout cannot be written (>/dev/full)', () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), 'check', 'fixtures/seed-cluster'], { cwd: ROOT, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr).toBe('mesh-doctor: error: cannot write the output: ENOSPC\n');
    } finally {
      closeSync(fd);
    }
  });

  it('stops quietly when the reader of its output goes away (a closed pipe)', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/run.js'), 'check', 'fixtures/seed-cluster', '--format', 'json', '--verbose'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    child.stdout.destroy();
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 30_000);
});
