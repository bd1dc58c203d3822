import type { ClusterModel, InputModel, IptablesModel, NodeModel } from '../model/build.js';
import { BAD_NEIGH, inputNotFound, ipv4Number } from '../model/build.js';
import { snapshotOf } from '../model/registry.js';
import { describeRule, hooksMemoKey, marked, reboundHop, walkHooks, walkHooksShared, type Hop, type Outcome, type HookStep, type Packet, type WalkResult } from './iptables.js';
import type { IptablesData } from '../parse/iptables.js';
import { arrivalDevice, inputFrom, isLocal, nodeAddress, OUTSIDE, routeDevice } from './mesh.js';

/*
 * One new connection to a published port, followed hop by hop through what a capture holds of one
 * node (and of the node that runs the task behind it): host raw / mangle / nat PREROUTING (the
 * DNAT), the routing decision, host FORWARD and POSTROUTING, then inside ingress_sbox mangle
 * PREROUTING (the MARK), the IPVS fwmark service, and for each backend the sbox's nat POSTROUTING
 * (the SNAT), its neighbour entry, the task and its node, and the VXLAN data port both ways.
 *
 * The iptables hops are walked by src/trace/iptables.ts (first match wins, jumps, policies, both
 * outcomes of a match it cannot decide). The hops that are not iptables are decided from the
 * captured state the matching rules read: the conntrack count against its maximum, ip_forward, the
 * route to the sbox, the IPVS table, the neighbour's MAC against the one the task's node reports,
 * the swarm's view of nodes and tasks. What is not captured is never guessed: a hop that needs it is
 * "assumed" (and listed), or, where it decides the path, the verdict is "uncertain".
 */

export type Verdict = 'delivered' | 'dropped' | 'uncertain' | 'partial';
/** pass: the packet goes on; stop: it ends here; uncertain: the walk cannot decide; assumed: not captured, taken as passing. */
export type HopStatus = 'pass' | 'stop' | 'uncertain' | 'assumed';

export interface TraceHop {
  /** node (the swarm's view), host (its iptables), routing, sbox (ingress_sbox's iptables), ipvs, neighbour, task, vxlan. */
  stage: string;
  /** What a person reads first: 'host nat DOCKER-INGRESS', 'routing', 'IPVS', ... */
  where: string;
  table: string;
  chain: string;
  status: HopStatus;
  /** What happened: 'jump DOCKER-INGRESS', 'DNAT', 'MARK 0x100', 'DROP', 'policy ACCEPT', 'forward via docker_gwbridge'. */
  effect: string;
  /** A sentence for the hops that are not just a rule (why it stops, what was assumed). */
  detail: string;
  /** The rule's text as captured ('' when the hop is no rule). */
  rule: string;
  file: string;
  line: number;
  /** For uncertain hops: the rules that could not be decided ('file:line uses -m X'). */
  undecided: string[];
  /** For a hop that stops the packet on state another rule of check names (a missing DNAT, ip_forward, ...): that rule's id; '' for a firewall rule or none. */
  namedBy: string;
}

export interface BackendTrace {
  address: string;
  port: number;
  weight: number;
  forward: string;
  /** The task that holds the address ('task web.1'), '' when the capture does not say. */
  task: string;
  /** The node that runs it (its swarm hostname), '' when unknown. */
  taskNode: string;
  verdict: 'delivered' | 'dropped' | 'uncertain';
  hops: TraceHop[];
  /** The hop that decided a drop or an uncertainty; null when delivered. */
  decisive: TraceHop | null;
}

export interface NodeTrace {
  node: string;
  protocol: string;
  port: number;
  /** 'tcp/8080' */
  key: string;
  src: string;
  /** The node's address the connection is made to ('' when the capture does not say). */
  dst: string;
  verdict: Verdict;
  /** One line: where it ends. */
  summary: string;
  /** The hops up to IPVS (the same for every backend). */
  hops: TraceHop[];
  /** IPVS's backends, each walked on its own (IPVS may pick any of them). */
  backends: BackendTrace[];
  /** The hop that decides the verdict: the drop, the undecidable rule; for delivered, the last hop. */
  decisive: TraceHop | null;
  undecided: string[];
  /** What the capture does not hold and the walk took as passing. */
  assumed: string[];
}

const STOP_ACTIONS = new Set(['DROP', 'REJECT']);

interface AddressLike {
  ifname: string;
  family: string;
  address: string;
  cidr: string;
}
interface SysctlLike {
  value: string;
  file: string;
  line: bigint;
}
interface SwarmNodeLike {
  id: string;
  hostname: string;
  state: string;
  line: bigint;
}
interface IpvsServiceLike {
  protocol: string;
  fwmark: bigint;
  scheduler: string;
  backends: { address: string; port: bigint; forward: string; weight: bigint; line: bigint }[];
  file: string;
  line: bigint;
}
interface NeighbourLike {
  address: string;
  lladdr: string;
  state: string;
  device: string;
  file: string;
  line: bigint;
}
interface VtepLike {
  node: string;
  vtep: string;
  holder: string;
  file: string;
  line: bigint;
}

const at = (h: { file: string; line: number }) => (h.file ? `${h.file}${h.line ? `:${h.line}` : ''}` : '');
export const hopAt = at;

const NONE: string[] = [];
const NO_HOPS: TraceHop[] = [];

function mkHop(x: Partial<TraceHop> & { stage: string; where: string; effect: string }): TraceHop {
  // Field by field, not a spread of defaults: a 50-node check makes millions of these.
  return {
    stage: x.stage, where: x.where, table: x.table ?? '', chain: x.chain ?? '', status: x.status ?? 'pass', effect: x.effect,
    detail: x.detail ?? '', rule: x.rule ?? '', file: x.file ?? '', line: x.line ?? 0, undecided: x.undecided ?? NONE, namedBy: x.namedBy ?? '',
  };
}

/** The captured input's state (present, missing, uncaptured, invalid); 'missing' for an input the node does not know. */
function input(node: NodeModel, id: string): InputModel | undefined {
  return node.inputs.get(id);
}
const present = (node: NodeModel, id: string) => input(node, id)?.status === 'present';


/** One step of walking iptables hooks: its hops as the trace shows them, and how it goes on. */
interface Group {
  hops: TraceHop[];
  /** The outcome the walk goes on with; undefined when every way stops here. */
  cont?: Outcome;
  /** Some way stops here (alone, or next to one that goes on). */
  stop?: TraceHop;
  /** Ways that go on differently (another mark, another DNAT): only the first is followed. */
  divergent: boolean;
  undecided: string[];
  /** A remembered group's last copy for another mark (withMark): the backends of one port share one. */
  marked?: Group;
}

function ruleHop(ns: string, h: Hop, status: HopStatus): TraceHop {
  return mkHop({ stage: ns, where: `${ns} ${h.table} ${h.chain}`, table: h.table, chain: h.chain, status, effect: h.effect, rule: h.kind === 'rule' ? h.text : '', file: h.file, line: h.line });
}

const sameWay = (a: Outcome, b: Outcome) => a.action === b.action && a.toAddress === b.toAddress && a.toPort === b.toPort && a.mark === b.mark;

