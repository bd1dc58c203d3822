import { createHash } from 'node:crypto';
import type { Result, Status } from '../rules/types.js';
import type { ReportInput } from './types.js';
import { safe, wholeText } from '../util/text.js';
import { buildView, HOPS, RANK, STATUSES, type CellView, type ReportView } from './html/model.js';
import { STYLE } from './html/style.js';
import { CLIENT_SCRIPT } from './html/client.js';

/**
 * The HTML report: one self-contained page (inline CSS and script, no request of any kind, which its
 * Content-Security-Policy enforces) with the matrix of nodes by rules, each cell's results on a
 * click, and per published port the path DNAT → FORWARD → MARK → IPVS → backends on every node with
 * the first broken hop marked. The matrix is HTML; a cell's results and a port's paths are drawn by
 * the page's script from the data it carries (passes as counts until asked for), so that a 50-node
 * report is a few thousand elements, not one per result.
 *
 * Everything from a capture or a rule file has its control characters escaped visibly (`safe`),
 * then is HTML-escaped where the page is written here, or given to the page as JSON (`<`, `>`, `&`
 * and the line separators as \u escapes) that the script only ever sets as textContent.
 */
export function htmlReport(r: ReportInput): string {
  return wholeText(htmlReportChunks(r));
}

/** Where the page's data goes in its lines: a text no line can hold (safe() shows NUL as `\x00`). */
const DATA = '\u0000md-data\u0000';

/**
 * The page in pieces, the same text as htmlReport, its data (a swarm in trouble's is 100 MB and more:
 * every failure with its evidence and remediation) written a list's slice at a time: made whole, and
 * then escaped, joined into the page and copied for writing, the page of 50 nodes with 100,000
 * failures took 1.3 GB.
 */
export function* htmlReportChunks(r: ReportInput): Generator<string> {
  const view = buildView(r);
  const data = encode(r, view);
  const [before, after] = pageLines(r, view).join('\n').split(DATA);
  yield before;
  for (const piece of jsonPieces(data)) yield scriptSafe(piece);
  yield after;
}

