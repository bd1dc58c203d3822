import type { Diagnostic } from '../parse/types.js';
import type { LoadedRule, Result } from '../rules/types.js';
import type { ReportInput } from './types.js';
import { nodeLabel, repoFile } from './where.js';
import { safe, wholeText } from '../util/text.js';

/**
 * The JUnit XML report, for the test views of CI systems (GitLab's `artifacts:reports:junit`,
 * Jenkins' JUnit plugin, GitHub test-reporter actions). Every result is a testcase, passes and skips
 * too; warn and fail are <failure> (type = the status), error is <error>, skip is <skipped/>, and a
 * result the config accepts is <skipped> with the acceptance: it does not fail the pipeline.
 *
 * It follows the Apache Ant JUnit schema (windyroad/JUnit-Schema, vendored in test/schemas/ and
 * checked by xmllint in the tests), the one these viewers read. That schema allows no attribute on
 * <testsuites>, so the counts are on each <testsuite> and the run's totals and duration are
 * <properties> of each suite.
 *
 * One testsuite per node (and one `cluster` suite for the swarm-wide rules), not per rule: a mesh
 * breaks on a node, and the person reading the pipeline's test tab wants to see which one. GitLab
 * and the GitHub reporters list suites with their own counts, so a broken node is one red row; the
 * rule is still in every test's name and classname. Jenkins groups by classname instead
 * (package.class), so the classname is `mesh-doctor.node.<node>` (dots in a node's name as `_`,
 * which would otherwise split it into packages), `mesh-doctor.cluster` for the cluster: Jenkins shows
 * the same per-node grouping.
 *
 * Times: mesh-doctor does not time each check. The run's duration (durationMs) is shared equally
 * among the testcases, so that every viewer's total (the sum of testcase times, as GitLab adds them,
 * or of suite times, as Jenkins does) is the run's time; a per-check time in a viewer is that share.
 */
export function junitReport(r: ReportInput): string {
  return wholeText(junitReportChunks(r));
}

/**
 * Testcases written at a time: about 40 KB of XML, under V8's large-object size, so that each piece
 * dies young (see json.ts). Held whole, the 50-node capture's report (43 MB, a line per result)
 * took the run to 480 MB.
 */
const BATCH = 256;

/** The JUnit report in pieces, the same text as junitReport, each made as the one before is written. */
export function* junitReportChunks(r: ReportInput): Generator<string> {
  const groups = new Map<string, { node: string | null; results: Result[] }>();
  groups.set('\0cluster', { node: null, results: [] });
  for (const n of r.nodes) groups.set(n, { node: n, results: [] });
  for (const res of r.results) {
    const key = res.node === null ? '\0cluster' : res.node;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { node: res.node, results: [] }));
    g.results.push(res);
  }
  const rules = new Map<string, LoadedRule>(r.rules.map((x) => [x.spec.id, x]));
  const share = r.results.length ? r.durationMs / 1000 / r.results.length : 0;
  const timestamp = r.generatedAt.slice(0, 19); // the schema's pattern: no fraction, no zone (UTC here)
  const totals = countOf(r.results);

  let out = ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites>'];
  let id = 0;
  for (const g of groups.values()) {
    if (g.results.length === 0) continue;
    const label = nodeLabel(g.node);
    const counts = countOf(g.results);
    out.push(
      `  <testsuite name="${attr(label)}" package="mesh-doctor" id="${id++}" timestamp="${attr(timestamp)}" hostname="${attr(g.node?.trim() || 'localhost')}"` +
        ` tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}" time="${seconds(share * counts.tests)}">`,
      '    <properties>',
      ...properties(r, g.node, totals).map(([k, v]) => `      <property name="${attr(k)}" value="${attr(v)}"/>`),
      '    </properties>',
    );
    const classname = g.node === null ? 'mesh-doctor.cluster' : `mesh-doctor.node.${g.node.replace(/\./g, '_')}`;
    const seen = new Map<string, number>();
    for (const res of g.results) {
      let name = `${label}: ${res.rule}${res.subject ? ` ${res.subject}` : ''}`;
      // Two results can share rule and subject (two DNAT rules for one port): names stay distinct.
      const n = (seen.get(name) ?? 0) + 1;
      seen.set(name, n);
      if (n > 1) name += ` #${n}`;
      const open = `    <testcase name="${attr(name)}" classname="${attr(classname)}" time="${seconds(share)}"`;
      const child = outcome(r, res, rules.get(res.rule));
      out.push(child ? `${open}>\n      ${child}\n    </testcase>` : `${open}/>`);
      if (out.length >= BATCH) {
        yield out.join('\n') + '\n';
        out = [];
      }
    }
    const notes = r.diagnostics.filter((d) => suiteOf(d, r.nodes) === g.node);
    out.push(
      notes.length ? `    <system-out>${text(notes.map((d) => safe(`${repoFile(r, d.file)}${d.line ? `:${d.line}` : ''}: ${d.severity}: ${d.message}`)).join('\n'))}</system-out>` : '    <system-out/>',
      '    <system-err/>',
      '  </testsuite>',
    );
  }
  out.push('</testsuites>');
  yield out.join('\n') + '\n';
}

