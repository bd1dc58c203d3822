import type { LoadedRule, Result, Status } from '../../rules/types.js';
import type { ReportInput } from '../types.js';
import { pushTo } from '../../util/obj.js';

/**
 * What the HTML report shows, worked out from the results alone (ReportInput): the matrix of nodes
 * (and the cluster) by rules, each cell with its results, and per published port the path through
 * the mesh on every node, hop by hop. Pure data: html.ts encodes it and the page draws it.
 */

/** Statuses from best to worst: a cell or a hop takes the worst of its results. */
export const STATUSES: readonly Status[] = ['pass', 'skip', 'warn', 'fail', 'error'];
export const RANK: Record<Status, number> = { pass: 0, skip: 1, warn: 2, fail: 3, error: 4 };

/** A hop of a published port's path through the mesh, and the rules that judge it. */
export interface HopSpec {
  id: string;
  label: string;
  /** What has to hold at this hop, for a person. */
  what: string;
  /** Rules whose subject is the port (`tcp/8080`, or `tcp/8080 mark 0x100`). */
  perPort: string[];
  /** Rules about the whole node: every result of theirs counts for every port on that node. */
  nodeWide?: string[];
  /**
   * Rules whose subject is a backend address: a warn or fail counts for the ports whose marks its
   * evidence names (`fwmarks`), matched with the marks in fwmark-has-backend's subjects.
   */
  perBackend?: string[];
}

/** The path a connection to a published port takes on a node, in the kernel's order. */
export const HOPS: readonly HopSpec[] = [
  { id: 'dnat', label: 'DNAT', what: 'host nat DOCKER-INGRESS sends the port to ingress_sbox on docker_gwbridge', perPort: ['published-port-has-dnat', 'dnat-target-is-sbox'] },
  { id: 'forward', label: 'FORWARD', what: 'host filter FORWARD lets the connection through to ingress_sbox', perPort: ['forward-path-open'] },
  { id: 'mark', label: 'MARK', what: 'ingress_sbox mangle PREROUTING marks the port for IPVS', perPort: ['published-port-has-mark'] },
  { id: 'ipvs', label: 'IPVS', what: 'IPVS in ingress_sbox has an FWM service with backends for the mark', perPort: ['fwmark-has-backend'], nodeWide: ['ipvs-available'] },
  { id: 'backends', label: 'backends', what: "the IPVS backends are the service's running tasks, and each resolves on the ingress overlay", perPort: ['ipvs-backends-match-tasks'], perBackend: ['backend-in-arp'] },
];

/** `tcp/8080` or `tcp/8080 mark 0x100`: the port (and mark) a per-port rule's subject names. */
const PORT_SUBJECT = /^((?:tcp|udp|sctp)\/\d+)(?: mark (0x[0-9a-f]+))?$/;

export interface RuleView {
  id: string;
  title: string;
  description: string;
  severity: string;
  scope: 'node' | 'cluster';
  docs: string;
  references: string[];
}

export interface CellView {
  rule: number;
  /** Index into rows: 0 is the cluster when there is a cluster row. */
  row: number;
  /** Results by status, in STATUSES order, accepted ones included. */
  counts: number[];
  /** The worst status of the results the config does not accept. */
  worst: Status;
  /** The worst status among the accepted results, when it is worse than `worst`. */
  acceptedWorst: Status | null;
  accepted: number;
  /** Warn, fail, skip and error results, worst first. */
  problems: Result[];
  passes: Result[];
}

export interface HopView {
  /** The worst status of the hop's results (accepted ones included: traffic does not read the config); null: no result for this port. */
  status: Status | null;
  /** The results of this port at this hop: those whose subject names it (or, for a backend, its mark). */
  results: Result[];
  /**
   * The node's results that hold for every port at this hop (a rule that could not look, a backend
   * whose marks name no port, a rule about the whole node): one list per node and hop, which every
   * port's path refers to. A copy per port made the page grow as ports times backends: a swarm of 10
   * nodes, 500 ports and 2,000 failing backends with no marks to place them gave an 85 MB page and a
   * 850 MB run.
   */
  shared: Result[];
}

export interface NodePath {
  row: number;
  hops: HopView[];
  /** The first hop whose rules failed for this port on this node; -1 when none did. */
  broken: number;
}

export interface PortView {
  key: string;
  worst: Status | null;
  /** How many nodes have a broken hop for this port. */
  brokenNodes: number;
  paths: NodePath[];
}

export interface ReportView {
  /** Row labels: 'cluster' first when a cluster-scoped rule has results, then the nodes. */
  rows: { label: string; cluster: boolean }[];
  rules: RuleView[];
  cells: CellView[];
  ports: PortView[];
}

const worse = (a: Status, b: Status): Status => (RANK[b] > RANK[a] ? b : a);