/** A walk over some hooks as hops: every way it ends was followed; the first that goes on is shown. */
function group(ns: string, w: WalkResult, full = true): Group {
  if (w.outcomes.length === 1 && w.outcomes[0].undecided.length === 0 && !STOP_ACTIONS.has(w.outcomes[0].action)) {
    // The usual walk: one way, decided all along, going on (its hops are made only for a full trace).
    const o = w.outcomes[0];
    if (!full) return { hops: NO_HOPS, cont: o, divergent: false, undecided: NONE };
    const hops: TraceHop[] = new Array(o.hops.length);
    for (let i = 0; i < o.hops.length; i++) hops[i] = ruleHop(ns, o.hops[i], 'pass');
    return { hops, cont: o, divergent: false, undecided: NONE };
  }
  const passes = w.outcomes.filter((o) => !STOP_ACTIONS.has(o.action));
  const stops = w.outcomes.filter((o) => STOP_ACTIONS.has(o.action));
  const undecided = [...new Set(w.outcomes.flatMap((o) => o.undecided))];
  const stopped = (o: Outcome) => `${o.action === 'REJECT' ? 'rejected' : 'dropped'} at ${describeRule(o.at)}`;
  if (passes.length === 0) {
    const o = stops[0];
    const hops = o.hops.map((h, i) => ruleHop(ns, h, i === o.hops.length - 1 ? 'stop' : 'pass'));
    const last = hops[hops.length - 1];
    last.undecided = undecided;
    if (stops.length > 1 && undecided.length) last.detail = `every way is stopped (it could not decide ${undecided.join('; ')}; each way ends in a DROP or REJECT)`;
    return { hops, stop: last, divergent: false, undecided };
  }
  const o = passes[0];
  const hops = o.hops.map((h) => ruleHop(ns, h, 'pass'));
  const divergent = passes.some((p) => !sameWay(p, o));
  if (stops.length || divergent) {
    const first = undecided[0] ?? '';
    const m = /^(.*?):(\d+) /.exec(first);
    const u = mkHop({
      stage: ns,
      where: `${ns} ${o.at.table} ${o.at.chain}`,
      table: o.at.table,
      chain: o.at.chain,
      status: 'uncertain',
      effect: 'cannot decide',
      detail: `cannot decide: ${undecided.join('; ')}; ${stops.length ? `one way it is ${stopped(stops[0])}` : 'the ways go on differently (another mark or address)'}, the walk follows the other`,
      file: m?.[1] ?? '',
      line: m ? Number(m[2]) : 0,
      undecided,
    });
    hops.unshift(u);
    return { hops, cont: o, stop: stops.length ? u : undefined, divergent: divergent || stops.length > 0, undecided };
  }
  return { hops, cont: o, divergent: false, undecided };
}

/** The hooks walked, as constant lists (hooksMemoKey remembers per list whether its chains depend on the port). */
const HOST_RAW = [{ table: 'raw', chain: 'PREROUTING' }];
const HOST_MANGLE_PRE = [{ table: 'mangle', chain: 'PREROUTING' }];
const HOST_NAT_PRE = [{ table: 'nat', chain: 'PREROUTING' }];
const HOST_INPUT = [{ table: 'mangle', chain: 'INPUT' }, { table: 'filter', chain: 'INPUT' }];
const HOST_MANGLE_FWD = [{ table: 'mangle', chain: 'FORWARD' }];
const HOST_FILTER_FWD = [{ table: 'filter', chain: 'FORWARD' }];
const POST = [{ table: 'mangle', chain: 'POSTROUTING' }, { table: 'nat', chain: 'POSTROUTING' }];
const SBOX_RAW_PRE = HOST_RAW;
const SBOX_MANGLE_PRE = HOST_MANGLE_PRE;
const SBOX_NAT_PRE = HOST_NAT_PRE;
const SBOX_MANGLE_INPUT = [{ table: 'mangle', chain: 'INPUT' }];
const SBOX_FILTER_INPUT = [{ table: 'filter', chain: 'INPUT' }];
const SBOX_OUT = [{ table: 'mangle', chain: 'OUTPUT' }, { table: 'filter', chain: 'OUTPUT' }, { table: 'mangle', chain: 'POSTROUTING' }];
const SBOX_SNAT = [{ table: 'nat', chain: 'POSTROUTING' }];

/** Per capture and namespace: the groups remembered by key (hooksMemoKey gives the same string for the same key). */
const groupMemo = new WeakMap<IptablesData, Map<string, Map<string, Group>>>();

/**
 * group() of a walk through hooks, remembered per namespace when no chain on the way depends on the
 * port or the mark (the walk of every backend through the sbox's OUTPUT and POSTROUTING, of every
 * port through POSTROUTING). The hops are shared between the traces that reach them: never changed.
 */
function walkGroup(ns: string, data: IptablesData, steps: HookStep[], packet: Packet, full = true): Group {
  // Hooks whose chains are all absent or without rules end alike for every packet (the mark passes).
  let still = stillMemo.get(steps);
  if (!still) stillMemo.set(steps, (still = new WeakMap()));
  let perNs = still.get(data);
  if (perNs === undefined) {
    perNs = steps.every((s) => (data.tables.get(s.table)?.get(s.chain)?.size ?? 0) === 0) ? new Map() : null;
    still.set(data, perNs);
  }
  if (perNs) {
    let g = perNs.get(ns);
    if (!g) perNs.set(ns, (g = group(ns, walkHooks(data, steps, packet))));
    return withMark(g, packet.mark);
  }
  const key = hooksMemoKey(data, steps, packet);
  // A walk that depends on the port or the mark: for a verdict only, shared by the nodes with the same rules.
  if (key === undefined) return group(ns, full ? walkHooks(data, steps, packet) : walkHooksShared(data, steps, packet), full);
  let perData = groupMemo.get(data);
  if (!perData) groupMemo.set(data, (perData = new Map()));
  let memo = perData.get(ns);
  if (!memo) perData.set(ns, (memo = new Map()));
  let g = memo.get(key);
  if (!g) {
    g = group(ns, walkHooks(data, steps, packet));
    if (memo.size < 4096) memo.set(key, g);
  }
  return withMark(g, packet.mark);
}

/**
 * A remembered group for a packet with this mark (which the hooks left as it was). The copy is kept
 * on the group until another mark asks: every backend of a port walks the sbox's OUTPUT and
 * POSTROUTING with the port's mark, one after another.
 */
function withMark(g: Group, mark: number): Group {
  if (!g.cont || g.cont.mark === mark) return g;
  const last = g.marked;
  if (last && last.cont!.mark === mark) return last;
  const copy: Group = { ...g, cont: { ...g.cont, mark }, marked: undefined };
  g.marked = copy;
  return copy;
}

/** Per list of steps and capture: null when some chain on it has rules, else its group per namespace. */
const stillMemo = new WeakMap<object, WeakMap<IptablesData, Map<string, Group> | null>>();

/** Per node: ingress_sbox's interface of each of its addresses, and its networks (no /32 VIPs). */
const sboxNets = new WeakMap<NodeModel, { own: Map<string, string>; nets: { net: number; mask: number; ifname: string }[] }>();

/** An IPv4 address as a number; NaN for anything else (it then matches no network). */
function ipNumber(ip: string): number {
  const n = ipv4Number(ip);
  return n < 0 ? NaN : n;
}

/** Per capture node: its swarm node, found once per cluster (every port of the node asks). */
const swarmNodes = new WeakMap<NodeModel, { cluster: ClusterModel; sn: SwarmNodeLike | undefined }>();

/** The swarm's node for a capture node: by node id, else by hostname or folder name. */
function swarmNodeOf(cluster: ClusterModel, node: NodeModel): SwarmNodeLike | undefined {
  let hit = swarmNodes.get(node);
  if (!hit || hit.cluster !== cluster) swarmNodes.set(node, (hit = { cluster, sn: findSwarmNode(cluster, node) }));
  return hit.sn;
}

function findSwarmNode(cluster: ClusterModel, node: NodeModel): SwarmNodeLike | undefined {
  const list = cluster.nodes as SwarmNodeLike[];
  return list.find((s) => node.nodeId && s.id === node.nodeId) ?? list.find((s) => s.hostname === (node.hostname || node.name)) ?? list.find((s) => s.hostname === node.name);
}

/** The capture node a swarm hostname names (its folder or its hostname). */
function captureNode(nodes: NodeModel[], hostname: string): NodeModel | undefined {
  return nodes.find((n) => n.hostname === hostname) ?? nodes.find((n) => n.name === hostname);
}

/**
 * Per snapshot: the capture node and the swarm's node for each hostname a task runs on, looked up
 * once (a 50-node check asks for every backend of every port of every node).
 */
const hostLookups = new WeakMap<NodeModel[], { cluster: ClusterModel; hosts: Map<string, { taskNode: NodeModel | undefined; swarmNode: SwarmNodeLike | undefined }> }>();

