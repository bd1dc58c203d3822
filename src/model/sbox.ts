/*
 * Batch A (ingress_sbox and IPVS): model values the sbox and IPVS rules read, built from parsed
 * inputs. Every value here is a list or a lookup built in one pass, so no rule has to scan.
 */
import type { AddrData } from '../parse/net.js';
import type { IpvsTimeout } from '../parse/ipvs-timeout.js';
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