/** JSON for a script element: `<`, `>`, `&` and the line separators as \u escapes (per character: a piece at a time gives the same text). */
function scriptSafe(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Items of a list stringified at a time: a slice of 64 problems is about 80 KB, under V8's large-object size. */
const SLICE = 64;

/**
 * JSON.stringify(data) in pieces: the data's own keys in order, each list of more than SLICE items
 * a slice at a time (the same text: a slice's items are written as the list's are).
 */
function* jsonPieces(data: Record<string, unknown>): Generator<string> {
  let sep = '{';
  for (const [k, v] of Object.entries(data)) {
    const text = Array.isArray(v) && v.length > SLICE ? undefined : JSON.stringify(v);
    if (!Array.isArray(v) && text === undefined) continue; // as JSON.stringify leaves out undefined and functions
    yield `${sep}${JSON.stringify(k)}:`;
    sep = ',';
    if (text !== undefined) {
      yield text;
      continue;
    }
    const list = v as unknown[];
    for (let i = 0; i < list.length; i += SLICE) {
      const part = JSON.stringify(list.slice(i, i + SLICE));
      yield (i === 0 ? '[' : ',') + part.slice(1, -1);
    }
    yield ']';
  }
  yield sep === '{' ? '{}' : '}';
}

function pageLines(r: ReportInput, view: ReportView): string[] {
  const csp = [
    "default-src 'none'",
    `script-src '${sha256(CLIENT_SCRIPT)}'`,
    `style-src '${sha256(STYLE)}'`,
    "img-src 'none'",
    "font-src 'none'",
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const title = `mesh-doctor: ${r.source}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="mesh-doctor ${esc(r.toolVersion)}">`,
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    header(r),
    '<main class="layout">',
    '<section id="matrix-section">',
    '<h2>Nodes × rules</h2>',
    legend(),
    `<div class="scroll">${matrix(view)}</div>`,
    '</section>',
    '<aside id="detail" aria-live="polite"><h2>Details</h2><p class="muted">Click a cell of the matrix (or a hop of a path below) to see its results: subject, message, where it was read, evidence, what to do, and the rule.</p>',
    '<noscript><p>The details, and the paths of the published ports, need JavaScript; the matrix and the counts do not. <code>--format json</code> has every result.</p></noscript></aside>',
    '</main>',
    ports(view),
    notes(r),
    `<footer>mesh-doctor ${esc(r.toolVersion)} · ${r.results.length} results · generated ${esc(r.generatedAt)}. This page loads nothing: <code>--format json</code> carries the same results for programs.</footer>`,
    `<script type="application/json" id="md-data">${DATA}</script>`,
    `<script>${CLIENT_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ];
}

const ICON: Record<Status, string> = { pass: '✔', skip: '○', warn: '⚠', fail: '✖', error: '!' };
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML (content or a quoted attribute): control characters shown as escapes, then the five HTML specials as entities. */
export function esc(s: string, multiline = false): string {
  return safe(s, multiline).replace(/[&<>"']/g, (c) => ENTITY[c]);
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

function header(r: ReportInput): string {
  const s = r.summary;
  const meta: [string, string][] = [['source', r.source]];
  if (r.capturedAt) meta.push(['captured', r.capturedAt]);
  if (r.captureSource) meta.push(['capture', r.captureSource]);
  meta.push(['checked', `${r.nodes.length} node${r.nodes.length === 1 ? '' : 's'}, ${r.rules.length} rules, ${r.results.length} results, in ${(r.durationMs / 1000).toFixed(1)} s`]);
  meta.push(['generated', `${r.generatedAt} by mesh-doctor ${r.toolVersion}`]);
  const counts = STATUSES.slice()
    .reverse()
    .map((st) => `<li><span class="badge s-${st}" data-summary="${st}">${s[st]} ${st}</span></li>`);
  if (s.accepted) counts.push(`<li><span class="badge acc s-skip" data-summary="accepted">${s.accepted} accepted</span></li>`);
  return [
    '<header>',
    '<h1>mesh-doctor report</h1>',
    `<dl class="meta">${meta.map(([k, v]) => `<dt>${k}</dt><dd>${esc(v, true)}</dd>`).join('')}</dl>`,
    `<ul class="summary">${counts.join('')}</ul>`,
    '</header>',
  ].join('\n');
}

function legend(): string {
  const items = STATUSES.map((st) => `<span><span class="sw s-${st}"></span>${st}</span>`);
  items.push('<span><span class="sw s-fail acc"></span>accepted by the config (A: not counted)</span>');
  items.push('<span class="muted">Each cell: the worst status of the rule on that node, and how many results have it.</span>');
  return `<div class="legend">${items.join('')}</div>`;
}

function matrix(view: ReportView): string {
  const { rules, rows } = view;
  const nCluster = rules.filter((r) => r.scope === 'cluster').length;
  const byKey = new Map<number, [CellView, number]>();
  view.cells.forEach((c, i) => byKey.set(c.row * rules.length + c.rule, [c, i]));
  const out: string[] = ['<table class="matrix" id="matrix">', '<thead>'];
  const groups: string[] = ['<th></th>'];
  if (nCluster) groups.push(`<th colspan="${nCluster}">cluster rules</th>`);
  if (rules.length > nCluster) groups.push(`<th colspan="${rules.length - nCluster}"${nCluster ? ' class="g0"' : ''}>node rules</th>`);
  out.push(`<tr class="groups">${groups.join('')}</tr>`);
  const heads = rules.map((r, i) => `<th class="rule${i === nCluster && nCluster ? ' g0' : ''}" scope="col" data-rule="${esc(r.id)}" title="${esc(`${r.id}: ${r.title}`)}"><span>${esc(r.id)}</span></th>`);
  out.push(`<tr><th class="node">node</th>${heads.join('')}</tr>`, '</thead>', '<tbody>');
  rows.forEach((row, ri) => {
    const tds: string[] = [];
    rules.forEach((rule, ci) => {
      const g = ci === nCluster && nCluster ? ' g0' : '';
      const hit = byKey.get(ri * rules.length + ci);
      if (!hit) {
        tds.push(`<td class="e${g}"></td>`);
        return;
      }
      const [c, k] = hit;
      const counts = STATUSES.map((st, i) => [c.counts[i], st] as const)
        .filter(([n]) => n > 0)
        .reverse()
        .map(([n, st]) => `${n} ${st}`)
        .join(', ');
      const where = row.cluster ? 'cluster' : `node ${row.label}`;
      const tip = `${where} · ${rule.id}: ${counts}${c.accepted ? ` (${c.accepted} accepted)` : ''}`;
      const open = c.counts[RANK[c.worst]] - acceptedWith(c, c.worst);
      let cls = `c s-${c.worst}`;
      let text = `${ICON[c.worst]}${open}`;
      let acc = '';
      if (c.acceptedWorst) {
        cls = `c s-${c.acceptedWorst} acc`;
        text = `A${ICON[c.acceptedWorst]}${acceptedWith(c, c.acceptedWorst)}`;
        acc = ` data-accepted="${c.acceptedWorst}"`;
      }
      tds.push(`<td class="${cls}${g}" data-k="${k}" data-status="${c.worst}"${acc} tabindex="0" title="${esc(tip)}">${text}</td>`);
    });
    out.push(`<tr${row.cluster ? ' class="cluster"' : ''} data-row="${esc(row.label)}"><th class="node" scope="row" title="${esc(row.label)}">${esc(row.label)}</th>${tds.join('')}</tr>`);
  });
  out.push('</tbody>', '</table>');
  return out.join('\n');
}

function acceptedWith(c: CellView, st: Status): number {
  let n = 0;
  for (const p of c.problems) if (p.accepted && p.status === st) n++;
  return n;
}

function ports(view: ReportView): string {
  const n = view.ports.length;
  const hops = HOPS.map((h) => `<b>${esc(h.label)}</b> (${h.what}: ${[...h.perPort, ...(h.nodeWide ?? []), ...(h.perBackend ?? [])].map((id) => `<code>${id}</code>`).join(', ')})`);
  return [
    '<section id="ports">',
    `<h2>Published ports: the path on every node (${n})</h2>`,
    `<p class="muted">A connection to a port published in ingress mode goes ${hops.join(' → ')}. Each hop takes the worst status of its rules' results for that port on that node; the first hop that fails is marked broken, and the hops after it are dimmed (nothing reaches them). A port: click it; a hop: click it for its results.</p>`,
    n
      ? '<div class="ports-bar"><label>filter <input id="port-filter" type="search" placeholder="tcp/8080" autocomplete="off"></label><span class="muted">ports with a broken hop first; ✖N: broken on N nodes</span></div>'
      : '<p>No result names a published port (no service publishes one in ingress mode, or the rules that follow ports did not run).</p>',
    '<div id="port-list" class="port-list"></div>',
    '<div id="port-paths"></div>',
    '</section>',
  ].join('\n');
}

function notes(r: ReportInput): string {
  if (!r.diagnostics.length) return '';
  const shown = r.diagnostics.slice(0, 200);
  const items = shown.map((d) => `<li><span class="badge s-${d.severity === 'error' ? 'error' : 'warn'}">${d.severity}</span> <code>${esc(d.file)}${d.line ? `:${d.line}` : ''}</code> ${esc(d.message)}</li>`);
  if (r.diagnostics.length > shown.length) items.push(`<li class="muted">… and ${r.diagnostics.length - shown.length} more (<code>--format json</code> lists them all)</li>`);
  return `<section id="notes"><h2>Capture notes (${r.diagnostics.length})</h2><ul class="notes">${items.join('')}</ul></section>`;
}

/** Strings from results, rules and the capture, each once: the page refers to them by number. */
class Strings {
  readonly list: string[] = [];
  private readonly index = new Map<string, number>();
  id(s: string, multiline = false): number {
    const v = safe(s, multiline);
    let i = this.index.get(v);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(v);
      this.index.set(v, i);
    }
    return i;
  }
}

