import type { Result } from '../rules/types.js';
import type { ReportInput } from './types.js';
import { nodeLabel, placeOf, problems, repoFile } from './where.js';
import { safe, wholeText } from '../util/text.js';

/** GitHub shows this many annotations of each kind (error, warning, notice) per step; the log keeps the rest. */
export const ANNOTATIONS_PER_KIND = 10;
/** Rows of the step summary's table; the rest are counted. */
export const SUMMARY_ROWS = 100;
/** Characters of one table cell (a remediation can be long); the SARIF and JSON reports have it whole. */
const CELL = 400;
/** The step summary stays well under GitHub's 1 MiB per step, whatever the capture holds. */
const SUMMARY_BUDGET = 256 * 1024;

/**
 * GitHub Actions workflow commands, one line each: `::error` for a fail or an error result,
 * `::warning` for a warn, `::notice` for a result the config accepts (seen, not failing). Each names
 * the capture file and line that show it (`file=`, a path from the repository root when the
 * capture is in the repository, else from the capture folder; GitHub only links a file of the
 * repository), a title (rule and node) and the message with what to do. The last line counts the
 * results. The step summary (GITHUB_STEP_SUMMARY) is githubStepSummary's, appended by the check
 * command: this reporter has no side effect.
 */
export function githubReport(r: ReportInput): string {
  return wholeText(githubReportChunks(r));
}

/** Annotations written at a time: each is a message and what to do (1–2 KB), a piece stays under V8's large-object size. */
const BATCH = 64;

/**
 * The report in pieces, the same text as githubReport: a swarm in trouble has an annotation per
 * failure (100,000 for 50 nodes whose backends all failed: 100 MB, which held whole took the run to
 * 690 MB).
 */
export function* githubReportChunks(r: ReportInput): Generator<string> {
  let lines: string[] = [];
  const list = problems(r.results);
  const kinds = list.map(command);
  const counts = { error: 0, warning: 0, notice: 0 };
  for (const k of kinds) counts[k]++;
  const over = (['error', 'warning', 'notice'] as const).filter((k) => counts[k] > ANNOTATIONS_PER_KIND);
  if (over.length) {
    // First, so that it is among the notices GitHub shows.
    lines.push(
      `::notice title=${escapeProperty('mesh-doctor: more annotations than GitHub shows')}::${escapeData(
        `${over.map((k) => `${counts[k]} ${k}s`).join(', ')}: GitHub shows ${ANNOTATIONS_PER_KIND} annotations of each kind per step; the log below and the step summary list them all.`,
      )}`,
    );
  }
  for (let i = 0; i < list.length; i++) {
    lines.push(annotation(r, list[i], kinds[i]));
    if (lines.length >= BATCH) {
      yield lines.join('\n') + '\n';
      lines = [];
    }
  }
  const s = r.summary;
  lines.push(`mesh-doctor: ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip, ${s.error} error${s.accepted ? `, ${s.accepted} accepted` : ''} (${safe(r.source)})`);
  yield lines.join('\n') + '\n';
}

function command(x: Result): 'error' | 'warning' | 'notice' {
  if (x.accepted) return 'notice';
  return x.status === 'warn' ? 'warning' : 'error';
}

function annotation(r: ReportInput, x: Result, kind: 'error' | 'warning' | 'notice'): string {
  const label = nodeLabel(x.node);
  const props: string[] = [];
  const place = placeOf(x);
  if (place) {
    props.push(`file=${escapeProperty(safe(repoFile(r, place.file)))}`);
    if (place.line) props.push(`line=${place.line}`);
  }
  const title = x.accepted
    ? `${x.rule} (${label}): ${x.status}, accepted until ${x.accepted.expires}`
    : x.status === 'error'
      ? `${x.rule} (${label}): could not be evaluated`
      : `${x.rule} (${label})`;
  props.push(`title=${escapeProperty(safe(title))}`);
  const parts = [`${x.subject ? `${x.subject}: ` : ''}${x.message}`];
  if (x.where.length > 1) parts.push(`Where: ${x.where.map((w) => repoFile(r, w)).join(', ')}`);
  if (x.accepted) parts.push(`Accepted by the config (${x.accepted.config}) until ${x.accepted.expires}: ${x.accepted.reason}`);
  if (x.remediation) parts.push(`What to do: ${x.remediation}`);
  return `::${kind} ${props.join(',')}::${escapeData(safe(parts.join('\n\n'), true))}`;
}

/** Workflow-command data (the message), as @actions/core escapes it: %, CR and LF. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow-command property value: the data escapes, and `:` and `,`, which end a property. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * The Markdown the check command appends to GITHUB_STEP_SUMMARY: the counts, and a table of the
 * problems (the accepted ones marked), at most SUMMARY_ROWS rows and SUMMARY_BUDGET characters, with
 * a line counting what was left out.
 */
export function githubStepSummary(r: ReportInput, maxRows = SUMMARY_ROWS): string {
  const s = r.summary;
  const out = [
    `### mesh-doctor: ${md(r.source)}`,
    '',
    `**${s.fail} fail, ${s.warn} warn, ${s.error} error** · ${s.pass} pass, ${s.skip} skip, ${s.accepted} accepted · ` +
      `${r.nodes.length} node${r.nodes.length === 1 ? '' : 's'}, ${r.rules.length} rules · ${(r.durationMs / 1000).toFixed(1)} s`,
    '',
  ];
  const list = problems(r.results);
  if (list.length === 0) {
    out.push('No problem found.', '');
    return out.join('\n') + '\n';
  }
  out.push('| status | rule | node | subject | message | where |', '| --- | --- | --- | --- | --- | --- |');
  let size = out.join('\n').length;
  let shown = 0;
  for (const x of list) {
    if (shown >= maxRows) break;
    const status = x.accepted ? `${x.status}, accepted` : x.status;
    const message = x.accepted ? `${x.message} (accepted until ${x.accepted.expires}: ${x.accepted.reason})` : x.message;
    const where = x.where.slice(0, 3).map((w) => repoFile(r, w)).join(', ') + (x.where.length > 3 ? `, and ${x.where.length - 3} more` : '');
    const row = `| ${[status, x.rule, x.node ?? 'cluster', x.subject, message, where].map(cell).join(' | ')} |`;
    if (size + row.length + 1 > SUMMARY_BUDGET) break;
    out.push(row);
    size += row.length + 1;
    shown++;
  }
  if (shown < list.length) out.push('', `_${list.length - shown} more not shown here: the SARIF or JSON report lists them all._`);
  out.push('');
  return out.join('\n') + '\n';
}

function cell(s: string): string {
  return md(s.length > CELL ? `${s.slice(0, CELL - 1)}…` : s);
}

/**
 * Text from a capture or a rule file as Markdown that renders as the text itself: control
 * characters shown as escapes, HTML's `& < >` as entities (no tag, no image, no link can be made),
 * Markdown's punctuation backslash-escaped (`|` would end a table cell, `$` start math), and a
 * newline as `<br>`, the only line break a table cell holds.
 */
function md(s: string): string {
  return safe(s, true)
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[|`*_[\]~#!$]/g, '\\$&')
    .replace(/\r?\n/g, '<br>');
}
