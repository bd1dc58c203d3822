import { readdirSync } from 'node:fs';
import { runCheck, type CheckOptions } from '../src/check.js';
import { FORMAT_HOOKS, passesCounted } from '../src/report/hooks.js';
import { REPORTERS } from '../src/report/index.js';
import { UsageError } from '../src/util/errors.js';
import { FIXTURES, fixture } from './helpers/fixtures.js';

const opts = (name: string, over: Partial<CheckOptions> = {}): CheckOptions => ({
  dir: fixture(name), format: 'json', failOn: 'fail', color: false, verbose: false, toolVersion: '0.1.0', now: new Date('2026-11-25T17:00:00Z'), ...over,
});

describe('runCheck --node', () => {
  it('evaluates node rules on the nodes named only, keeps the cluster rules, and counts only what it reports', () => {
    const all = runCheck(opts('broken-backend-arp'));
    const one = runCheck(opts('broken-backend-arp', { nodes: ['234'] }));
    expect(new Set(one.input.results.map((r) => r.node))).toEqual(new Set(['234', null]));
    expect(one.input.results).toEqual(all.input.results.filter((r) => r.node === '234' || r.node === null));
    expect(one.input.nodes).toEqual(['234']);
    expect(one.input.captureNodeCount).toBe(3);
    expect(one.input.summary).toMatchObject({ warn: 0, fail: 1 });
    expect(one.exitCode).toBe(1);
    // The warn is on 228 and the fail on 234: without 234, the gate passes.
    const other = runCheck(opts('broken-backend-arp', { nodes: ['228', '253'] }));
    expect(other.input.summary).toMatchObject({ warn: 1, fail: 0 });
    expect(other.exitCode).toBe(0);
    expect(all.input.captureNodeCount).toBeUndefined();
  });

  it('keeps the capture notes of the nodes named and of the cluster, not of the others', () => {
    // invalid-iptables-line: an unparseable line in nodes/253/host/iptables-nat.txt.
    expect(runCheck(opts('invalid-iptables-line', { nodes: ['253'] })).input.diagnostics.map((d) => d.file)).toEqual(['nodes/253/host/iptables-nat.txt']);
    expect(runCheck(opts('invalid-iptables-line', { nodes: ['228'] })).input.diagnostics).toEqual([]);
  });

  it('stops on a node the capture does not have, naming the nodes it has', () => {
    expect(() => runCheck(opts('seed-cluster', { nodes: ['253', 'node9'] }))).toThrow(UsageError);
    expect(() => runCheck(opts('seed-cluster', { nodes: ['node9'] }))).toThrow("--node: the capture has no node 'node9' (its nodes: 228, 234, 253)");
  });
});

describe('runCheck with passes counted (countPasses)', () => {
  const counting = Object.keys(REPORTERS).filter((f) => FORMAT_HOOKS[f]?.countsPasses?.(false));

  it('is asked for by the terminal report without -v and the monitoring and annotation formats only', () => {
    expect(counting.sort()).toEqual(['github', 'nagios', 'prometheus', 'sarif', 'stylish']);
    expect(passesCounted(['stylish'], false)).toBe(true);
    expect(passesCounted(['nagios', 'prometheus', 'github', 'sarif'], false)).toBe(true);
    expect(passesCounted(['stylish'], true)).toBe(false);
    for (const f of ['json', 'junit', 'html']) {
      expect(passesCounted([f], false)).toBe(false);
      expect(passesCounted(['stylish', f], false)).toBe(false);
    }
  });

  it('writes every report that counts passes as it is with every pass kept, on every fixture', () => {
    for (const name of readdirSync(FIXTURES).sort()) {
      const kept = runCheck(opts(name, { format: 'stylish' }));
      const counted = runCheck(opts(name, { format: 'stylish', countPasses: true }));
      expect({ name, results: counted.input.results }).toEqual({ name, results: kept.input.results.filter((r) => r.status !== 'pass') });
      expect({ name, summary: counted.input.summary }).toEqual({ name, summary: kept.input.summary });
      expect(counted.exitCode).toBe(kept.exitCode);
      for (const format of counting) {
        for (const quiet of format === 'stylish' ? [false, true] : [false]) {
          // The run's duration is measured: the same for both.
          const report = (o: typeof kept) => REPORTERS[format]({ ...o.input, durationMs: 1234, quiet });
          expect({ name, format, quiet, report: report(counted) }).toEqual({ name, format, quiet, report: report(kept) });
        }
      }
    }
  });
});
