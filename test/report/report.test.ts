import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck, type CheckOptions } from '../../src/check.js';
import { loadConfig, type MeshConfig } from '../../src/config/load.js';
import { fixture, validator } from '../helpers/fixtures.js';

/** A config (shown as config.yaml) accepting broken-dnat-target's one fail, on node 253, until 2026-12-31. */
function acceptingConfig(reason = 'moving node 253 to the new subnet'): MeshConfig {
  const dir = mkdtempSync(join(tmpdir(), 'md-report-'));
  try {
    const p = join(dir, 'c.yaml');
    writeFileSync(p, `accepted:\n  - rule: dnat-target-is-sbox\n    node: 253\n    reason: ${JSON.stringify(reason)}\n    expires: 2026-12-31\n`);
    return loadConfig(p, 'config.yaml');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const opts = (name: string, over: Partial<CheckOptions> = {}): CheckOptions => ({
  dir: fixture(name), format: 'stylish', failOn: 'fail', color: false, verbose: false, toolVersion: '0.1.0', now: new Date('2026-11-25T17:00:00Z'), ...over,
});

describe('report formats', () => {
  it('has a reporter for every format the --format flag accepts, and no other', async () => {
    const { FORMATS } = await import('../../src/report/formats.js');
    const { REPORTERS } = await import('../../src/report/index.js');
    expect(Object.keys(REPORTERS).sort()).toEqual([...FORMATS].sort());
  });
});

describe('json report', () => {
  const validate = validator('report.schema.json');

  it.each(['seed-cluster', 'broken-no-ipvs', 'invalid-iptables-line'])('of %s follows the report schema', (name) => {
    const out = runCheck(opts(name, { format: 'json' }));
    const doc = JSON.parse(out.report);
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    expect(doc).toMatchObject({ format: 'mesh-doctor-report', version: 1, tool: { name: 'mesh-doctor', version: '0.1.0' }, generatedAt: '2026-11-25T17:00:00.000Z' });
  });

  it('keeps the field order of the spec in each result', () => {
    const doc = JSON.parse(runCheck(opts('broken-dnat-target', { format: 'json' })).report);
    expect(Object.keys(doc.results[0])).toEqual(['rule', 'status', 'severity', 'node', 'subject', 'message', 'evidence', 'remediation', 'docs', 'where']);
    // The skips (inputs the seed lacks) are test/rules/fixtures.test.ts's to list.
    expect(doc.summary).toMatchObject({ warn: 0, fail: 1, error: 0 });
    expect(doc.summary.pass + doc.summary.skip).toBe(doc.results.length - 1);
  });

  it('adds accepted to an accepted result only, after the other fields, and counts it apart in the summary (schema-valid)', () => {
    const doc = JSON.parse(runCheck(opts('broken-dnat-target', { format: 'json', config: acceptingConfig() })).report);
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    const [acc] = doc.results.filter((r: { accepted?: unknown }) => r.accepted);
    expect(Object.keys(acc)).toEqual(['rule', 'status', 'severity', 'node', 'subject', 'message', 'evidence', 'remediation', 'docs', 'where', 'accepted']);
    expect(acc).toMatchObject({ rule: 'dnat-target-is-sbox', status: 'fail', accepted: { reason: 'moving node 253 to the new subnet', expires: '2026-12-31', config: 'config.yaml:2' } });
    expect(doc.results.filter((r: { accepted?: unknown }) => 'accepted' in r)).toHaveLength(1);
    expect(doc.summary).toMatchObject({ warn: 0, fail: 0, error: 0, accepted: 1 });
    expect(doc.summary.pass + doc.summary.skip + doc.summary.accepted).toBe(doc.results.length);
    expect(JSON.parse(runCheck(opts('seed-cluster', { format: 'json' })).report).summary.accepted).toBe(0);
  });

  it('the schema refuses an accepted field without its reason or expiry', () => {
    const doc = JSON.parse(runCheck(opts('broken-dnat-target', { format: 'json', config: acceptingConfig() })).report);
    delete doc.results.find((r: { accepted?: unknown }) => r.accepted).accepted.expires;
    expect(validate(doc)).toBe(false);
  });

  it('lists parse diagnostics with file and line', () => {
    const doc = JSON.parse(runCheck(opts('invalid-iptables-line', { format: 'json' })).report);
    expect(doc.diagnostics).toEqual([expect.objectContaining({ file: 'nodes/253/host/iptables-nat.txt', line: 29, severity: 'error' })]);
  });
});

describe('stylish report', () => {
  it('groups by node with counts, problems first, and says what to do next for each failing rule', () => {
    const out = runCheck(opts('broken-no-ipvs'));
    const text = out.report;
    const mine = out.input.results.filter((r) => r.node === '253');
    const count = (st: string) => mine.filter((r) => r.status === st).length;
    expect(text).toContain(`node 253  ${count('pass')} pass, 0 warn, ${count('fail')} fail, ${count('skip')} skip, 0 error`);
    const node253 = text.slice(text.indexOf('node 253'));
    expect(node253.indexOf('✖ fail  ipvs-available')).toBeLessThan(node253.indexOf('○ skip'));
    expect(text).toMatch(/What to do next\n\n {2}ipvs-available — The kernel has IPVS \(3 results on 228, 234, 253\)\n {4}228 ingress_sbox: On node 228, load the module/);
    expect(text).toContain('published-port-has-dnat — Every ingress-published port has a DNAT on this node');
    const s = out.input.summary;
    expect(text.trimEnd().split('\n').pop()).toBe(`${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip, ${s.error} error`);
  });

  it('counts passes per rule unless --verbose lists them', () => {
    const quiet = runCheck(opts('seed-cluster')).report;
    const loud = runCheck(opts('seed-cluster', { verbose: true })).report;
    expect(quiet).not.toContain('What to do next');
    expect(loud.split('\n').filter((l) => l.includes('✔')).length).toBeGreaterThanOrEqual(quiet.split('\n').filter((l) => l.includes('✔')).length);
  });

  it('lists accepted results under their own heading, dimmed, with reason and expiry, and not as problems', () => {
    const plain = runCheck(opts('broken-dnat-target')).report;
    const out = runCheck(opts('broken-dnat-target', { config: acceptingConfig() }));
    const text = out.report;
    expect(plain).toContain('✖ fail  dnat-target-is-sbox');
    const accepted = text.slice(text.indexOf('\nAccepted'));
    expect(text.indexOf('\nAccepted')).toBeGreaterThan(text.indexOf('node 253'));
    expect(accepted).toMatch(/^\nAccepted {2}1 result the config accepts: not counted\n {2}✖ fail {2}dnat-target-is-sbox {2}node 253 {2}tcp\/8080: DOCKER-INGRESS DNATs/);
    expect(accepted).toContain('\n      accepted until 2026-12-31: moving node 253 to the new subnet (config.yaml:2)\n');
    // Not among node 253's problems, nor in what to do next; the counts leave it out and say it apart.
    expect(text.slice(0, text.indexOf('\nAccepted'))).not.toContain('✖ fail');
    expect(text).not.toContain('What to do next');
    expect(text).toMatch(/node 253 {2}\d+ pass, 0 warn, 0 fail, \d+ skip, 0 error\n/);
    expect(text.trimEnd().split('\n').pop()).toBe(`${out.input.summary.pass} pass, 0 warn, 0 fail, ${out.input.summary.skip} skip, 0 error, 1 accepted`);
    expect(runCheck(opts('broken-dnat-target', { config: acceptingConfig(), color: true })).report).toMatch(/\x1b\[2m {2}✖ fail {2}dnat-target-is-sbox/);
  });

  it('prints the reason of an acceptance with control characters escaped', () => {
    const text = runCheck(opts('broken-dnat-target', { config: acceptingConfig('ok\u001b[2J\u202ehidden') })).report;
    expect(text).toContain('accepted until 2026-12-31: ok\\e[2J\\u{202e}hidden (config.yaml:2)');
    expect(text).not.toMatch(/[\u001b\u202e]/);
  });

  it('has no escape codes without colour, and has them with it', () => {
    expect(runCheck(opts('broken-dnat-target')).report).not.toMatch(/\x1b\[/);
    expect(runCheck(opts('broken-dnat-target', { color: true })).report).toMatch(/\x1b\[31m✖ fail/);
  });
});
