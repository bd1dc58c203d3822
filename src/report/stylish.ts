import type { Result, Status } from '../rules/types.js';
import type { ReportInput } from './types.js';
import { safe } from '../util/text.js';
import { wrap } from '../util/wrap.js';
import { pushTo } from '../util/obj.js';

const ICON: Record<Status, string> = { pass: '✔', warn: '⚠', fail: '✖', skip: '○', error: '!' };
const COLOR: Record<Status, number> = { pass: 32, warn: 33, fail: 31, skip: 90, error: 35 };
const ORDER: Record<Status, number> = { error: 0, fail: 1, warn: 2, skip: 3, pass: 4 };

/**
 * Above this many nodes, problems are listed one line per rule and finding with the nodes it is on,
 * not node by node: ten nodes with a few problems each still fit a screen or two node by node, and
 * past that the same finding repeated per node is what a person has to scroll through.
 */
export const GROUP_ABOVE_NODES = 10;
/** The nodes a grouped line names before it says "and N more". */
const NODE_NAMES_SHOWN = 12;
/** Grouped lines per rule before "... and N more". */
const GROUPS_PER_RULE = 5;
/** Lines of skip reasons before "... and N more". */
const SKIP_LINES = 20;
/** Distinct remediations per rule in "What to do next". */
const REMEDIES_PER_RULE = 3;
/** Width of "  ✖ fail  ": problem text starts here, and continues here when wrapped. */
const TEXT_COLUMN = 10;

const byName = new Intl.Collator('en', { numeric: true });
const isProblem = (s: Status) => s === 'fail' || s === 'warn' || s === 'error';

/**
 * The terminal report, for a person: short when all is well, specific when not.
 *
 * - Problems (fail, warn, error) in full, node by node (one line per rule and finding with the nodes
 *   it is on, above GROUP_ABOVE_NODES nodes); passes only counted, per node; skips one line per rule
 *   and reason with their nodes. `verbose` lists every result of every node.
 * - All clean: one line for the cluster and every node.
 * - "What to do next": errors, then failing rules, then warning ones, each once with its nodes and
 *   its distinct remediations.
 * - `quiet`: only the problems and the totals.
 * - Wrapped to `width` (0: not wrapped), never inside a backticked command.
 */
