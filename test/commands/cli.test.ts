import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, fixture } from '../helpers/fixtures.js';

/** The real CLI (bin/run.js on the built dist/), as a user or a pipeline runs it. */
function cli(...args: string[]) {
  return cliWith({}, ...args);
}

/** The real CLI with these environment variables (undefined: unset); never colour or a width from the environment otherwise. */
function cliWith(env: Record<string, string | undefined>, ...args: string[]) {
  const e: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, COLUMNS: undefined, ...env };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: e as NodeJS.ProcessEnv });
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
    expect(r.stdout).toContain('✔ No problem found on the cluster and 3 nodes (228, 234, 253)');
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

  it('prints a clean report of the working-mesh lab as it came up, and a warning for the stock keepalive', () => {
    const r = cli('check', 'fixtures/lab-healthy');
    expect(r.code).toBe(0);
    // No warn, fail or error; the few skips (inputs the lab's capture lacks) are listed in test/rules/fixtures.test.ts.
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^\d+ pass, 0 warn, 0 fail, \d+ skip, 0 error$/);
    // The lab with the kernel's keepalive (7200 s) back on node2: IPVS's 900 s idle timeout warns there, and only there.
    const stock = cli('check', 'fixtures/lab-fault-24-tcp-keepalive-stock');
    expect(stock.code).toBe(0);
    expect(stock.stdout.trimEnd().split('\n').pop()).toMatch(/^\d+ pass, 1 warn, 0 fail, \d+ skip, 0 error$/);
    const warns = stock.stdout.split('\n').filter((l) => /^\s+\S+ warn /.test(l));
    expect(warns.map((l) => l.trim().split(/\s+/)[2])).toEqual(['ipvs-idle-timeout']);
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

  it('exits 2 on a bad flag or a surplus argument, one line and no stack trace (and never reads this machine)', () => {
    // `check` with no folder captures this machine: no unit test may do that.
    for (const args of [['check', 'fixtures/seed-cluster', 'fixtures/seed-cluster'], ['check', 'fixtures/seed-cluster', '--fail-on', 'bogus'], ['check', 'fixtures/seed-cluster', '--format', 'xml'], ['check', 'fixtures/seed-cluster', '--max-file-size', 'lots']]) {
      const r = cli(...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^mesh-doctor: error: [^\n]+\n$/);
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

describe("mesh-doctor's command line", () => {
  // A check that would capture this machine if its folder were lost (a greedy flag swallowing it)
  // finds no docker and no program to run instead, and fails: nothing here is read.
  const noMachine = { DOCKER_HOST: 'unix:///nonexistent/mesh-doctor-test.sock', PATH: '/nonexistent' };

  it.each([
    [['check', 'fixtures/seed-cluster', '--bogus'], 'unknown flag --bogus (see: mesh-doctor check --help)'],
    [['check', 'fixtures/seed-cluster', '--fail-on', 'bogus'], "--fail-on: expected one of fail, warn, none, got 'bogus' (see: mesh-doctor check --help)"],
    [['check', 'fixtures/seed-cluster', '--format'], '--format: needs a value, one of stylish, json, junit, sarif, github, prometheus, nagios, html (see: mesh-doctor check --help)'],
    [['check', 'fixtures/seed-cluster', '--config'], '--config: needs a value (see: mesh-doctor check --help)'],
    [['check', 'fixtures/seed-cluster', 'extra'], "unexpected argument 'extra' (see: mesh-doctor check --help)"],
    [['check', 'fixtures/seed-cluster', '-v', '-q'], '--quiet and --verbose cannot be used together (see: mesh-doctor check --help)'],
    [['rules', 'show'], 'missing argument ID (see: mesh-doctor rules show --help)'],
    [['rules', 'show', 'ipvs-available', '--width', 'wide'], "--width: expected 0 (no wrapping) or a number of columns from 40 to 10000, got 'wide'"],
    [['rules', 'list', '--format', 'xml'], "--format: expected one of table, json, got 'xml' (see: mesh-doctor rules list --help)"],
    [['rules', 'test'], 'missing argument DIR (see: mesh-doctor rules test --help)'],
    [['capture', '--bogus'], 'unknown flag --bogus (see: mesh-doctor capture --help)'],
    [['nocmd'], "unknown command 'nocmd' (see: mesh-doctor --help)"],
    [['rules', 'nope'], "unknown command 'rules nope' (see: mesh-doctor --help)"],
  ])('%j: one line naming the problem and the help to read, exit 2, no usage dump', (args, message) => {
    const r = cliWith(noMachine, ...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`mesh-doctor: error: ${message}\n`);
  });

  it('--rule takes a comma list as well as repeats, and never swallows the capture folder after it', () => {
    const rules = (...args: string[]) => {
      const r = cliWith(noMachine, 'check', ...args, '--format', 'json');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return [...new Set(JSON.parse(r.stdout).results.map((x: { rule: string }) => x.rule))].sort();
    };
    expect(rules('fixtures/seed-cluster', '--rule', 'ipvs-available,fwmark-has-backend')).toEqual(['fwmark-has-backend', 'ipvs-available']);
    expect(rules('--rule', 'ipvs-available', 'fixtures/seed-cluster')).toEqual(['ipvs-available']);
    expect(rules('--rule', 'ipvs-available', '--rule', 'fwmark-has-backend', 'fixtures/seed-cluster')).toEqual(['fwmark-has-backend', 'ipvs-available']);
    expect(rules('--node', '253', '--rule', 'ipvs-available,peer-engine-versions', 'fixtures/seed-cluster')).toEqual(['ipvs-available', 'peer-engine-versions']);
  });

  it('--node reports only the nodes named (and the cluster), and its exit code follows them; an unknown node is one line naming the others', () => {
    const of = (...nodes: string[]) => cliWith(noMachine, 'check', 'fixtures/broken-backend-arp', '--format', 'json', ...nodes.flatMap((n) => ['--node', n]));
    // broken-backend-arp: a warn on 228, a fail on 234, nothing on 253.
    const only253 = of('253');
    expect(only253.code).toBe(0);
    const doc = JSON.parse(only253.stdout);
    expect(new Set(doc.results.map((x: { node: string | null }) => x.node))).toEqual(new Set(['253', null]));
    expect(doc.capture.nodes).toEqual(['253']);
    expect(of('234').code).toBe(1);
    expect(JSON.parse(of('228,253').stdout).summary).toMatchObject({ warn: 1, fail: 0 });
    const text = cli('check', 'fixtures/broken-backend-arp', '--node', '234');
    expect(text.stdout.split('\n')[0]).toMatch(/\(captured .*, 1 of 3 nodes, 40 rules\)$|1 of 3$/);
    expect(text.stdout).not.toMatch(/^node (228|253)/m);
    expect(text.stdout).toMatch(/^node 234 {2}\d+ pass, 1 fail/m);
    const bad = cliWith(noMachine, 'check', 'fixtures/broken-backend-arp', '--node', '253,nope');
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe("mesh-doctor: error: --node: the capture has no node 'nope' (its nodes: 228, 234, 253)\n");
  });

  it('-q prints only the problems and the totals: nothing but the totals when all is well', () => {
    const clean = cli('check', 'fixtures/seed-cluster', '-q');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^\d+ pass, 0 warn, 0 fail, \d+ skip, 0 error\n$/);
    const broken = cli('check', 'fixtures/broken-dnat-target', '--quiet');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^node 253 {2}\d+ pass, 1 fail, \d+ skip\n {2}✖ fail {2}dnat-target-is-sbox {2}tcp\/8080:/);
    expect(broken.stdout).not.toMatch(/What to do next|Not checked|mesh-doctor/);
  });

  it('colours into a pipe with FORCE_COLOR, not with NO_COLOR or FORCE_COLOR=0, and the flag wins over both', () => {
    const esc = (env: Record<string, string | undefined>, ...flags: string[]) => cliWith(env, 'check', 'fixtures/broken-dnat-target', ...flags).stdout.includes('\u001b[');
    expect(esc({ NO_COLOR: undefined })).toBe(false); // a pipe: no colour
    expect(esc({ NO_COLOR: undefined, FORCE_COLOR: '1' })).toBe(true);
    expect(esc({ NO_COLOR: undefined, FORCE_COLOR: '0' })).toBe(false);
    expect(esc({ NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
    expect(esc({ NO_COLOR: '1' }, '--color')).toBe(true);
    expect(esc({ NO_COLOR: undefined, FORCE_COLOR: '1' }, '--no-color')).toBe(false);
    // Never in a file, whatever forces colour on stdout.
    const dir = mkdtempSync(join(tmpdir(), 'md-color-'));
    try {
      cliWith({ NO_COLOR: undefined, FORCE_COLOR: '1' }, 'check', 'fixtures/broken-dnat-target', '-o', join(dir, 'r.txt'));
      expect(readFileSync(join(dir, 'r.txt'), 'utf8')).not.toContain('\u001b[');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('wraps to 80 columns into a pipe, to COLUMNS when set, to --width when given (0: not at all)', () => {
    // The widest line, but for one that is a single backticked command (never broken).
    const widest = (out: string) => Math.max(...out.split('\n').filter((l) => !/^\s*`[^`]+`[.,;:)]*$/.test(l)).map((l) => [...l].length));
    const plain = cli('check', 'fixtures/broken-no-ipvs').stdout;
    expect(widest(plain)).toBeLessThanOrEqual(80);
    const wide = cliWith({ COLUMNS: '120' }, 'check', 'fixtures/broken-no-ipvs').stdout;
    expect(widest(wide)).toBeGreaterThan(80);
    expect(widest(wide)).toBeLessThanOrEqual(120);
    expect(widest(cliWith({ COLUMNS: '120' }, 'check', 'fixtures/broken-no-ipvs', '--width', '60').stdout)).toBeLessThanOrEqual(60);
    const unwrapped = cli('check', 'fixtures/broken-no-ipvs', '--width', '0').stdout;
    expect(unwrapped).toMatch(/^ {2}✖ fail {2}ipvs-available {2}ingress_sbox: \/proc\/net\/ip_vs does not exist in ingress_sbox \(No such file or directory\): this kernel has no IPVS, so the routing mesh cannot forward published ports or VIPs \(nodes\/228\/ingress_sbox\/ipvs\.txt\)$/m);
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

  it('show wraps to the width, never inside a backticked command, and names the rule\'s page', () => {
    const r = cli('rules', 'show', 'published-port-has-mark', '--width', '60');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\ndocs: docs/rules/published-port-has-mark.md\n');
    const cmd = '`nsenter --net=/run/docker/netns/ingress_sbox iptables -t mangle -S PREROUTING`';
    expect(r.stdout.split('\n').some((l) => l.trim().startsWith(cmd))).toBe(true);
    // Longer lines are one word that cannot be broken: a backticked command, a URL.
    for (const l of r.stdout.split('\n')) if ([...l].length > 60) expect(l.trim()).toMatch(/^(`[^`]+`[.,;:)]*|\S+)$/);
    expect(JSON.parse(cli('rules', 'show', 'published-port-has-mark', '--format', 'json').stdout)).toMatchObject({ docs: 'docs/rules/published-port-has-mark.md', file: 'rules/published-port-has-mark.yaml' });
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
  }, 30_000); // a whole check in a child process: seconds on a loaded 2-core machine
});
