/* Batch C: the swarm's services and networks, as cluster views for the rules that read them. */
import type { DockerInfo, SwarmNode, SwarmService, SwarmTask } from '../parse/docker.js';
import { make } from './classes.js';

/** Task states in swarmkit's order; a state after `running` is terminal. */
const TASK_STATES = ['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running', 'complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned'];
const RUNNING = TASK_STATES.indexOf('running');
const upToRunning = (s: string) => {
  const i = TASK_STATES.indexOf(s);
  return i >= 0 && i <= RUNNING;
};

/**
 * Whether swarmkit still holds the task's network addresses: its allocator releases them only when
 * both the desired and the actual state are past running (allocator.go, taskDead).
 */
export function holdsAddresses(t: Pick<SwarmTask, 'desiredState' | 'state'>): boolean {
  return upToRunning(t.desiredState) || upToRunning(t.state);
}

/** Addresses an IPv4 subnet can hand out: all but network, broadcast and the gateway; -1 when not an IPv4 prefix up to /30. */
export function usableIpv4(cidr: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255)) return -1;
  const len = Number(m[5]);
  if (len > 30) return -1;
  return 2 ** (32 - len) - 3;
}

/** Each node model's parsed docker info (node models keep only some of its fields). */
const infoOf = new WeakMap<object, DockerInfo>();

export function rememberInfo(node: object, info: DockerInfo | undefined): void {
  if (info) infoOf.set(node, info);
}

type NodeLike = { name: string; inputs: Map<string, { file: string }>; [field: string]: unknown };
type NetworkLike = { id: string; name: string; subnets: string[] };
const networksOf = (n: NodeLike) => n.networks as Map<string, NetworkLike>;

export interface SwarmInputs {
  /** The node models (buildNode's). */
  nodes: NodeLike[];
  swarmNodes: SwarmNode[];
  services: SwarmService[];
  tasks: SwarmTask[];
  servicesFile: string;
  ingressNetworkId: string;
}

/** The cluster fields of batch C (see schemas/snapshot.schema.json, Cluster). */
export function swarmViews(x: SwarmInputs): Record<string, unknown> {
  // The ingress subnet, from the first node that has the ingress network.
  let ingressSubnet = '';
  let ingressFile = '';
  for (const n of x.nodes) {
    const ing = networksOf(n).get('ingress');
    const v4 = ing?.subnets.find((s) => s.includes('.'));
    if (v4) {
      ingressSubnet = v4;
      ingressFile = n.inputs.get('network.ingress')?.file ?? '';
      break;
    }
  }

  const networkNameById = new Map<string, string>();
  for (const n of x.nodes) for (const net of networksOf(n).values()) if (net.id && !networkNameById.has(net.id)) networkNameById.set(net.id, net.name);
  for (const t of x.tasks) for (const a of t.attachments) if (a.networkId && !networkNameById.has(a.networkId)) networkNameById.set(a.networkId, a.networkName);

  // Capacity: one address per ingress VIP, per task attachment not yet released, per node's sbox.
  const ingressId = x.ingressNetworkId;
  const publishesIngress = (s: SwarmService) => s.ports.some((p) => p.publishMode === 'ingress');
  const vips = x.services.filter((s) => s.endpointMode !== 'dnsrr' && (publishesIngress(s) || (ingressId !== '' && s.virtualIPs.some((v) => v.networkId === ingressId)))).length;
  let taskAddresses = 0;
  for (const t of x.tasks) {
    if (!holdsAddresses(t)) continue;
    for (const a of t.attachments) if (a.ingress || (ingressId !== '' && a.networkId === ingressId)) taskAddresses += a.addresses.length;
  }
  const sboxes = Math.max(x.swarmNodes.length, x.nodes.length);
  const usable = ingressSubnet ? usableIpv4(ingressSubnet) : -1;
  const used = vips + taskAddresses + sboxes;
  const ingressCapacity = make('IngressCapacity', {
    known: usable > 0,
    subnet: ingressSubnet,
    usable: Math.max(usable, 0),
    vips,
    taskAddresses,
    sboxes,
    used,
    percent: usable > 0 ? Math.floor((used * 100) / usable) : 0,
    file: ingressFile,
  });

  // The data-path port where a node's info prints it (managers); workers take the swarm's.
  const dataPathPorts: unknown[] = [];
  for (const n of x.nodes) {
    const info = infoOf.get(n);
    if (info?.dataPathPortSet) dataPathPorts.push(make('DataPathPort', { node: n.name, port: info.dataPathPort, file: n.inputs.get('info')?.file ?? '', line: info.dataPathPortLine }));
  }

  const runningServicesByNode = new Map<string, Map<string, boolean>>();
  for (const t of x.tasks) {
    if (t.desiredState !== 'running' || t.state !== 'running' || !t.nodeId) continue;
    let set = runningServicesByNode.get(t.nodeId);
    if (!set) runningServicesByNode.set(t.nodeId, (set = new Map()));
    set.set(t.serviceId, true);
  }
  const nodeIdByHostname = new Map<string, string>();
  for (const n of x.swarmNodes) if (n.hostname && !nodeIdByHostname.has(n.hostname)) nodeIdByHostname.set(n.hostname, n.id);

  const hostPorts: unknown[] = [];
  for (const s of x.services) {
    for (const p of s.ports) {
      if (p.publishMode !== 'host') continue;
      hostPorts.push(make('HostPort', { key: `${p.protocol}/${p.publishedPort}`, serviceId: s.id, service: s.name, protocol: p.protocol, port: p.publishedPort, targetPort: p.targetPort, file: x.servicesFile, line: s.line }));
    }
  }

  return { ingressSubnet, networkNameById, ingressCapacity, dataPathPorts, runningServicesByNode, nodeIdByHostname, hostPorts };
}

/**
 * Workers print no Swarm.Cluster in `docker info`, so their info says nothing of the data-path port
 * and the parser's default (4789) stands in. When every node that does print it agrees, that is the
 * swarm's port: give it to the nodes that did not print one.
 */
export function swarmDataPathPort(nodes: NodeLike[]): void {
  const ports = new Set(nodes.filter((n) => infoOf.get(n)?.dataPathPortSet).map((n) => infoOf.get(n)!.dataPathPort));
  if (ports.size !== 1) return;
  const port = BigInt([...ports][0]);
  for (const n of nodes) if (!infoOf.get(n)?.dataPathPortSet) n.dataPathPort = port;
}
