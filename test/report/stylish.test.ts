import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck, type CheckOptions } from '../../src/check.js';
import { summarizeAccepted } from '../../src/config/apply.js';
import { normalizeNode, stylishReport } from '../../src/report/stylish.js';
import type { ReportInput } from '../../src/report/types.js';
import type { LoadedRule, Result } from '../../src/rules/types.js';
import { displayWidth, stripAnsi, words } from '../../src/util/wrap.js';
import { acceptingConfig } from '../helpers/config.js';
import { ROOT, fixture } from '../helpers/fixtures.js';

const opts = (name: string, over: Partial<CheckOptions> = {}): CheckOptions => ({
  dir: fixture(name), format: 'stylish', failOn: 'fail', color: false, verbose: false, toolVersion: '0.1.0', now: new Date('2026-11-25T17:00:00Z'), ...over,
});
const lines = (text: string) => text.trimEnd().split('\n');
const last = (text: string) => lines(text).pop();
/** The text with its wrapping undone (every run of spaces and newlines one space), to read it as prose. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

/** A report of results made up here (rules named by their results), for shapes no fixture has. */
function synthetic(results: Partial<Result>[], nodes: string[], over: Partial<ReportInput> = {}): string {
  const full: Result[] = results.map((r) => ({ rule: 'r', status: 'pass', severity: 'fail', node: null, subject: '', message: 'ok', evidence: {}, remediation: '', docs: '', where: [], ...r }));
  const rules = [...new Set(full.map((r) => r.rule))].sort().map((id) => ({ spec: { id, title: `What ${id} checks`, severity: 'fail', scope: 'node' }, docs: `docs/rules/${id}.md` }) as unknown as LoadedRule);
  return stylishReport({
    source: 'synthetic', capturedAt: '', captureSource: '', generatedAt: '', nodes, rules, results: full, summary: summarizeAccepted(full),
    diagnostics: [], toolVersion: '0.1.0', durationMs: 0, color: false, verbose: false, ...over,
  });
}

/** Every line fits `width` columns, or is one word that cannot be broken (a path, a backticked command) after its indent or label. */
function expectFits(text: string, width: number) {
  for (const line of lines(text)) {
    const plain = stripAnsi(line);
    if (displayWidth(plain) <= width) continue;
    expect(words(plain.replace(/^\s*(?:\d+\. )?(?:[✔⚠✖○!] (?:pass|warn|fail|skip|error)?\s*)?/, ''))).toHaveLength(1);
  }
}

describe('stylish report: short when all is well', () => {
  it('says in one line that the cluster and every node are clean, lists no passing rule, and ends with the totals', () => {
    const out = runCheck(opts('seed-cluster'));
    const text = out.report;
    expect(text).toContain('\n✔ No problem found on the cluster and 3 nodes (228, 234, 253)\n');
    expect(text).not.toMatch(/✔ pass/);
    expect(text).not.toMatch(/^node /m);
    const s = out.input.summary;
    expect(last(text)).toBe(`${s.pass} pass, 0 warn, 0 fail, ${s.skip} skip, 0 error`);
    // Short: a header and the all-clear before the skips (which grow with each capture file the catalog reads).
    expect(lines(text.slice(0, text.indexOf('\nNot checked'))).length).toBeLessThan(8);
    expect(lines(text).length).toBeLessThan(50);
  });

  it('lists skips by reason, once for all the nodes and rules they share, with the node paths shown as nodes/*', () => {
    const text = runCheck(opts('seed-cluster')).report;
    const notChecked = flat(text.slice(text.indexOf('\nNot checked')));
    // The five rules that need host/addr.txt share one line; sbox-snat-present skips on two nodes only.
    expect(notChecked).toContain('○ skip advertise-addr-local, overlay-mtu-fits, rp-filter-loose-on-multihomed, vxlan-checksum-offload-safe, vxlan-device-not-stale on all 3 nodes: needs nodes/*/host/addr.txt, which is not in the capture');
    expect(notChecked).toContain('○ skip sbox-snat-present on 228, 253 (2 of 3 nodes): needs nodes/*/ingress_sbox/iptables-nat.txt, which is not in the capture');
    // A capture older than the collectors' read of IPVS's connection table.
    expect(notChecked).toContain('○ skip ipvs-udp-flows-current on all 3 nodes: needs nodes/*/ingress_sbox/ipvs-conn.txt, which is not in the capture');
    expect(notChecked).toContain('○ skip kernel-modules-present on all 3 nodes: needs nodes/*/host/modules.txt, modules-builtin.txt and modules-dep.txt, which are not in the capture');
    // One line per reason: fewer lines than rules skipped (each of which skips on several nodes).
    const skipped = Number(/Not checked (\d+) rules skipped/.exec(notChecked)![1]);
    expect(skipped).toBe(18);
    expect(notChecked.match(/○ skip/g)!.length).toBe(13);
  });

  it('with --verbose lists every result of every node, each pass included', () => {
    const out = runCheck(opts('seed-cluster', { verbose: true }));
    const passLines = lines(out.report).filter((l) => l.startsWith('  ✔ pass  '));
    expect(passLines).toHaveLength(out.input.summary.pass);
    expect(lines(out.report).filter((l) => l.startsWith('  ○ skip  '))).toHaveLength(out.input.summary.skip);
    expect(out.report).toMatch(/^node 253 {2}\d+ pass, 0 warn, 0 fail, \d+ skip, 0 error$/m);
  });

  it('with --quiet prints only the totals when all is well', () => {
    const out = runCheck(opts('seed-cluster', { quiet: true }));
    expect(out.report).toBe(`${out.input.summary.pass} pass, 0 warn, 0 fail, ${out.input.summary.skip} skip, 0 error\n`);
  });
});