function taskHost(ctx: Context, hostname: string): { taskNode: NodeModel | undefined; swarmNode: SwarmNodeLike | undefined } {
  let l = hostLookups.get(ctx.nodes);
  if (!l || l.cluster !== ctx.cluster) hostLookups.set(ctx.nodes, (l = { cluster: ctx.cluster, hosts: new Map() }));
  const m = l.hosts;
  let h = m.get(hostname);
  if (!h) m.set(hostname, (h = { taskNode: captureNode(ctx.nodes, hostname), swarmNode: (ctx.cluster.nodes as SwarmNodeLike[]).find((s) => s.hostname === hostname) }));
  return h;
}

function sysctl(node: NodeModel, map: 'hostSysctlEntries' | 'sboxSysctlEntries', key: string): SysctlLike | undefined {
  return (node[map] as Map<string, SysctlLike>).get(key);
}

/** The interface of ingress_sbox that holds an address, or whose network holds it. */
function sboxIface(node: NodeModel, ip: string, own: boolean): string | undefined {
  let s = sboxNets.get(node);
  if (!s) {
    const addrs = (node.sboxAddresses as AddressLike[]).filter((a) => a.family === 'inet');
    const nets = addrs.filter((a) => !a.cidr.endsWith('/32')).map((a) => {
      const bits = Number(a.cidr.split('/')[1]);
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      return { net: (ipNumber(a.address) & mask) >>> 0, mask, ifname: a.ifname };
    });
    s = { own: new Map(), nets };
    for (const a of addrs) if (!s.own.has(a.address)) s.own.set(a.address, a.ifname);
    sboxNets.set(node, s);
  }
  if (own) return s.own.get(ip);
  const n = ipNumber(ip);
  return s.nets.find((a) => ((n & a.mask) >>> 0) === a.net)?.ifname;
}

/**
 * Whether a table of the host or the sbox was captured: its input was read (a whole `iptables-save`
 * without a `*raw` section means an empty raw table: the kernel has not loaded it), or it is there.
 */
function captured(node: NodeModel, ns: 'host' | 'sbox', table: string): boolean {
  let m = capturedTables.get(node);
  if (!m) capturedTables.set(node, (m = { host: new Map(), sbox: new Map() }));
  let c = m[ns].get(table);
  if (c === undefined) m[ns].set(table, (c = present(node, `${ns}.iptables.${table}`) || (node[ns] as IptablesModel).parsed.tables.has(table)));
  return c;
}
/** Per node: captured() per namespace and table, asked by every walk of every port. */
const capturedTables = new WeakMap<NodeModel, Record<'host' | 'sbox', Map<string, boolean>>>();

/** The tables of a list of hooks, once each (the lists are constants: made once). */
function tablesOf(steps: { table: string }[]): string[] {
  let t = stepTables.get(steps);
  if (!t) stepTables.set(steps, (t = [...new Set(steps.map((s) => s.table))]));
  return t;
}
const stepTables = new WeakMap<object, string[]>();

/** What every backend of every port of a node reads of its sbox: read once per node. */
interface SboxFacts {
  ipvsFile: string;
  vsConntrack: SysctlLike | undefined;
  natCaptured: boolean;
  neighPresent: boolean;
  neighFile: string;
}
const sboxFactsMemo = new WeakMap<NodeModel, SboxFacts>();

function sboxFacts(node: NodeModel): SboxFacts {
  let f = sboxFactsMemo.get(node);
  if (!f) {
    f = {
      ipvsFile: input(node, 'sbox.ipvs')?.file ?? '',
      vsConntrack: sysctl(node, 'sboxSysctlEntries', 'net.ipv4.vs.conntrack'),
      natCaptured: captured(node, 'sbox', 'nat'),
      neighPresent: present(node, 'sbox.neigh'),
      neighFile: input(node, 'sbox.neigh')?.file ?? '',
    };
    sboxFactsMemo.set(node, f);
  }
  return f;
}

type OwnerLike = { node: string; name: string; mac: string; file: string };

/** What every backend reads of the swarm: the task list's state, and per ingress address its VTEP entry and its endpoint, in one lookup. */
interface ClusterFacts {
  tasksPresent: boolean;
  tasksFile: string;
  byAddress: Map<string, { vtep?: VtepLike; owner?: OwnerLike }>;
}
const clusterFactsMemo = new WeakMap<ClusterModel, ClusterFacts>();

function clusterFacts(cluster: ClusterModel): ClusterFacts {
  let f = clusterFactsMemo.get(cluster);
  if (!f) {
    const byAddress = new Map<string, { vtep?: VtepLike; owner?: OwnerLike }>();
    for (const [ip, vtep] of cluster.ingressVtepByIp as Map<string, VtepLike>) byAddress.set(ip, { vtep });
    for (const [ip, owner] of cluster.ingressEndpointByIp as Map<string, OwnerLike>) {
      const held = byAddress.get(ip);
      if (held) held.owner = owner;
      else byAddress.set(ip, { owner });
    }
    const tasks = cluster.inputs.get('cluster.tasks');
    f = { tasksPresent: tasks?.status === 'present', tasksFile: tasks?.file ?? '', byAddress };
    clusterFactsMemo.set(cluster, f);
  }
  return f;
}

/** A service's backends with a weight: its own list when all have one (nearly always: no copy). */
function liveBackends(svc: IpvsServiceLike): IpvsServiceLike['backends'] {
  const all = svc.backends;
  for (let i = 0; i < all.length; i++) if (all[i].weight <= 0n) return all.filter((b) => b.weight > 0n);
  return all;
}

interface Context {
  nodes: NodeModel[];
  cluster: ClusterModel;
}

/** Memo of per node pair VXLAN checks: a 50-node check asks the same pair for every port. */
const vxlanMemo = new WeakMap<NodeModel, Map<string, { hops: TraceHop[]; assumed: string[] }>>();
/** The last trace of each node: asked again for the same port (a rule's message, evidence and remediation), it is not walked again. */
const lastTrace = new WeakMap<NodeModel, { key: string; trace: NodeTrace }>();

/**
 * A node's trace of a port. Only the last one per node is kept: a check walks every port of every
 * node once, and keeping 25,000 walks of a 50-node capture alive costs more in garbage collection
 * than walking one again.
 */
export function traceNode(node: NodeModel, protocol: string, port: number, src = OUTSIDE, ctx?: Context): NodeTrace {
  const key = `${protocol}/${port} ${src}`;
  const hit = lastTrace.get(node);
  if (hit && hit.key === key) return hit.trace;
  const c = ctx ?? snapshotOf(node);
  if (!c) throw new Error(`node ${node.name} belongs to no snapshot`);
  const trace = new NodeWalk(c, node, protocol, port, src).run();
  lastTrace.set(node, { key, trace });
  return trace;
}

/** The last view of each node's check walk (see traceForCheck), as lastTrace. */
const lastView = new WeakMap<NodeModel, { key: string; view: TraceView }>();

/**
 * A node's trace of a port as the check's rule reads it. A delivered walk is shown by its verdict,
 * its tasks and its last hop, so it is first walked for its verdict only, without making the hops
 * the packet passes (a 50-node check walks 25,000 ports, nearly all delivered); any other verdict
 * is walked again in full, for the hops that tell where and why.
 */
export function traceForCheck(node: NodeModel, protocol: string, port: number, src = OUTSIDE): TraceView {
  const key = `${protocol}/${port} ${src}`;
  const hit = lastView.get(node);
  if (hit && hit.key === key) return hit.view;
  const c = snapshotOf(node);
  if (!c) throw new Error(`node ${node.name} belongs to no snapshot`);
  const walk = new NodeWalk(c, node, protocol, port, src, false);
  const lean = walk.run();
  let view: TraceView;
  if (lean.verdict === 'delivered') view = traceView(lean);
  else if ((lean.verdict === 'dropped' || lean.verdict === 'partial') && !walk.undecidable) {
    // A drop that no undecidable rule touched: the verdict-only walk made every hop that decides it,
    // so its view is the full walk's but for the way there (hops), walked in full when first read:
    // a failure's evidence reads it; a pass, for a drop another rule names (a broken swarm's usual
    // case: every port of every node), does not.
    view = traceView(lean, () => traceView(traceNode(node, protocol, port, src, c)).hops);
  } else view = traceView(traceNode(node, protocol, port, src, c));
  lastView.set(node, { key, view });
  return view;
}

