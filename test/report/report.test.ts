import { runCheck, type CheckOptions } from '../../src/check.js';
import { jsonReport, jsonReportChunks } from '../../src/report/json.js';
import type { ReportInput } from '../../src/report/types.js';
import { safeJson } from '../../src/util/text.js';
import { acceptingConfig } from '../helpers/config.js';
import { fixture, validator } from '../helpers/fixtures.js';

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

  /** The document as one JSON.stringify (what the report was before it was written in pieces). */
  const whole = (r: ReportInput) =>
    safeJson(JSON.stringify({ format: 'mesh-doctor-report', version: 1, tool: { name: 'mesh-doctor', version: r.toolVersion }, source: r.source, generatedAt: r.generatedAt, capture: { capturedAt: r.capturedAt || null, source: r.captureSource || null, nodes: r.nodes }, summary: r.summary, results: r.results, diagnostics: r.diagnostics }, null, 2) + '\n');

  it.each(['seed-cluster', 'invalid-iptables-line', 'lab-fault-09-docker-user-drop'])('of %s, written in pieces, is the text of the whole document stringified at once', (name) => {
    const { input } = runCheck(opts(name, { format: 'json' }));
    expect(jsonReport(input)).toBe(whole(input));
  });

  it('is that text too with no results or diagnostics, with hostile characters, and past many pieces', () => {
    const { input } = runCheck(opts('seed-cluster', { format: 'json' }));
    const empty = { ...input, results: [], diagnostics: [] };
    expect(jsonReport(empty)).toBe(whole(empty));
    // Results whose text needs escapes (C1 controls, bidi overrides, a newline), enough to fill several 1 MB pieces.
    const big = { ...input, results: Array.from({ length: 6000 }, (_, i) => ({ ...input.results[i % input.results.length], message: `m${i} \u009b\u202e\n${'x'.repeat(400)}`, evidence: { nested: { list: [i, { deep: 'a\u2066b' }] } } })) };
    const chunks = [...jsonReportChunks(big)];
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.join('')).toBe(whole(big));
    expect(chunks.join('')).not.toMatch(/[\u009b\u202e\u2066]/);
  });

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