export function stylishReport(r: ReportInput): string {
  const width = r.width ?? 80;
  const paint = (code: number, s: string) => (r.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const bold = (s: string) => paint(1, s);
  const dim = (s: string) => paint(2, s);
  const label = (st: Status) => paint(COLOR[st], `${ICON[st]} ${st.padEnd(5)}`);
  const out: string[] = [];
  const push = (...lines: string[]) => out.push(...lines);
  const para = (text: string, prefix: string, indent?: number) => push(...wrap(text, width, { prefix, indent }));

  const nodes = [...r.nodes].sort(byName.compare);
  const nodeCount = nodes.length;
  const large = nodeCount > GROUP_ABOVE_NODES;
  const accepted = r.results.filter((x) => x.accepted);
  const open = accepted.length ? r.results.filter((x) => !x.accepted) : r.results;

  // One pass over the results (a 50-node check has 300,000): counts per group, problems, skips.
  const groups = new Map<string, { counts: Record<Status, number>; list: Result[] }>();
  const groupOf = (key: string) => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { counts: { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 }, list: [] }));
    return g;
  };
  groupOf('');
  for (const n of nodes) groupOf(n);
  const problems: Result[] = [];
  const skips: Result[] = [];
  for (const x of open) {
    const g = groupOf(x.node ?? '');
    g.counts[x.status]++;
    if (r.verbose) g.list.push(x);
    else if (isProblem(x.status)) g.list.push(x);
    if (isProblem(x.status)) problems.push(x);
    else if (x.status === 'skip') skips.push(x);
  }
  // Passes the run only counted (not verbose: none is listed).
  for (const [key, perRule] of r.passCounts ?? []) for (const n of perRule.values()) groupOf(key).counts.pass += n;
  // Node by node in natural order (node2 before node10), each node's results in rule order.
  const nodeOrder = (a: Result, b: Result) => (a.node === b.node ? 0 : a.node === null ? -1 : b.node === null ? 1 : byName.compare(a.node, b.node));
  problems.sort(nodeOrder);
  skips.sort(nodeOrder);
  const groupName = (key: string) => (key === '' ? 'cluster' : `node ${safe(key)}`);
  const hasCluster = Object.values(groups.get('')!.counts).some((n) => n > 0);

  const where = (res: Result, nodeGlob = false) => {
    if (!res.where?.length) return '';
    let w = res.where.slice(0, 3).join(', ') + (res.where.length > 3 ? ', ...' : '');
    if (nodeGlob && res.node !== null) w = globNode(w, res.node);
    return ` ${dim(`(${safe(w)})`)}`;
  };
  const full = (res: Result) => {
    const subject = res.subject ? `${safe(res.subject)}: ` : '';
    return wrap(`${safe(res.rule)}  ${subject}${safe(res.message)}${where(res)}`, width, { prefix: `  ${label(res.status)} `, indent: TEXT_COLUMN });
  };

  if (!r.quiet) {
    const when = r.capturedAt ? `captured ${safe(r.capturedAt)}, ` : '';
    const ofAll = r.captureNodeCount !== undefined && r.captureNodeCount !== nodeCount ? ` of ${r.captureNodeCount}` : '';
    para(`${bold('mesh-doctor')} ${safe(r.source)} ${dim(`(${when}${nodeCount}${ofAll} node${r.captureNodeCount === 1 || (!ofAll && nodeCount === 1) ? '' : 's'}, ${r.rules.length} rule${r.rules.length === 1 ? '' : 's'})`)}`, '', 2);
  }

  const everything = [...(hasCluster ? [''] : []), ...nodes];
  if (r.verbose && !r.quiet) {
    // Every result of every node, node by node: problems first, then skips, then passes.
    for (const key of everything) {
      const g = groups.get(key)!;
      push('', `${bold(groupName(key))}  ${dim(countsText(g.counts, true))}`);
      for (const res of [...g.list].sort((a, b) => ORDER[a.status] - ORDER[b.status])) push(...full(res));
    }
  } else if (problems.length === 0) {
    if (!r.quiet) {
      const who = nodeCount === 1 ? `node ${safe(nodes[0])}` : large ? `${nodeCount} nodes` : `${nodeCount} nodes (${nodes.map((n) => safe(n)).join(', ')})`;
      push('');
      para(`${paint(COLOR.pass, ICON.pass)} No problem found on ${hasCluster ? 'the cluster and ' : ''}${who}`, '');
    }
  } else if (!large) {
    // Node by node: one line of counts per node, its problems in full under it.
    const keys = everything.filter((k) => !r.quiet || groups.get(k)!.list.length > 0);
    const pad = Math.max(...keys.map((k) => groupName(k).length));
    if (out.length) push('');
    for (const [i, key] of keys.entries()) {
      const g = groups.get(key)!;
      push(`${bold(groupName(key).padEnd(pad))}  ${dim(countsText(g.counts))}`);
      for (const res of [...g.list].sort((a, b) => ORDER[a.status] - ORDER[b.status])) push(...full(res));
      if (g.list.length && i < keys.length - 1) push('');
    }
  } else {
    // Many nodes: one line per rule and finding, with the nodes it is on.
    if (out.length) push('');
    for (const line of groupedLines(problems, nodeCount, width, label, dim)) push(line);
    if (!r.quiet) {
      const bad = new Set(problems.filter((p) => p.node !== null).map((p) => p.node!));
      const badNodes = nodes.filter((n) => bad.has(n));
      push('');
      para(`${nodeCount - badNodes.length} of ${nodeCount} nodes clean${badNodes.length ? `; problems on ${nodeList(badNodes, nodeCount)}` : ''}${groups.get('')!.list.length ? '; the cluster has problems' : ''} ${dim('(-v lists every node)')}`, '');
    }
  }

  if (!r.quiet && !r.verbose && skips.length) {
    const rulesSkipped = new Set(skips.map((s) => s.rule)).size;
    push('');
    para(`${bold('Not checked')}  ${dim(`${rulesSkipped} rule${rulesSkipped === 1 ? '' : 's'} skipped, by reason (-v lists each)`)}`, '');
    for (const line of skipLines(skips, nodeCount, width, label, dim)) push(line);
  }

  if (!r.quiet && accepted.length) {
    push('', `${bold('Accepted')}  ${dim(`${accepted.length} result${accepted.length === 1 ? '' : 's'} the config accepts: not counted`)}`);
    for (const a of accepted) {
      const subject = a.subject ? `${safe(a.subject)}: ` : '';
      for (const l of wrap(`${safe(a.rule)}  ${groupName(a.node ?? '')}  ${subject}${safe(a.message)}`, width, { prefix: `  ${ICON[a.status]} ${a.status.padEnd(5)} `, indent: TEXT_COLUMN })) push(dim(l));
      for (const l of wrap(`accepted until ${safe(a.accepted!.expires)}: ${safe(a.accepted!.reason.replace(/\s+/g, ' '))} (${safe(a.accepted!.config)})`, width, { prefix: '      ' })) push(dim(l));
    }
  }

  if (!r.quiet && problems.length) whatToDoNext(r, problems, nodeCount, width, { paint, bold, dim, push });

  const notes = r.diagnostics;
  if (!r.quiet && notes.length) {
    push('', bold('Capture notes'));
    const shown = notes.slice(0, 20);
    for (const d of shown) {
      const kind = d.severity === 'error' ? paint(COLOR.error, 'error  ') : paint(COLOR.warn, 'warning');
      para(`${safe(d.file)}${d.line ? ':' + d.line : ''}: ${safe(d.message)}`, `  ${kind} `, 12);
    }
    if (notes.length > shown.length) push(dim(`  ... and ${notes.length - shown.length} more (--format json lists them all)`));
  }
  if (!r.quiet || out.length) push('');
  push(bold(countsText(r.summary, true)));
  return out.join('\n') + '\n';
}

