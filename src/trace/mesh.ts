import type { IptablesModel, NodeModel } from '../model/build.js';
import { ipv4InCidr } from '../model/build.js';
import { describeRule, walkHooks, walkHooksShared, type HookStep, type Packet, type WalkResult } from './iptables.js';

/*
 * The hops of the routing mesh that are firewall decisions on a node, walked over its captured host
 * iptables: a client's new connection on its way into ingress_sbox (FORWARD), and a peer's swarm
 * traffic arriving (INPUT). The rules call these through CEL (src/rules/cel.ts), so a rule and a
 * trace read the same walk.
 */

/** An address outside every network a node has (TEST-NET-3): where "a client" comes from. */
export const OUTSIDE = '203.0.113.10';

interface RouteLike {
  destination: string;
  device: string;
}
interface AddressLike {
  ifname: string;
  family: string;
  address: string;
}

/** The interface a packet to `ip` leaves by: longest matching route, else the default route. */
export function routeDevice(node: NodeModel, ip: string): string | undefined {
  const routes = node.routes as RouteLike[];
  let best: { len: number; dev: string } | undefined;
  for (const r of routes) {
    const dest = r.destination === 'default' ? '0.0.0.0/0' : r.destination.includes('/') ? r.destination : `${r.destination}/32`;
    if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(dest) || !ipv4InCidr(ip, dest)) continue;
    const len = Number(dest.split('/')[1]);
    if (!best || len > best.len) best = { len, dev: r.device };
  }
  return best?.dev;
}

/** The node's own address, as the swarm knows it (else its first global IPv4 address). */
export function nodeAddress(node: NodeModel): string {
  if (node.nodeAddr) return node.nodeAddr as string;
  const a = (node.hostAddresses as AddressLike[]).find((x) => x.family === 'inet' && !x.address.startsWith('127.'));
  return a?.address ?? '';
}

/** The interface that holds an address of this node. */
function deviceOf(node: NodeModel, ip: string): string | undefined {
  return (node.hostAddresses as AddressLike[]).find((a) => a.address === ip)?.ifname;
}

export function isLocal(node: NodeModel, ip: string): boolean | undefined {
  const addrs = node.hostAddresses as AddressLike[];
  if (addrs.length === 0) return undefined;
  return addrs.some((a) => a.address === ip);
}

/** Where a packet from `src` comes in: the route back to it (the usual, symmetric case). */
export function arrivalDevice(node: NodeModel, src: string): string | undefined {
  return routeDevice(node, src) ?? deviceOf(node, nodeAddress(node));
}

/**
 * A client's new connection to a published port, after DOCKER-INGRESS sent it to ingress_sbox:
 * raw and mangle PREROUTING (addressed to the node), then mangle and filter FORWARD (addressed to
 * the sbox, out through docker_gwbridge).
 */
export function forwardToSbox(node: NodeModel, protocol: string, port: number, src = OUTSIDE): WalkResult | undefined {
  const sbox = node.sboxGwbridgeIp as string;
  const ipt = node.host as IptablesModel;
  if (!sbox || !ipt.present) return undefined;
  const dst = nodeAddress(node);
  const inIface = arrivalDevice(node, src);
  const outIface = routeDevice(node, sbox) ?? ((node.routes as unknown[]).length === 0 ? 'docker_gwbridge' : undefined);
  const packet: Packet = { proto: protocol, src, dst, dport: port, inIface, outIface: '', ctstate: ['NEW'], mark: 0, dstLocal: true, srcLocal: isLocal(node, src), ipvs: false, tcpFlags: protocol === 'tcp' ? ['SYN'] : undefined };
  // The node's steps, made once: the walks of its ports are shared with the nodes of the same rules
  // and the same forward (walkHooksShared: every node accepts the same published ports alike).
  let steps = forwardSteps.get(node);
  if (!steps) {
    const forward = { dst: sbox, outIface, dstLocal: isLocal(node, sbox), ctstate: ['NEW', 'DNAT'] };
    forwardSteps.set(node, (steps = [
      { table: 'raw', chain: 'PREROUTING' },
      { table: 'mangle', chain: 'PREROUTING' },
      { table: 'mangle', chain: 'FORWARD', packet: forward },
      { table: 'filter', chain: 'FORWARD', packet: forward },
    ]));
  }
  return walkHooksShared(ipt.parsed, steps, packet, true);
}
const forwardSteps = new WeakMap<NodeModel, HookStep[]>();

/** A peer's new packet to this node's own address on a port (swarm control, gossip, VXLAN). */
export function inputFrom(node: NodeModel, protocol: string, port: number, src: string): WalkResult | undefined {
  const ipt = node.host as IptablesModel;
  const dst = nodeAddress(node);
  if (!ipt.present || !dst) return undefined;
  const packet: Packet = { proto: protocol, src, dst, dport: port, inIface: arrivalDevice(node, src), outIface: '', ctstate: ['NEW'], mark: 0, dstLocal: true, srcLocal: isLocal(node, src), ipvs: false, tcpFlags: protocol === 'tcp' ? ['SYN'] : undefined };
  return walkHooks(ipt.parsed, [
    { table: 'raw', chain: 'PREROUTING' },
    { table: 'mangle', chain: 'PREROUTING' },
    { table: 'mangle', chain: 'INPUT' },
    { table: 'filter', chain: 'INPUT' },
  ], packet);
}

/** A walk as the rules see it (snapshot type Walk). */
export interface WalkView {
  verdict: string;
  action: string;
  table: string;
  chain: string;
  rule: string;
  at: string;
  file: string;
  line: number;
  hops: string[];
  undecided: string[];
}

export function walkView(w: WalkResult | undefined): WalkView {
  if (!w) return { verdict: 'unknown', action: '', table: '', chain: '', rule: '', at: '', file: '', line: 0, hops: [], undecided: [] };
  const d = w.decisive;
  return {
    verdict: w.verdict,
    action: d.action,
    table: d.at.table,
    chain: d.at.chain,
    rule: d.at.text,
    at: describeRule(d.at),
    file: d.at.file,
    line: d.at.line,
    hops: d.hops.map((h) => `${h.table} ${h.chain}: ${h.effect}${h.line ? ` (${h.file}:${h.line})` : ''}`),
    undecided: [...new Set(w.outcomes.flatMap((o) => o.undecided))],
  };
}
