import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck, type CheckOptions } from '../../src/check.js';
import { loadConfig, type MeshConfig } from '../../src/config/load.js';
import { junitReport, junitReportChunks } from '../../src/report/junit.js';
import type { ReportInput } from '../../src/report/types.js';
import { fixture } from '../helpers/fixtures.js';
import { HOSTILE_NODE, HOSTILE_SERVICE, hostileCapture, xmllintJunit, xpath } from '../helpers/pipeline.js';

const opts = (name: string, over: Partial<CheckOptions> = {}): CheckOptions => ({
  dir: fixture(name), format: 'junit', failOn: 'fail', color: false, verbose: false, toolVersion: '0.1.0', now: new Date('2026-11-25T17:00:00Z'), ...over,
});

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'md-junit-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The report written to a file, as a CI job would hand it to its viewer. */
function written(xml: string, name = 'report.xml'): string {
  const file = join(tmp, name);
  writeFileSync(file, xml);
  return file;
}

function acceptingConfig(reason = 'moving node 253 to the new subnet'): MeshConfig {
  const p = join(tmp, 'accept.yaml');
  writeFileSync(p, `accepted:\n  - rule: dnat-target-is-sbox\n    node: 253\n    reason: ${JSON.stringify(reason)}\n    expires: 2026-12-31\n`);
  return loadConfig(p, 'config.yaml');
}

const num = (file: string, expr: string) => Number(xpath(file, expr));