describe('stylish report: specific when not', () => {
  it('gives each node one line of counts and its problems in full under it, problems first by severity', () => {
    const out = runCheck(opts('broken-backend-arp'));
    const text = out.report;
    const count = (node: string, st: string) => out.input.results.filter((r) => r.node === node && r.status === st).length;
    expect(text).toContain(`\nnode 228  ${count('228', 'pass')} pass, 1 warn, ${count('228', 'skip')} skip\n  ⚠ warn  backend-in-arp  10.0.0.98: IPVS backend 10.0.0.98 (FWM 8282) has no\n          entry in ingress_sbox's neighbour table\n          (nodes/228/ingress_sbox/ipvs.txt:2)\n`);
    expect(text).toContain(`\nnode 234  ${count('234', 'pass')} pass, 1 fail, ${count('234', 'skip')} skip\n  ✖ fail  backend-in-arp  10.0.0.98:`);
    // A clean node is one line.
    expect(text).toMatch(new RegExp(`\\nnode 253  ${count('253', 'pass')} pass, ${count('253', 'skip')} skip\\n\\n`));
  });

  it('says what to do next once per rule, fail before warn, with the nodes, each remediation once, and the rule\'s page', () => {
    const text = runCheck(opts('broken-no-ipvs')).report;
    const next = text.slice(text.indexOf('\nWhat to do next'));
    expect(next.match(/^ {2}\d\. ✖ ipvs-available /gm)).toHaveLength(1);
    expect(next).toMatch(/ {2}1\. ✖ ipvs-available — The kernel has IPVS\n {7}fail: 3 results on all 3 nodes\n {7}On node 228, load the module/);
    // The same remediation on the other nodes (only the node's name differs) is not repeated.
    expect(next.match(/load the module/g)).toHaveLength(1);
    expect(flat(next)).toContain('Restart dockerd afterwards so it programs the ingress rules. Likewise on 234, 253.');
    expect(flat(next)).toContain('details: `mesh-doctor rules show ipvs-available`, docs/rules/ipvs-available.md');
  });

  it('orders what to do next by severity: rules with errors, then failing rules, then warning ones', () => {
    const text = synthetic(
      [
        { rule: 'a-warns', status: 'warn', node: 'n1', subject: 's', message: 'w', remediation: 'Do A.' },
        { rule: 'b-fails', status: 'fail', node: 'n1', subject: 's', message: 'f', remediation: 'Do B.' },
        { rule: 'c-errs', status: 'error', node: 'n2', message: 'cannot check: nodes/n2/host/x.txt:3: bad' },
        { rule: 'b-fails', status: 'warn', node: 'n2', subject: 's', message: 'w', remediation: 'Do B too.' },
      ],
      ['n1', 'n2'],
    );
    const next = text.slice(text.indexOf('What to do next'));
    expect([...next.matchAll(/^ {2}\d\. (\S) (\S+)/gm)].map((m) => `${m[1]} ${m[2]}`)).toEqual(['! c-errs', '✖ b-fails', '⚠ a-warns']);
    expect(flat(next)).toContain('error: 1 result on n2 It could not be evaluated: fix or recapture the file named in the message above, then check again.');
    expect(flat(next)).toContain('fail: 2 results on n1, n2 s on n1: Do B. s on n2: Do B too.');
    // A rule's distinct remediations each say what they are for.

  });

  it('lists accepted results under their own heading, dimmed, with reason and expiry, and not as problems', () => {
    const plain = runCheck(opts('broken-dnat-target')).report;
    const out = runCheck(opts('broken-dnat-target', { config: acceptingConfig() }));
    const text = out.report;
    expect(plain).toContain('✖ fail  dnat-target-is-sbox');
    const accepted = text.slice(text.indexOf('\nAccepted'));
    expect(accepted).toMatch(/^\nAccepted {2}1 result the config accepts: not counted\n {2}✖ fail {2}dnat-target-is-sbox {2}node 253 {2}tcp\/8080: DOCKER-INGRESS DNATs/);
    expect(accepted).toContain('\n      accepted until 2026-12-31: moving node 253 to the new subnet\n      (config.yaml:2)\n');
    // Not among the problems, nor in what to do next; the counts leave it out and say it apart.
    expect(text.slice(0, text.indexOf('\nAccepted'))).not.toContain('✖ fail');
    expect(text).not.toContain('What to do next');
    expect(text).toContain('✔ No problem found on the cluster and 3 nodes');
    expect(last(text)).toBe(`${out.input.summary.pass} pass, 0 warn, 0 fail, ${out.input.summary.skip} skip, 0 error, 1 accepted`);
    expect(runCheck(opts('broken-dnat-target', { config: acceptingConfig(), color: true })).report).toMatch(/\x1b\[2m {2}✖ fail {2}dnat-target-is-sbox/);
  });

  it('prints the reason of an acceptance with control characters escaped', () => {
    const text = runCheck(opts('broken-dnat-target', { config: acceptingConfig('ok\u001b[2J\u202ehidden') })).report;
    expect(text).toContain('accepted until 2026-12-31: ok\\e[2J\\u{202e}hidden (config.yaml:2)');
    expect(text).not.toMatch(/[\u001b\u202e]/);
  });

  it('with --quiet prints the problems and the totals, nothing else', () => {
    const out = runCheck(opts('broken-no-ipvs', { quiet: true }));
    const text = out.report;
    expect(text.startsWith('node 228  ')).toBe(true);
    for (const gone of ['mesh-doctor', 'Not checked', 'What to do next', '○ skip', '✔', 'cluster ']) expect(text).not.toContain(gone);
    expect(lines(text).filter((l) => l.startsWith('  ✖ fail  '))).toHaveLength(9);
    expect(last(text)).toBe(`${out.input.summary.pass} pass, 0 warn, 9 fail, ${out.input.summary.skip} skip, 0 error`);
  });

  it('has no escape codes without colour, and has them with it', () => {
    expect(runCheck(opts('broken-dnat-target')).report).not.toMatch(/\x1b\[/);
    expect(runCheck(opts('broken-dnat-target', { color: true })).report).toMatch(/\x1b\[31m✖ fail/);
  });
});

describe('stylish report: many nodes', () => {
  const nodes = Array.from({ length: 50 }, (_, i) => `node${String(i).padStart(2, '0')}`);
  const passes = nodes.map((n) => ({ rule: 'dnat-target-is-sbox', node: n, subject: 'tcp/80', message: 'fine' }));
  const dnat = (n: string, to = '192.168.0.3') => ({
    rule: 'dnat-target-is-sbox', status: 'fail' as const, node: n, subject: 'tcp/8080',
    message: `DOCKER-INGRESS DNATs tcp/8080 to ${to}, but ingress_sbox is 192.168.0.2 on docker_gwbridge`,
    where: [`nodes/${n}/host/iptables-nat.txt:12`], remediation: `On node ${n}, delete the stale rule: \`iptables -t nat -D DOCKER-INGRESS 1\`.`,
  });

  it('lists a problem once with the nodes it is on, not once per node', () => {
    const text = synthetic([...passes, dnat('node41'), dnat('node03'), dnat('node17')], nodes);
    expect(text).toContain('\n  ✖ fail  dnat-target-is-sbox  tcp/8080 on node03, node17, node41 (3 of 50\n          nodes): DOCKER-INGRESS DNATs tcp/8080 to 192.168.0.3, but ingress_sbox\n          is 192.168.0.2 on docker_gwbridge (nodes/*/host/iptables-nat.txt:12)\n');
    expect(text.match(/✖ fail/g)).toHaveLength(1);
    expect(text).not.toMatch(/^node node03/m);
    expect(text).toMatch(/47 of 50 nodes clean; problems on node03, node17, node41/);
    // What to do next: the remediation once, filled in for the first node, naming the others.
    expect(flat(text)).toContain('fail: 3 results on node03, node17, node41 (3 of 50 nodes) On node node03, delete the stale rule: `iptables -t nat -D DOCKER-INGRESS 1`. Likewise on node17, node41.');
  });

  it('keeps findings that differ (beyond the node\'s name) apart, at most five per rule, and -v shows every node', () => {
    const many = nodes.slice(0, 8).map((n, i) => dnat(n, `192.168.0.${10 + i}`));
    const text = synthetic([...passes, ...many], nodes);
    expect(text.match(/✖ fail {2}dnat-target-is-sbox {2}tcp\/8080 on node0\d:/g)).toHaveLength(5);
    expect(text).toContain('... and 3 more of dnat-target-is-sbox on 3 nodes (-v lists each)');
    const verbose = synthetic([...passes, ...many], nodes, { verbose: true });
    expect(verbose.match(/^node node\d\d {2}/gm)).toHaveLength(50);
    expect(verbose.match(/✖ fail/g)).toHaveLength(8);
    expect(verbose.match(/✔ pass/g)).toHaveLength(50);
  });

  it('says "all N nodes" for a finding on every node, from a real generated capture', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-stylish-gen-'));
    try {
      const gen = spawnSync(process.execPath, [join(ROOT, 'scripts/gen-capture.js'), dir, '12', '3', '12', '--stale', '1'], { encoding: 'utf8' });
      expect(gen.status).toBe(0);
      const out = runCheck({ ...opts('seed-cluster'), dir });
      const fails = out.input.results.filter((r) => r.status === 'fail');
      expect(new Set(fails.map((r) => r.node)).size).toBe(12);
      const text = out.report;
      expect(text).toMatch(/✖ fail {2}ipvs-backends-match-tasks {2}tcp\/30000 on all 12 nodes: IPVS FWM 256/);
      expect(text.match(/✖ fail/g)).toHaveLength(1);
      expect(text).toContain('0 of 12 nodes clean; problems on all 12 nodes');
      expectFits(text, 80);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('stylish report: wrapping', () => {
  it.each([60, 80, 100, 132])('fits %i columns, with and without colour, and never breaks a backticked command', (width) => {
    for (const name of ['broken-no-ipvs', 'broken-dnat-target', 'lab-fault-09-docker-user-drop', 'invalid-iptables-line']) {
      const out = runCheck(opts(name, { width }));
      expectFits(out.report, width);
      expectFits(runCheck(opts(name, { width, color: true })).report, width);
      // Every backticked command of every remediation shown is whole on one line.
      for (const r of out.input.results.filter((x) => x.status === 'fail' || x.status === 'warn')) {
        for (const cmd of r.remediation.match(/`[^`]+`/g) ?? []) {
          if (out.report.includes(cmd.slice(0, 12))) expect(lines(out.report).some((l) => l.includes(cmd))).toBe(true);
        }
      }
    }
  });

  it('at width 0 prints each finding on one line', () => {
    const text = runCheck(opts('broken-dnat-target', { width: 0 })).report;
    expect(text).toMatch(/^ {2}✖ fail {2}dnat-target-is-sbox {2}tcp\/8080: DOCKER-INGRESS DNATs tcp\/8080 to 192\.168\.0\.3, but ingress_sbox is 192\.168\.0\.2 on docker_gwbridge \(nodes\/253\/host\/iptables-nat\.txt:30\)$/m);
  });
});

describe('normalizeNode: a node name taken out of a text, as a whole word', () => {
  /** The rule as a regex: not after \w . -, not before \w - or a . that \w follows. */
  const reference = (text: string, node: string) => text.replace(new RegExp(`(?<![\\w.-])${node.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-]|\\.\\w)`, 'g'), '\u0000');

  it.each([
    ['From node node-0: ping node-0.', 'node-0'],
    ['node-0', 'node-0'],
    ['node-0 node-0node-0 node-01 xnode-0 .node-0 -node-0 node-0- node-0.x node-0._ node-0.. node-0.', 'node-0'],
    ['nodes/n1/host/iptables.txt:3 on n1, n1.example, n1-b, a.n1, (n1)', 'n1'],
    ['253 at 10.0.0.253 and 253: 2530, 1253, 253_', '253'],
    ['a.b a.b.c xa.b a.bx a.b-c a.b', 'a.b'],
    ['no name here', 'node-9'],
    ['a:a:a (a name that overlaps itself: matches do not)', 'a:a'],
  ])('takes %j apart at %s as the regex would', (text, node) => {
    expect(normalizeNode(text, node)).toBe(reference(text, node));
  });

  it('agrees with the regex on 5,000 random texts of names, dots, dashes and word characters', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const bits = ['node-1', 'node-1', 'n', '.', '-', '_', 'x', '1', ' ', ':', '/', '..', 'node-10'];
    for (let i = 0; i < 5000; i++) {
      let text = '';
      for (let k = rnd(12); k >= 0; k--) text += bits[rnd(bits.length)];
      expect([text, normalizeNode(text, 'node-1')]).toEqual([text, reference(text, 'node-1')]);
    }
  });
});
