import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCheck, type CheckOptions, type CheckOutcome } from '../../src/check.js';
import { loadConfig } from '../../src/config/load.js';
import { MAX_RESULTS, sarifReport, sarifReportChunks } from '../../src/report/sarif.js';
import type { ReportInput } from '../../src/report/types.js';
import type { Result } from '../../src/rules/types.js';
import { ROOT, fixture } from '../helpers/fixtures.js';
import { HOSTILE_NODE, hostileCapture, joinedPieces, manyFailures, sarifValidator } from '../helpers/pipeline.js';

const opts = (name: string, over: Partial<CheckOptions> = {}): CheckOptions => ({
  dir: fixture(name), format: 'sarif', failOn: 'fail', color: false, verbose: false, toolVersion: '0.1.0', now: new Date('2026-11-25T17:00:00Z'), ...over,
});

/* eslint-disable @typescript-eslint/no-explicit-any */
type Sarif = any;
const validate = sarifValidator();
const cache = new Map<string, CheckOutcome>();
/** One check per fixture for the whole file: a check takes a second or two on these machines. */
function check(name: string): CheckOutcome {
  if (!cache.has(name)) cache.set(name, runCheck(opts(name)));
  return cache.get(name)!;
}
const sarifOf = (input: ReportInput): Sarif => JSON.parse(sarifReport(input));

/**
 * What GitHub code scanning documents that it requires of an upload, and the limits past which it
 * refuses one (docs.github.com, "SARIF support for code scanning"): each check names the rule.
 */
function githubProblems(text: string): string[] {
  const log = JSON.parse(text);
  const p: string[] = [];
  if (typeof log.$schema !== 'string' || !log.$schema) p.push('$schema is required');
  if (log.version !== '2.1.0') p.push('version must be 2.1.0');
  if (!Array.isArray(log.runs) || log.runs.length < 1 || log.runs.length > 20) p.push('1 to 20 runs');
  if (gzipSync(text).length > 10 * 1024 * 1024) p.push('gzip-compressed size over 10 MB');
  for (const run of log.runs ?? []) {
    const d = run.tool?.driver;
    if (!d?.name) p.push('tool.driver.name is required');
    const rules: Sarif[] = d?.rules ?? [];
    if (rules.length > 25_000) p.push('more than 25,000 rules');
    const ids = new Set(rules.map((r) => r.id));
    for (const r of rules) {
      if (!r.id) p.push('a rule without id');
      if (!r.shortDescription?.text || r.shortDescription.text.length > 1024) p.push(`${r.id}: shortDescription.text required, at most 1024`);
      if (!r.fullDescription?.text || r.fullDescription.text.length > 1024) p.push(`${r.id}: fullDescription.text required, at most 1024`);
      if (!r.help?.text) p.push(`${r.id}: help.text required`);
      if (r.name !== undefined && (r.name === '' || r.name.length > 255)) p.push(`${r.id}: name at most 255`);
      if (r.defaultConfiguration && !['note', 'warning', 'error'].includes(r.defaultConfiguration.level)) p.push(`${r.id}: defaultConfiguration.level note|warning|error`);
      if ((r.properties?.tags ?? []).length > 20) p.push(`${r.id}: more than 20 tags`);
    }
    if (!Array.isArray(run.results)) p.push('results[] is required');
    if ((run.results ?? []).length > 25_000) p.push('more than 25,000 results');
    for (const [i, x] of (run.results ?? []).entries()) {
      if (!ids.has(x.ruleId)) p.push(`results[${i}]: ruleId not among the rules`);
      if (x.ruleIndex !== undefined && rules[x.ruleIndex]?.id !== x.ruleId) p.push(`results[${i}]: ruleIndex does not name its rule`);
      if (!x.message?.text) p.push(`results[${i}]: message.text required`);
      if (!Array.isArray(x.locations) || x.locations.length < 1) p.push(`results[${i}]: at least one location`);
      if ((x.locations ?? []).length > 10) p.push(`results[${i}]: at most 10 locations`);
      for (const l of [...(x.locations ?? []), ...(x.relatedLocations ?? [])]) {
        const uri = l.physicalLocation?.artifactLocation?.uri;
        if (!uri) p.push(`results[${i}]: artifactLocation.uri required`);
        else if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('/')) p.push(`results[${i}]: ${uri} is not a relative path`);
        const line = l.physicalLocation?.region?.startLine;
        if (line !== undefined && !(Number.isInteger(line) && line >= 1)) p.push(`results[${i}]: startLine ${line}`);
      }
      if (!x.partialFingerprints?.primaryLocationLineHash) p.push(`results[${i}]: partialFingerprints.primaryLocationLineHash`);
      if (!['note', 'warning', 'error'].includes(x.level)) p.push(`results[${i}]: level`);
    }
  }
  return p;
}

