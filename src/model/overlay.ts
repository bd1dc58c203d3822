/*
 * The ingress network's overlay namespace (ingress_overlay/): the neighbour entries and VXLAN
 * forwarding rows libnetwork's overlay driver programs for every endpoint on another node, and the
 * swarm's view of where each endpoint lives, so a rule can hold the one against the other. Built
 * from parsed inputs in one pass each; rules read only these values.
 */
import type { FdbData } from '../parse/fdb.js';
import type { NeighData } from '../parse/net.js';
import type { SwarmNode, SwarmService, SwarmTask } from '../parse/docker.js';
import { make } from './classes.js';
import { pushTo } from '../util/obj.js';

/** dockerd's default exec root: where the remediation says to look (a node with --exec-root has its own). */
const EXEC_ROOT = '/run/docker';

/**
 * Per node: every neighbour entry and FDB row of the ingress overlay namespace (MACs lowercase, so
 * a neighbour's lladdr finds its rows), the rows by MAC, and the namespace's path in its first life
 * (`1-` and the first 10 characters of the ingress network id; '' when the id is unknown).
 */
export function overlayModel(
  neigh: NeighData | undefined,
  neighFile: string,
  fdb: FdbData | undefined,
  fdbFile: string,
  ingressId: string,
): { overlayNeighbours: unknown[]; overlayFdb: unknown[]; overlayFdbByMac: Map<string, unknown[]>; ingressOverlayNetns: string } {
  const overlayNeighbours = (neigh?.entries ?? []).map((n) => make('Neighbour', { ...n, lladdr: n.lladdr.toLowerCase(), file: neighFile }));
  const overlayFdb = (fdb?.entries ?? []).map((e) => make('FdbEntry', { ...e, file: fdbFile }));
  const overlayFdbByMac = new Map<string, unknown[]>();
  for (const e of overlayFdb as { mac: string }[]) pushTo(overlayFdbByMac, e.mac, e);
  return { overlayNeighbours, overlayFdb, overlayFdbByMac, ingressOverlayNetns: ingressOverlayNetns(ingressId) };
}

/** `/run/docker/netns/1-` and the first 10 characters of the network id; '' for no id. */
export function ingressOverlayNetns(ingressId: string): string {
  return ingressId ? `${EXEC_ROOT}/netns/${`1-${ingressId}`.slice(0, 12)}` : '';
}

type NodeLike = { name: string; hostname?: unknown; nodeAddr?: unknown; networks?: unknown; inputs: Map<string, { file: string }> };
type EndpointLike = { key: string; name: string; ipv4: string };
type NetworkLike = { containers: EndpointLike[]; peers: { name: string; ip: string }[] };

export interface UnderlayInputs {
  nodes: NodeLike[];
  swarmNodes: SwarmNode[];
  services: SwarmService[];
  tasks: SwarmTask[];
  nodesFile: string;
  tasksFile: string;
  ingressNetworkId: string;
}

/** An address a node may tunnel from: '' and 0.0.0.0 (what some engines print as a manager's Status.Addr) are none. */
const usable = (a: string) => a !== '' && a !== '0.0.0.0' && a !== '::';

/**
 * Swarm-wide: the underlay addresses of the swarm's nodes (the manager's Status.Addr, each node's
 * own Swarm.NodeAddr, and the peers each node lists on ingress), and for each ingress address the
 * node that holds it and that node's underlay address: a running task's node from the manager's
 * tasks, else the node whose networks/ingress.json lists the endpoint (an ingress-sbox, a task).
 * A node's own NodeAddr (its advertise address, what libnetwork tunnels to) wins over Status.Addr
 * (the address the manager sees, which NAT may change).
 */
export function underlayViews(x: UnderlayInputs): { underlayByAddr: Map<string, unknown>; ingressVtepByIp: Map<string, unknown> } {
  const underlayByAddr = new Map<string, unknown>();
  const addUnderlay = (address: string, node: string, source: string) => {
    if (usable(address) && !underlayByAddr.has(address)) underlayByAddr.set(address, make('UnderlayAddress', { address, node, source }));
  };
  for (const n of x.nodes) addUnderlay(String(n.nodeAddr ?? ''), n.name, n.inputs.get('info')?.file ?? '');
  for (const n of x.swarmNodes) addUnderlay(n.addr, n.hostname, n.line ? `${x.nodesFile}:${n.line}` : x.nodesFile);
  for (const n of x.nodes) {
    const ing = (n.networks as Map<string, NetworkLike> | undefined)?.get('ingress');
    for (const p of ing?.peers ?? []) addUnderlay(p.ip, p.name, n.inputs.get('network.ingress')?.file ?? '');
  }

  // Each node's tunnel address, by the names a node goes by (its folder, its hostname).
  const byName = new Map<string, string>();
  for (const n of x.nodes) {
    const a = String(n.nodeAddr ?? '');
    if (!usable(a)) continue;
    for (const name of [n.name, String(n.hostname ?? '')]) if (name && !byName.has(name)) byName.set(name, a);
  }
  for (const n of x.swarmNodes) if (usable(n.addr) && n.hostname && !byName.has(n.hostname)) byName.set(n.hostname, n.addr);
  const hostnameById = new Map(x.swarmNodes.map((n) => [n.id, n.hostname]));
  const serviceName = new Map(x.services.map((s) => [s.id, s.name]));

  const ingressVtepByIp = new Map<string, unknown>();
  for (const t of x.tasks) {
    if (t.desiredState !== 'running' || !t.nodeId) continue;
    const host = hostnameById.get(t.nodeId) ?? '';
    const vtep = byName.get(host) ?? '';
    if (!vtep) continue;
    const service = serviceName.get(t.serviceId) ?? '';
    const holder = `task ${service || t.serviceId.slice(0, 12)}.${t.slot || t.id.slice(0, 12)}`;
    for (const a of t.attachments) {
      if (!a.ingress && !(x.ingressNetworkId !== '' && a.networkId === x.ingressNetworkId)) continue;
      for (const address of a.addresses) {
        if (!ingressVtepByIp.has(address)) ingressVtepByIp.set(address, make('IngressVtep', { address, node: host, vtep, holder, service, file: x.tasksFile, line: t.line }));
      }
    }
  }
  for (const n of x.nodes) {
    const vtep = byName.get(n.name) ?? '';
    const ing = (n.networks as Map<string, NetworkLike> | undefined)?.get('ingress');
    if (!vtep || !ing) continue;
    for (const c of ing.containers) {
      if (!c.ipv4 || ingressVtepByIp.has(c.ipv4)) continue;
      const holder = c.key === 'ingress-sbox' ? 'ingress-sbox' : c.name || c.key.slice(0, 12);
      ingressVtepByIp.set(c.ipv4, make('IngressVtep', { address: c.ipv4, node: n.name, vtep, holder, service: '', file: n.inputs.get('network.ingress')?.file ?? '', line: 0 }));
    }
  }
  return { underlayByAddr, ingressVtepByIp };
}