/** A JSON value with every string (keys too) made safe: evidence, as the page shows it. */
function safeValue(v: unknown): unknown {
  if (typeof v === 'string') return safe(v);
  if (Array.isArray(v)) return v.map(safeValue);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [safe(k), safeValue(x)]));
  return v;
}

/** The page's data: what the script needs to draw details and paths (see client.ts for the layout). */
function encode(r: ReportInput, view: ReportView) {
  const strings = new Strings();
  const ids = new Map<Result, number>();
  const problems: unknown[] = [];
  const passes: number[] = [];
  const cells = view.cells.map((c, k) => {
    const ps = problems.length;
    for (const p of c.problems) {
      ids.set(p, problems.length);
      const acc = p.accepted ? [strings.id(p.accepted.reason, true), strings.id(p.accepted.expires), strings.id(p.accepted.config)] : 0;
      problems.push([k, RANK[p.status], strings.id(p.subject), strings.id(p.message, true), strings.id(p.remediation, true), p.where.map((w) => strings.id(w)), safeValue(p.evidence), acc]);
    }
    const qs = passes.length / 2;
    for (const p of c.passes) passes.push(strings.id(p.subject), strings.id(p.message, true));
    return [c.rule, c.row, RANK[c.worst], c.acceptedWorst ? RANK[c.acceptedWorst] : -1, c.accepted, ...c.counts, ps, c.problems.length, qs, c.passes.length];
  });
  // Passes are numbered after the problems, in the order of `passes`.
  let next = problems.length;
  for (const c of view.cells) for (const p of c.passes) ids.set(p, next++);

  const order = view.ports
    .map((p, i) => i)
    .sort((a, b) => {
      const pa = view.ports[a];
      const pb = view.ports[b];
      return pb.brokenNodes - pa.brokenNodes || (pb.worst ? RANK[pb.worst] : -1) - (pa.worst ? RANK[pa.worst] : -1) || a - b;
    });
  const byRank = (list: Result[]) => [...list].sort((a, b) => RANK[b.status] - RANK[a.status]).map((x) => ids.get(x)!);
  // A node's results that hold for every port at a hop: one list in the page, which every path names.
  const shared: number[][] = [];
  const sharedRef = new Map<Result[], number>();
  const refOf = (list: Result[]): number => {
    if (list.length === 0) return -1;
    let k = sharedRef.get(list);
    if (k === undefined) {
      sharedRef.set(list, (k = shared.length));
      shared.push(byRank(list));
    }
    return k;
  };
  const ports = order.map((i) => {
    const p = view.ports[i];
    const paths = p.paths.map((path) => [
      path.row,
      path.broken,
      ...path.hops.map((h) => [h.status ? RANK[h.status] : -1, refOf(h.shared), ...byRank(h.results)]),
    ]);
    return [p.key, p.worst ? RANK[p.worst] : -1, p.brokenNodes, paths];
  });

  return {
    strings: strings.list,
    rows: view.rows.map((row) => [safe(row.label), row.cluster]),
    rules: view.rules.map((x) => ({
      id: safe(x.id),
      title: safe(x.title),
      description: safe(x.description, true),
      severity: safe(x.severity),
      scope: x.scope,
      docs: safe(x.docs),
      references: x.references.map((ref) => safe(ref)),
    })),
    cells,
    problems,
    passes,
    hops: HOPS.map((h) => ({ id: h.id, label: h.label, what: h.what, rules: [...h.perPort, ...(h.nodeWide ?? []), ...(h.perBackend ?? [])] })),
    ports,
    shared,
    firstPort: 0,
    summary: r.summary,
  };
}
