import { runCheck, type CheckOptions } from '../../src/check.js';
import { FORMAT_HOOKS } from '../../src/report/hooks.js';
import { MAX_OUTPUT_BYTES, nagiosFailed, nagiosReport } from '../../src/report/nagios.js';
import type { ReportInput } from '../../src/report/types.js';
import type { Result } from '../../src/rules/types.js';
import { fixture } from '../helpers/fixtures.js';
import { acceptingConfig } from '../helpers/config.js';

const opts = (name: string, over: Partial<CheckOptions> = {}): CheckOptions => ({
  dir: fixture(name), format: 'nagios', failOn: 'fail', color: false, verbose: false, toolVersion: '0.1.0', now: new Date('2026-11-25T17:00:00Z'), ...over,
});
const checked = new Map<string, ReturnType<typeof runCheck>>();
/** One check per fixture and options (a check takes seconds on a busy machine). */
const check = (name: string, over: Partial<CheckOptions> = {}) => {
  const key = `${name} ${JSON.stringify(over)}`;
  return checked.get(key) ?? checked.set(key, runCheck(opts(name, over))).get(key)!;
};
/** The exit code check.ts gives a run whose report on stdout is nagios. */
const exitOf = (o: ReturnType<typeof runCheck>) => FORMAT_HOOKS.nagios.exitCode!(o.input, o.exitCode);

/**
 * The performance data of the Monitoring Plugins guidelines, strictly:
 * 'label'=value[UOM];[warn];[crit];[min];[max], label quoted when it has a space (a quote doubled,
 * no = or '), value/min/max in [-0-9.], warn and crit in the range format [@]start:end with ~.
 */
const LABEL = `(?:'(?:[^'=]|'')+'|[^'= |]+)`;
const NUM = '-?[0-9.]+';
const RANGE = `@?(?:(?:~|${NUM})?:)?(?:${NUM})?`;
const PERF = new RegExp(`^${LABEL}=(?:${NUM}|U)(?:us|ms|s|%|B|KB|MB|TB|c)?(?:;${RANGE}(?:;${RANGE}(?:;(?:${NUM})?(?:;(?:${NUM})?)?)?)?)?$`);
/** The first line: SERVICE STATUS - text | perfdata, with one | only. */
const FIRST = /^MESH-DOCTOR (OK|WARNING|CRITICAL|UNKNOWN) - ([^|\n]+) \| ([^|\n]+)$/;

function parse(text: string) {
  expect(text.endsWith('\n')).toBe(true);
  const [first, ...long] = text.slice(0, -1).split('\n');
  const m = FIRST.exec(first);
  if (!m) throw new Error(`not a plugin status line: ${first}`);
  const perf = m[3].split(' ');
  for (const p of perf) expect(p).toMatch(PERF);
  // A | in the long output would start more performance data.
  for (const l of long) expect(l).not.toContain('|');
  return { state: m[1], text: m[2], perf: Object.fromEntries(perf.map((p) => [p.split('=')[0], p.split('=')[1]])), long };
}