describe('junit report', () => {
  it('of a large swarm comes in pieces under 128 KB (never the whole report in memory), which together are the valid report, each result once', () => {
    const out = runCheck(opts('broken-dnat-target'));
    const input = out.input;
    // 6,000 results on the nodes and the cluster: about 1.5 MB of XML.
    const results = Array.from({ length: 6000 }, (_, i) => ({ ...input.results[i % input.results.length], subject: `tcp/${i}` }));
    const big: ReportInput = { ...input, results };
    const pieces = [...junitReportChunks(big)];
    expect(pieces.length).toBeGreaterThan(10);
    for (const p of pieces) expect(p.length).toBeLessThan(128 * 1024);
    const xml = pieces.join('');
    expect(xml).toBe(junitReport(big));
    const file = written(xml, 'big.xml');
    expect(xmllintJunit(file).ok).toBe(true);
    expect(num(file, 'count(//testcase)')).toBe(6000);
    expect(num(file, 'count(//testsuite)')).toBe(1 + input.nodes.length);
  });

  it.each(['seed-cluster', 'broken-dnat-target', 'broken-no-ipvs', 'invalid-iptables-line', 'broken-dnat-duplicate', 'lab-fault-09-docker-user-drop'])(
    'of %s is valid against the Ant JUnit XSD (xmllint)',
    (name) => {
      const v = xmllintJunit(written(runCheck(opts(name)).report, `${name}.xml`));
      expect(v.output).toContain('validates');
      expect(v.ok).toBe(true);
    },
  );

  it('is checked by a validator that refuses what the XSD refuses (a suite without its properties, counts on <testsuites>)', () => {
    const xml = runCheck(opts('broken-dnat-target')).report;
    expect(xmllintJunit(written(xml.replace(/<properties>[\s\S]*?<\/properties>/, ''), 'no-properties.xml')).ok).toBe(false);
    expect(xmllintJunit(written(xml.replace('<testsuites>', '<testsuites tests="1">'), 'root-attrs.xml')).ok).toBe(false);
  });

  it('makes every result a testcase named for its node, rule and subject, one testsuite per node and one for the cluster, with counts', () => {
    const out = runCheck(opts('broken-dnat-target'));
    const file = written(out.report);
    const results = out.input.results;
    expect(num(file, 'count(//testcase)')).toBe(results.length);
    expect(xpath(file, 'string(//testsuite[1]/@name)')).toBe('cluster');
    expect(num(file, 'count(//testsuite)')).toBe(1 + out.input.nodes.length);
    for (const node of out.input.nodes) {
      const mine = results.filter((x) => x.node === node);
      const suite = `//testsuite[@name="node ${node}"]`;
      expect(num(file, `count(${suite}/testcase)`)).toBe(mine.length);
      expect(num(file, `number(${suite}/@tests)`)).toBe(mine.length);
      expect(num(file, `number(${suite}/@failures)`)).toBe(mine.filter((x) => x.status === 'fail' || x.status === 'warn').length);
      expect(num(file, `number(${suite}/@skipped)`)).toBe(mine.filter((x) => x.status === 'skip').length);
      expect(num(file, `number(${suite}/@errors)`)).toBe(0);
      expect(xpath(file, `string(${suite}/@hostname)`)).toBe(node);
    }
    // Passes are testcases too, with no child.
    expect(num(file, 'count(//testcase[not(*)])')).toBe(out.input.summary.pass);
    expect(xpath(file, 'string(//testcase[@name="node 228: ipvs-available ingress_sbox"]/@classname)')).toBe('mesh-doctor.node.228');
    expect(xpath(file, 'string(//testsuite[@name="cluster"]/testcase[1]/@classname)')).toBe('mesh-doctor.cluster');
  });

  it('gives a fail a <failure> of its status, with subject, message, where (file:line), remediation in its body', () => {
    const out = runCheck(opts('broken-dnat-target'));
    const file = written(out.report);
    const f = '//testcase[@name="node 253: dnat-target-is-sbox tcp/8080"]/failure';
    expect(num(file, `count(${f})`)).toBe(1);
    expect(xpath(file, `string(${f}/@type)`)).toBe('fail');
    expect(xpath(file, `string(${f}/@message)`)).toBe('DOCKER-INGRESS DNATs tcp/8080 to 192.168.0.3, but ingress_sbox is 192.168.0.2 on docker_gwbridge');
    const body = xpath(file, `string(${f})`).split('\n');
    expect(body).toEqual(
      expect.arrayContaining([
        'subject: tcp/8080',
        'node: 253',
        'status: fail (severity fail)',
        'where: fixtures/broken-dnat-target/nodes/253/host/iptables-nat.txt:30',
        expect.stringMatching(/^remediation: On node 253, compare `iptables -t nat -S DOCKER-INGRESS`/),
        'details: mesh-doctor rules show dnat-target-is-sbox (docs/rules/dnat-target-is-sbox.md)',
      ]),
    );
    // Outside a repository, where is the capture's own path.
    const plain = written(junitReport({ ...out.input, capturePath: undefined }), 'plain.xml');
    expect(xpath(plain, `string(${f})`)).toContain('where: nodes/253/host/iptables-nat.txt:30');
  });

  it('gives a warn a <failure type="warn">, an error an <error>, a skip a <skipped> with its reason', () => {
    const warn = written(runCheck(opts('broken-engine-patch')).report, 'warn.xml');
    expect(xpath(warn, 'string(//testcase[@name="cluster: peer-engine-versions engine versions"]/failure/@type)')).toBe('warn');
    const errs = runCheck(opts('invalid-iptables-line'));
    const err = written(errs.report, 'err.xml');
    expect(num(err, 'count(//error)')).toBe(errs.input.summary.error);
    expect(num(err, 'number(//testsuite[@name="node 253"]/@errors)')).toBe(errs.input.summary.error);
    expect(xpath(err, 'string(//testcase[@name="node 253: dnat-target-is-sbox"]/error/@type)')).toBe('error');
    expect(xpath(err, 'string(//testcase[@name="node 253: dnat-target-is-sbox"]/error/@message)')).toMatch(/^cannot check: nodes\/253\/host\/iptables-nat\.txt:29: malformed column header/);
    // The parse problem itself is in the node's suite output.
    expect(xpath(err, 'string(//testsuite[@name="node 253"]/system-out)')).toMatch(/^fixtures\/invalid-iptables-line\/nodes\/253\/host\/iptables-nat\.txt:29: error: malformed column header/);
    const seed = runCheck(opts('seed-cluster'));
    const skip = written(seed.report, 'skip.xml');
    expect(num(skip, 'count(//skipped)')).toBe(seed.input.summary.skip);
    expect(xpath(skip, 'string(//testcase[@name="node 253: conntrack-not-full"]/skipped/@message)')).toContain('nf_conntrack_max are not both in nodes/253/host/sysctl.txt');
  });

  it('reports an accepted result as skipped with the acceptance, not as a failure', () => {
    const out = runCheck(opts('broken-dnat-target', { config: acceptingConfig() }));
    expect(out.exitCode).toBe(0);
    const file = written(out.report, 'accepted.xml');
    expect(xmllintJunit(file).ok).toBe(true);
    const t = '//testcase[@name="node 253: dnat-target-is-sbox tcp/8080"]';
    expect(num(file, `count(${t}/failure)`)).toBe(0);
    expect(xpath(file, `string(${t}/skipped/@message)`)).toBe('accepted until 2026-12-31: moving node 253 to the new subnet (config.yaml:2)');
    expect(xpath(file, `string(${t}/skipped)`)).toContain('status: fail, accepted: not counted (severity fail)');
    expect(num(file, 'sum(//testsuite/@failures)')).toBe(0);
    expect(num(file, 'number(//testsuite[@name="node 253"]/@skipped)')).toBe(out.input.results.filter((x) => x.node === '253' && (x.status === 'skip' || x.accepted)).length);
  });

  it("shares the run's time among the testcases, so that every viewer's total is the run's time, and carries the run's counts", () => {
    const out = runCheck(opts('broken-dnat-target'));
    const input: ReportInput = { ...out.input, durationMs: 2580 };
    const file = written(junitReport(input), 'time.xml');
    expect(num(file, 'sum(//testcase/@time)')).toBeCloseTo(2.58, 3);
    expect(num(file, 'sum(//testsuite/@time)')).toBeCloseTo(2.58, 3);
    expect(xpath(file, 'string(//testsuite[1]/properties/property[@name="run.durationMs"]/@value)')).toBe('2580');
    expect(xpath(file, 'string(//testsuite[1]/properties/property[@name="run.failures"]/@value)')).toBe('1');
    expect(xpath(file, 'string(//testsuite[1]/properties/property[@name="run.tests"]/@value)')).toBe(String(out.input.results.length));
    expect(xpath(file, 'string(//testsuite[1]/@timestamp)')).toBe('2026-11-25T17:00:00');
  });

  it('keeps the names of two results alike apart (two DNAT rules for one port)', () => {
    const file = written(runCheck(opts('broken-dnat-duplicate')).report, 'dup.xml');
    expect(num(file, 'count(//testcase[@name="node 234: dnat-target-is-sbox tcp/8080"])')).toBe(1);
    expect(num(file, 'count(//testcase[@name="node 234: dnat-target-is-sbox tcp/8080 #2"])')).toBe(1);
  });

  it('escapes hostile node and service names: markup and quotes round-trip, control characters are shown as escapes, XML stays valid', () => {
    const dir = hostileCapture();
    try {
      const out = runCheck(opts('x', { dir }));
      const xml = out.report;
      const file = written(xml, 'hostile.xml');
      expect(xmllintJunit(file).ok).toBe(true);
      // Nothing XML 1.0 refuses, and nothing a terminal would act on.
      expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202e\ufffe\uffff]/);
      const shown = HOSTILE_NODE.replace('\u001b', '\\e').replace('\u0001', '\\x01').replace('\r', '\\r').replace('\n', '\\n');
      expect(xpath(file, 'string(//testsuite[testcase/failure]/@name)')).toBe(`node ${shown}`);
      const failure = xpath(file, '//failure/text()');
      const body = xpath(file, 'string(//failure)').split('\n');
      expect(failure).not.toContain('<img'); // markup is text, escaped in the file
      expect(body).toContain(`node: ${shown}`);
      expect(body.find((l) => l.startsWith('remediation: '))).toContain('web<&"\'|,:%\\e]0;title\\x07\\x00\\u{202e}\\u{fffe}');
      // One line per key: the newline in the node's name did not start a line of its own.
      expect(body.filter((l) => l.startsWith('::'))).toEqual([]);
      expect(xpath(file, 'string(//testcase[failure]/@name)')).toBe(`node ${shown}: dnat-target-is-sbox tcp/8080`);
      expect(HOSTILE_SERVICE).toContain('\u0000'); // the helper's name is as hostile as it says
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
