import type { BackendTrace, NodeTrace, TraceHop, Verdict } from '../trace/path.js';
import { hopAt } from '../trace/path.js';
import { safe, safeJson } from '../util/text.js';
import { displayWidth, wrap } from '../util/wrap.js';

/** What `mesh-doctor trace` reports: one port, walked on some nodes of one capture. */
export interface TraceReport {
  /** The capture folder, or 'live'. */
  source: string;
  /** 'tcp/8080' */
  port: string;
  protocol: string;
  portNumber: number;
  src: string;
  /** The service that publishes the port in ingress mode ('' when none does). */
  service: string;
  nodes: NodeTrace[];
  /** Every node's walk hop by hop (--node, --verbose), not only the table. */
  detailed: boolean;
  color: boolean;
  /** Columns to wrap explanations to (0: not wrapped). */
  width: number;
  toolVersion: string;
}

export const TRACE_FORMAT_VERSION = 1;

const ICON: Record<TraceHop['status'], string> = { pass: '✔', stop: '✖', uncertain: '?', assumed: '○' };
const HOP_COLOR: Record<TraceHop['status'], number> = { pass: 32, stop: 31, uncertain: 33, assumed: 90 };
const VERDICT_COLOR: Record<Verdict, number> = { delivered: 32, dropped: 31, uncertain: 33, partial: 33 };
const byName = new Intl.Collator('en', { numeric: true });

export function counts(nodes: NodeTrace[]): Record<Verdict, number> {
  const c: Record<Verdict, number> = { delivered: 0, dropped: 0, partial: 0, uncertain: 0 };
  for (const n of nodes) c[n.verdict]++;
  return c;
}

/** The report as data: docs/trace-format.md. */
export function traceJson(r: TraceReport): string {
  const out = {
    version: TRACE_FORMAT_VERSION,
    tool: 'mesh-doctor',
    toolVersion: r.toolVersion,
    source: r.source,
    port: r.port,
    protocol: r.protocol,
    portNumber: r.portNumber,
    src: r.src,
    service: r.service,
    summary: counts(r.nodes),
    nodes: r.nodes,
  };
  return safeJson(JSON.stringify(out, null, 2)) + '\n';
}

/** Where a walk ended, in a few words, for the node table. */
function endsAt(t: NodeTrace): string {
  const d = t.decisive;
  const where = (h: TraceHop) => `${h.where}: ${h.effect}${h.file ? ` (${hopAt(h)})` : ''}`;
  if (t.verdict === 'delivered') {
    const tasks = t.backends.map((b) => (b.task ? `${b.task.replace(/^task /, '')} on ${b.taskNode}` : b.address));
    return tasks.length <= 2 ? tasks.join(', ') : `${tasks.slice(0, 2).join(', ')} and ${tasks.length - 2} more`;
  }
  if (!d) return t.summary;
  if (t.verdict === 'partial') {
    const ok = t.backends.filter((b) => b.verdict === 'delivered').length;
    return `${ok} of ${t.backends.length} backends; the others stop at ${where(d)}`;
  }
  return where(d);
}

/** The terminal report: a table of nodes, and with `detailed` every hop of each node's walk. */
export function traceText(r: TraceReport): string {
  const paint = (code: number, s: string) => (r.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const bold = (s: string) => paint(1, s);
  const dim = (s: string) => paint(2, s);
  const out: string[] = [];
  const nodes = [...r.nodes].sort((a, b) => byName.compare(a.node, b.node));
  out.push(bold(`trace ${r.port}${r.service ? ` (service ${safe(r.service)})` : ' (no service publishes it in ingress mode)'} from ${r.src}`) + dim(`  ${safe(r.source)}`), '');

  if (r.detailed) {
    for (const t of nodes) out.push(...nodeWalk(t, r, paint, dim), '');
  } else {
    const rows = nodes.map((t) => [safe(t.node), t.dst || '-', t.verdict, safe(endsAt(t))]);
    const head = ['NODE', 'ADDRESS', 'VERDICT', 'WHERE'];
    const w = [0, 1, 2].map((i) => Math.max(displayWidth(head[i]), ...rows.map((x) => displayWidth(x[i]))));
    const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - displayWidth(s)));
    out.push(dim(head.map((h, i) => (i < 3 ? pad(h, w[i]) : h)).join('  ')));
    for (const [i, x] of rows.entries()) {
      const v = nodes[i].verdict;
      out.push([pad(x[0], w[0]), pad(x[1], w[1]), paint(VERDICT_COLOR[v], pad(x[2], w[2])), x[3]].join('  '));
    }
    out.push('');
  }
  const c = counts(nodes);
  const parts = (['delivered', 'dropped', 'partial', 'uncertain'] as Verdict[]).filter((v) => c[v] > 0).map((v) => paint(VERDICT_COLOR[v], `${c[v]} ${v}`));
  out.push(`${nodes.length} node${nodes.length === 1 ? '' : 's'}: ${parts.join(', ')}`);
  if (!r.detailed && nodes.some((t) => t.verdict !== 'delivered')) out.push(dim(`the walk hop by hop: --node NAME (or -v for every node)`));
  return out.join('\n') + '\n';
}

type Paint = (code: number, s: string) => string;

function nodeWalk(t: NodeTrace, r: TraceReport, paint: Paint, dim: (s: string) => string): string[] {
  const out: string[] = [];
  out.push(`${paint(1, safe(t.node))}${t.dst ? ` (${t.dst})` : ''}: ${paint(VERDICT_COLOR[t.verdict], t.verdict)}`);
  const hopLines = (hops: TraceHop[], indent: string) => {
    for (const h of hops) {
      const head = `${indent}${paint(HOP_COLOR[h.status], ICON[h.status])} ${safe(h.where).padEnd(28)} ${safe(h.effect).padEnd(30)} ${dim(safe(hopAt(h)))}`;
      out.push(head.trimEnd());
      if (h.status !== 'pass' && h.rule) out.push(`${indent}    ${dim(safe(h.rule))}`);
      if (h.status !== 'pass' && h.detail) out.push(...wrap(safe(h.detail), r.width, { prefix: `${indent}    `, indent: indent.length + 4 }));
    }
  };
  hopLines(t.hops, '  ');
  for (const b of t.backends) {
    out.push(`  backend ${b.address}${b.port ? `:${b.port}` : ''} (${safe(b.forward)}, weight ${b.weight})${b.task ? `: ${safe(b.task)} on ${safe(b.taskNode)}` : ''} - ${paint(VERDICT_COLOR[b.verdict], b.verdict)}`);
    hopLines(b.hops, '    ');
  }
  out.push(...wrap(`verdict: ${safe(t.summary)}`, r.width, { prefix: '  ', indent: 4 }));
  if (t.assumed.length) out.push(...wrap(dim(`not captured, taken as passing: ${safe(t.assumed.join('; '))}`), r.width, { prefix: '  ', indent: 4 }));
  return out;
}

export type { BackendTrace };