/** "What to do next": rules with errors, then failing rules, then warning ones; each once, with its nodes. */
function whatToDoNext(
  r: ReportInput,
  problems: Result[],
  nodeCount: number,
  width: number,
  ui: { paint: (c: number, s: string) => string; bold: (s: string) => string; dim: (s: string) => string; push: (...l: string[]) => void },
): void {
  const byRule = new Map<string, Result[]>();
  for (const x of problems) pushTo(byRule, x.rule, x);
  const worst = (hits: Result[]) => hits.reduce<Status>((w, h) => (ORDER[h.status] < ORDER[w] ? h.status : w), 'pass');
  const entries = r.rules
    .filter((rule) => byRule.has(rule.spec.id))
    .map((rule) => ({ rule, hits: byRule.get(rule.spec.id)!, worst: worst(byRule.get(rule.spec.id)!) }))
    .sort((a, b) => ORDER[a.worst] - ORDER[b.worst]);
  if (!entries.length) return;
  const { paint, bold, dim, push } = ui;
  push('', bold('What to do next'));
  for (const [i, { rule, hits, worst: st }] of entries.entries()) {
    const at = placesOf(hits, nodeCount);
    push('', ...wrap(`${bold(safe(rule.spec.id))} — ${safe(rule.spec.title)}`, width, { prefix: `  ${i + 1}. ${paint(COLOR[st], ICON[st])} `, indent: 7 }));
    const body = (t: string) => push(...wrap(t, width, { prefix: '       ' }));
    body(dim(`${st}: ${hits.length} result${hits.length === 1 ? '' : 's'} ${at}`));
    const errors = hits.filter((h) => h.status === 'error');
    if (errors.length) body(`${errors.length === hits.length ? 'It' : `${errors.length} of them`} could not be evaluated: fix or recapture the file${errors.length === 1 ? '' : 's'} named in the message${errors.length === 1 ? '' : 's'} above, then check again.`);
    for (const t of remedies(hits.filter((h) => h.status !== 'error' && h.remediation), nodeCount)) body(safe(t));
    body(dim(`details: \`mesh-doctor rules show ${safe(rule.spec.id)}\`, ${safe(rule.docs)}`));
  }
}

/**
 * The distinct remediations of a rule's problems, each once: results whose text differs only by
 * their node's name share one, shown as filled in for the first node, with the others named.
 */
function remedies(hits: Result[], nodeCount: number): string[] {
  const byPattern = new Map<string, Result[]>();
  for (const h of hits) {
    const key = h.node === null ? h.remediation : normalizeNode(h.remediation, h.node);
    pushTo(byPattern, key, h);
  }
  const groups = [...byPattern.values()];
  const shown = groups.slice(0, REMEDIES_PER_RULE).map((hs) => {
    const text = hs[0].remediation;
    const others = [...new Set(hs.map((h) => h.node ?? 'cluster'))].sort(byName.compare).filter((n) => n !== (hs[0].node ?? 'cluster'));
    const likewise = others.length ? ` Likewise on ${others.length === nodeCount - 1 && nodeCount > 3 ? 'every other node' : nodeList(others, nodeCount)}.` : '';
    if (groups.length === 1) return `${text}${likewise}`;
    // Several remediations: each says what it is for.
    const subjects = [...new Set(hs.map((h) => h.subject).filter(Boolean))];
    const what = subjects.length ? `${subjects.slice(0, 3).join(', ')}${subjects.length > 3 ? ` and ${subjects.length - 3} more` : ''} ${placesOf(hs, nodeCount)}` : placesOf(hs, nodeCount);
    return `${what}: ${text}${likewise}`;
  });
  if (groups.length > REMEDIES_PER_RULE) shown.push(`... and ${groups.length - REMEDIES_PER_RULE} more like these (--format json has each result's remediation)`);
  return shown;
}