/** Trace a port on several nodes of a snapshot. */
export function traceNodes(snap: Context, protocol: string, port: number, src = OUTSIDE, only?: string[]): NodeTrace[] {
  return snap.nodes.filter((n) => !only?.length || only.includes(n.name)).map((n) => traceNode(n, protocol, port, src, snap));
}

class NodeWalk {
  private hops: TraceHop[] = [];
  private assumed: string[] = [];
  private undecided: string[] = [];
  /** Some way ended (or went on differently) at an undecidable rule on the way. */
  private forked = false;
  /** Some walk of iptables met a rule it could not decide (its hops then carry what it could not). */
  undecidable = false;
  private readonly key: string;

  constructor(
    private ctx: Context,
    private node: NodeModel,
    private protocol: string,
    private port: number,
    private src: string,
    /**
     * False for a verdict only (the check's rule): the hops a packet passes are not made, only those
     * that decide. Such a walk that is not delivered is walked again in full (traceForCheck).
     */
    private full = true,
  ) {
    this.key = `${protocol}/${port}`;
  }

  private result(verdict: Verdict, decisive: TraceHop | null, backends: BackendTrace[] = [], summary = ''): NodeTrace {
    return {
      node: this.node.name, protocol: this.protocol, port: this.port, key: this.key, src: this.src, dst: nodeAddress(this.node),
      verdict, summary: summary || summarize(verdict, decisive), hops: this.hops, backends, decisive,
      undecided: unique(this.undecided, backendUndecided(backends)),
      assumed: unique(this.assumed, NONE),
    };
  }

  private stop(h: TraceHop): NodeTrace {
    h.status = 'stop';
    this.hops.push(h);
    return this.result('dropped', h);
  }

  private unsure(h: TraceHop): NodeTrace {
    h.status = 'uncertain';
    this.hops.push(h);
    return this.result('uncertain', h);
  }

  /** Walk hooks of the host or the sbox; undefined when every way stops (the trace ends). */
  private walk(ns: 'host' | 'sbox', ipt: IptablesModel, steps: HookStep[], packet: Packet, into: TraceHop[], assumedTables = true): Group {
    if (assumedTables) for (const t of tablesOf(steps)) if (!captured(this.node, ns, t)) this.assumed.push(`${ns} ${t} table not captured: taken as letting the packet through`);
    const g = walkGroup(ns, ipt.parsed, steps, packet, this.full);
    if (g.undecided.length > 0) this.undecidable = true;
    if (this.full) for (const h of g.hops) into.push(h);
    if (g.cont && g.divergent) {
      this.forked = true;
      this.undecided.push(...g.undecided);
    }
    return g;
  }

