import type { Result, Status } from '../rules/types.js';
import type { ReportInput } from './types.js';
import { safe } from '../util/text.js';

const ICON: Record<Status, string> = { pass: '✔', warn: '⚠', fail: '✖', skip: '○', error: '!' };
const COLOR: Record<Status, number> = { pass: 32, warn: 33, fail: 31, skip: 90, error: 35 };
const ORDER: Record<Status, number> = { error: 0, fail: 1, warn: 2, skip: 3, pass: 4 };

/**
 * The terminal report: grouped by node, problems first and in full, passes counted per rule (each
 * listed with --verbose), then what to do next for every rule that failed, and the counts.
 */
export function stylishReport(r: ReportInput): string {
  const paint = (code: number, s: string) => (r.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const bold = (s: string) => paint(1, s);
  const dim = (s: string) => paint(2, s);
  const out: string[] = [];
  const when = r.capturedAt ? `captured ${safe(r.capturedAt)}, ` : '';
  out.push(`${bold('mesh-doctor')} ${safe(r.source)} ${dim(`(${when}${r.nodes.length} node${r.nodes.length === 1 ? '' : 's'}, ${r.rules.length} rules)`)}`);

  const groups = new Map<string, Result[]>();
  groups.set('cluster', []);
  for (const n of r.nodes) groups.set(`node ${n}`, []);
  // Accepted results have their own heading, after the nodes: they are not the run's problems.
  const accepted = r.results.filter((x) => x.accepted);
  const open = accepted.length ? r.results.filter((x) => !x.accepted) : r.results;
  for (const res of open) {
    const key = res.node === null ? 'cluster' : `node ${res.node}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(res);
  }
  const line = (res: Result) => {
    const subject = res.subject ? `${safe(res.subject)}: ` : '';
    const at = res.where?.length ? dim(` (${safe(res.where.slice(0, 3).join(', '))}${res.where.length > 3 ? ', ...' : ''})`) : '';
    return `  ${paint(COLOR[res.status], `${ICON[res.status]} ${res.status.padEnd(5)}`)} ${safe(res.rule)}  ${subject}${safe(res.message)}${at}`;
  };
  for (const [name, list] of groups) {
    if (list.length === 0) continue;
    const counts = countOf(list);
    out.push('', `${bold(safe(name))}  ${dim(summaryText(counts))}`);
    const problems = list.filter((x) => x.status !== 'pass').sort((a, b) => ORDER[a.status] - ORDER[b.status]);
    for (const p of problems) out.push(line(p));
    const passes = list.filter((x) => x.status === 'pass');
    if (r.verbose) for (const p of passes) out.push(line(p));
    else {
      const perRule = new Map<string, Result[]>();
      for (const p of passes) {
        const list = perRule.get(p.rule);
        if (list) list.push(p);
        else perRule.set(p.rule, [p]);
      }
      for (const [rule, ps] of perRule) {
        const text = ps.length === 1 ? `${ps[0].subject ? safe(ps[0].subject) + ': ' : ''}${safe(ps[0].message)}` : `${ps.length} subjects pass`;
        out.push(`  ${paint(COLOR.pass, `${ICON.pass} pass `)} ${safe(rule)}  ${text}`);
      }
    }
  }

  if (accepted.length) {
    out.push('', `${bold('Accepted')}  ${dim(`${accepted.length} result${accepted.length === 1 ? '' : 's'} the config accepts: not counted`)}`);
    for (const a of accepted) {
      const where = a.node === null ? 'cluster' : `node ${a.node}`;
      const subject = a.subject ? `${safe(a.subject)}: ` : '';
      out.push(
        dim(`  ${ICON[a.status]} ${a.status.padEnd(5)} ${safe(a.rule)}  ${safe(where)}  ${subject}${safe(a.message)}`),
        dim(`      accepted until ${safe(a.accepted!.expires)}: ${safe(a.accepted!.reason.replace(/\s+/g, ' '))} (${safe(a.accepted!.config)})`),
      );
    }
  }

  // One pass over the results (a 50-node check has 300,000), not one per rule.
  const problemsByRule = new Map<string, Result[]>();
  for (const x of open) {
    if (x.status !== 'fail' && x.status !== 'warn') continue;
    const list = problemsByRule.get(x.rule);
    if (list) list.push(x);
    else problemsByRule.set(x.rule, [x]);
  }
  const failing = r.rules.filter((rule) => problemsByRule.has(rule.spec.id));
  if (failing.length) {
    out.push('', bold('What to do next'));
    for (const rule of failing) {
      const hits = problemsByRule.get(rule.spec.id)!;
      const where = [...new Set(hits.map((h) => h.node ?? 'cluster'))];
      out.push(
        '',
        `  ${bold(safe(rule.spec.id))} — ${safe(rule.spec.title)} ${dim(`(${hits.length} result${hits.length === 1 ? '' : 's'} on ${safe(where.join(', '))})`)}`,
        ...remedies(hits).flatMap((t) => wrap(safe(t), 96).map((l) => `    ${l}`)),
        `    ${dim(`details: mesh-doctor rules show ${safe(rule.spec.id)}  (${safe(rule.docs)})`)}`,
      );
    }
  }
  const errs = open.filter((x) => x.status === 'error');
  if (errs.length) out.push('', `  ${paint(COLOR.error, `${errs.length} result(s) could not be evaluated: fix or recapture the files named above.`)}`);

  const notes = r.diagnostics;
  if (notes.length) {
    out.push('', bold('Capture notes'));
    const shown = notes.slice(0, 20);
    for (const d of shown) out.push(`  ${d.severity === 'error' ? paint(COLOR.error, 'error  ') : paint(COLOR.warn, 'warning')} ${safe(d.file)}${d.line ? ':' + d.line : ''}: ${safe(d.message)}`);
    if (notes.length > shown.length) out.push(dim(`  ... and ${notes.length - shown.length} more (--format json lists them all)`));
  }
  out.push('', `${bold(summaryText(r.summary))}`);
  return out.join('\n') + '\n';
}

/** The distinct filled-in remediations of a rule's problems: each once, the first few in full. */
function remedies(hits: Result[]): string[] {
  const byText = new Map<string, Result[]>();
  for (const h of hits) {
    const list = byText.get(h.remediation);
    if (list) list.push(h);
    else byText.set(h.remediation, [h]);
  }
  const texts = [...byText.keys()];
  const shown = texts.slice(0, 3).map((t) => {
    if (texts.length === 1) return t;
    const hs = byText.get(t)!;
    const who = [...new Set(hs.map((h) => `${h.node ?? 'cluster'}${h.subject ? ' ' + h.subject : ''}`))];
    return `${who.slice(0, 3).join(', ')}${who.length > 3 ? ` and ${who.length - 3} more` : ''}: ${t}`;
  });
  if (texts.length > 3) shown.push(`... and ${texts.length - 3} more like these (--format json has each result's remediation)`);
  return shown;
}

function countOf(list: Result[]): Record<Status, number> {
  const c: Record<Status, number> = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const x of list) c[x.status]++;
  return c;
}

function summaryText(c: Record<Status, number> & { accepted?: number }): string {
  return `${c.pass} pass, ${c.warn} warn, ${c.fail} fail, ${c.skip} skip, ${c.error} error${c.accepted ? `, ${c.accepted} accepted` : ''}`;
}

function wrap(text: string, width: number): string[] {
  const words = text.replace(/\s+/g, ' ').split(' ');
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  return lines;
}
