import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readCapture } from '../capture/read.js';
import { buildSnapshot } from '../model/build.js';
import { evaluate } from '../rules/evaluate.js';
import type { LoadedRule, Result } from '../rules/types.js';
import { loadRuleSet } from '../config/rules.js';
import type { MeshConfig } from '../config/load.js';
import { UsageError } from '../util/errors.js';
import { safe } from '../util/text.js';
import { casesFilesOf, casesStemsIn, displayPath, loadCases, type Expectation, type RuleCase } from './load.js';

export interface RuleTestOptions {
  /** The folder whose rules are tested. */
  dir: string;
  /** false (--no-bundled-rules): the folder's rules are loaded without the bundled ones. */
  bundledRules?: boolean;
  config?: MeshConfig;
}

export interface CaseOutcome {
  rule: string;
  case: RuleCase;
  /** Expected entries no result matched. */
  missing: Expectation[];
  /** Results that are not a pass and that no entry expected. */
  unexpected: Result[];
  results: Result[];
}

export interface RuleTestOutcome {
  text: string;
  exitCode: 0 | 1;
  outcomes: CaseOutcome[];
  /** Per rule: `no cases`, `no failing case`, `no passing case`. */
  gaps: { rule: string; gap: string }[];
}

const matches = (e: Expectation, r: Result) => r.node === e.node && (e.subject === undefined || r.subject === e.subject) && r.status === e.status;

/**
 * Compare a rule's results on a capture with the case's expectations: every expected entry must be
 * matched by a result (same node, same subject when one is given, same status), and every result
 * that is not a pass must match an expected entry. Passes nobody listed are allowed.
 */
export function compare(expect: Expectation[], results: Result[]): { missing: Expectation[]; unexpected: Result[] } {
  return {
    missing: expect.filter((e) => !results.some((r) => matches(e, r))),
    unexpected: results.filter((r) => r.status !== 'pass' && !expect.some((e) => matches(e, r))),
  };
}

function runCase(rule: LoadedRule, c: RuleCase): CaseOutcome {
  let results: Result[];
  try {
    results = evaluate([rule], buildSnapshot(readCapture(c.capture)));
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`${c.where}: capture '${c.captureGiven}': ${e.message}`);
    throw e;
  }
  return { rule: rule.spec.id, case: c, results, ...compare(c.expect, results) };
}

const nodeText = (node: string | null) => (node === null ? 'cluster' : `node ${node}`);

/** The lines of a failed case: each expectation not met (-) with what the rule gave there (+), then each result not expected (+). */
function diff(o: CaseOutcome): string[] {
  const lines: string[] = [];
  const shown = new Set<Result>();
  const got = (r: Result) => {
    shown.add(r);
    return `      + ${nodeText(r.node)}  ${r.subject || '(no subject)'}  ${r.status}: ${r.message}`;
  };
  for (const e of o.missing) {
    lines.push(`      - ${nodeText(e.node)}  ${e.subject ?? '(any subject)'}  ${e.status}`);
    const there = o.results.filter((r) => r.node === e.node && (e.subject === undefined || r.subject === e.subject));
    if (there.length === 0) lines.push(`      + ${nodeText(e.node)}  ${e.subject ?? '(any subject)'}  (no result)`);
    for (const r of there) lines.push(got(r));
  }
  for (const r of o.unexpected) if (!shown.has(r)) lines.push(got(r));
  return lines;
}

/**
 * `rules test DIR`: for every rule file of DIR, its cases (casesFilesOf) run against their captures.
 * The rules are loaded as a check loads them (the bundled ones too unless bundledRules is false, the
 * config's ruleFolders), so a duplicate id or a config naming an unknown rule stops it as it would
 * stop a check; each rule is evaluated as its file says: the config's severities and acceptances do
 * not apply. Every cases file is read and checked before any case runs: a bad one stops the run (exit 2).
 */
export function runRuleTests(o: RuleTestOptions): RuleTestOutcome {
  let realDir: string;
  try {
    realDir = realpathSync(o.dir);
  } catch (e) {
    throw new UsageError(`cannot read rules folder ${o.dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const all = loadRuleSet({ rulesDirs: [o.dir], bundled: o.bundledRules, config: o.config });
  const rules = all.filter((r) => realpathSync(dirname(r.file)) === realDir);
  const plan = rules.map((rule) => ({ rule, cases: casesFilesOf(rule.file).flatMap((f) => loadCases(f, rule)) }));
  const stems = new Set(rules.map((r) => r.spec.id));
  const orphans = [...casesStemsIn(o.dir)].filter(([stem]) => !stems.has(stem)).map(([, p]) => p);

  const out: string[] = [];
  const outcomes: CaseOutcome[] = [];
  const gaps: { rule: string; gap: string }[] = [];
  for (const { rule, cases } of plan) {
    for (const c of cases) {
      const oc = runCase(rule, c);
      outcomes.push(oc);
      const ok = oc.missing.length === 0 && oc.unexpected.length === 0;
      out.push(`${ok ? 'ok    ' : 'FAILED'}  ${safe(rule.spec.id)}  ${safe(c.where)}  ${safe(c.name)}`);
      if (!ok) out.push('      expected (-), got (+):', ...diff(oc).map((l) => safe(l)));
    }
    if (cases.length === 0) gaps.push({ rule: rule.spec.id, gap: 'no cases' });
    else {
      if (!cases.some((c) => c.expect.some((e) => e.status !== 'pass'))) gaps.push({ rule: rule.spec.id, gap: 'no failing case' });
      if (!cases.some((c) => c.expect.some((e) => e.status === 'pass'))) gaps.push({ rule: rule.spec.id, gap: 'no passing case' });
    }
  }
  if (gaps.length || orphans.length) out.push('');
  for (const g of gaps) {
    const rule = rules.find((r) => r.spec.id === g.rule)!;
    const hint =
      g.gap === 'no cases'
        ? `add ${displayPath(join(dirname(rule.file), `${g.rule}.cases.yaml`))}`
        : g.gap === 'no failing case'
          ? 'no case expects warn, fail, skip or error: add a capture where it finds the problem'
          : 'no case expects pass: add a capture where it finds nothing wrong';
    out.push(`${g.gap.padEnd(15)}  ${safe(g.rule)}  (${safe(hint)})`);
  }
  for (const p of orphans) out.push(`${'no rule'.padEnd(15)}  ${safe(displayPath(p))}  (cases for a rule that is not in ${safe(o.dir)})`);
  const failed = outcomes.filter((x) => x.missing.length || x.unexpected.length).length;
  out.push(
    '',
    `${rules.length} rule${rules.length === 1 ? '' : 's'}, ${outcomes.length} case${outcomes.length === 1 ? '' : 's'}: ${outcomes.length - failed} ok, ${failed} failed` +
      (gaps.length || orphans.length ? `; ${gaps.length} gap${gaps.length === 1 ? '' : 's'} in the cases${orphans.length ? `, ${orphans.length} cases without a rule` : ''}` : ''),
  );
  return { text: out.join('\n') + '\n', exitCode: failed || gaps.length || orphans.length ? 1 : 0, outcomes, gaps };
}