  run(): NodeTrace {
    const { node, ctx } = this;
    const cluster = ctx.cluster;
    const nodesFile = cluster.inputs.get('cluster.nodes')?.file ?? '';
    const sn = swarmNodeOf(cluster, node);
    if (sn && sn.state && sn.state !== 'ready') {
      return this.stop(mkHop({ stage: 'node', where: 'swarm', effect: `node ${sn.state}`, detail: `the swarm lists ${sn.hostname} as ${sn.state}: its engine does not run the routing mesh, so nothing on it answers ${this.key}`, file: nodesFile, line: Number(sn.line), namedBy: 'swarm-nodes-ready' }));
    }
    if (sn) {
      if (this.full) this.hops.push(mkHop({ stage: 'node', where: 'swarm', effect: `node ${sn.state}`, file: nodesFile, line: Number(sn.line) }));
    } else if (cluster.inputs.get('cluster.nodes')?.status === 'present') this.assumed.push(`the swarm's node list has no ${node.name}: taken as ready`);

    const host = node.host as IptablesModel;
    if (!host.present) {
      const i = input(node, 'host.iptables.filter');
      return this.unsure(mkHop({ stage: 'host', where: 'host iptables', effect: 'not captured', detail: `the capture has no host iptables for ${node.name}${i?.message ? ` (${i.message})` : ''}: the walk cannot start`, file: i?.file ?? '' }));
    }
    const dst = nodeAddress(node);
    if (!dst) return this.unsure(mkHop({ stage: 'host', where: 'host', effect: 'no address', detail: `the node's own address is unknown (no Swarm.NodeAddr in info.json, no host addresses): nothing to connect to` }));
    const proto = this.protocol;
    const packet: Packet = { proto, src: this.src, dst, dport: this.port, inIface: arrivalDevice(node, this.src), outIface: '', ctstate: ['NEW'], mark: 0, dstLocal: true, srcLocal: srcIsLocal(node, this.src), ipvs: false, tcpFlags: proto === 'tcp' ? ['SYN'] : undefined };
    if (packet.inIface === undefined) this.assumed.push(`the interface a packet from ${this.src} arrives on is unknown (no routes or addresses): rules with -i are undecided`);

    // 1. raw PREROUTING, conntrack, mangle and nat PREROUTING.
    let g = this.walk('host', host, HOST_RAW, packet, this.hops);
    if (!g.cont) return this.result('dropped', g.stop!);
    const count = sysctl(node, 'hostSysctlEntries', 'net.netfilter.nf_conntrack_count');
    const max = sysctl(node, 'hostSysctlEntries', 'net.netfilter.nf_conntrack_max');
    if (count && max && /^\d+$/.test(count.value) && /^\d+$/.test(max.value)) {
      if (Number(count.value) >= Number(max.value)) {
        return this.stop(mkHop({ stage: 'host', where: 'host conntrack', effect: 'table full', detail: `nf_conntrack_count = ${count.value} and nf_conntrack_max = ${max.value}: the table is full, so the kernel drops the new connection ("nf_conntrack: table full, dropping packet")`, file: max.file, line: Number(max.line), namedBy: 'conntrack-not-full' }));
      }
      if (this.full) this.hops.push(mkHop({ stage: 'host', where: 'host conntrack', effect: `${count.value} of ${max.value}`, file: max.file, line: Number(max.line) }));
    } else this.assumed.push('nf_conntrack_count / nf_conntrack_max not captured: conntrack taken as having room');
    const natCaptured = captured(node, 'host', 'nat');
    g = this.walk('host', host, HOST_MANGLE_PRE, marked(packet, g.cont.mark), this.hops);
    if (!g.cont) return this.result('dropped', g.stop!);
    g = this.walk('host', host, HOST_NAT_PRE, marked(packet, g.cont.mark), this.hops);
    if (!g.cont) return this.result('dropped', g.stop!);
    if (!natCaptured) return this.unsure(mkHop({ stage: 'host', where: 'host nat PREROUTING', table: 'nat', chain: 'PREROUTING', effect: 'not captured', detail: `the capture has no host nat table: whether ${this.key} is DNATed to ingress_sbox cannot be decided` }));
    const pre = g.cont;
    const nat = pre.action === 'DNAT' ? pre : undefined;
    const fwdDst = nat?.toAddress || dst;
    const fwdPort = nat && nat.toPort ? nat.toPort : this.port;
    // A verdict-only walk of these hooks may be one another node of the same rules made: its last
    // rule (the DNAT, or where nat ended) is read at this node's own file and line.
    const preAt = this.full ? pre.at : reboundHop(host.parsed, pre.at);
    const dnatHop = nat ? (this.full ? this.hops[this.hops.length - 1] : ruleHop('host', preAt, 'pass')) : undefined;
    // A copy: the hop may be one of a remembered walk's, shared with other ports' traces.
    if (dnatHop) this.hops[this.hops.length - 1] = { ...dnatHop, effect: `DNAT to ${fwdDst}:${fwdPort}` };

    // 2. The routing decision.
    if (!nat) {
      const last = preAt;
      return this.stop(mkHop({ stage: 'routing', where: 'routing', table: last.table, chain: last.chain, effect: 'no DNAT: local', detail: `no rule of nat PREROUTING DNATs ${this.key}, so the packet is for ${dst} itself, where nothing listens on it (ingress-mode ports are not bound on the host); the walk of nat ended at ${describeRule(last)}`, rule: last.kind === 'rule' ? last.text : '', file: last.file, line: last.line, namedBy: (node.ingressDnatByPort as Map<string, unknown>).has(this.key) ? '' : 'published-port-has-dnat' }));
    }
    if (isLocal(node, fwdDst)) {
      const h: TraceHop[] = [];
      const gi = this.walk('host', host, HOST_INPUT, { ...packet, dst: fwdDst, dport: fwdPort, ctstate: ['NEW', 'DNAT'], mark: pre.mark }, h);
      this.hops.push(mkHop({ stage: 'routing', where: 'routing', effect: 'local delivery', detail: `${fwdDst} is an address of this node: INPUT, not FORWARD` }), ...h);
      if (!gi.cont) return this.result('dropped', gi.stop!);
      return this.unsure(mkHop({ stage: 'routing', where: 'host', effect: `to ${fwdDst}:${fwdPort} on the host`, detail: `the DNAT sends ${this.key} to the host itself (${fwdDst}:${fwdPort}), not to ingress_sbox: whether anything listens there is not captured`, file: dnatHop?.file ?? '', line: dnatHop?.line ?? 0 }));
    }
    const fwd = sysctl(node, 'hostSysctlEntries', 'net.ipv4.ip_forward');
    if (fwd && fwd.value !== '1') return this.stop(mkHop({ stage: 'routing', where: 'routing', effect: 'ip_forward off', detail: `${fwdDst} is not this node's: the packet must be forwarded, and net.ipv4.ip_forward = ${fwd.value}, so the kernel drops it`, file: fwd.file, line: Number(fwd.line), namedBy: 'ip-forward-enabled' }));
    if (!fwd) this.assumed.push('net.ipv4.ip_forward not captured: taken as 1');
    const sboxIp = node.sboxGwbridgeIp as string;
    const routes = node.routes as unknown[];
    let outIface = routeDevice(node, fwdDst);
    const routesFile = input(node, 'host.routes')?.file ?? '';
    if (routes.length === 0) {
      outIface = 'docker_gwbridge';
      this.assumed.push(`host routes not captured: ${fwdDst} taken as reached through docker_gwbridge`);
    }
    if (fwdDst === sboxIp && outIface !== 'docker_gwbridge') {
      return this.stop(mkHop({ stage: 'routing', where: 'routing', effect: outIface ? `via ${outIface}` : 'no route', detail: `the DNAT sends ${this.key} to ingress_sbox (${sboxIp}), but the route for it ${outIface ? `leaves by ${outIface}, not docker_gwbridge` : 'is missing (no route, no default)'}: the packet never reaches the sbox`, file: routesFile, namedBy: outIface ? 'gwbridge-subnet-no-overlap' : '' }));
    }
    if (!outIface) return this.stop(mkHop({ stage: 'routing', where: 'routing', effect: 'no route', detail: `no route for ${fwdDst}: the kernel drops the packet`, file: routesFile }));
    if (this.full) this.hops.push(mkHop({ stage: 'routing', where: 'routing', effect: `forward via ${outIface}`, detail: `${fwdDst} is not this node's: forwarded out of ${outIface}`, file: fwd?.file ?? '', line: Number(fwd?.line ?? 0) }));

    // 3. filter FORWARD (DOCKER-USER, DOCKER-INGRESS, isolation, the policy), then POSTROUTING.
    const fpk: Packet = { ...packet, dst: fwdDst, dport: fwdPort, outIface, dstLocal: isLocal(node, fwdDst), ctstate: ['NEW', 'DNAT'], mark: pre.mark };
    g = this.walk('host', host, HOST_MANGLE_FWD, fpk, this.hops);
    if (!g.cont) return this.result('dropped', g.stop!);
    g = this.walk('host', host, HOST_FILTER_FWD, marked(fpk, g.cont.mark), this.hops);
    if (!g.cont) return this.result('dropped', g.stop!);
    g = this.walk('host', host, POST, marked(fpk, g.cont.mark), this.hops, false);
    if (!g.cont) return this.result('dropped', g.stop!);
    const masq = g.cont.action === 'MASQUERADE' || g.cont.action === 'SNAT';

    // 4. docker_gwbridge: is the DNAT's address ingress_sbox?
    if (!sboxIp && inputNotFound(input(node, 'sbox.ipvs'))) {
      const i = input(node, 'sbox.ipvs');
      return this.stop(mkHop({ stage: 'sbox', where: 'ingress_sbox', effect: 'not there', detail: `ingress_sbox does not exist on this node (${i?.message || i?.error}): the DNAT sends ${this.key} to ${fwdDst}, where nothing answers`, file: i?.file ?? '', namedBy: 'sbox-present' }));
    }
    if (!sboxIp) return this.unsure(mkHop({ stage: 'routing', where: 'docker_gwbridge', effect: 'sbox address unknown', detail: `ingress_sbox's address on docker_gwbridge is unknown (no networks/docker_gwbridge.json with an ingress-sbox endpoint, no ingress_sbox/addr): cannot tell whether ${fwdDst} is it` }));
    if (fwdDst !== sboxIp) {
      return this.stop(mkHop({ stage: 'routing', where: 'docker_gwbridge', effect: `no ${fwdDst}`, detail: `the DNAT sends ${this.key} to ${fwdDst}, but ingress_sbox is ${sboxIp} on docker_gwbridge: nothing there answers for ${fwdDst}`, rule: dnatHop?.rule ?? '', file: dnatHop?.file ?? '', line: dnatHop?.line ?? 0, namedBy: 'dnat-target-is-sbox' }));
    }
    const sbox = node.sbox as IptablesModel;
    if (!sbox.present && !present(node, 'sbox.ipvs')) {
      const i = input(node, 'sbox.ipvs');
      const h = mkHop({ stage: 'sbox', where: 'ingress_sbox', effect: 'not there', detail: `ingress_sbox${inputNotFound(i) ? ' does not exist on this node' : ' was not captured'}${i?.message ? ` (${i.message})` : ''}`, file: i?.file ?? '', namedBy: inputNotFound(i) ? 'sbox-present' : '' });
      return inputNotFound(i) ? this.stop(h) : this.unsure(h);
    }

    // 5. Into ingress_sbox: PREROUTING (the MARK), INPUT (the packet is for the sbox), then IPVS.
    const inIface = sboxIface(node, sboxIp, true) ?? 'eth1';
    const spk: Packet = { proto, src: masq ? ((node.hostAddresses as AddressLike[]).find((a) => a.ifname === outIface && a.family === 'inet')?.address ?? this.src) : this.src, dst: sboxIp, dport: fwdPort, inIface, outIface: '', ctstate: ['NEW'], mark: 0, dstLocal: true, srcLocal: false, ipvs: false, tcpFlags: packet.tcpFlags };
    if (!sbox.present) this.assumed.push('ingress_sbox iptables not captured');
    const mangleCaptured = captured(node, 'sbox', 'mangle');
    let mark = 0;
    for (const steps of [SBOX_RAW_PRE, SBOX_MANGLE_PRE, SBOX_NAT_PRE, SBOX_MANGLE_INPUT, SBOX_FILTER_INPUT]) {
      g = this.walk('sbox', sbox, steps, marked(spk, mark), this.hops, false);
      if (!g.cont) return this.result('dropped', g.stop!);
      mark = g.cont.mark;
    }
    if (!mangleCaptured) return this.unsure(mkHop({ stage: 'sbox', where: 'sbox mangle PREROUTING', table: 'mangle', chain: 'PREROUTING', effect: 'not captured', detail: `ingress_sbox's mangle table is not captured: the mark IPVS balances ${this.key} by is unknown` }));
    if (!present(node, 'sbox.ipvs')) {
      const i = input(node, 'sbox.ipvs');
      return this.unsure(mkHop({ stage: 'ipvs', where: 'IPVS', effect: 'not captured', detail: `ingress_sbox's IPVS table is not captured${i?.message ? ` (${i.message})` : ''}: where the mark ${hex(mark)} goes is unknown`, file: i?.file ?? '' }));
    }
    const ipvsFile = input(node, 'sbox.ipvs')?.file ?? '';
    if (mark === 0) {
      const ch = sbox.parsed.tables.get('mangle')?.get('PREROUTING');
      return this.stop(mkHop({ stage: 'ipvs', where: 'sbox mangle PREROUTING', table: 'mangle', chain: 'PREROUTING', effect: 'no MARK', detail: `ingress_sbox's mangle PREROUTING marks nothing for ${this.key}: IPVS never sees the packet, which is for the sbox itself, where nothing listens`, file: ch?.file ?? '', line: ch?.line ?? 0, namedBy: (node.markByPort as Map<string, unknown>).has(this.key) ? '' : 'published-port-has-mark' }));
    }
    const svc = (node.ipvsByMark as Map<bigint, IpvsServiceLike>).get(BigInt(mark));
    if (!svc) {
      const marks = (node.ipvs as IpvsServiceLike[]).filter((s) => s.protocol === 'FWM').map((s) => String(s.fwmark));
      return this.stop(mkHop({ stage: 'ipvs', where: 'IPVS', effect: `no FWM ${mark}`, detail: `the packet carries mark ${hex(mark)} (${mark}), but IPVS has no FWM ${mark} service (${marks.length ? `it has FWM ${marks.join(', ')}` : 'it has no fwmark service'}): the packet is for the sbox itself, where nothing listens`, file: ipvsFile, namedBy: 'fwmark-has-backend' }));
    }
    const live = liveBackends(svc);
    const svcHop = mkHop({ stage: 'ipvs', where: 'IPVS', effect: `FWM ${mark} ${svc.scheduler}`, detail: `${live.length} of ${svc.backends.length} backend${svc.backends.length === 1 ? '' : 's'} with a weight`, file: svc.file, line: Number(svc.line) });
    if (live.length === 0) {
      const b = svc.backends[0];
      svcHop.detail = svc.backends.length ? `IPVS FWM ${mark} has ${svc.backends.length} backend${svc.backends.length === 1 ? '' : 's'}, all with weight 0: it sends new connections nowhere` : `IPVS FWM ${mark} has no backend: new connections go nowhere`;
      if (b) svcHop.line = Number(b.line);
      svcHop.namedBy = 'fwmark-has-backend';
      return this.stop(svcHop);
    }
    if (this.full) this.hops.push(svcHop);

    // 6. Each backend in turn.
    const backends = live.map((b, i) => this.backend(b, mark, spk, fwdPort, i === 0));
    const n = backends.length;
    const ok = backends.filter((b) => b.verdict === 'delivered');
    const dropped = backends.filter((b) => b.verdict === 'dropped');
    const unsure = backends.filter((b) => b.verdict === 'uncertain');
    let verdict: Verdict;
    let decisive: TraceHop | null;
    if (ok.length === n) {
      verdict = this.forked ? 'uncertain' : 'delivered';
      decisive = this.forked ? (this.hops.find((h) => h.status === 'uncertain') ?? null) : (backends[0].hops[backends[0].hops.length - 1] ?? null);
    } else if (dropped.length === n) {
      verdict = 'dropped';
      decisive = dropped[0].decisive;
    } else if (unsure.length === 0) {
      verdict = 'partial';
      decisive = dropped[0].decisive;
    } else {
      verdict = 'uncertain';
      decisive = unsure[0].decisive;
    }
    return this.result(verdict, decisive, backends, verdict === 'delivered' ? deliveredSummary(backends) : verdict === 'partial' ? `${deliveredSummary(ok)}, but ${dropped.length} of ${n} backends ${summarize('dropped', decisive)}` : '');
  }

