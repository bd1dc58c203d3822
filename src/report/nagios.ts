import type { Result } from '../rules/types.js';
import type { ReportInput } from './types.js';
import { safe } from '../util/text.js';

/**
 * A Nagios / Icinga plugin's output (the Monitoring Plugins development guidelines): one status
 * line, `MESH-DOCTOR CRITICAL - 1 fail on 3 nodes: dnat-target-is-sbox on node 253 (tcp/8080) |
 * pass=99;;;0 ...`, with the performance data on that first line, then one line per problem (the
 * long output). When it is the report on stdout, the exit code is the state (src/report/hooks.ts).
 *
 * The state: CRITICAL when a result fails or errors (mesh-doctor counts an error as a fail: a rule
 * that could not look may hide a broken hop), or warns under `--fail-on warn`; WARNING when a result
 * warns; UNKNOWN when nothing could be checked (every result a skip), or the run could not check at
 * all (exit 2 elsewhere); OK otherwise. A result the config accepts raises nothing. `--fail-on none`
 * lowers nothing: a monitor that always says OK is no monitor (Nagios has its own ways to silence).
 */

export type NagiosState = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';
export const STATE_CODE: Record<NagiosState, number> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/** Nagios reads at most 4 KB of a plugin's output (Nagios 3; NRPE 2 less): the whole output stays within it, the first line first. */
export const MAX_OUTPUT_BYTES = 4096;
/** Problems named on the status line; the long output lists them all (within MAX_OUTPUT_BYTES). */
const FIRST_LINE_PROBLEMS = 3;
const MAX_LINE_CHARS = 400;

/**
 * Text from a capture or a rule file, fit for plugin output: control characters escaped (so no
 * newline breaks a line), and `|`, which starts the performance data, replaced by `/`.
 */
export function pluginText(s: string): string {
  return safe(s).replace(/\|/g, '/');
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}

export function nagiosState(r: ReportInput): NagiosState {
  const s = r.summary;
  if (s.fail + s.error > 0) return 'CRITICAL';
  if (s.warn > 0) return r.failOn === 'warn' ? 'CRITICAL' : 'WARNING';
  if (s.pass + s.accepted === 0) return 'UNKNOWN';
  return 'OK';
}

/** `rule on node N (subject)`; on the status line, node and subject are cut to `max` characters. */
const named = (x: Result, max = Infinity) => {
  const where = x.node === null ? 'the cluster' : `node ${cut(pluginText(x.node), max)}`;
  return `${cut(pluginText(x.rule), max)} on ${where}${x.subject ? ` (${cut(pluginText(x.subject), max)})` : ''}`;
};
const ORDER: Record<string, number> = { fail: 0, error: 1, warn: 2, skip: 3, pass: 4 };

/** The performance data: counts by status, with the thresholds that raise the state, then nodes and duration. */
function perfdata(r: ReportInput): string {
  const s = r.summary;
  const warnRaises = r.failOn === 'warn' ? ';;0' : ';0;';
  return [
    `pass=${s.pass};;;0`,
    `warn=${s.warn}${warnRaises};0`,
    `fail=${s.fail};;0;0`,
    `error=${s.error};;0;0`,
    `skip=${s.skip};;;0`,
    `accepted=${s.accepted};;;0`,
    `nodes=${r.nodes.length};;;0`,
    `duration=${(Math.round(r.durationMs) / 1000).toFixed(3)}s;;;0`,
  ].join(' ');
}

export function nagiosReport(r: ReportInput): string {
  const state = nagiosState(r);
  const s = r.summary;
  const problems = r.results.filter((x) => !x.accepted && (x.status === 'fail' || x.status === 'error' || x.status === 'warn')).sort((a, b) => ORDER[a.status] - ORDER[b.status]);
  const accepted = r.results.filter((x) => x.accepted);
  const counts = (keys: ('fail' | 'error' | 'warn' | 'pass' | 'skip')[]) => keys.filter((k) => s[k] > 0).map((k) => `${s[k]} ${k}`);
  const nodes = `${r.nodes.length} node${r.nodes.length === 1 ? '' : 's'}`;
  const also = s.accepted ? ` (${s.accepted} accepted)` : '';
  let summary: string;
  if (problems.length) {
    const shown = problems.slice(0, FIRST_LINE_PROBLEMS).map((x) => named(x, 40));
    const more = problems.length > shown.length ? `, and ${problems.length - shown.length} more` : '';
    summary = `${counts(['fail', 'error', 'warn']).join(', ')} on ${nodes}${also}: ${shown.join(', ')}${more}`;
  } else if (state === 'UNKNOWN') {
    summary = `nothing could be checked: ${counts(['skip']).join(', ') || 'no result'} on ${nodes}`;
  } else {
    summary = `${counts(['pass', 'skip']).join(', ')} on ${nodes}${also}`;
  }
  const first = `MESH-DOCTOR ${state} - ${summary} | ${perfdata(r)}`;

  const lineState = (x: Result): NagiosState => (x.status === 'warn' && r.failOn !== 'warn' ? 'WARNING' : 'CRITICAL');
  const long = [
    ...problems.map((x) => `[${lineState(x)}] ${x.status} ${named(x)}: ${pluginText(x.message)}`),
    ...accepted.map((x) => `[OK] accepted ${x.status} ${named(x)}: ${pluginText(x.message)} (until ${pluginText(x.accepted!.expires)}: ${pluginText(x.accepted!.reason)})`),
    // Nothing checked: say why each rule skipped, once per message.
    ...(state === 'UNKNOWN' ? [...new Set(r.results.filter((x) => x.status === 'skip').map((x) => `[UNKNOWN] skip ${named(x)}: ${pluginText(x.message)}`))] : []),
  ].map((l) => cut(l, MAX_LINE_CHARS));
  return fitted(first, long);
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** The first line and as many long-output lines as fit in MAX_OUTPUT_BYTES, with a last line saying how many were left out. */
function fitted(first: string, long: string[]): string {
  const out = [first];
  let size = bytes(first) + 1;
  for (const [i, l] of long.entries()) {
    const left = long.length - i - 1;
    const reserve = left ? bytes(moreLine(left + 1)) + 1 : 0;
    if (size + bytes(l) + 1 + reserve > MAX_OUTPUT_BYTES) {
      out.push(moreLine(long.length - i));
      break;
    }
    out.push(l);
    size += bytes(l) + 1;
  }
  return out.join('\n') + '\n';
}

const moreLine = (n: number) => `... and ${n} more (mesh-doctor check -f json lists every result)`;

/** The output of a run that could not check (what is exit 2 elsewhere): UNKNOWN, with the error. */
export function nagiosFailed(error: string): string {
  return `MESH-DOCTOR UNKNOWN - ${cut(pluginText(error.replace(/\s*\n\s*/g, ' ')), 1000)}\n`;
}
