import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, cpSync } from 'node:fs';
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
    // The article printed no conntrack counters: conntrack-not-full skips on its three nodes.
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^\d+ pass, 0 warn, 0 fail, 3 skip, 0 error$/);
    expect(r.stderr).toBe('');
  });

  it('prints a clean report of the working-mesh lab as it came up, every rule applying', () => {
    const r = cli('check', 'fixtures/lab-healthy');
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^\d+ pass, 0 warn, 0 fail, 0 skip, 0 error$/);
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
    // No IPVS: ipvs-available and the two published-port rules fail on each of 3 nodes; the IPVS
    // readers skip, and conntrack-not-full (the article printed no counters).
    expect(doc.summary).toMatchObject({ warn: 0, fail: 9, skip: 12, error: 0 });
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

  it('exits 2 on a bad flag or a missing folder argument, without a stack trace', () => {
    for (const args of [['check'], ['check', 'fixtures/seed-cluster', '--fail-on', 'bogus'], ['check', 'fixtures/seed-cluster', '--format', 'xml']]) {
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
      const r = cli('check', 'fixtures/seed-cluster', '--rules', dir, '--format', 'json');
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
    for (const args of [['--help'], ['check', '--help'], ['rules', 'list', '--help'], ['rules', 'show', '--help']]) {
      const r = cli(...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/USAGE/);
    }
  });
});

describe('mesh-doctor rules', () => {
  it('list shows id, severity, scope and title of every rule', () => {
    const r = cli('rules', 'list');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^ID\s+SEVERITY\s+SCOPE\s+TITLE$/);
    expect(r.stdout).toMatch(/peer-engine-versions\s+fail\s+cluster\s+Peers agree on engine version/);
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
