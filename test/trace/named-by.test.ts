import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadRules } from '../../src/rules/loader.js';
import { evaluate } from '../../src/rules/evaluate.js';
import type { Result } from '../../src/rules/types.js';
import { FIXTURES, snapshotOf } from '../helpers/fixtures.js';

/*
 * published-port-reaches-task passes, saying "reported by X", when the hop that stops a port is one
 * that rule X names (a missing DNAT, ip_forward, IPVS, a neighbour entry, ...): the finding is then
 * reported once, by X. That is a claim of the walk (src/trace/path.ts sets namedBy at the hop), not a
 * lookup of X's result, so it could go silently wrong: the walk stops at a hop and hands it to X while
 * X passes, and nothing fails. This audit holds the claim to the results on every fixture: wherever
 * the walk hands a stop to X, X warns or fails on that node (or, for a cluster rule, on the swarm).
 */
const rules = loadRules();
const CAPTURES = readdirSync(FIXTURES)
  .filter((n) => statSync(join(FIXTURES, n)).isDirectory() && readdirSync(join(FIXTURES, n)).includes('nodes'))
  .sort();

function handedOver(results: Result[]): { node: string; port: string; namedBy: string }[] {
  // A pass carries no evidence: the hand-over is in its message.
  return results.flatMap((r) => {
    const m = r.rule === 'published-port-reaches-task' && r.status === 'pass' ? /\(reported by ([\w-]+)\)/.exec(r.message) : null;
    return m ? [{ node: r.node ?? '', port: r.subject, namedBy: m[1] }] : [];
  });
}

describe('a stop the walk hands to another rule is reported by that rule', () => {
  it('has captures to audit, and some of them hand a stop over', () => {
    expect(CAPTURES.length).toBeGreaterThan(50);
    const some = ['lab-fault-01-dnat-deleted', 'lab-fault-11-ip-forward-off', 'broken-stale-backend'].flatMap((n) => handedOver(evaluate(rules, snapshotOf(n))));
    expect(some.map((h) => h.namedBy)).toEqual(expect.arrayContaining(['published-port-has-dnat', 'ip-forward-enabled', 'ipvs-backends-match-tasks']));
  });

  it.each(CAPTURES)('%s: every rule named by the walk warns or fails there', (name) => {
    const results = evaluate(rules, snapshotOf(name));
    const ids = new Set(rules.map((r) => r.spec.id));
    const unreported = handedOver(results)
      .filter((h) => {
        const named = results.filter((r) => r.rule === h.namedBy && (r.node === h.node || r.node === null));
        return !ids.has(h.namedBy) || !named.some((r) => r.status === 'fail' || r.status === 'warn');
      })
      .map((h) => `${h.node} ${h.port}: handed to ${h.namedBy}, which does not warn or fail there`);
    expect(unreported).toEqual([]);
  });
});