  /**
   * One backend: the sbox's OUTPUT and POSTROUTING (the SNAT), its neighbour entry, the task, VXLAN.
   * `first`: the first backend, whose last hop a delivered verdict names (the only task hop a
   * verdict-only walk makes).
   */
  private backend(b: IpvsServiceLike['backends'][number], mark: number, spk: Packet, fwdPort: number, first: boolean): BackendTrace {
    const { node, ctx } = this;
    const hops: TraceHop[] = [];
    const port = Number(b.port) || fwdPort;
    const cf = clusterFacts(ctx.cluster);
    const sf = sboxFacts(node);
    const held = cf.byAddress.get(b.address);
    const vtep = held?.vtep;
    const task = vtep && vtep.holder !== 'ingress-sbox' ? vtep.holder : '';
    const out: BackendTrace = { address: b.address, port, weight: Number(b.weight), forward: b.forward, task, taskNode: vtep?.node ?? '', verdict: 'delivered', hops, decisive: null };
    const ipvsFile = sf.ipvsFile;
    if (this.full) hops.push(mkHop({ stage: 'ipvs', where: 'IPVS backend', effect: `${b.forward} ${b.address}:${Number(b.port)} weight ${Number(b.weight)}`, file: ipvsFile, line: Number(b.line) }));
    if (b.forward !== 'Masq') return endBackend(out, mkHop({ stage: 'ipvs', where: 'IPVS backend', effect: b.forward, detail: `IPVS forwards to ${b.address} by ${b.forward}, not Masq (NAT) as libnetwork sets it: the walk does not model that`, file: ipvsFile, line: Number(b.line) }), 'uncertain');

    // IPVS sends the packet out through OUTPUT and POSTROUTING, where the sbox SNATs it to its own ingress address.
    const sbox = node.sbox as IptablesModel;
    const outIface = sboxIface(node, b.address, false) ?? ((node.sboxIngressIfname as string) || 'eth0');
    const bpk: Packet = { ...spk, dst: b.address, dport: port, inIface: undefined, outIface, mark, ipvs: true, dstLocal: false, ctstate: ['NEW'] };
    const vsConntrack = sf.vsConntrack;
    let forked = false;
    const g1 = walkGroup('sbox', sbox.parsed, SBOX_OUT, bpk);
    if (g1.undecided.length > 0) this.undecidable = true;
    if (this.full) hops.push(...g1.hops);
    if (!g1.cont) return endedAt(out, g1.stop!);
    forked ||= g1.divergent;
    if (vsConntrack && vsConntrack.value !== '1') {
      return endBackend(out, mkHop({ stage: 'sbox', where: 'sbox IPVS conntrack', effect: `net.ipv4.vs.conntrack = ${vsConntrack.value}`, detail: `IPVS keeps no conntrack entry for its connections, so nat POSTROUTING's SNAT never applies: the task replies to ${this.src} directly, not through this sbox, and the reply is dropped`, file: vsConntrack.file, line: Number(vsConntrack.line), namedBy: 'ipvs-conntrack-enabled' }));
    }
    if (!sf.natCaptured) {
      hops.push(mkHop({ stage: 'sbox', where: 'sbox nat POSTROUTING', table: 'nat', chain: 'POSTROUTING', status: 'assumed', effect: 'not captured', detail: "ingress_sbox's nat table is not captured: its SNAT of IPVS traffic is taken as there" }));
      this.assumed.push("ingress_sbox's nat table not captured: its SNAT of IPVS traffic taken as there");
    } else {
      const g2 = walkGroup('sbox', sbox.parsed, SBOX_SNAT, marked(bpk, g1.cont.mark));
      if (g2.undecided.length > 0) this.undecidable = true;
      if (this.full) hops.push(...g2.hops);
      if (!g2.cont) return endedAt(out, g2.stop!);
      forked ||= g2.divergent;
      const a = g2.cont;
      if (a.action !== 'SNAT' && a.action !== 'MASQUERADE') {
        return endBackend(out, mkHop({ stage: 'sbox', where: 'sbox nat POSTROUTING', table: 'nat', chain: 'POSTROUTING', effect: 'no SNAT', detail: `no rule of ingress_sbox's nat POSTROUTING SNATs the IPVS connection to ${b.address}: the task replies to ${this.src} directly, not through this sbox, and the reply is dropped (the walk ended at ${describeRule(a.at)})`, rule: a.at.kind === 'rule' ? a.at.text : '', file: a.at.file, line: a.at.line, namedBy: 'sbox-snat-present' }));
      }
      if (a.action === 'SNAT' && a.toAddress && this.full) hops[hops.length - 1] = { ...hops[hops.length - 1], effect: `SNAT to ${a.toAddress}` };
    }

    // The sbox's neighbour entry for the backend, against the MAC its own node reports.
    const entry = (node.neighbourByIp as Map<string, NeighbourLike>).get(b.address);
    const owner = held?.owner;
    if (!sf.neighPresent) this.assumed.push("ingress_sbox's neighbour table not captured: backends taken as resolvable");
    else if (!entry) {
      if (this.full) hops.push(mkHop({ stage: 'neighbour', where: 'sbox neighbour', effect: 'no entry yet', detail: `ingress_sbox has no neighbour entry for ${b.address}: it will ask (the overlay answers by proxy ARP)`, file: sf.neighFile }));
    } else {
      const bad = BAD_NEIGH.has(entry.state);
      const other = !bad && owner?.mac && entry.lladdr && entry.lladdr !== owner.mac && entry.lladdr.toLowerCase() !== owner.mac.toLowerCase();
      const h = bad || other || this.full ? mkHop({ stage: 'neighbour', where: 'sbox neighbour', effect: `${entry.state} ${entry.lladdr}`.trim(), file: entry.file, line: Number(entry.line) }) : undefined;
      if (bad && h) {
        h.detail = `ingress_sbox's neighbour entry for ${b.address} is ${entry.state}: the sbox cannot reach that task`;
        h.namedBy = 'backend-in-arp';
        return endBackend(out, h);
      }
      if (other && h && owner) {
        h.detail = `ingress_sbox resolves ${b.address} to ${entry.lladdr}, but ${owner.node} holds it as ${owner.mac} (${owner.name}, ${owner.file}): frames for it go to no one`;
        h.namedBy = 'backend-in-arp';
        return endBackend(out, h);
      }
      if (h) hops.push(h);
    }

    // The task behind the address, and its node.
    if (!vtep || !task) {
      if (cf.tasksPresent && !vtep) return endBackend(out, mkHop({ stage: 'task', where: 'task', effect: 'no task', detail: `no running task of the swarm holds ${b.address}: a stale IPVS backend, whose connections go nowhere`, file: cf.tasksFile, namedBy: 'ipvs-backends-match-tasks' }));
      this.assumed.push(`the task behind ${b.address} is not known (no swarm view of tasks): taken as running`);
      hops.push(mkHop({ stage: 'task', where: 'task', status: 'assumed', effect: vtep ? `${vtep.holder} on ${vtep.node}` : 'unknown', detail: `the capture does not say which task holds ${b.address}` }));
      return out;
    }
    const { taskNode, swarmNode: tsn } = taskHost(ctx, vtep.node);
    if (tsn && tsn.state && tsn.state !== 'ready') {
      return endBackend(out, mkHop({ stage: 'task', where: 'task', effect: `${vtep.node} ${tsn.state}`, detail: `${task} (${b.address}) runs on ${vtep.node}, which the swarm lists as ${tsn.state}`, file: ctx.cluster.inputs.get('cluster.nodes')?.file ?? '', line: Number(tsn.line), namedBy: 'swarm-nodes-ready' }));
    }
    const local = taskNode === node || vtep.node === node.hostname || vtep.node === node.name;
    const taskHop = this.full || first ? mkHop({ stage: 'task', where: 'task', effect: `${task} on ${vtep.node}${local ? ' (this node)' : ''}`, file: vtep.file, line: Number(vtep.line) }) : undefined;
    if (!local) {
      // The VXLAN hops are remembered per pair of nodes and shared between traces: not changed.
      const vx = this.vxlan(taskNode, vtep, entry?.lladdr ?? owner?.mac ?? '');
      for (const h of vx) {
        if (h.status === 'stop' || h.status === 'uncertain') {
          if (taskHop) hops.push(taskHop);
          hops.push(h);
          out.verdict = h.status === 'stop' ? 'dropped' : 'uncertain';
          out.decisive = h;
          return out;
        }
      }
      for (const h of vx) hops.push(h);
    }
    if (taskHop) hops.push(taskHop);
    if (forked) {
      out.verdict = 'uncertain';
      out.decisive = hops.find((h) => h.status === 'uncertain') ?? null;
    }
    return out;
  }

