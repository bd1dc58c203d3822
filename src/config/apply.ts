import type { ReportSummary } from '../report/types.js';
import type { PassCounts } from '../rules/evaluate.js';
import type { LoadedRule, Result } from '../rules/types.js';
import type { Acceptance, MeshConfig } from './load.js';
import { pushTo } from '../util/obj.js';

/** A rule under the config: on as written, off, or on with its severity set to warn or fail. */
export interface RuleState {
  state: 'on' | 'off' | 'warn' | 'fail';
  /** `file:line` of the setting, when the config has one. */
  where?: string;
}

export function ruleState(rule: LoadedRule, config: MeshConfig | undefined): RuleState {
  const s = config?.rules.get(rule.spec.id);
  return s ? { state: s.state, where: s.where } : { state: 'on' };
}

/** The state as `rules list` and `rules show` print it: on, off, as warn, as fail. */
export function stateText(s: RuleState): string {
  return s.state === 'on' || s.state === 'off' ? s.state : `as ${s.state}`;
}

/** The rules a check evaluates: those the config does not turn off. */
export function activeRules(rules: LoadedRule[], config: MeshConfig | undefined): LoadedRule[] {
  return config ? rules.filter((r) => config.rules.get(r.spec.id)?.state !== 'off') : rules;
}

/** The date (UTC) a run is judged on: an acceptance applies through its `expires` day. */
export const today = (now: Date): string => now.toISOString().slice(0, 10);

export const isExpired = (a: Acceptance, now: Date): boolean => a.expires < today(now);

/** Which results of its rule an acceptance covers: `node 253, subject tcp/80`, `any node, any subject`. */
export function acceptanceScope(a: Acceptance): string {
  const node = a.node === undefined ? 'any node' : a.node === null ? 'the cluster' : `node ${a.node}`;
  return `${node}, ${a.subject === undefined ? 'any subject' : `subject ${a.subject}`}`;
}

/** An acceptance as warnings name it: `rule-id (node 253, any subject)`. */
export const acceptanceText = (a: Acceptance): string => `${a.rule} (${acceptanceScope(a)})`;

/** Does an acceptance cover this result (whatever its status)? `cluster` is a cluster rule's null node. */
function covers(a: Acceptance, r: Result): boolean {
  if (a.rule !== r.rule) return false;
  if (a.node !== undefined) {
    const node = r.node === null && a.node === 'cluster' ? null : a.node;
    if (node !== r.node) return false;
  }
  return a.subject === undefined || a.subject === r.subject;
}

/**
 * The config applied to the results of `evaluate`, in place: severities first (`warn`: a fail
 * becomes a warn; `fail`: a warn becomes a fail; the result's severity is the one set), then
 * acceptances: a warn or fail that an unexpired acceptance covers gets `accepted` (the first such
 * entry of the file). Returns the warnings for stderr: each expired acceptance, and each unexpired
 * one of an evaluated rule that covered no warn or fail (stale).
 */
export function applyConfig(results: Result[], config: MeshConfig | undefined, now: Date, evaluated: LoadedRule[]): string[] {
  if (!config) return [];
  const live = config.accepted.filter((a) => !isExpired(a, now));
  const used = new Set<Acceptance>();
  const byRule = new Map<string, Acceptance[]>();
  for (const a of live) pushTo(byRule, a.rule, a);
  for (const r of results) {
    const set = config.rules.get(r.rule)?.state;
    if (set === 'warn' || set === 'fail') {
      if (r.status === 'fail' && set === 'warn') r.status = 'warn';
      else if (r.status === 'warn' && set === 'fail') r.status = 'fail';
      r.severity = set;
    }
    if (r.status !== 'warn' && r.status !== 'fail') continue;
    const hit = byRule.get(r.rule)?.find((a) => covers(a, r));
    if (hit) {
      used.add(hit);
      r.accepted = { reason: hit.reason, expires: hit.expires, config: hit.where };
    }
  }
  const warnings: string[] = [];
  const ran = new Set(evaluated.map((r) => r.spec.id));
  for (const a of config.accepted) {
    if (isExpired(a, now)) warnings.push(`${a.where}: the acceptance of ${acceptanceText(a)} expired on ${a.expires}: it no longer applies`);
    else if (ran.has(a.rule) && !used.has(a) && !results.some((r) => (r.status === 'warn' || r.status === 'fail') && covers(a, r))) {
      warnings.push(`${a.where}: the acceptance of ${acceptanceText(a)} matches no warn or fail result: remove it if the finding is gone (stale config)`);
    }
  }
  return warnings;
}

/** Results by status, accepted ones apart; with the passes that were only counted (a pass is never accepted). */
export function summarizeAccepted(results: Result[], passes?: PassCounts): ReportSummary {
  const s: ReportSummary = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0, accepted: 0 };
  for (const r of results) {
    if (r.accepted) s.accepted++;
    else s[r.status]++;
  }
  for (const perRule of passes?.values() ?? []) for (const n of perRule.values()) s.pass += n;
  return s;
}

/** Results that count toward the exit code: all but the accepted ones. */
export const counted = (results: Result[]): Result[] => results.filter((r) => !r.accepted);
