import type { AddrData, RouteData, VxlanLink } from '../parse/net.js';
import type { IptablesData } from '../parse/iptables.js';
import type { DaemonJson } from '../parse/daemon-json.js';
import type { EthtoolData } from '../parse/ethtool.js';
import type { NetmgrData } from '../parse/netmgr.js';
import { parseNetworkList, VXLAN_IDS_OPTION, type SwarmNetwork } from '../parse/networks.js';
import { make } from './classes.js';
import { pushTo } from '../util/obj.js';

/*
 * Batch B, the host: the model values the host rules read (interfaces and their MTU, the overlays'
 * options, Docker subnets against the host's routes, reverse-path filtering, Docker's chains in each
 * iptables backend). Each function takes parsed inputs and returns model objects; build.ts attaches them.
 */

/** The overlay driver's MTU when the network sets none (1500 minus 50 bytes of VXLAN). */
export const DEFAULT_OVERLAY_MTU = 1450;

/**
 * Interfaces Docker makes and owns: its bridges (docker0, docker_gwbridge, a user network's
 * br-<12 hex of its id>), the veth pairs, and the overlay's vx-* VXLAN devices and, in host mode
 * (older engines, kernels that cannot move them), its ov-* bridges.
 */
export function isDockerDevice(ifname: string): boolean {
  return ifname === 'docker0' || ifname === 'docker_gwbridge' || /^(veth|vx-|ov-)/.test(ifname) || /^br-[0-9a-f]{12}$/.test(ifname);
}

export function hostInterfaces(addr: AddrData | undefined, file: string): unknown[] {
  // ip addr prints each interface on one line; the parser keeps only the addresses' lines, so an
  // interface's line is found from the first address line after it (or is 0 for ip -j).
  return (addr?.interfaces ?? []).map((i) => {
    const first = addr!.addresses.find((a) => a.ifname === i.ifname && a.line > 0);
    return make('HostInterface', { ifname: i.ifname, mtu: i.mtu, state: i.state, docker: isDockerDevice(i.ifname), file, line: first ? first.line : 0 });
  });
}

/** host/ethtool.txt: the NICs by name, each with its driver and its features by name, with where each was read. */
export function ethtoolInterfaces(data: EthtoolData | undefined, file: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const i of data?.interfaces.values() ?? []) {
    const features = new Map<string, unknown>();
    for (const f of i.features.values()) features.set(f.name, make('EthtoolFeature', { name: f.name, on: f.on, fixed: f.fixed, requested: f.requested, text: f.text, file, line: f.line, at: `${file}:${f.line}` }));
    out.set(i.ifname, make('EthtoolInterface', { ifname: i.ifname, driver: i.driver, driverAt: i.driverLine ? `${file}:${i.driverLine}` : '', file, line: i.line, at: `${file}:${i.line}`, features }));
  }
  return out;
}

export function hostAddressByIp(addresses: unknown[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const a of addresses as { address: string }[]) if (!m.has(a.address)) m.set(a.address, a);
  return m;
}

/**
 * libnetwork's overlay driver names a subnet's VXLAN device vx-<VNI in 6 hex digits>-<the network
 * id's first 5 characters>, and in host mode its bridge ov-<the same> (generateVxlanName,
 * generateBridgeName). It makes the VXLAN device in the host's namespace and moves it at once into
 * the network's own; only in host mode (a kernel that cannot move it) does it stay, beside its bridge.
 */
const VXLAN_DEVICE = /^vx-([0-9a-f]{6})-([0-9a-z]{1,5})$/;

/** VXLAN devices of libnetwork's in the host's namespace, each with the host-mode bridge beside it ('' when none: left over). */
export function hostVxlanDevices(addr: AddrData | undefined, file: string): unknown[] {
  const names = new Set((addr?.interfaces ?? []).map((i) => i.ifname));
  const out: unknown[] = [];
  for (const i of addr?.interfaces ?? []) {
    const m = VXLAN_DEVICE.exec(i.ifname);
    if (!m) continue;
    const bridge = `ov-${m[1]}-${m[2]}`;
    out.push(make('HostVxlanDevice', { ifname: i.ifname, vni: parseInt(m[1], 16), networkPrefix: m[2], state: i.state, hostMode: names.has(bridge) ? bridge : '', file, line: i.line }));
  }
  return out;
}

/**
 * The host's VXLAN devices with their VNI and UDP port (host/vxlan.*, `ip -d link show type vxlan`),
 * each marked when it is libnetwork's own (vx-<VNI>-<id>: vxlan-device-not-stale judges those).
 */
