/*
 * Batch A (ingress_sbox and IPVS): model values the sbox and IPVS rules read, built from parsed
 * inputs. Every value here is a list or a lookup built in one pass, so no rule has to scan.
 */
import type { AddrData } from '../parse/net.js';
import type { IpvsTimeout } from '../parse/ipvs-timeout.js';
import type { IpvsConnData } from '../parse/ipvs-conn.js';
import { sysctlLines } from '../parse/sysctl-lines.js';
import type { SwarmService } from '../parse/docker.js';
import { make } from './classes.js';
import { pushTo } from '../util/obj.js';

interface MarkModel {
  chain: string;
  mark: bigint;
}

/** One sysctl with where it was read: `file:line`. */
export function sysctlEntries(values: Map<string, string>, content: string | undefined, file: string): Map<string, unknown> {
  const lines = content === undefined ? new Map<string, number>() : sysctlLines(content);
  const out = new Map<string, unknown>();
  for (const [key, value] of values) {
    const line = lines.get(key) ?? 0;
    out.set(key, make('SysctlValue', { key, value, file, line, at: line ? `${file}:${line}` : file }));
  }
  return out;
}

/**
 * The ingress VIPs ingress_sbox holds: the /32 IPv4 addresses on its ingress interface (the one that
 * holds the sbox's own ingress address, else eth0), where libnetwork adds one per service VIP.
 */
export function sboxVips(addr: AddrData | undefined, sboxIngressIp: string, file: string): { sboxVips: unknown[]; sboxVipByAddress: Map<string, unknown>; sboxIngressIfname: string } {
  const v4 = (addr?.addresses ?? []).filter((a) => a.family === 'inet');
  const ifname = v4.find((a) => a.address === sboxIngressIp && a.prefixLen < 32)?.ifname ?? 'eth0';
  const vips = v4
    .filter((a) => a.ifname === ifname && a.prefixLen === 32)
    .map((a) => make('SboxVip', { address: a.address, prefixLen: a.prefixLen, ifname: a.ifname, file, line: a.line, at: a.line ? `${file}:${a.line}` : file }));
  const byAddress = new Map<string, unknown>();
  for (const v of vips as { address: string }[]) if (!byAddress.has(v.address)) byAddress.set(v.address, v);
  return { sboxVips: vips, sboxVipByAddress: byAddress, sboxIngressIfname: addr ? ifname : '' };
}

/** Marks by value (every chain), and the distinct values set in PREROUTING, in rule order. */
export function marksByValue(marks: unknown[]): { marksByValue: Map<bigint, unknown[]>; preroutingMarkValues: bigint[] } {
  const byValue = new Map<bigint, unknown[]>();
  const prerouting: bigint[] = [];
  const seen = new Set<bigint>();
  for (const m of marks as MarkModel[]) {
    pushTo(byValue, m.mark, m);
    if (m.chain === 'PREROUTING' && !seen.has(m.mark)) {
      seen.add(m.mark);
      prerouting.push(m.mark);
    }
  }
  return { marksByValue: byValue, preroutingMarkValues: prerouting };
}

/** IPVS's timeouts (ingress_sbox/ipvs-timeout.txt); zeros when not captured (rules require the input). */
export function ipvsTimeoutModel(t: IpvsTimeout | undefined, file: string): unknown {
  const line = t?.line ?? 0;
  return make('IpvsTimeout', { tcp: t?.tcp ?? 0, tcpfin: t?.tcpfin ?? 0, udp: t?.udp ?? 0, file, line, at: line ? `${file}:${line}` : file });
}

/**
 * The VIPs that services publishing a port in ingress mode hold, by network id: every node's
 * ingress_sbox must hold those of the ingress network that node has (each node's ingress id has an
 * entry, empty when no such VIP is on it), and a lookup by `<network id> <address>`.
 */