/** The JUnit counts of some results: accepted results are skipped, whatever their status. */
function countOf(results: Result[]): { tests: number; failures: number; errors: number; skipped: number } {
  const c = { tests: results.length, failures: 0, errors: 0, skipped: 0 };
  for (const x of results) {
    if (x.accepted || x.status === 'skip') c.skipped++;
    else if (x.status === 'warn' || x.status === 'fail') c.failures++;
    else if (x.status === 'error') c.errors++;
  }
  return c;
}

/** The child element of a testcase, or '' for a pass. */
function outcome(r: ReportInput, x: Result, rule: LoadedRule | undefined): string {
  if (x.accepted) {
    const a = x.accepted;
    const message = `accepted until ${a.expires}: ${a.reason.replace(/\s+/g, ' ')} (${a.config})`;
    return `<skipped message="${attr(message)}">${text(body(r, x, rule, `${x.status}, accepted: not counted`))}</skipped>`;
  }
  if (x.status === 'pass') return '';
  if (x.status === 'skip') return `<skipped message="${attr(x.message)}"/>`;
  const element = x.status === 'error' ? 'error' : 'failure';
  return `<${element} message="${attr(x.message)}" type="${x.status}">${text(body(r, x, rule))}</${element}>`;
}

/**
 * The text of a failure, an error or an accepted result: what the stylish report says of it, one
 * `key: value` line each, every value on its one line (a newline in a node's or a service's name
 * is shown as `\n`, so no value can add a line of its own).
 */
function body(r: ReportInput, x: Result, rule: LoadedRule | undefined, status: string = x.status): string {
  const lines: [string, string][] = [
    ['rule', `${x.rule}${rule ? ` (${rule.spec.title})` : ''}`],
    ['node', x.node ?? 'cluster'],
    ['subject', x.subject || '(none)'],
    ['status', `${status} (severity ${x.severity})`],
    ['message', x.message],
  ];
  if (x.where.length) lines.push(['where', x.where.map((w) => repoFile(r, w)).join(', ')]);
  if (x.accepted) lines.push(['accepted', `until ${x.accepted.expires}: ${x.accepted.reason.replace(/\s+/g, ' ')} (${x.accepted.config})`]);
  if (x.remediation) lines.push(['remediation', x.remediation]);
  lines.push(['details', `mesh-doctor rules show ${x.rule} (${x.docs})`]);
  return lines.map(([k, v]) => `${k}: ${safe(v)}`).join('\n');
}

/** The suite's properties: the run's counts and duration (the schema has no place for them on <testsuites>). */
function properties(r: ReportInput, node: string | null, totals: ReturnType<typeof countOf>): [string, string][] {
  const p: [string, string][] = [
    ['mesh-doctor.version', r.toolVersion],
    ['source', r.source],
    ['generatedAt', r.generatedAt],
  ];
  if (r.capturedAt) p.push(['capturedAt', r.capturedAt]);
  p.push(['node', node ?? 'cluster']);
  p.push(['run.durationMs', String(Math.round(r.durationMs))]);
  for (const [k, v] of Object.entries(totals)) p.push([`run.${k}`, String(v)]);
  const s = r.summary;
  p.push(['run.summary', `${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip, ${s.error} error, ${s.accepted} accepted`]);
  return p;
}

/** Which suite a capture note belongs to: its node's, or the cluster's for cluster/ and the rest. */
function suiteOf(d: Diagnostic, nodes: string[]): string | null {
  const m = /^nodes\/([^/]+)\//.exec(d.file);
  return m && nodes.includes(m[1]) ? m[1] : null;
}

const seconds = (s: number): string => (Number.isFinite(s) && s > 0 ? s.toFixed(6) : '0');

/**
 * Text from a capture or a rule file, made fit for XML 1.0: control characters are shown as escapes
 * (`\e`, `\x01`, `\u{202e}`: XML 1.0 cannot carry most of them at all, even as &#...; references,
 * and a terminal that prints the file must not act on them), and so are the noncharacters U+FFFE,
 * U+FFFF and unpaired surrogates, which XML refuses too.
 */
function fit(s: string, multiline: boolean): string {
  return safe(s, multiline).replace(/[\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/** Element content: newlines kept. */
function text(s: string): string {
  return fit(s, true).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value (in double quotes): one line (a newline shown as `\n`), a tab as a character reference so parsers keep it. */
function attr(s: string): string {
  return fit(s, false)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;');
}
