import type { Status } from '../rules/types.js';
import type { ReportInput } from './types.js';
import { safe } from '../util/text.js';

/**
 * The Prometheus text exposition format (version 0.0.4), for node_exporter's textfile collector:
 * `mesh-doctor check --swarm -f prometheus -o /var/lib/node_exporter/textfile_collector/mesh_doctor.prom`
 * from cron. The file is written atomically (src/cli/outputs.ts), under a temporary name that does
 * not end in `.prom`, so the collector never reads half of it.
 *
 * One gauge per rule and node with a number for the worst status, so that one comparison makes an
 * alert: `mesh_doctor_rule_status >= 2` (fail or error), `>= 1` (warn too). No label carries a
 * message or a subject: a series is a (rule, node) pair, whatever the capture holds.
 */

/** The value of mesh_doctor_rule_status for each status: the worst (highest) wins on a node. */
export const STATUS_VALUE: Record<Status, number> = { skip: -1, pass: 0, warn: 1, fail: 2, error: 3 };
/** An accepted warn or fail (`accepted:` in the config) counts as this: checked, nothing to alert on. */
export const ACCEPTED_VALUE = 0;

/** A label value, as the format wants it: backslash, double quote and line feed escaped. Other control characters are shown as escapes first (`safe`): the file can reach a terminal. */
export function labelValue(s: string): string {
  return safe(s, true).replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** A number as the format writes it (Go's ParseFloat reads every JavaScript number text). */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
}

type Sample = [labels: Record<string, string> | null, value: number];

function family(name: string, help: string, samples: Sample[]): string[] {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
  for (const [labels, value] of samples) {
    const l = labels ? `{${Object.entries(labels).map(([k, v]) => `${k}="${labelValue(v)}"`).join(',')}}` : '';
    lines.push(`${name}${l} ${num(value)}`);
  }
  return lines;
}

/** The run's own metrics: when it ran, how long it took, whether it checked. */
function runMetrics(at: string, durationMs: number, completed: boolean): string[] {
  return [
    ...family('mesh_doctor_last_run_timestamp_seconds', 'When the last run made its report, in seconds since the Unix epoch.', [[null, Date.parse(at) / 1000]]),
    ...family('mesh_doctor_last_run_duration_seconds', 'How long the last run took, capture included, in seconds.', [[null, Math.round(durationMs) / 1000]]),
    ...family(
      'mesh_doctor_check_completed',
      '1 when the last run checked the capture; 0 when it could not (bad usage, an invalid rule or config file, nothing could be captured): then no rule series are written.',
      [[null, completed ? 1 : 0]],
    ),
  ];
}

export function prometheusReport(r: ReportInput): string {
  // Worst status per (rule, node); a cluster rule's node is "" (no node label, to Prometheus).
  const worst = new Map<string, { rule: string; node: string; value: number }>();
  const add = (rule: string, node: string, value: number) => {
    const key = `${rule}\u0000${node}`;
    const cur = worst.get(key);
    if (!cur) worst.set(key, { rule, node, value });
    else if (value > cur.value) cur.value = value;
  };
  for (const x of r.results) add(x.rule, x.node ?? '', x.accepted ? ACCEPTED_VALUE : STATUS_VALUE[x.status]);
  // Passes the run only counted.
  for (const [node, perRule] of r.passCounts ?? []) for (const rule of perRule.keys()) add(rule, node, STATUS_VALUE.pass);
  const series = [...worst.values()].sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  const s = r.summary;
  const lines = [
    ...family(
      'mesh_doctor_rule_status',
      'Worst status of a rule on a node (no node label: a cluster rule): -1 skip, 0 pass or accepted by the config, 1 warn, 2 fail, 3 error. Alert on >= 2.',
      series.map((x) => [{ rule: x.rule, node: x.node }, x.value]),
    ),
    ...family(
      'mesh_doctor_results',
      'Results of the last run by status; a warn or fail the config accepts counts as accepted only.',
      (['pass', 'warn', 'fail', 'skip', 'error', 'accepted'] as const).map((st) => [{ status: st }, s[st]]),
    ),
    ...family('mesh_doctor_nodes', 'Nodes in the capture the last run checked.', [[null, r.nodes.length]]),
    ...runMetrics(r.generatedAt, r.durationMs, true),
  ];
  return lines.join('\n') + '\n';
}

/** The report of a run that could not check (exit 2): no rule series, and mesh_doctor_check_completed 0. */
export function prometheusFailed(at: Date, durationMs: number): string {
  return runMetrics(at.toISOString(), durationMs, false).join('\n') + '\n';
}