function ruleView(rule: LoadedRule | undefined, id: string, scope: 'node' | 'cluster'): RuleView {
  if (!rule) return { id, title: id, description: '', severity: '', scope, docs: '', references: [] };
  const s = rule.spec;
  return { id: s.id, title: s.title, description: s.description, severity: s.severity, scope: s.scope, docs: rule.docs, references: s.references ?? [] };
}

export function buildView(input: ReportInput): ReportView {
  // Rows: the cluster, then the nodes in the report's order, then any node only a result names.
  const hasCluster = input.results.some((r) => r.node === null) || input.rules.some((r) => r.spec.scope === 'cluster');
  const rows: ReportView['rows'] = hasCluster ? [{ label: 'cluster', cluster: true }] : [];
  const rowOf = new Map<string, number>();
  const addNode = (n: string) => {
    if (!rowOf.has(n)) {
      rowOf.set(n, rows.length);
      rows.push({ label: n, cluster: false });
    }
  };
  for (const n of input.nodes) addNode(n);
  for (const r of input.results) if (r.node !== null) addNode(r.node);

  // Columns: cluster-scoped rules first, then node-scoped ones, each in the run's order; a result of
  // a rule the run does not describe still gets a column.
  const byId = new Map(input.rules.map((r) => [r.spec.id, r]));
  const ids = input.rules.map((r) => r.spec.id);
  const seen = new Set(ids);
  const extraScope = new Map<string, 'node' | 'cluster'>();
  for (const r of input.results) {
    if (!seen.has(r.rule)) {
      seen.add(r.rule);
      ids.push(r.rule);
      extraScope.set(r.rule, r.node === null ? 'cluster' : 'node');
    }
  }
  const rules = ids.map((id) => ruleView(byId.get(id), id, extraScope.get(id) ?? 'node'));
  const order = rules.map((_, i) => i).sort((a, b) => (rules[a].scope === rules[b].scope ? a - b : rules[a].scope === 'cluster' ? -1 : 1));
  const sorted = order.map((i) => rules[i]);
  const colOf = new Map(sorted.map((r, i) => [r.id, i]));

  // Cells, in row-major order, made as results come.
  const cellAt = new Map<number, CellView>();
  const nRules = sorted.length;
  for (const r of input.results) {
    const row = r.node === null ? 0 : rowOf.get(r.node)!;
    const col = colOf.get(r.rule)!;
    const k = row * nRules + col;
    let c = cellAt.get(k);
    if (!c) {
      c = { rule: col, row, counts: [0, 0, 0, 0, 0], worst: 'pass', acceptedWorst: null, accepted: 0, problems: [], passes: [] };
      cellAt.set(k, c);
    }
    c.counts[RANK[r.status]]++;
    if (r.status === 'pass') c.passes.push(r);
    else c.problems.push(r);
    if (r.accepted) {
      c.accepted++;
      c.acceptedWorst = c.acceptedWorst ? worse(c.acceptedWorst, r.status) : r.status;
    } else c.worst = worse(c.worst, r.status);
  }
  const cells = [...cellAt.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
  for (const c of cells) {
    if (c.acceptedWorst && RANK[c.acceptedWorst] <= RANK[c.worst]) c.acceptedWorst = null;
    // Worst first, open before accepted; otherwise in the rule's order.
    c.problems.sort((a, b) => RANK[b.status] - RANK[a.status] || Number(Boolean(a.accepted)) - Number(Boolean(b.accepted)));
  }
  return { rows, rules: sorted, cells, ports: portPaths(input.results, rows) };
}

interface NodeIndex {
  /** rule -> port -> results whose subject names the port. */
  perPort: Map<string, Map<string, Result[]>>;
  /** rule -> results without a subject that say the rule could not look (skip, error): they hold for every port. */
  general: Map<string, Result[]>;
  /** mark (0x…) -> port, from fwmark-has-backend's subjects. */
  markToPort: Map<string, string>;
  /** port -> backend results (warn, fail) whose marks are that port's. */
  backends: Map<string, Result[]>;
  /** backend results that could not be put on a port: they hold for every port of the node. */
  unplaced: Result[];
}

const NONE: Result[] = [];

/** What a node holds for every port at one hop: its results, their worst status, and whether they judge the hop alone. */
interface NodeHop {
  results: Result[];
  status: Status | null;
  /** Some of them judge the hop for every port: anything but a node-wide rule's pass. */
  judges: boolean;
}

function nodeHop(x: NodeIndex, h: HopSpec): NodeHop {
  const list: Result[] = [];
  const wide: Result[] = [];
  for (const rule of h.perPort) list.push(...(x.general.get(rule) ?? []));
  for (const rule of h.perBackend ?? []) list.push(...(x.general.get(rule) ?? []), ...x.unplaced.filter((r) => r.rule === rule));
  for (const rule of h.nodeWide ?? []) wide.push(...(x.general.get(rule) ?? []));
  const results = list.length + wide.length === 0 ? NONE : [...list, ...wide];
  let status: Status | null = null;
  for (const r of results) status = status ? worse(status, r.status) : r.status;
  return { results, status, judges: list.length > 0 || wide.some((r) => r.status !== 'pass') };
}

/**
 * Per published port, per node, the hops of HOPS with the results that judge each. Ports are those
 * the per-port rules name in their subjects, on any node; a node where a rule could not look (a
 * skip or error without a subject) shows that at the hop for every port.
 */
export function portPaths(results: Result[], rows: ReportView['rows']): PortView[] {
  const perPortRules = new Set(HOPS.flatMap((h) => h.perPort));
  const nodeWideRules = new Set(HOPS.flatMap((h) => h.nodeWide ?? []));
  const perBackendRules = new Set(HOPS.flatMap((h) => h.perBackend ?? []));
  const nodes = new Map<string, NodeIndex>();
  const index = (n: string) => {
    let x = nodes.get(n);
    if (!x) {
      x = { perPort: new Map(), general: new Map(), markToPort: new Map(), backends: new Map(), unplaced: [] };
      nodes.set(n, x);
    }
    return x;
  };
  const ports = new Set<string>();
  const backendResults: Result[] = [];
  for (const r of results) {
    if (r.node === null) continue;
    const general = r.subject === '' && (r.status === 'skip' || r.status === 'error');
    if (perPortRules.has(r.rule)) {
      const x = index(r.node);
      if (general) {
        pushTo(x.general, r.rule, r);
        continue;
      }
      const m = PORT_SUBJECT.exec(r.subject);
      if (!m) continue;
      ports.add(m[1]);
      let byPort = x.perPort.get(r.rule);
      if (!byPort) x.perPort.set(r.rule, (byPort = new Map()));
      pushTo(byPort, m[1], r);
      if (m[2] && r.rule === 'fwmark-has-backend') x.markToPort.set(m[2], m[1]);
    } else if (nodeWideRules.has(r.rule)) {
      pushTo(index(r.node).general, r.rule, r);
    } else if (perBackendRules.has(r.rule)) {
      if (general) pushTo(index(r.node).general, r.rule, r);
      else if (r.status !== 'pass') backendResults.push(r);
    }
  }
  // Backends after the marks are all known.
  for (const r of backendResults) {
    const x = index(r.node!);
    const marks = Array.isArray(r.evidence.fwmarks) ? r.evidence.fwmarks.filter((m): m is string => typeof m === 'string') : [];
    const placed = [...new Set(marks.map((m) => x.markToPort.get(m)).filter((p): p is string => p !== undefined))];
    if (placed.length === 0) x.unplaced.push(r);
    for (const p of placed) pushTo(x.backends, p, r);
  }

  const keys = [...ports].sort((a, b) => {
    const [pa, na] = a.split('/');
    const [pb, nb] = b.split('/');
    return pa === pb ? Number(na) - Number(nb) : pa < pb ? -1 : 1;
  });
  const nodeRows = rows.map((r, i) => ({ ...r, i })).filter((r) => !r.cluster);
  // Per node, per hop: what holds for every port there, worked out once.
  const sharedOf = new Map<NodeIndex, NodeHop[]>();
  const nodeHops = (x: NodeIndex): NodeHop[] => {
    let hs = sharedOf.get(x);
    if (!hs) sharedOf.set(x, (hs = HOPS.map((h) => nodeHop(x, h))));
    return hs;
  };
  return keys.map((key) => {
    let worst: Status | null = null;
    let brokenNodes = 0;
    const paths = nodeRows.map(({ label, i }): NodePath => {
      const x = nodes.get(label);
      const shared = x ? nodeHops(x) : undefined;
      const hops = HOPS.map((h, k): HopView => {
        const own: Result[] = [];
        if (x) {
          for (const rule of h.perPort) own.push(...(x.perPort.get(rule)?.get(key) ?? []));
          for (const rule of h.perBackend ?? []) own.push(...(x.backends.get(key) ?? []).filter((r) => r.rule === rule));
        }
        const n = shared?.[k];
        // A node-wide pass (IPVS is there) says nothing of this port: alone it leaves the hop unchecked.
        if (!(own.length > 0 || n?.judges)) return { status: null, results: own, shared: n?.results ?? NONE };
        let status: Status | null = n?.status ?? null;
        for (const r of own) status = status ? worse(status, r.status) : r.status;
        return { status, results: own, shared: n?.results ?? NONE };
      });
      const broken = hops.findIndex((h) => h.status === 'fail');
      if (broken >= 0) brokenNodes++;
      for (const h of hops) if (h.status) worst = worst ? worse(worst, h.status) : h.status;
      return { row: i, hops, broken };
    });
    return { key, worst, brokenNodes, paths };
  });
}