  /**
   * VXLAN to the task's node: the overlay's FDB row for the task's MAC, the task node's INPUT for the
   * data port from here, and ours for the replies. The FDB hop is made per backend (each task has its
   * own MAC); the two INPUT hops are the same for every task on one node, and are remembered per pair
   * of nodes: keyed by MAC as well, a busy swarm's 50 nodes kept 100,000 copies of them (70 MB).
   */
  private vxlan(taskNode: NodeModel | undefined, vtep: VtepLike, mac: string): TraceHop[] {
    const { node } = this;
    // The FDB row that tunnels the task's MAC (when the overlay namespace was captured).
    let fdb: TraceHop | undefined;
    if (present(node, 'overlay.fdb') && mac) {
      const rows = ((node.overlayFdbByMac as Map<string, { dst: string; file: string; line: bigint }[]>).get(mac.toLowerCase()) ?? []).filter((r) => r.dst);
      if (rows.length === 0) {
        const file = input(node, 'overlay.fdb')?.file ?? '';
        return [mkHop({ stage: 'vxlan', where: 'overlay FDB', status: 'stop', effect: `no row for ${mac}`, detail: `the ingress overlay's VXLAN FDB has no row for ${mac} with a dst: frames for the task are tunnelled to no node`, file, namedBy: 'vxlan-fdb-complete' })];
      }
      if (vtep.vtep && !rows.some((r) => r.dst === vtep.vtep)) {
        return [mkHop({ stage: 'vxlan', where: 'overlay FDB', status: 'stop', effect: `to ${rows[0].dst}`, detail: `the ingress overlay tunnels ${mac} to ${rows.map((r) => r.dst).join(', ')}, but the task runs on ${vtep.node} (${vtep.vtep})`, file: rows[0].file, line: Number(rows[0].line), namedBy: 'vxlan-fdb-complete' })];
      }
      fdb = mkHop({ stage: 'vxlan', where: 'overlay FDB', effect: `${mac} via ${vtep.vtep}`, file: rows[0].file, line: Number(rows[0].line) });
    }
    const pair = this.vxlanPair(taskNode, vtep);
    for (const a of pair.assumed) this.assumed.push(a);
    return fdb ? [fdb, ...pair.hops] : pair.hops;
  }