describe('nagios report', () => {
  it('the perfdata regex holds to the guidelines (it refuses what they refuse)', () => {
    for (const ok of ['pass=1', "'a b'=1;;;0", 'time=0.2s;1;2;0;5', "'it''s'=3", 'x=U', 'x=1;~:10;@5:6', 'x=1;10:']) expect(ok).toMatch(PERF);
    for (const bad of ['pass = 1', "a b=1", 'x=1;;;zero', 'x=1 s', "'a=b'=1", 'x=1;;;;;', 'x=abc']) expect(bad).not.toMatch(PERF);
  });

  it('says OK on a healthy capture, with counts, nodes and duration as perfdata, and exits 0', () => {
    const o = check('seed-cluster');
    const r = parse(o.report);
    expect(r.state).toBe('OK');
    expect(r.text).toMatch(/^\d+ pass, \d+ skip on 3 nodes$/);
    expect(r.perf).toMatchObject({ pass: `${o.input.summary.pass};;;0`, warn: '0;0;;0', fail: '0;;0;0', error: '0;;0;0', accepted: '0;;;0', nodes: '3;;;0' });
    expect(r.perf.duration).toMatch(/^[0-9]+\.[0-9]{3}s;;;0$/);
    expect(r.long).toEqual([]);
    expect(exitOf(o)).toBe(0);
  });

  it('says CRITICAL on a fail, naming rule, node and subject on the first line and the message in the long output; exits 2', () => {
    const o = check('broken-dnat-target');
    const r = parse(o.report);
    expect(r.state).toBe('CRITICAL');
    expect(r.text).toBe('1 fail on 3 nodes: dnat-target-is-sbox on node 253 (tcp/8080)');
    expect(r.long).toEqual(['[CRITICAL] fail dnat-target-is-sbox on node 253 (tcp/8080): DOCKER-INGRESS DNATs tcp/8080 to 192.168.0.3, but ingress_sbox is 192.168.0.2 on docker_gwbridge']);
    expect(r.perf.fail).toBe('1;;0;0');
    expect(exitOf(o)).toBe(2);
  });

  it('lists fails before warns; a fail and a warn make CRITICAL', () => {
    const o = check('broken-backend-arp');
    const r = parse(o.report);
    expect(r.state).toBe('CRITICAL');
    expect(r.text).toBe('1 fail, 1 warn on 3 nodes: backend-in-arp on node 234 (10.0.0.98), backend-in-arp on node 228 (10.0.0.98)');
    expect(r.long.map((l) => l.slice(0, l.indexOf(':')))).toEqual(['[CRITICAL] fail backend-in-arp on node 234 (10.0.0.98)', '[WARNING] warn backend-in-arp on node 228 (10.0.0.98)']);
    expect(exitOf(o)).toBe(2);
  });

  it('says WARNING on warnings alone (exit 1); --fail-on warn makes them CRITICAL (exit 2); --fail-on none lowers nothing', () => {
    const warn = check('broken-engine-patch');
    expect(warn.input.summary).toMatchObject({ fail: 0, error: 0, warn: 1 });
    expect(parse(warn.report)).toMatchObject({ state: 'WARNING', long: [expect.stringMatching(/^\[WARNING\] warn peer-engine-versions on the cluster/)] });
    expect(parse(warn.report).perf.warn).toBe('1;0;;0');
    expect(exitOf(warn)).toBe(1);
    expect(warn.exitCode).toBe(0); // the gate alone would say 0: nagios has its own levels

    const strict = check('broken-engine-patch', { failOn: 'warn' });
    expect(parse(strict.report)).toMatchObject({ state: 'CRITICAL', long: [expect.stringMatching(/^\[CRITICAL\] warn peer-engine-versions/)] });
    expect(parse(strict.report).perf.warn).toBe('1;;0;0');
    expect(exitOf(strict)).toBe(2);

    const none = check('broken-dnat-target', { failOn: 'none' });
    expect(none.exitCode).toBe(0);
    expect(parse(none.report).state).toBe('CRITICAL');
    expect(exitOf(none)).toBe(2);
  });

  it('counts an error result as CRITICAL, as mesh-doctor counts it as a fail', () => {
    const o = check('invalid-iptables-line');
    expect(o.input.summary.error).toBeGreaterThan(0);
    const r = parse(o.report);
    expect(r.state).toBe('CRITICAL');
    expect(r.text).toMatch(/^(\d+ fail, )?\d+ error on 3 nodes: /);
    expect(r.long.some((l) => l.startsWith('[CRITICAL] error '))).toBe(true);
    expect(exitOf(o)).toBe(2);
  });

  it('says UNKNOWN (exit 3) when nothing could be checked (every result a skip), and why', () => {
    const o = check('seed-cluster', { ruleIds: ['conntrack-not-full'] });
    expect(o.input.results.every((x) => x.status === 'skip')).toBe(true);
    const r = parse(o.report);
    expect(r.state).toBe('UNKNOWN');
    expect(r.text).toBe('nothing could be checked: 3 skip on 3 nodes');
    expect(r.long.length).toBeGreaterThanOrEqual(1);
    for (const l of r.long) expect(l).toMatch(/^\[UNKNOWN\] skip conntrack-not-full on node \d+: /);
    expect(exitOf(o)).toBe(3);
  });

  it('does not raise the state for an accepted result, and lists it with reason and expiry', () => {
    const o = check('broken-dnat-target', { config: acceptingConfig('moving node 253 | soon') });
    const r = parse(o.report);
    expect(r.state).toBe('OK');
    expect(r.text).toMatch(/^\d+ pass, \d+ skip on 3 nodes \(1 accepted\)$/);
    expect(r.perf.accepted).toBe('1;;;0');
    expect(r.perf.fail).toBe('0;;0;0');
    expect(r.long).toEqual([expect.stringMatching(/^\[OK\] accepted fail dnat-target-is-sbox on node 253 \(tcp\/8080\): DOCKER-INGRESS .* \(until 2026-12-31: moving node 253 \/ soon\)$/)]);
    expect(exitOf(o)).toBe(0);
  });

  it('keeps | and newlines in names and messages from breaking the status line or the long output', () => {
    const input = check('broken-dnat-target').input;
    const hostile: ReportInput = {
      ...input,
      results: input.results.map((x) => (x.status === 'fail' ? { ...x, node: 'n|1\nx', subject: 'tcp/80 | 443\r\n', message: 'line one\nMESH-DOCTOR OK - all good | pass=999\n\u001b[2Jend' } : x)),
    };
    const text = nagiosReport(hostile);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    const r = parse(text);
    expect(r.state).toBe('CRITICAL');
    expect(r.text).toBe('1 fail on 3 nodes: dnat-target-is-sbox on node n/1\\nx (tcp/80 / 443\\r\\n)');
    expect(r.long).toEqual(['[CRITICAL] fail dnat-target-is-sbox on node n/1\\nx (tcp/80 / 443\\r\\n): line one\\nMESH-DOCTOR OK - all good / pass=999\\n\\e[2Jend']);
    expect(Object.keys(r.perf)).toEqual(['pass', 'warn', 'fail', 'error', 'skip', 'accepted', 'nodes', 'duration']);
  });

  it('stays within 4 KB however many problems: the first line whole, then what fits, then how many were left out', () => {
    const input = check('broken-dnat-target').input;
    const fail = input.results.find((x) => x.status === 'fail')!;
    const many: Result[] = Array.from({ length: 500 }, (_, i) => ({ ...fail, node: `node-${i}`, message: `${fail.message} ${'x'.repeat(i % 7 === 0 ? 5000 : 10)}` }));
    const text = nagiosReport({ ...input, results: many, summary: { ...input.summary, fail: 500 } });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_OUTPUT_BYTES);
    const r = parse(text);
    expect(r.text).toMatch(/^500 fail on 3 nodes: dnat-target-is-sbox on node node-0 \(tcp\/8080\), dnat-target-is-sbox on node node-1 \(tcp\/8080\), dnat-target-is-sbox on node node-2 \(tcp\/8080\), and 497 more$/);
    const last = r.long.pop()!;
    const shown = r.long.length;
    expect(shown).toBeGreaterThan(5);
    expect(last).toBe(`... and ${500 - shown} more (mesh-doctor check -f json lists every result)`);
    for (const l of r.long) expect(l.length).toBeLessThanOrEqual(400);
  });

  it('reports a run that could not check as UNKNOWN with the error on one line, exit 3', () => {
    expect(nagiosFailed('capture folder not found: a|b\nc')).toBe('MESH-DOCTOR UNKNOWN - capture folder not found: a/b c\n');
    expect(FORMAT_HOOKS.nagios.failed!('x', new Date(), 0)).toEqual({ text: 'MESH-DOCTOR UNKNOWN - x\n', exitCode: 3 });
  });
});