export function ingressVips(services: SwarmService[], nodeIngressIds: string[]): { ingressVips: unknown[]; ingressVipsByNetwork: Map<string, unknown[]>; ingressVipByNetworkAddress: Map<string, unknown> } {
  const vips: unknown[] = [];
  const byNetwork = new Map<string, unknown[]>(nodeIngressIds.filter(Boolean).map((id) => [id, []]));
  const byKey = new Map<string, unknown>();
  for (const s of services) {
    if (!s.ports.some((p) => p.publishMode === 'ingress' && p.publishedPort)) continue;
    for (const v of s.virtualIPs) {
      if (!v.networkId || !v.address) continue;
      const vip = make('IngressVip', { serviceId: s.id, service: s.name, networkId: v.networkId, address: v.address, prefixLen: v.prefixLen });
      vips.push(vip);
      pushTo(byNetwork, v.networkId, vip);
      const key = `${v.networkId} ${v.address}`;
      if (!byKey.has(key)) byKey.set(key, vip);
    }
  }
  return { ingressVips: vips, ingressVipsByNetwork: byNetwork, ingressVipByNetworkAddress: byKey };
}

/** `m:ss`, as ipvsadm -Lnc shows an entry's expiry (seconds left). */
export function minutesSeconds(s: number): string {
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** An address and port as ipvsadm writes them: `10.0.0.5:514`, `[2001:db8::1]:514`. */
const endpoint = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

/** How many lines of a destination's flows `where` names, and how many clients its message gives as examples. */
const WHERE_LINES = 5;
const EXAMPLE_CLIENTS = 2;

/**
 * IPVS's UDP connection entries in ingress_sbox (ingress_sbox/ipvs-conn.txt): the table's summary
 * (how many UDP flows it lists, whether the collectors cut it), and the flows grouped by their
 * destination (address and port) in one pass, in the order the file first names each: how many,
 * a few clients, the published ports they came in on, the longest expiry left, and their lines.
 */
export function ipvsUdpFlows(data: IpvsConnData | undefined, format: string, file: string): { ipvsConnTable: unknown; ipvsUdpDestinations: unknown[] } {
  type Group = { address: string; port: number; flows: number; clients: string[]; virtualPorts: number[]; maxExpires: number; lines: number[] };
  // By address, then port (no key string made per flow: a table has thousands); and in order.
  const byAddress = new Map<string, Map<number, Group>>();
  const groups: Group[] = [];
  let udpFlows = 0;
  const conns = data?.conns ?? [];
  for (let i = 0; i < conns.length; i++) {
    const c = conns[i];
    if (c.protocol !== 'UDP') continue;
    udpFlows++;
    let ports = byAddress.get(c.destAddress);
    if (!ports) byAddress.set(c.destAddress, (ports = new Map()));
    let g = ports.get(c.destPort);
    if (!g) {
      ports.set(c.destPort, (g = { address: c.destAddress, port: c.destPort, flows: 0, clients: [], virtualPorts: [], maxExpires: 0, lines: [] }));
      groups.push(g);
    }
    g.flows++;
    if (g.clients.length < EXAMPLE_CLIENTS) g.clients.push(endpoint(c.clientAddress, c.clientPort));
    if (!g.virtualPorts.includes(c.virtualPort)) g.virtualPorts.push(c.virtualPort);
    if (c.expires > g.maxExpires) g.maxExpires = c.expires;
    if (g.lines.length < WHERE_LINES) g.lines.push(c.line);
  }
  const cutAt = data?.cutAt ?? 0;
  const cutLine = data?.cutLine ?? 0;
  const ipvsConnTable = make('IpvsConnTable', { present: data !== undefined, file, format: data ? format : '', udpFlows, cut: cutAt > 0, cutAt, cutLine, at: cutLine ? `${file}:${cutLine}` : file });
  const ipvsUdpDestinations = groups.map((g) =>
    make('IpvsUdpDestination', {
      // Lists of integers as CEL's int (make turns only integer fields into BigInt).
      key: endpoint(g.address, g.port), address: g.address, port: g.port, flows: g.flows, clients: g.clients, virtualPorts: g.virtualPorts.sort((a, b) => a - b).map(BigInt),
      maxExpires: g.maxExpires, maxExpiresText: minutesSeconds(g.maxExpires), file, line: g.lines[0], lines: g.lines.map(BigInt), at: `${file}:${g.lines[0]}`,
    }),
  );
  return { ipvsConnTable, ipvsUdpDestinations };
}