  /** The task node's INPUT for VXLAN from here, and ours from it: remembered per pair of nodes, shared between traces (not changed). */
  private vxlanPair(taskNode: NodeModel | undefined, vtep: VtepLike): { hops: TraceHop[]; assumed: string[] } {
    const { node } = this;
    const memoKey = `${vtep.node} ${vtep.vtep}`;
    let memo = vxlanMemo.get(node);
    if (!memo) vxlanMemo.set(node, (memo = new Map()));
    const hit = memo.get(memoKey);
    if (hit) return hit;
    const hops: TraceHop[] = [];
    const assumed: string[] = [];
    const made = { hops, assumed };
    memo.set(memoKey, made);
    const dpp = Number(node.dataPathPort) || 4789;
    const data = `udp/${dpp}`;
    const self = nodeAddress(node);
    // There: the task's node takes VXLAN from this node's address.
    if (taskNode && self) {
      const h = vxlanInputHop(taskNode, taskNode.name, dpp, self, `vxlan to ${vtep.node}`, (g, last) => `${vtep.node}'s host ${last.table} ${last.chain} ${g.cont ? 'may stop' : 'stops'} VXLAN (${data}) from ${self}: the packet never reaches the task`);
      if (h) {
        hops.push(h);
        if (h.status !== 'pass') return made;
      } else assumed.push(`${vtep.node}'s host iptables not captured: VXLAN to it taken as accepted`);
    } else if (!taskNode) assumed.push(`${vtep.node} is not in the capture: its INPUT for VXLAN taken as open`);
    // Back: this node takes the task's replies, VXLAN from the task node's address.
    const peer = vtep.vtep || (taskNode ? nodeAddress(taskNode) : '');
    if (peer) {
      const h = vxlanInputHop(node, 'host', dpp, peer, `vxlan from ${vtep.node}`, (g, last) => `this node's host ${last.table} ${last.chain} ${g.cont ? 'may stop' : 'stops'} VXLAN (${data}) from ${vtep.node} (${peer}): the task's replies never arrive`);
      if (h) {
        if (h.status === 'stop') h.namedBy = 'swarm-ports-open';
        hops.push(h);
      }
    }
    return made;
  }
}

/**
 * One VXLAN hop: a node's INPUT for the data port from a peer's address, as one hop (the walk's last
 * rule, or the one that stops it). Undefined when that node's host iptables were not captured. A
 * stop is 'stop', or 'uncertain' when another way goes on; `why` says what the stop means.
 */
function vxlanInputHop(walked: NodeModel, ns: string, dpp: number, src: string, where: string, why: (g: Group, last: TraceHop) => string): TraceHop | undefined {
  const w = inputFrom(walked, 'udp', dpp, src);
  if (!w) return undefined;
  const data = `udp/${dpp}`;
  const g = group(ns, w);
  const last = g.stop ?? g.hops[g.hops.length - 1];
  const h = mkHop({ stage: 'vxlan', where, table: last?.table ?? '', chain: last?.chain ?? '', effect: g.stop ? `${data} ${g.stop.effect}` : `${data} accepted`, rule: last?.rule ?? '', file: last?.file ?? '', line: last?.line ?? 0, undecided: g.undecided });
  if (g.stop) {
    h.status = g.cont ? 'uncertain' : 'stop';
    h.detail = `${why(g, last!)}${g.cont ? ` (${last!.detail})` : ''}`;
  }
  return h;
}

/** A backend's walk ends at this hop, made for it: it is marked as where the walk stops. */
function endBackend(out: BackendTrace, h: TraceHop, v: 'dropped' | 'uncertain' = 'dropped'): BackendTrace {
  h.status = v === 'dropped' ? 'stop' : 'uncertain';
  out.hops.push(h);
  out.verdict = v;
  out.decisive = h;
  return out;
}

/** A backend's walk ended at a hop of a walk already on its way (shared by other traces: not changed). */
function endedAt(out: BackendTrace, h: TraceHop): BackendTrace {
  out.verdict = 'dropped';
  out.decisive = h;
  return out;
}

/**
 * Is the client's address one of the node's? From the captured addresses; without them, the
 * default client (TEST-NET-3, OUTSIDE) is no node's and the node's own address is its own.
 */
function srcIsLocal(node: NodeModel, src: string): boolean | undefined {
  return isLocal(node, src) ?? (src === OUTSIDE ? false : src === nodeAddress(node) ? true : undefined);
}

/** What the backends' hops could not decide (almost always nothing: no list is made then). */
function backendUndecided(backends: BackendTrace[]): string[] {
  let out: string[] | undefined;
  for (const b of backends) for (const h of b.hops) if (h.undecided.length) (out ??= []).push(...h.undecided);
  return out ?? NONE;
}

/** The strings of both lists, once each, in order (no allocation beyond the result when both are empty). */
function unique(a: string[], b: string[]): string[] {
  return a.length + b.length === 0 ? [] : [...new Set([...a, ...b])];
}

function hex(n: number): string {
  return '0x' + n.toString(16);
}

function deliveredSummary(bs: BackendTrace[]): string {
  // Only the backends it names (the first three) are written out.
  const name = (b: BackendTrace) => (b.task ? `${b.task} (${b.address}) on ${b.taskNode}` : b.address);
  if (bs.length === 1) return `delivered to ${name(bs[0])}`;
  let shown = name(bs[0]);
  for (let i = 1; i < Math.min(3, bs.length); i++) shown += ', ' + name(bs[i]);
  return `delivered to each of ${bs.length} backends: ${shown}${bs.length > 3 ? `, and ${bs.length - 3} more` : ''}`;
}

/** One line for a verdict and the hop that decided it. */
export function summarize(verdict: Verdict, h: TraceHop | null): string {
  if (!h) return verdict;
  const where = h.where + (h.file ? ` (${at(h)})` : '');
  if (verdict === 'dropped') return `dropped at ${where}: ${h.detail || `${h.effect}${h.rule ? ` by ${h.rule}` : ''}`}`;
  if (verdict === 'uncertain') return `uncertain at ${where}: ${h.detail || h.effect}`;
  return `${verdict} at ${where}`;
}

/** A trace as the rules see it (snapshot type Trace). */
export interface TraceView {
  verdict: string;
  port: string;
  src: string;
  summary: string;
  where: string;
  effect: string;
  detail: string;
  rule: string;
  at: string;
  file: string;
  line: number;
  tasks: string[];
  /** The rule of check that names the deciding hop ('' for a firewall rule, or none). */
  namedBy: string;
  hops: string[];
  undecided: string[];
  assumed: string[];
}

export function hopLine(h: TraceHop): string {
  return `${h.where}: ${h.effect}${h.file ? ` (${at(h)})` : ''}`;
}

/**
 * What the rules read of a trace. `fullHops`: the hops of the way are those of another walk, made
 * when first read (see traceForCheck); the view then has `hops` as a getter, and traceFields
 * hands it to the model as a lazy field.
 */
export function traceView(t: NodeTrace, fullHops?: () => string[]): TraceView {
  const d = t.decisive;
  const path = t.verdict === 'delivered' || fullHops ? [] : [...t.hops, ...(t.backends.find((b) => b.decisive === d)?.hops ?? [])];
  const view: TraceView = {
    verdict: t.verdict,
    port: t.key,
    src: t.src,
    summary: t.summary,
    where: d?.where ?? '',
    effect: d?.effect ?? '',
    detail: d?.detail ?? '',
    rule: d?.rule ?? '',
    at: d ? at(d) : '',
    file: d?.file ?? '',
    line: d?.line ?? 0,
    tasks: t.backends.filter((b) => b.verdict === 'delivered').map((b) => (b.task ? `${b.task.replace(/^task /, '')} on ${b.taskNode}` : b.address)),
    namedBy: t.verdict === 'dropped' || t.verdict === 'partial' ? (d?.namedBy ?? '') : '',
    // The way to a drop or an uncertainty; none for a delivered walk (a 50-node check has 25,000 of those).
    hops: path.map(hopLine),
    undecided: t.undecided,
    assumed: t.assumed,
  };
  if (fullHops) {
    let hops: string[] | undefined;
    const get = () => (hops ??= fullHops());
    Object.defineProperty(view, 'hops', { get, enumerable: true, configurable: true });
    lazyHops.set(view, get);
  }
  return view;
}

/** The views whose hops are made when first read, with what makes them. */
const lazyHops = new WeakMap<TraceView, () => string[]>();

/** A view's fields as the model's Trace is made from them: hops, when made on first read, as a function (a lazy field). */
export function traceFields(v: TraceView): Record<string, unknown> {
  const get = lazyHops.get(v);
  if (!get) return v as unknown as Record<string, unknown>;
  const f: Record<string, unknown> = {};
  for (const k of Object.keys(v)) if (k !== 'hops') f[k] = (v as unknown as Record<string, unknown>)[k];
  f.hops = get;
  return f;
}