export function hostVxlanLinks(links: VxlanLink[] | undefined, file: string): unknown[] {
  return (links ?? []).map((l) =>
    make('HostVxlanLink', { ifname: l.ifname, vni: l.vni, external: l.external, port: l.port, dev: l.dev, local: l.local, state: l.state, docker: VXLAN_DEVICE.test(l.ifname), file, line: l.line, at: l.line > 0 ? `${file}:${l.line}` : file }),
  );
}

/** The host interface holding the node's swarm address, and its MTU. */
export function nodeAddrInterface(addr: AddrData | undefined, nodeAddr: string): { nodeAddrInterface: string; nodeAddrMtu: number } {
  const a = nodeAddr ? addr?.addresses.find((x) => x.address === nodeAddr) : undefined;
  const i = a ? addr!.interfaces.find((x) => x.ifname === a.ifname) : undefined;
  return { nodeAddrInterface: a?.ifname ?? '', nodeAddrMtu: i?.mtu ?? 0 };
}

/** The VXLAN ids an overlay's subnets were given (option vxlanid_list, comma separated, one per subnet), as CEL ints (make converts fields, not list items). */
export function vnisOf(n: SwarmNetwork): bigint[] {
  const list = n.options.get(VXLAN_IDS_OPTION) ?? '';
  return list.split(',').map((s) => s.trim()).filter((s) => /^\d{1,8}$/.test(s)).map(BigInt);
}

export function overlayModels(nets: SwarmNetwork[], file: string): unknown[] {
  return nets
    .filter((n) => n.driver === 'overlay')
    .map((n) => make('OverlayNetwork', { id: n.id, name: n.name, driver: n.driver, ingress: n.ingress, encrypted: n.encrypted, mtu: n.mtu || DEFAULT_OVERLAY_MTU, mtuSet: n.mtu > 0, subnets: n.subnets, vnis: vnisOf(n), file, line: n.line }));
}

/**
 * The overlays a node's networks/*.json describe, with their options. The node's input reader has
 * already parsed and reported these files; a file it found broken gives nothing here.
 */
export function nodeOverlays(files: Map<string, string>, prefix: string, readable: (rel: string) => boolean): unknown[] {
  const out: unknown[] = [];
  for (const [rel, content] of files) {
    if (!/^networks\/[^/]+\.json$/.test(rel) || !readable(rel)) continue;
    const parsed = parseNetworkList(content, prefix + rel);
    if (parsed.diagnostics.some((d) => d.severity === 'error')) continue;
    for (const o of overlayModels(parsed.data, prefix + rel)) out.push(o);
  }
  return out;
}

/* ---------- subnets against the host's routes ---------- */

function v4(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
}

function prefix(cidr: string): { net: number; len: number } | undefined {
  const [ip, l] = cidr.split('/');
  const len = l === undefined ? 32 : Number(l);
  const n = v4(ip);
  if (n === undefined || !Number.isInteger(len) || len < 0 || len > 32) return undefined;
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return { net: (n & mask) >>> 0, len };
}

/** Whether two IPv4 prefixes share an address (one contains the other). */
export function prefixesOverlap(a: string, b: string): boolean {
  const p = prefix(a);
  const q = prefix(b);
  if (!p || !q) return false;
  const len = Math.min(p.len, q.len);
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return ((p.net & mask) >>> 0) === ((q.net & mask) >>> 0);
}

/**
 * For each subnet of ingress and of docker_gwbridge: the host's routes and addresses that overlap it
 * and are not Docker's own. A default route (or any /0) is no overlap: it is where everything else goes.
 * For ingress, every Docker device is ignored; for docker_gwbridge, only its own bridge and veths
 * (another Docker bridge on the same range is an overlap too).
 */
