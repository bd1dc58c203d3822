import { readCapture } from './capture/read.js';
import { buildSnapshot } from './model/build.js';
import { loadRules, BUNDLED_RULES_DIR } from './rules/loader.js';
import { evaluate, exitCode, summarize, type EvalBudget, type FailOn } from './rules/evaluate.js';
import { REPORTERS } from './report/index.js';
import type { ReportInput } from './report/types.js';
import { UsageError } from './util/errors.js';

export interface CheckOptions {
  dir: string;
  rulesDir?: string;
  ruleIds?: string[];
  format: string;
  failOn: FailOn;
  color: boolean;
  verbose: boolean;
  toolVersion: string;
  now?: Date;
  /** What the report names as its source; default the folder. */
  sourceLabel?: string;
  /** The largest file of the capture that is read (--max-file-size). */
  maxFileBytes?: number;
  /** Per-rule evaluation budget (--rule-timeout, --rule-max-values); default DEFAULT_BUDGET. */
  budget?: Partial<EvalBudget>;
}

export interface CheckOutcome {
  report: string;
  exitCode: 0 | 1;
  input: ReportInput;
}

/** The whole offline pipeline: capture folder -> snapshot -> rules -> results -> report and exit code. */
export function runCheck(o: CheckOptions): CheckOutcome {
  const reporter = REPORTERS[o.format];
  if (!reporter) throw new UsageError(`unknown --format '${o.format}' (one of: ${Object.keys(REPORTERS).join(', ')})`);
  // Rules first: a broken rule file stops the run before anything is read or checked.
  let rules = loadRules(o.rulesDir ?? BUNDLED_RULES_DIR);
  if (o.ruleIds?.length) {
    const known = new Set(rules.map((r) => r.spec.id));
    const unknown = o.ruleIds.filter((id) => !known.has(id));
    if (unknown.length) throw new UsageError(`--rule: unknown rule id ${unknown.map((u) => `'${u}'`).join(', ')} (see: mesh-doctor rules list)`);
    rules = rules.filter((r) => o.ruleIds!.includes(r.spec.id));
  }
  const capture = readCapture(o.dir, { maxFileBytes: o.maxFileBytes });
  // A gate must never pass on nothing: a capture without a node has nothing to check.
  if (capture.nodes.length === 0) throw new UsageError(`${o.sourceLabel ?? o.dir}: the capture has no node (no folder under nodes/): nothing to check`);
  const snapshot = buildSnapshot(capture);
  const results = evaluate(rules, snapshot, { budget: o.budget });
  const input: ReportInput = {
    source: o.sourceLabel ?? o.dir,
    capturedAt: capture.meta?.capturedAt ?? '',
    captureSource: capture.meta?.source ?? '',
    generatedAt: (o.now ?? new Date()).toISOString(),
    nodes: snapshot.nodes.map((n) => n.name),
    rules,
    results,
    summary: summarize(results),
    diagnostics: snapshot.diagnostics,
    toolVersion: o.toolVersion,
    color: o.color,
    verbose: o.verbose,
  };
  return { report: reporter(input), exitCode: exitCode(results, o.failOn), input };
}
