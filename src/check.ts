import { loadSnapshot, selectNodes } from './snapshot.js';
import { evaluate, exitCode, type EvalBudget, type FailOn, type PassCounts } from './rules/evaluate.js';
import { loadRuleSet } from './config/rules.js';
import { activeRules, applyConfig, counted, summarizeAccepted } from './config/apply.js';
import type { MeshConfig } from './config/load.js';
import { REPORTERS } from './report/index.js';
import type { ReportInput } from './report/types.js';
import { UsageError } from './util/errors.js';
import { repoPathOf } from './util/repo-path.js';

export interface CheckOptions {
  dir: string;
  /** --rules: folders of rules added to the bundled ones. */
  rulesDirs?: string[];
  /** false (--no-bundled-rules): only the rules of rulesDirs and the config's ruleFolders. */
  bundledRules?: boolean;
  /** The config (resolveConfig): rules off or with another severity, more folders, accepted findings. */
  config?: MeshConfig;
  ruleIds?: string[];
  format: string;
  failOn: FailOn;
  color: boolean;
  verbose: boolean;
  /** The terminal report: only problems and the totals (--quiet). */
  quiet?: boolean;
  /** Columns the terminal report is wrapped to (0: not wrapped); default 80. */
  width?: number;
  /**
   * --node: check only these nodes (their folder names in the capture). Node rules run on them
   * alone; cluster rules still run on the whole swarm's view, and their results are kept. A name
   * the capture does not have is a usage error naming those it has.
   */
  nodes?: string[];
  toolVersion: string;
  now?: Date;
  /** What the report names as its source; default the folder. */
  sourceLabel?: string;
  /** The largest file of the capture that is read (--max-file-size). */
  maxFileBytes?: number;
  /**
   * Count passes rather than keep them (ReportInput.passCounts): when no report of the run names a
   * pass (passesCounted in report/hooks.ts). Default false: every result is kept.
   */
  countPasses?: boolean;
  /** Per-rule evaluation budget (--rule-timeout, --rule-max-values); default DEFAULT_BUDGET. */
  budget?: Partial<EvalBudget>;
  /** When the run began (performance.now()), for the report's duration; default: when runCheck began. */
  startedAt?: number;
  /** The environment that names a CI's checkout (GITHUB_WORKSPACE, CI_PROJECT_DIR); default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface CheckOutcome {
  report: string;
  exitCode: 0 | 1;
  input: ReportInput;
  /** For stderr: acceptances of the config that expired, or that matched nothing. */
  warnings: string[];
}

/** The whole offline pipeline: capture folder -> snapshot -> rules -> results -> report and exit code. */
export function runCheck(o: CheckOptions): CheckOutcome {
  const startedAt = o.startedAt ?? performance.now();
  const reporter = REPORTERS[o.format];
  if (!reporter) throw new UsageError(`unknown --format '${o.format}' (one of: ${Object.keys(REPORTERS).join(', ')})`);
  // Rules first: a broken rule file (or config) stops the run before anything is read or checked.
  const all = loadRuleSet({ rulesDirs: o.rulesDirs, bundled: o.bundledRules, config: o.config });
  let rules = activeRules(all, o.config);
  if (o.ruleIds?.length) {
    const known = new Set(all.map((r) => r.spec.id));
    const unknown = o.ruleIds.filter((id) => !known.has(id));
    if (unknown.length) throw new UsageError(`--rule: unknown rule id ${unknown.map((u) => `'${u}'`).join(', ')} (see: mesh-doctor rules list)`);
    const off = o.ruleIds.find((id) => !rules.some((r) => r.spec.id === id));
    if (off !== undefined) throw new UsageError(`--rule: '${off}' is off in ${o.config?.rules.get(off)?.where} (--no-config ignores the config)`);
    rules = rules.filter((r) => o.ruleIds!.includes(r.spec.id));
  }
  if (rules.length === 0) throw new UsageError(`every rule is off in ${o.config?.file}: nothing to check`);
  const { meta, snapshot } = loadSnapshot(o.dir, { maxFileBytes: o.maxFileBytes, sourceLabel: o.sourceLabel });
  const allNodes = snapshot.nodes.map((n) => n.name);
  const only = o.nodes?.length ? selectNodes(o.nodes, allNodes) : undefined;
  const passCounts: PassCounts | undefined = o.countPasses ? new Map() : undefined;
  const results = evaluate(rules, snapshot, { budget: o.budget, nodes: only, passCounts });
  const now = o.now ?? new Date();
  // The team's config, applied to the verdicts as a step of its own: severities, then acceptances.
  const warnings = applyConfig(results, o.config, now, rules);
  const input: ReportInput = {
    source: o.sourceLabel ?? o.dir,
    capturedAt: meta?.capturedAt ?? '',
    captureSource: meta?.source ?? '',
    generatedAt: now.toISOString(),
    nodes: only ? allNodes.filter((n) => only.has(n)) : allNodes,
    rules,
    results,
    summary: summarizeAccepted(results, passCounts),
    ...(passCounts ? { passCounts } : {}),
    // With --node, the notes of the other nodes' files go with their results.
    diagnostics: only ? snapshot.diagnostics.filter((d) => !/^nodes\//.test(d.file) || only.has(d.file.split('/')[1])) : snapshot.diagnostics,
    toolVersion: o.toolVersion,
    // A live capture (sourceLabel) is a temporary folder: in no repository.
    capturePath: o.sourceLabel === undefined ? repoPathOf(o.dir, o.env) : undefined,
    durationMs: performance.now() - startedAt,
    failOn: o.failOn,
    color: o.color,
    verbose: o.verbose,
    quiet: o.quiet,
    width: o.width,
    ...(only ? { captureNodeCount: allNodes.length } : {}),
  };
  // Made when read: a format written in pieces (FormatHooks.chunks) never makes it whole.
  let report: string | undefined;
  return {
    get report() {
      return (report ??= reporter(input));
    },
    exitCode: exitCode(counted(results), o.failOn),
    input,
    warnings,
  };
}