/**
 * Results of one status kind, one line per rule, status, subject and message (the message with the
 * node's name taken out), naming the nodes it is on: `✖ fail  rule  tcp/8080 on n1, n2 (2 of 50
 * nodes): message`. At most GROUPS_PER_RULE lines per rule.
 */
function groupedLines(list: Result[], nodeCount: number, width: number, label: (s: Status) => string, dim: (s: string) => string): string[] {
  const byRule = new Map<string, Map<string, Result[]>>();
  for (const x of list) {
    let rule = byRule.get(x.rule);
    if (!rule) byRule.set(x.rule, (rule = new Map()));
    const key = `${ORDER[x.status]}\u0000${x.subject}\u0000${x.node === null ? x.message : normalizeNode(x.message, x.node)}`;
    const g = rule.get(key);
    if (g) g.push(x);
    else rule.set(key, [x]);
  }
  const worstOf = (m: Map<string, Result[]>) => Math.min(...[...m.values()].map((g) => ORDER[g[0].status]));
  const rules = [...byRule.entries()].sort((a, b) => worstOf(a[1]) - worstOf(b[1]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const lines: string[] = [];
  for (const [, found] of rules) {
    const gs = [...found.values()].sort((a, b) => ORDER[a[0].status] - ORDER[b[0].status] || b.length - a.length);
    for (const g of gs.slice(0, GROUPS_PER_RULE)) {
      const first = g[0];
      const many = new Set(g.map((x) => x.node)).size > 1;
      const subject = first.subject ? `${safe(first.subject)} ` : '';
      const message = many && first.node !== null ? globNode(first.message, first.node) : first.message;
      const whereText = sameWhere(g) && first.where?.length ? ` ${dim(`(${safe(globNode(first.where.slice(0, 3).join(', ') + (first.where.length > 3 ? ', ...' : ''), many ? first.node : null))})`)}` : '';
      lines.push(...wrap(`${safe(first.rule)}  ${subject}${placesOf(g, nodeCount)}: ${safe(message)}${whereText}`, width, { prefix: `  ${label(first.status)} `, indent: TEXT_COLUMN }));
    }
    if (gs.length > GROUPS_PER_RULE) {
      const rest = gs.slice(GROUPS_PER_RULE).flat();
      const restNodes = new Set(rest.map((x) => x.node ?? 'cluster'));
      lines.push(...wrap(dim(`... and ${gs.length - GROUPS_PER_RULE} more of ${safe(gs[0][0].rule)} on ${restNodes.size} node${restNodes.size === 1 ? '' : 's'} (-v lists each)`), width, { prefix: ' '.repeat(TEXT_COLUMN) }));
    }
  }
  return lines;
}

/**
 * Skips by reason: one line per message (the node's name taken out) and set of nodes, naming the
 * rules it stopped. At most SKIP_LINES lines.
 */
function skipLines(list: Result[], nodeCount: number, width: number, label: (s: Status) => string, dim: (s: string) => string): string[] {
  const byNode = new Map<string, Result[]>();
  for (const x of list) {
    const key = `${x.rule}\u0000${x.subject}\u0000${x.node === null ? x.message : normalizeNode(x.message, x.node)}`;
    const g = byNode.get(key);
    if (g) g.push(x);
    else byNode.set(key, [x]);
  }
  // Then the rules that skip for one reason on the same nodes share a line.
  const byReason = new Map<string, Result[][]>();
  for (const g of byNode.values()) {
    const first = g[0];
    const nodes = g.map((x) => x.node ?? '').sort().join('\u0000');
    const key = `${first.subject}\u0000${first.node === null ? first.message : normalizeNode(first.message, first.node)}\u0000${nodes}`;
    const same = byReason.get(key);
    if (same) same.push(g);
    else byReason.set(key, [g]);
  }
  const lines: string[] = [];
  const reasons = [...byReason.values()];
  for (const gs of reasons.slice(0, SKIP_LINES)) {
    const first = gs[0][0];
    const many = new Set(gs[0].map((x) => x.node)).size > 1;
    const message = many && first.node !== null ? globNode(first.message, first.node) : first.message;
    const rules = gs.map((g) => safe(g[0].rule)).join(', ');
    lines.push(...wrap(`${rules}  ${first.subject ? `${safe(first.subject)} ` : ''}${placesOf(gs[0], nodeCount)}: ${safe(message)}`, width, { prefix: `  ${label('skip')} `, indent: TEXT_COLUMN }));
  }
  if (reasons.length > SKIP_LINES) lines.push(...wrap(dim(`... and ${reasons.length - SKIP_LINES} more (-v lists each)`), width, { prefix: ' '.repeat(TEXT_COLUMN) }));
  return lines;
}

/** "on the cluster", "on all 50 nodes", "on n1, n2 (2 of 50 nodes)", "on 253". */
function placesOf(hits: Result[], nodeCount: number): string {
  const names = [...new Set(hits.filter((h) => h.node !== null).map((h) => h.node!))].sort(byName.compare);
  const cluster = hits.some((h) => h.node === null);
  const parts: string[] = [];
  if (cluster) parts.push('the cluster');
  if (names.length) parts.push(names.length === nodeCount && nodeCount > 2 ? `all ${nodeCount} nodes` : nodeList(names, nodeCount) + (names.length > 1 && names.length < nodeCount ? ` (${names.length} of ${nodeCount} nodes)` : ''));
  return `on ${parts.join(' and ')}`;
}

/** Node names, the first NODE_NAMES_SHOWN of them, then "and N more". */
function nodeList(names: string[], nodeCount: number): string {
  if (names.length === nodeCount && nodeCount > 2) return `all ${nodeCount} nodes`;
  const shown = names.slice(0, NODE_NAMES_SHOWN).map((n) => safe(n));
  return names.length > shown.length ? `${shown.join(', ')} and ${names.length - shown.length} more` : shown.join(', ');
}

/**
 * The text with its node's name (as a whole word, not inside an address or a longer name) taken out:
 * what results on several nodes share. A whole word: not after a letter, digit, `_`, `.` or `-`, and
 * not before a letter, digit, `_`, `-` or a `.` that a letter, digit or `_` follows (`node-0` in
 * `node-0.example` or `node-01` stays). Found by indexOf, not a regex with lookarounds: a swarm in
 * trouble has a remediation of 800 characters per failure (100,000 of them), each read here.
 */
export function normalizeNode(text: string, node: string): string {
  let at = text.indexOf(node);
  if (at < 0 || node.length === 0) return text;
  let out = '';
  let from = 0;
  const n = node.length;
  for (; at >= 0; at = text.indexOf(node, at)) {
    const end = at + n;
    if (at > 0 && (isWord(text.charCodeAt(at - 1)) || text.charCodeAt(at - 1) === DOT || text.charCodeAt(at - 1) === DASH)) {
      at++;
      continue;
    }
    const next = end < text.length ? text.charCodeAt(end) : -1;
    if (next >= 0 && (isWord(next) || next === DASH || (next === DOT && end + 1 < text.length && isWord(text.charCodeAt(end + 1))))) {
      at++;
      continue;
    }
    out += text.slice(from, at) + '\u0000';
    from = at = end;
  }
  return from === 0 ? text : out + text.slice(from);
}
const DOT = 46;
const DASH = 45;
/** A character of regex `\w`: A-Z, a-z, 0-9, _. */
function isWord(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** A capture path of one node shown for several: nodes/<node>/... becomes nodes/* /... */
function globNode(text: string, node: string | null): string {
  return node === null ? text : text.split(`nodes/${node}/`).join('nodes/*/');
}

function sameWhere(g: Result[]): boolean {
  const key = (x: Result) => (x.node === null ? (x.where ?? []).join(',') : globNode((x.where ?? []).join(','), x.node));
  const first = key(g[0]);
  return g.every((x) => key(x) === first);
}

/** "3 pass, 1 fail" (the statuses there are), or every status with `all`. */
function countsText(c: Record<Status, number> & { accepted?: number }, all = false): string {
  const order: Status[] = ['pass', 'warn', 'fail', 'skip', 'error'];
  const parts = order.filter((s) => all || c[s] > 0).map((s) => `${c[s]} ${s}`);
  if (c.accepted) parts.push(`${c.accepted} accepted`);
  return parts.length ? parts.join(', ') : 'nothing checked';
}