describe('sarif report', () => {
  it.each(['seed-cluster', 'broken-dnat-target', 'broken-no-ipvs', 'invalid-iptables-line', 'broken-dnat-duplicate', 'broken-engine-patch', 'lab-fault-13-nat-flushed'])(
    'of %s is valid against the OASIS SARIF 2.1.0 schema and meets what GitHub code scanning requires',
    (name) => {
      const text = check(name).report;
      const log = JSON.parse(text);
      expect(validate(log) ? [] : validate.errors).toEqual([]);
      expect(githubProblems(text)).toEqual([]);
    },
  );

  it('is checked by validators that refuse what the schema and GitHub refuse', () => {
    const log = JSON.parse(check('broken-dnat-target').report);
    log.runs[0].results[0].level = 'fatal';
    expect(validate(log)).toBe(false);
    const noLocation = JSON.parse(check('broken-dnat-target').report);
    noLocation.runs[0].results[0].locations = [];
    expect(validate(noLocation)).toBe(true); // SARIF allows it; GitHub does not
    expect(githubProblems(JSON.stringify(noLocation))).toEqual(['results[0]: at least one location']);
  });

  it('describes every rule of the run: title, description, help, default level from the severity', () => {
    const out = check('broken-dnat-target');
    const log = sarifOf(out.input);
    const driver = log.runs[0].tool.driver;
    expect(driver).toMatchObject({ name: 'mesh-doctor', version: '0.1.0', semanticVersion: '0.1.0' });
    expect(driver.rules.map((r: Sarif) => r.id)).toEqual(out.input.rules.map((r) => r.spec.id));
    const dnat = driver.rules.find((r: Sarif) => r.id === 'dnat-target-is-sbox');
    expect(dnat.shortDescription.text).toBe('DNAT target matches the ingress-sbox address');
    expect(dnat.fullDescription.text).toMatch(/^Every DNAT rule in the host's nat DOCKER-INGRESS chain/);
    expect(dnat.help.text).toContain('Details: mesh-doctor rules show dnat-target-is-sbox (docs/rules/dnat-target-is-sbox.md)');
    expect(dnat.help.text).toContain('- https://github.com/moby/moby/blob/master/libnetwork/service_linux.go');
    expect(dnat.defaultConfiguration.level).toBe('error');
    expect(driver.rules.find((r: Sarif) => r.id === 'backend-in-arp').defaultConfiguration.level).toBe('error');
    expect(driver.rules.find((r: Sarif) => r.id === 'ipvs-idle-timeout').defaultConfiguration.level).toBe('warning');
  });

  it('has no informationUri, because package.json names no repository or homepage to point at', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    // When one is added, the driver should name it: this test then fails as a reminder.
    expect(pkg.repository ?? pkg.homepage).toBeUndefined();
    expect(sarifOf(check('seed-cluster').input).runs[0].tool.driver.informationUri).toBeUndefined();
  });

  it('has results for the problems only: fail as error, warn as warning; passes and skips are not results', () => {
    expect(sarifOf(check('seed-cluster').input).runs[0].results).toEqual([]);
    const fail = sarifOf(check('broken-dnat-target').input).runs[0].results;
    expect(fail).toHaveLength(1);
    expect(fail[0]).toMatchObject({ ruleId: 'dnat-target-is-sbox', level: 'error', properties: { status: 'fail', node: '253', subject: 'tcp/8080' } });
    expect(fail[0].message.text).toMatch(/^node 253, tcp\/8080: DOCKER-INGRESS DNATs tcp\/8080 to 192\.168\.0\.3, but ingress_sbox is 192\.168\.0\.2 on docker_gwbridge\n\nWhat to do: On node 253, compare/);
    expect(fail[0].kind).toBeUndefined();
    const warn = sarifOf(check('broken-engine-patch').input).runs[0].results;
    expect(warn.map((x: Sarif) => [x.ruleId, x.level])).toEqual([['peer-engine-versions', 'warning']]);
  });

  it('points each result at the capture file and line that show it, from the repository root when the capture is in one', () => {
    const input = check('broken-dnat-target').input;
    expect(input.capturePath).toBe('fixtures/broken-dnat-target');
    const [inRepo] = sarifOf(input).runs[0].results;
    expect(inRepo.locations).toEqual([{ physicalLocation: { artifactLocation: { uri: 'fixtures/broken-dnat-target/nodes/253/host/iptables-nat.txt', uriBaseId: '%SRCROOT%' }, region: { startLine: 30 } } }]);
    const log = sarifOf({ ...input, capturePath: undefined });
    expect(log.runs[0].results[0].locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'nodes/253/host/iptables-nat.txt', uriBaseId: 'CAPTURE' }, region: { startLine: 30 } });
    expect(Object.keys(log.runs[0].originalUriBaseIds)).toEqual(['CAPTURE']);
    // A file with no line (something absent from it): no region.
    const [absent] = sarifOf(check('broken-missing-dnat').input).runs[0].results;
    expect(absent.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'fixtures/broken-missing-dnat/nodes/228/host/iptables-nat.txt', uriBaseId: '%SRCROOT%' } });
  });

  it('gives an error result level error, a message saying it could not be evaluated, and the file and line its message names', () => {
    const out = check('invalid-iptables-line');
    const results = sarifOf(out.input).runs[0].results;
    expect(results).toHaveLength(out.input.summary.error);
    const dnat = results.find((x: Sarif) => x.ruleId === 'dnat-target-is-sbox');
    expect(dnat.level).toBe('error');
    expect(dnat.message.text).toMatch(/^node 253: dnat-target-is-sbox could not be evaluated here \(an error of the check, not a finding about the mesh\): cannot check: nodes\/253\/host\/iptables-nat\.txt:29:/);
    expect(dnat.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'fixtures/invalid-iptables-line/nodes/253/host/iptables-nat.txt', uriBaseId: '%SRCROOT%' }, region: { startLine: 29 } });
    // The parse problem is a notification of the run, at its file and line.
    const [note] = sarifOf(out.input).runs[0].invocations[0].toolExecutionNotifications;
    expect(note).toMatchObject({ level: 'error', locations: [{ physicalLocation: { region: { startLine: 29 } } }] });
  });

  it('fingerprints a result by rule, node and subject: stable across runs and recaptures, distinct for two results alike', () => {
    const a = sarifOf(check('broken-dnat-target').input).runs[0].results[0].partialFingerprints;
    const b = sarifOf(runCheck(opts('broken-dnat-target', { now: new Date('2027-01-02T00:00:00Z') })).input).runs[0].results[0].partialFingerprints;
    expect(a).toEqual(b);
    expect(a.primaryLocationLineHash).toMatch(/^[0-9a-f]{16}:1$/);
    // The same finding on a recapture whose line moved keeps its fingerprint; on another node it is another alert.
    const input = check('broken-dnat-target').input;
    const moved = (over: Partial<Result>): ReportInput => ({ ...input, results: input.results.map((x) => (x.status === 'fail' ? { ...x, ...over } : x)) });
    expect(sarifOf(moved({ where: ['nodes/253/host/iptables-nat.txt:31'] })).runs[0].results[0].partialFingerprints).toEqual(a);
    expect(sarifOf(moved({ node: '228' })).runs[0].results[0].partialFingerprints).not.toEqual(a);
    expect(sarifOf(moved({ subject: 'tcp/80' })).runs[0].results[0].partialFingerprints).not.toEqual(a);
    const dup = sarifOf(check('broken-dnat-duplicate').input).runs[0].results.map((x: Sarif) => x.partialFingerprints.primaryLocationLineHash);
    expect(dup).toHaveLength(2);
    expect(dup[0].split(':')[0]).toBe(dup[1].split(':')[0]);
    expect(dup.map((h: string) => h.split(':')[1])).toEqual(['1', '2']);
  });

  it('keeps an accepted result as a suppressed note, with the reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-sarif-'));
    try {
      const p = join(dir, 'c.yaml');
      writeFileSync(p, 'accepted:\n  - rule: dnat-target-is-sbox\n    node: 253\n    reason: moving node 253\n    expires: 2026-12-31\n');
      const out = runCheck(opts('broken-dnat-target', { config: loadConfig(p, 'config.yaml') }));
      const text = out.report;
      expect(validate(JSON.parse(text)) ? [] : validate.errors).toEqual([]);
      expect(githubProblems(text)).toEqual([]);
      const [x] = JSON.parse(text).runs[0].results;
      expect(x.level).toBe('note');
      expect(x.suppressions).toEqual([{ kind: 'external', status: 'accepted', justification: 'moving node 253 (until 2026-12-31; config.yaml:2)' }]);
      expect(x.message.text).toContain('Accepted by the config until 2026-12-31 (config.yaml:2): moving node 253');
      expect(JSON.parse(text).runs[0].properties.summary).toMatchObject({ fail: 0, accepted: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps to GitHub\'s 25,000 results per run, errors and failures first, and says how many it left out', () => {
    const input = check('broken-engine-patch').input;
    const warn = input.results.find((x) => x.status === 'warn')!;
    const fail: Result = { ...warn, status: 'fail', severity: 'fail', remediation: '', evidence: {} };
    const many = [...Array.from({ length: MAX_RESULTS }, (_, i) => ({ ...warn, subject: `w${i}`, remediation: '', evidence: {} })), { ...fail, subject: 'f' }];
    const log = sarifOf({ ...input, results: many });
    const results = log.runs[0].results;
    expect(results).toHaveLength(MAX_RESULTS);
    expect(results[0]).toMatchObject({ level: 'error', properties: { subject: 'f' } });
    expect(log.runs[0].invocations[0].toolExecutionNotifications.at(-1).message.text).toBe('1 results left out: GitHub code scanning takes at most 25000 per run (errors and failures were kept first); the JSON report lists them all');
  });

  it('escapes hostile node and service names: valid JSON and URIs, no raw control character in what GitHub displays', () => {
    const dir = hostileCapture();
    try {
      const out = runCheck(opts('x', { dir }));
      const text = out.report;
      const log = JSON.parse(text);
      expect(validate(log) ? [] : validate.errors).toEqual([]);
      expect(githubProblems(text)).toEqual([]);
      expect(text).not.toMatch(/[\u007f-\u009f\u202e]/); // raw in the file: none (JSON escapes the C0 ones)
      const [x] = log.runs[0].results;
      // The data keeps the real name; what is displayed shows its control characters as escapes.
      expect(x.properties.node).toBe(HOSTILE_NODE);
      expect(x.message.text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
      expect(x.message.text).toContain('node 253<&"\'|,:%\\e[2J\\x01\\r\n::error::injected');
      expect(x.message.text).toContain('web<&"\'|,:%\\e]0;title\\x07\\x00\\u{202e}');
      const uri = x.locations[0].physicalLocation.artifactLocation.uri;
      expect(uri).toBe(`nodes/${encodeURIComponent(HOSTILE_NODE)}/host/iptables-nat.txt`);
      expect(decodeURIComponent(uri)).toBe(`nodes/${HOSTILE_NODE}/host/iptables-nat.txt`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sarif report of a swarm in trouble', () => {
  it('comes in pieces under 128 KB, which together are the schema-valid log with every result once', () => {
    const out = check('broken-dnat-target');
    // With characters a terminal would act on, which the log must escape.
    const big = manyFailures(out.input, 1000, ' \u009b\u202e');
    const text = joinedPieces([...sarifReportChunks(big)], 20);
    expect(text).toBe(sarifReport(big));
    expect(text).not.toMatch(/[\u009b\u202e]/);
    const log = JSON.parse(text);
    const validate = sarifValidator();
    expect(validate(log) ? [] : validate.errors).toEqual([]);
    expect(log.runs[0].results.map((x: { message: { text: string } }) => /#(\d+)/.exec(x.message.text)![1])).toEqual(big.results.map((_, i) => String(i)));
    // Written as JSON.stringify(log, null, 2) writes it: its results at their depth.
    expect(text).toBe(JSON.stringify(log, null, 2) + '\n');
  });
});