export function subnetOverlaps(
  owners: { subnets: string[]; ignore: (dev: string) => boolean }[],
  routes: RouteData | undefined,
  routeFile: string,
  addr: AddrData | undefined,
  addrFile: string,
): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const { subnets, ignore } of owners) {
    for (const subnet of subnets) {
      if (!prefix(subnet) || out.has(subnet)) continue;
      const list: unknown[] = [];
      const devices = new Set<string>();
      for (const r of routes?.routes ?? []) {
        if (r.destination === 'default' || ignore(r.device)) continue;
        const p = prefix(r.destination);
        if (!p || p.len === 0 || !prefixesOverlap(subnet, r.destination)) continue;
        devices.add(r.device);
        list.push(make('SubnetOverlap', { subnet, kind: 'route', overlaps: r.destination.includes('/') ? r.destination : `${r.destination}/32`, device: r.device, gateway: r.gateway, file: routeFile, line: r.line }));
      }
      // An address whose own route was listed above says nothing more.
      for (const a of addr?.addresses ?? []) {
        if (a.family !== 'inet' || ignore(a.ifname) || devices.has(a.ifname)) continue;
        if (!prefixesOverlap(subnet, `${a.address}/${a.prefixLen}`)) continue;
        list.push(make('SubnetOverlap', { subnet, kind: 'address', overlaps: `${a.address}/${a.prefixLen}`, device: a.ifname, gateway: '', file: addrFile, line: a.line }));
      }
      out.set(subnet, list);
    }
  }
  return out;
}

/* ---------- reverse-path filtering ---------- */

/** Non-Docker interfaces holding a global IPv4 address, with all/iface rp_filter and the effective value. */
export function rpFilterInterfaces(addr: AddrData | undefined, sysctl: Map<string, string>): unknown[] {
  const byIf = new Map<string, string[]>();
  for (const a of addr?.addresses ?? []) {
    if (a.family !== 'inet' || a.ifname === 'lo' || isDockerDevice(a.ifname) || a.address.startsWith('127.') || a.address.startsWith('169.254.')) continue;
    pushTo(byIf, a.ifname, `${a.address}/${a.prefixLen}`);
  }
  const allValue = sysctl.get('net.ipv4.conf.all.rp_filter') ?? '';
  return [...byIf].map(([ifname, addresses]) => {
    const ifaceValue = sysctl.get(`net.ipv4.conf.${ifname}.rp_filter`) ?? '';
    const all = /^[0-2]$/.test(allValue) ? Number(allValue) : undefined;
    const iface = /^[0-2]$/.test(ifaceValue) ? Number(ifaceValue) : undefined;
    // The kernel uses the larger of the two; 2 (loose) is the largest, so all = 2 decides alone.
    const effective = all !== undefined && iface !== undefined ? Math.max(all, iface) : all === 2 || iface === 2 ? 2 : -1;
    return make('RpFilterInterface', { ifname, addresses, allValue, ifaceValue, effective });
  });
}

/* ---------- iptables backends ---------- */

/** 'table chain' of every chain whose name starts with DOCKER (DOCKER, DOCKER-INGRESS, DOCKER-USER, ...). */
export function dockerChains(data: IptablesData | undefined): string[] {
  const out: string[] = [];
  for (const [table, chains] of data?.tables ?? []) for (const name of chains.keys()) if (name.startsWith('DOCKER')) out.push(`${table} ${name}`);
  return out;
}

/* ---------- dockerd's settings (/etc/docker/daemon.json) ---------- */

/**
 * What host/daemon.json says of the settings the mesh depends on: each value as written ('true',
 * 'false'; '' when the file does not set it, or was not read) and where. `present` says whether the
 * file was read; rules tell "no daemon.json on the node" from "not captured" by the input.
 */
export function daemonConfigModel(d: DaemonJson | undefined, file: string): unknown {
  const where = (line: number) => (line ? `${file}:${line}` : file);
  const text = (v: boolean | null | undefined) => (v === null || v === undefined ? '' : String(v));
  return make('DaemonConfig', {
    present: d !== undefined,
    file,
    keys: d?.keys ?? [],
    iptables: text(d?.iptables),
    iptablesLine: d?.iptablesLine ?? 0,
    iptablesAt: where(d?.iptablesLine ?? 0),
    ipForward: text(d?.ipForward),
    ipForwardLine: d?.ipForwardLine ?? 0,
    ipForwardAt: where(d?.ipForwardLine ?? 0),
  });
}

/* ---------- network managers ---------- */

/**
 * Docker's interfaces as NetworkManager (host/nmcli.txt) and systemd-networkd (host/networkctl.txt)
 * list them, each with its state and whether that manager holds it; file and line of its row.
 */
export function netmgrDevices(sources: { manager: string; data: NetmgrData | undefined; file: string }[]): unknown[] {
  const out: unknown[] = [];
  for (const { manager, data, file } of sources) {
    for (const l of data?.links ?? []) {
      if (!isDockerDevice(l.ifname)) continue;
      out.push(make('NetmgrDevice', { manager, ifname: l.ifname, type: l.type, state: l.state, detail: l.detail, managed: l.managed, file, line: l.line, at: `${file}:${l.line}` }));
    }
  }
  return out;
}
