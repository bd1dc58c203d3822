import { runCheck, type CheckOptions } from '../../src/check.js';
import { fixture, validator } from '../helpers/fixtures.js';

const opts = (name: string, over: Partial<CheckOptions> = {}): CheckOptions => ({
  dir: fixture(name), format: 'stylish', failOn: 'fail', color: false, verbose: false, toolVersion: '0.1.0', now: new Date('2026-11-25T17:00:00Z'), ...over,
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
    expect(Object.keys(doc.results[0])).toEqual(['rule', 'status', 'severity', 'node', 'subject', 'message', 'evidence', 'remediation', 'where', 'docs']);
    // conntrack-not-full: no counters in the seed; six host rules: no host addresses or routes, no encrypted overlay.
    expect(doc.summary).toMatchObject({ warn: 0, fail: 1, skip: 21, error: 0 });
    expect(doc.summary.pass).toBe(doc.results.length - 22);
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

  it('has no escape codes without colour, and has them with it', () => {
    expect(runCheck(opts('broken-dnat-target')).report).not.toMatch(/\x1b\[/);
    expect(runCheck(opts('broken-dnat-target', { color: true })).report).toMatch(/\x1b\[31m✖ fail/);
  });
});
