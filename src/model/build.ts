import type { CaptureFiles, CaptureError, NodeFiles } from '../capture/read.js';
import { parseIptables, mergeIptables, IPTABLES_TABLES, type IptablesData, type IptablesRule } from '../parse/iptables.js';
import { parseIpvs, type IpvsData } from '../parse/ipvs.js';
import { parseAddr, parseNeigh, parseRoutes, parseSysctl, parseVxlanLinks, type AddrData, type NeighData, type RouteData, type VxlanLink } from '../parse/net.js';
import { parseInfo, parseNetwork, parseNodeLs, parseNodes, parseServices, parseTasks, type DockerInfo, type DockerNetwork, type SwarmNode, type SwarmService, type SwarmTask } from '../parse/docker.js';
import { forgetParseMemos, type Diagnostic, type Parsed } from '../parse/types.js';
import { make, modelsOf, releaseLazy } from './classes.js';
// Batch A (ingress_sbox and IPVS)
import { parseIpvsTimeout, type IpvsTimeout } from '../parse/ipvs-timeout.js';
import { parseIpvsConn, type IpvsConnData } from '../parse/ipvs-conn.js';
import { ingressVips, ipvsTimeoutModel, ipvsUdpFlows, marksByValue, sboxVips, sysctlEntries } from './sbox.js';
import { rememberInfo, swarmDataPathPort, swarmViews } from './swarm.js';
import { parseEthtool, type EthtoolData } from '../parse/ethtool.js';
import { daemonConfigModel, dockerChains, ethtoolInterfaces, hostAddressByIp, hostInterfaces, hostVxlanDevices, hostVxlanLinks, isDockerDevice, netmgrDevices, nodeAddrInterface, nodeOverlays, overlayModels, rpFilterInterfaces, subnetOverlaps } from './host.js';
import { parseNetworkctl, parseNmcli, type NetmgrData } from '../parse/netmgr.js';
import { parseNetworkList, type SwarmNetwork } from '../parse/networks.js';
import { parseDaemonJson, type DaemonJson } from '../parse/daemon-json.js';
import { parseFdb, type FdbData } from '../parse/fdb.js';
import { parseModuleFiles, parseProcModules, type ModulesData } from '../parse/modules.js';
import { iptablesBackend, kernelModules, moduleSupport } from './modules.js';
import { ingressOverlayNetns, overlayModel, underlayViews } from './overlay.js';
import { registerSnapshot } from './registry.js';
import { pushTo } from '../util/obj.js';

export type InputStatus = 'present' | 'missing' | 'uncaptured' | 'invalid';

export interface InputModel {
  id: string;
  status: InputStatus;
  file: string;
  format: string;
  message: string;
  command: string;
  error: string;
  line: bigint;
}

/**
 * The collector tried to read the input and was told it is not there: "no such file" (ENOENT, a
 * namespace or /proc file that does not exist), or Docker's "No such network" for networks/<NAME>.json.
 * One test for the rules (CEL's notFound), the packet walk and the kernel modules' model.
 */
export function inputNotFound(i: InputModel | undefined): boolean {
  return i?.status === 'uncaptured' && /no such (file|network)|ENOENT|does not exist/i.test(i.error);
}

/**
 * The iptables of one namespace; CEL calls rules() and hasChain() on it. Model objects for a chain's
 * rules are made on first use: a rule set reads a few chains, a node has hundreds of rules elsewhere.
 */
export interface IptablesModel {
  present: boolean;
  tables: string[];
  /** Every chain of every table (built on first read). */
  readonly chains: Record<string, unknown>[];
  legacyTablesPresent: boolean;
  /** The parsed tables behind the model. */
  parsed: IptablesData;
  /** 'table chain' -> CEL model objects of its rules. */
  ruleCache: Map<string, unknown[]>;
}

export interface NodeModel {
  name: string;
  inputs: Map<string, InputModel>;
  [field: string]: unknown;
}

export interface ClusterModel {
  inputs: Map<string, InputModel>;
  [field: string]: unknown;
}

export interface Snapshot {
  nodes: NodeModel[];
  cluster: ClusterModel;
  /** Every diagnostic of every file, for reporting. */
  diagnostics: Diagnostic[];
}

/* ---------- inputs: which file feeds what, and in what state ---------- */

interface Candidate<T> {
  /** File names relative to the node (or cluster) folder, tried in order. */
  files: string[];
  parse: (content: string, file: string, rel: string) => Parsed<T>;
}

class InputReader {
  readonly inputs = new Map<string, InputModel>();
  readonly diagnostics: Diagnostic[] = [];
  private cache = new Map<string, Parsed<unknown>>();

  constructor(
    private files: Map<string, string>,
    private errors: CaptureError[],
    /** Prefix of file paths in messages: 'nodes/253/' or 'cluster/'. */
    private prefix: string,
    /** Files that are there but were not read (outside the capture, not a regular file, too large), and why. */
    private refused: Map<string, string> = new Map(),
  ) {}

  /** Parse the first present candidate file once; record the input's state under `id`. */
  read<T>(id: string, cand: Candidate<T>): T | undefined {
    // A candidate that is there but could not be read makes the input an error, never a skip.
    const first = cand.files.find((f) => this.files.has(f) || this.refused.has(f));
    if (first !== undefined && this.refused.has(first)) {
      this.set(id, 'invalid', first, '', `${this.prefix}${first}: ${this.refused.get(first)}`, 0);
      return undefined;
    }
    const present = cand.files.filter((f) => this.files.has(f));
    if (present.length === 0) {
      const err = this.errors.find((e) => cand.files.includes(e.file));
      this.set(id, err ? 'uncaptured' : 'missing', err?.file ?? cand.files[0], '', err ? `${err.command ? err.command + ': ' : ''}${err.error}` : `${this.prefix}${cand.files.join(' or ')} not in capture`, 0, err);
      return undefined;
    }
    // .txt and .json variants of one file may not both be present.
    const variants = present.filter((f) => f.endsWith('.json') || f.endsWith('.txt'));
    const stems = new Set(variants.map((f) => f.replace(/\.(txt|json)$/, '')));
    if (stems.size < variants.length) {
      const msg = `both ${variants.map((f) => this.prefix + f).join(' and ')} are present: keep one`;
      this.diagnostics.push({ file: this.prefix + variants[0], line: 0, severity: 'error', message: msg });
      this.set(id, 'invalid', variants[0], '', msg, 0);
      return undefined;
    }
    const rel = present[0];
    const file = this.prefix + rel;
    let parsed = this.cache.get(rel) as Parsed<T> | undefined;
    if (!parsed) {
      parsed = cand.parse(this.files.get(rel)!, file, rel);
      this.cache.set(rel, parsed as Parsed<unknown>);
      appendCapped(this.diagnostics, parsed.diagnostics, file);
    }
    const firstError = parsed.diagnostics.find((d) => d.severity === 'error');
    if (firstError) {
      this.set(id, 'invalid', rel, parsed.format, `${file}${firstError.line ? ':' + firstError.line : ''}: ${firstError.message}`, firstError.line);
      return undefined;
    }
    this.set(id, 'present', rel, parsed.format, '', 0);
    return parsed.data;
  }

  /**
   * Forget the files and what they parsed to once the model is built: what the model needs of them it
   * holds, and the fields derived when first read keep this reader (for its inputs), not the files.
   */
  done(): void {
    this.cache.clear();
    this.files = new Map();
  }

  private set(id: string, status: InputStatus, rel: string, format: string, message: string, line: number, err?: CaptureError): void {
    this.inputs.set(id, make<InputModel>('Input', { id, status, file: this.prefix + rel, format, message, command: err?.command ?? '', error: err?.error ?? '', line }));
  }
}

/** Diagnostics listed per file: past this, one line counts the rest (a 20 MB garbage file has 200,000). */
export const DIAGNOSTICS_PER_FILE = 50;

function appendCapped(to: Diagnostic[], items: readonly Diagnostic[], file: string): void {
  for (let i = 0; i < items.length && i < DIAGNOSTICS_PER_FILE; i++) to.push(items[i]);
  const rest = items.length - DIAGNOSTICS_PER_FILE;
  if (rest > 0) {
    const errors = items.slice(DIAGNOSTICS_PER_FILE).filter((d) => d.severity === 'error').length;
    to.push({ file, line: 0, severity: errors > 0 ? 'error' : 'warning', message: `${rest} more problem(s) in this file not listed (${errors} error(s)); the first ${DIAGNOSTICS_PER_FILE} are above` });
  }
}

/** Append without spreading: a spread of 100,000+ items (diagnostics of a garbage file, backends) overflows the stack. */
function append<T>(to: T[], items: readonly T[]): void {
  for (const x of items) to.push(x);
}

const txtOrJson = (stem: string) => [`${stem}.txt`, `${stem}.json`];
/** The collectors write .json; a pasted text listing is read too. */
const jsonOrTxt = (stem: string) => [`${stem}.json`, `${stem}.txt`];

/* ---------- iptables ---------- */

function readIptables(r: InputReader, files: Map<string, string>, dir: string, idPrefix: string): IptablesModel {
  const parts: IptablesData[] = [];
  const tables: string[] = [];
  const tableNames = new Set<string>(IPTABLES_TABLES);
  // Tables named by per-table files, even unusual ones.
  for (const f of files.keys()) {
    const m = new RegExp(`^${dir}/iptables-(\\w+)\\.txt$`).exec(f);
    if (m && m[1] !== 'legacy') tableNames.add(m[1]);
  }
  for (const t of tableNames) {
    const data = r.read<IptablesData>(`${idPrefix}.iptables.${t}`, {
      files: [`${dir}/iptables-${t}.txt`, `${dir}/iptables.txt`],
      parse: (content, file, rel) => parseIptables(content, file, rel.endsWith(`iptables-${t}.txt`) ? t : undefined),
    });
    if (!data) continue;
    const only: IptablesData = { tables: new Map(), legacyTablesPresent: data.legacyTablesPresent };
    only.tables.set(t, data.tables.get(t) ?? new Map());
    parts.push(only);
    tables.push(t);
  }
  return iptablesModel(mergeIptables(parts), tables);
}

function iptablesModel(data: IptablesData, tables: string[]): IptablesModel {
  const model = make<IptablesModel>('Iptables', { present: tables.length > 0, tables, legacyTablesPresent: data.legacyTablesPresent });
  Object.defineProperty(model, 'parsed', { value: data, enumerable: false });
  Object.defineProperty(model, 'ruleCache', { value: new Map(), enumerable: false });
  let chains: Record<string, unknown>[] | undefined;
  Object.defineProperty(model, 'chains', {
    enumerable: true,
    get: () =>
      (chains ??= [...data.tables].flatMap(([table, chainMap]) =>
        [...chainMap.values()].map((c) => make<Record<string, unknown>>('IptablesChain', { table, name: c.name, policy: c.policy ?? '', rules: iptablesRules(model, table, c.name) })),
      )),
  });
  return model;
}

export function iptablesRules(ipt: IptablesModel, table: string, chain: string): unknown[] {
  const key = `${table} ${chain}`;
  let rules = ipt.ruleCache.get(key);
  if (!rules) {
    // Each rule made for the model alone: the chain does not keep its own (a trace reads few of them).
    const c = ipt.parsed.tables.get(table)?.get(chain);
    rules = new Array(c?.size ?? 0);
    for (let k = 0; k < rules.length; k++) rules[k] = make('IptablesRule', c!.ruleAt(k));
    ipt.ruleCache.set(key, rules);
  }
  return rules;
}

export function iptablesHasChain(ipt: IptablesModel, table: string, chain: string): boolean {
  return ipt.parsed.tables.get(table)?.has(chain) ?? false;
}

/* ---------- one node ---------- */

function addresses(data: AddrData | undefined): unknown[] {
  return (data?.addresses ?? []).map((a) => make('Address', { ifname: a.ifname, family: a.family, address: a.address, prefixLen: a.prefixLen, cidr: `${a.address}/${a.prefixLen}` }));
}

function networkModel(n: DockerNetwork): unknown {
  return make('Network', {
    id: n.id, name: n.name, driver: n.driver, scope: n.scope, ingress: n.ingress,
    subnets: n.subnets, gateways: n.gateways,
    containers: n.containers.map((c) => make('Endpoint', { ...c })),
    peers: n.peers.map((p) => make('Peer', { ...p })),
  });
}

/**
 * An IPv4 address in dotted quad as a 32-bit number; -1 when it is none. A scan of its characters:
 * the walk of a chain tests addresses against every rule it reads.
 */
export function ipv4Number(s: string): number {
  let n = 0;
  let part = -1;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (part < 0 || dots === 3) return -1;
      n = n * 256 + part;
      part = -1;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part < 0 ? c - 48 : part * 10 + (c - 48);
      if (part > 255) return -1;
    } else return -1;
  }
  return dots === 3 && part >= 0 ? n * 256 + part : -1;
}

/** Prefixes read so far: network and mask, or null for text that is no IPv4 prefix. */
const prefixes = new Map<string, readonly [number, number] | null>();

/** An IPv4 prefix (`10.0.0.0/24`; a bare address is a /32) as its network and mask; null for anything else. */
export function ipv4Prefix(cidr: string): readonly [number, number] | null {
  let p = prefixes.get(cidr);
  if (p !== undefined) return p;
  const slash = cidr.indexOf('/');
  const net = ipv4Number(slash < 0 ? cidr : cidr.slice(0, slash));
  const len = slash < 0 ? '32' : cidr.slice(slash + 1);
  const bits = /^\d{1,2}$/.test(len) ? Number(len) : -1;
  if (net < 0 || bits < 0 || bits > 32) p = null;
  else {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    p = [(net & mask) >>> 0, mask];
  }
  if (prefixes.size < 65536) prefixes.set(cidr, p);
  return p;
}

/** Whether an IPv4 address lies in a prefix (`10.0.0.0/24`; a bare address is a /32). */
function ipv4InCidr(ip: string, cidr: string): boolean {
  const p = ipv4Prefix(cidr);
  const n = p ? ipv4Number(ip) : -1;
  return n >= 0 && ((n & p![1]) >>> 0) === p![0];
}

export { ipv4InCidr };

function buildNode(nf: NodeFiles): { node: NodeModel; diagnostics: Diagnostic[] } {
  const prefix = `nodes/${nf.name}/`;
  const r = new InputReader(nf.files, nf.errors, prefix, nf.refused);
  const info = r.read<DockerInfo | undefined>('info', { files: ['info.json'], parse: parseInfo });
  const networks = new Map<string, unknown>();
  const netData = new Map<string, DockerNetwork>();
  const netFiles = [...nf.files.keys()].filter((f) => /^networks\/[^/]+\.json$/.test(f));
  // The networks' texts alone, for nodeOverlays (derived when first read): not every file of the
  // node (a loop, not a closure: one that names nf would keep the node's files with the model).
  const netTexts = new Map<string, string>();
  for (const f of netFiles) netTexts.set(f, nf.files.get(f)!);
  for (const name of new Set(['ingress', 'docker_gwbridge', ...netFiles.map((f) => f.slice(9, -5))])) {
    const n = r.read<DockerNetwork | undefined>(`network.${name}`, { files: [`networks/${name}.json`], parse: parseNetwork });
    if (n) {
      netData.set(name, n);
      networks.set(name, networkModel(n));
    }
  }
  const host = readIptables(r, nf.files, 'host', 'host');
  const legacyData = r.read<IptablesData>('host.iptables-legacy', { files: ['host/iptables-legacy.txt'], parse: (c, f) => parseIptables(c, f) });
  const hostLegacy = iptablesModel(legacyData ?? { tables: new Map(), legacyTablesPresent: false }, legacyData ? [...legacyData.tables.keys()] : []);
  const sbox = readIptables(r, nf.files, 'ingress_sbox', 'sbox');
  const sysctl = r.read<Map<string, string>>('host.sysctl', { files: ['host/sysctl.txt'], parse: parseSysctl }) ?? new Map();
  const sboxSysctl = r.read<Map<string, string>>('sbox.sysctl', { files: ['ingress_sbox/sysctl.txt'], parse: parseSysctl }) ?? new Map();
  const hostAddr = r.read<AddrData>('host.addr', { files: txtOrJson('host/addr'), parse: parseAddr });
  const sboxAddr = r.read<AddrData>('sbox.addr', { files: txtOrJson('ingress_sbox/addr'), parse: parseAddr });
  const routes = r.read<RouteData>('host.routes', { files: txtOrJson('host/routes'), parse: parseRoutes });
  const ipvs = r.read<IpvsData>('sbox.ipvs', { files: ['ingress_sbox/ipvs.txt'], parse: parseIpvs });
  const neigh = r.read<NeighData>('sbox.neigh', { files: txtOrJson('ingress_sbox/neigh'), parse: parseNeigh });

  // ingress_sbox's address on docker_gwbridge: the network's Containers map says it; else the sbox
  // address inside the bridge subnet; else eth1, where libnetwork puts it.
  const gw = netData.get('docker_gwbridge');
  let sboxGwbridgeIp = gw?.containers.find((c) => c.key === 'ingress-sbox')?.ipv4 ?? '';
  let sboxGwbridgeIpSource = sboxGwbridgeIp ? `${prefix}networks/docker_gwbridge.json` : '';
  if (!sboxGwbridgeIp && sboxAddr) {
    const v4 = sboxAddr.addresses.filter((a) => a.family === 'inet');
    const inSubnet = gw ? v4.find((a) => gw.subnets.some((s) => ipv4InCidr(a.address, s))) : undefined;
    const pick = inSubnet ?? v4.find((a) => a.ifname === 'eth1');
    if (pick) {
      sboxGwbridgeIp = pick.address;
      sboxGwbridgeIpSource = `${r.inputs.get('sbox.addr')!.file} (${pick.ifname})`;
    }
  }
  const ing = netData.get('ingress');
  let sboxIngressIp = ing?.containers.find((c) => c.key === 'ingress-sbox')?.ipv4 ?? '';
  if (!sboxIngressIp && sboxAddr) sboxIngressIp = sboxAddr.addresses.find((a) => a.family === 'inet' && a.ifname === 'eth0' && a.prefixLen < 32)?.address ?? '';

  const ipvsFile = r.inputs.get('sbox.ipvs')!.file;
  // One scratch object carries each service's fields to its constructor (a copy of each, spread with
  // two more, was a tenth of a trace); its backends are made when first read (a trace reads one
  // service's of each node).
  const fields: Record<string, unknown> = { file: ipvsFile };
  const ipvsServices = (ipvs?.services ?? []).map((s) => {
    Object.assign(fields, s);
    fields.backends = () => modelsOf('IpvsBackend', s.backends, { service: ipvsServiceName(s), fwmark: s.fwmark });
    return make('IpvsService', fields);
  });
  // Derived when first read (see LAZY_FIELDS in classes.ts): every backend, and by address.
  // What releaseNode drops: each derived value below, kept in a closure.
  const forgets: (() => void)[] = [];
  const lazy = <T>(compute: () => T) => once(compute, forgets);
  const ipvsBackends = lazy(() => {
    const all: unknown[] = [];
    for (const s of ipvsServices as { backends: unknown[] }[]) append(all, s.backends);
    return all;
  });
  const ipvsBackendsByAddress = lazy(() => {
    const byAddress = new Map<string, unknown[]>();
    for (const b of ipvsBackends() as { address: string }[]) pushTo(byAddress, b.address, b);
    return byAddress;
  });
  const ipvsByMark = new Map<bigint, unknown>();
  // Indexed loops, not for-of, over what a node has thousands of: see parseSave (iptables.ts).
  for (let i = 0; i < ipvsServices.length; i++) {
    const s = ipvsServices[i] as { protocol: string; fwmark: bigint };
    if (s.protocol === 'FWM' && !ipvsByMark.has(s.fwmark)) ipvsByMark.set(s.fwmark, s);
  }

  const neighFile = r.inputs.get('sbox.neigh')!.file;
  // Derived when first read, and let go with the node's other indexes (releaseNode).
  const neighbours = lazy(() => modelsOf('Neighbour', neigh?.entries ?? [], { file: neighFile }));
  const neighbourByIp = lazy(() => {
    const byIp = new Map<string, unknown>();
    const all = neighbours();
    for (let i = 0; i < all.length; i++) {
      const n = all[i] as { address: string; state: string };
      // An address may be listed twice (two devices, or a stale and a fresh row): keep the healthiest.
      const prev = byIp.get(n.address) as { state: string } | undefined;
      if (!prev || BAD_NEIGH.has(prev.state)) byIp.set(n.address, n);
    }
    return byIp;
  });

  // Derived when first read: the sbox's marks, the host's ingress DNATs, each by port.
  const marks = lazy(() => {
    const list: unknown[] = [];
    for (const chain of ['PREROUTING', 'INPUT', 'OUTPUT']) {
      // Read from the parsed chain, not from model rules: a node's hundreds of MARK rules need no
      // model objects (50,000 on 50 nodes, kept for the run) to make its marks.
      const c = sbox.parsed.tables.get('mangle')?.get(chain);
      for (let k = 0; k < (c?.size ?? 0); k++) {
        const rule = c!.fieldsAt(k) ?? c!.ruleAt(k);
        if (rule.setMark < 0) continue;
        list.push(make('Mark', { chain, protocol: rule.protocol, port: rule.dport, destination: rule.destination, mark: rule.setMark, file: c!.file, line: c!.lineAt(k) }));
      }
    }
    return list;
  });
  const markByPort = lazy(() => {
    const byPort = new Map<string, unknown>();
    for (const m of marks() as { chain: string; protocol: string; port: bigint }[]) {
      const key = `${m.protocol}/${m.port}`;
      if (m.chain === 'PREROUTING' && m.port > 0n && !byPort.has(key)) byPort.set(key, m);
    }
    return byPort;
  });
  const ingressDnat = lazy(() => (iptablesRules(host, 'nat', 'DOCKER-INGRESS') as unknown as IptablesRuleModel[]).filter((x) => x.target === 'DNAT'));
  const ingressDnatByPort = lazy(() => {
    const byPort = new Map<string, unknown[]>();
    for (const d of ingressDnat()) pushTo(byPort, `${d.protocol}/${d.dport}`, d);
    return byPort;
  });

  // Batch A (ingress_sbox and IPVS): sysctls with their lines, the sbox's VIPs, marks by value, IPVS timeouts.
  const sboxAddrFile = r.inputs.get('sbox.addr')!.file;
  const ipvsTimeout = r.read<IpvsTimeout>('sbox.ipvs-timeout', { files: ['ingress_sbox/ipvs-timeout.txt'], parse: parseIpvsTimeout });
  const ipvsConn = r.read<IpvsConnData>('sbox.ipvs-conn', { files: ['ingress_sbox/ipvs-conn.txt'], parse: parseIpvsConn });
  const batchA = {
    sboxSysctlEntries: sysctlEntries(sboxSysctl, nf.files.get('ingress_sbox/sysctl.txt'), r.inputs.get('sbox.sysctl')!.file),
    hostSysctlEntries: sysctlEntries(sysctl, nf.files.get('host/sysctl.txt'), r.inputs.get('host.sysctl')!.file),
    ...lazyParts(() => sboxVips(sboxAddr, sboxIngressIp, sboxAddrFile), ['sboxVips', 'sboxVipByAddress', 'sboxIngressIfname'], forgets),
    ...lazyParts(() => marksByValue(marks()), ['marksByValue', 'preroutingMarkValues'], forgets),
    ipvsTimeout: ipvsTimeoutModel(ipvsTimeout, r.inputs.get('sbox.ipvs-timeout')!.file),
    // IPVS's UDP connection entries (ingress_sbox/ipvs-conn.txt), grouped by destination.
    ...ipvsUdpFlows(ipvsConn, r.inputs.get('sbox.ipvs-conn')!.format, r.inputs.get('sbox.ipvs-conn')!.file),
  };
  // Batch B (host): interfaces, overlays' options, subnets against routes, rp_filter, iptables backends.
  const hostAddresses = addresses(hostAddr);
  const addrFile = r.inputs.get('host.addr')!.file;
  // /etc/docker/daemon.json: absent on most nodes (Docker's defaults; errors.json then says "No such file").
  const daemonJson = r.read<DaemonJson>('host.daemon-json', { files: ['host/daemon.json'], parse: parseDaemonJson });
  const ethtool = r.read<EthtoolData>('host.ethtool', { files: ['host/ethtool.txt'], parse: parseEthtool });
  const vxlanLinks = r.read<{ links: VxlanLink[] }>('host.vxlan', { files: jsonOrTxt('host/vxlan'), parse: parseVxlanLinks });
  const hostFacts = {
    hostInterfaces: hostInterfaces(hostAddr, addrFile),
    ethtoolInterfaces: ethtoolInterfaces(ethtool, r.inputs.get('host.ethtool')!.file),
    hostAddressByIp: hostAddressByIp(hostAddresses),
    ...nodeAddrInterface(hostAddr, info?.nodeAddr ?? ''),
    hostVxlanDevices: hostVxlanDevices(hostAddr, addrFile),
    hostVxlanLinks: hostVxlanLinks(vxlanLinks?.links, r.inputs.get('host.vxlan')!.file),
    nodeOverlays: () => nodeOverlays(netTexts, prefix, (rel) => r.inputs.get(`network.${rel.slice(9, -5)}`)?.status === 'present'),
    subnetOverlaps: subnetOverlaps(
      [
        { subnets: ing?.subnets ?? [], ignore: isDockerDevice },
        { subnets: gw?.subnets ?? [], ignore: (dev: string) => dev === 'docker_gwbridge' || dev.startsWith('veth') },
      ],
      routes, r.inputs.get('host.routes')!.file, hostAddr, addrFile,
    ),
    globalInterfaces: rpFilterInterfaces(hostAddr, sysctl),
    hostDockerChains: dockerChains(host.parsed),
    legacyDockerChains: dockerChains(legacyData),
    daemonConfig: daemonConfigModel(daemonJson, r.inputs.get('host.daemon-json')!.file),
  };
  // Which network manager holds Docker's interfaces (network-manager-leaves-docker): derived when first read.
  const nmcli = r.read<NetmgrData>('host.nmcli', { files: ['host/nmcli.txt'], parse: parseNmcli });
  const networkctl = r.read<NetmgrData>('host.networkctl', { files: ['host/networkctl.txt'], parse: parseNetworkctl });
  const netmgrSources = [
    { manager: 'NetworkManager', data: nmcli, file: r.inputs.get('host.nmcli')!.file },
    { manager: 'systemd-networkd', data: networkctl, file: r.inputs.get('host.networkctl')!.file },
  ];
  const netmgrDockerDevices = lazy(() => netmgrDevices(netmgrSources));
  const netmgr = {
    netmgrDockerDevices,
    netmgrManaged: lazy(() => (netmgrDockerDevices() as { managed: boolean }[]).filter((d) => d.managed)),
    nmcliRunning: nmcli?.running ?? false,
    networkdRunning: networkctl?.running ?? false,
  };

  // The ingress network's overlay namespace: neighbours and VXLAN FDB rows (src/model/overlay.ts).
  const overlayNeigh = r.read<NeighData>('overlay.neigh', { files: jsonOrTxt('ingress_overlay/neigh'), parse: parseNeigh });
  const overlayFdb = r.read<FdbData>('overlay.fdb', { files: jsonOrTxt('ingress_overlay/fdb'), parse: parseFdb });
  const overlay = overlayModel(overlayNeigh, r.inputs.get('overlay.neigh')!.file, overlayFdb, r.inputs.get('overlay.fdb')!.file, ing?.id ?? '');

  // The kernel modules the mesh needs (kernel-modules-present): loaded, built in, loadable, and
  // what the rest of the capture shows; derived when first read.
  const modulesLoaded = r.read<ModulesData>('host.modules', { files: ['host/modules.txt'], parse: parseProcModules });
  const modulesBuiltin = r.read<ModulesData>('host.modules-builtin', { files: ['host/modules-builtin.txt'], parse: parseModuleFiles });
  const modulesDep = r.read<ModulesData>('host.modules-dep', { files: ['host/modules-dep.txt'], parse: parseModuleFiles });
  const input = (id: string) => r.inputs.get(id)!;
  const backend = iptablesBackend(['host/iptables.txt', 'host/iptables-nat.txt', 'host/iptables-filter.txt', 'host/iptables-mangle.txt'].map((f) => nf.files.get(f)).find((t) => t !== undefined));
  const atByKey = (entries: Map<string, unknown>) => new Map([...(entries as Map<string, { at: string }>)].map(([k, v]) => [k, v.at]));
  const kernel = {
    kernelModuleSupport: moduleSupport(input('host.modules')),
    kernelRelease: info?.kernelVersion ?? '',
    kernelModules: lazy(() =>
      kernelModules(
        { loaded: modulesLoaded, loadedInput: input('host.modules'), builtin: modulesBuiltin, builtinInput: input('host.modules-builtin'), dep: modulesDep, depInput: input('host.modules-dep'), release: info?.kernelVersion ?? '', backend },
        () => ({
          host: host.parsed, sbox: sbox.parsed, ipvs, ipvsInput: input('sbox.ipvs'),
          hostSysctl: atByKey(batchA.hostSysctlEntries), sboxSysctl: atByKey(batchA.sboxSysctlEntries), hostSysctlInput: input('host.sysctl'),
          hostAddr, hostAddrFile: addrFile, fdb: overlayFdb, fdbFile: input('overlay.fdb').file,
        }),
      ),
    ),
  };

  const node = make<NodeModel>('Node', {
    ...hostFacts,
    ...kernel,
    ...overlay,
    name: nf.name,
    hostname: info?.name ?? '',
    engineVersion: info?.serverVersion ?? '',
    nodeId: info?.nodeId ?? '',
    nodeAddr: info?.nodeAddr ?? '',
    swarmState: info?.swarmState ?? '',
    isManager: info?.isManager ?? false,
    dataPathPort: info?.dataPathPort ?? 4789,
    inputs: r.inputs,
    sysctl,
    sboxSysctl,
    host,
    sbox,
    hostLegacy,
    hostAddresses,
    sboxAddresses: addresses(sboxAddr),
    routes: (routes?.routes ?? []).map((x) => make('Route', { destination: x.destination, gateway: x.gateway, device: x.device, source: x.source })),
    networks,
    sboxGwbridgeIp,
    sboxGwbridgeIpSource,
    sboxIngressIp,
    ipvs: ipvsServices,
    ipvsByMark,
    ipvsBackends,
    ipvsBackendsByAddress,
    neighbours,
    neighbourByIp,
    marks,
    markByPort,
    ingressDnat,
    ingressDnatByPort,
    ...batchA,
    ...netmgr,
  });
  nodeForgets.set(node, () => {
    for (const f of forgets) f();
    releaseLazy(node);
    for (const s of ipvsServices) releaseLazy(s);
    for (const ipt of [host, sbox, hostLegacy]) ipt.ruleCache.clear();
  });
  rememberInfo(node, info); // batch C (src/model/swarm.ts)
  r.done();
  return { node, diagnostics: [...nf.diagnostics, ...r.diagnostics] };
}

/** How ipvsadm names a virtual service: `FWM 256`, `TCP 10.0.0.5:80`, `TCP [::1]:80`. */
function ipvsServiceName(s: IpvsData['services'][number]): string {
  return s.protocol === 'FWM' ? `FWM ${s.fwmark}` : `${s.protocol} ${s.address.includes(':') ? `[${s.address}]` : s.address}:${s.port}`;
}

/**
 * A value computed on the first call, then given again: a field derived when first read (see
 * LAZY_FIELDS in classes.ts). `forgets`, when given, gets a function that drops the value kept (it is
 * computed again on the next call: see releaseNode).
 */
function once<T>(compute: () => T, forgets?: (() => void)[]): () => T {
  let done = false;
  let value: T | undefined;
  forgets?.push(() => {
    done = false;
    value = undefined;
  });
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value as T;
  };
}

/** Fields of one computation, each derived when first read (the computation runs once for all of them). */
function lazyParts<T extends object>(compute: () => T, keys: readonly (keyof T & string)[], forgets?: (() => void)[]): Record<string, () => unknown> {
  const all = once(compute, forgets);
  return Object.fromEntries(keys.map((k) => [k, () => all()[k]]));
}

/** Per node: what releaseNode drops. */
const nodeForgets = new WeakMap<object, () => void>();

/**
 * Let go of what a node derived when first read (its lazy fields, the IPVS services' backends, the
 * iptables rules made as models): all of it is computed again, alike, when next read. A check calls
 * this once every rule has read the node, so that a 50-node capture does not keep every node's
 * indexes to the end (about half a megabyte per node of 500 services).
 */
export function releaseNode(node: NodeModel): void {
  nodeForgets.get(node)?.();
}

export const BAD_NEIGH = new Set(['INCOMPLETE', 'FAILED']);

type IptablesRuleModel = Omit<IptablesRule, 'index' | 'dport' | 'sport' | 'toPort' | 'setMark' | 'line'> & {
  index: bigint;
  dport: bigint;
  sport: bigint;
  toPort: bigint;
  setMark: bigint;
  line: bigint;
};

/* ---------- the cluster ---------- */

function buildCluster(capture: Pick<CaptureFiles, 'cluster' | 'clusterErrors' | 'clusterRefused'>, nodes: NodeModel[]): { cluster: ClusterModel; diagnostics: Diagnostic[] } {
  const r = new InputReader(capture.cluster, capture.clusterErrors, 'cluster/', capture.clusterRefused);
  let swarmNodes: SwarmNode[] | undefined = r.read<SwarmNode[]>('cluster.nodes', { files: ['nodes.json', 'node-ls.txt'], parse: (c, f, rel) => (rel === 'nodes.json' ? parseNodes(c, f) : parseNodeLs(c, f)) });
  const services = r.read<SwarmService[]>('cluster.services', { files: ['services.json'], parse: parseServices }) ?? [];
  const tasks = r.read<SwarmTask[]>('cluster.tasks', { files: ['tasks.json'], parse: parseTasks }) ?? [];
  swarmNodes ??= [];
  // Batch B (host): the swarm's networks with their options.
  const swarmNetworks = overlayModels(r.read<SwarmNetwork[]>('cluster.networks', { files: ['networks.json'], parse: parseNetworkList }) ?? [], 'cluster/networks.json');

  // The ingress network id: from any node's ingress network, else from tasks' attachments.
  let ingressNetworkId = '';
  for (const n of nodes) {
    const ing = (n.networks as Map<string, { id: string }>).get('ingress');
    if (ing?.id) {
      ingressNetworkId = ing.id;
      break;
    }
  }
  if (!ingressNetworkId) ingressNetworkId = tasks.flatMap((t) => t.attachments).find((a) => a.ingress)?.networkId ?? '';
  // A node folder without its own networks/ingress.json still has the swarm's ingress namespace name.
  for (const n of nodes) if (!n.ingressOverlayNetns) n.ingressOverlayNetns = ingressOverlayNetns(ingressNetworkId);

  const nodeModels = swarmNodes.map((n) => make('SwarmNode', { id: n.id, hostname: n.hostname, role: n.role, availability: n.availability, state: n.state, addr: n.addr, engineVersion: n.engineVersion, leader: n.leader, reachability: n.reachability, line: n.line }));
  const serviceModels = services.map((s) =>
    make('Service', {
      id: s.id, name: s.name, mode: s.mode, endpointMode: s.endpointMode,
      ports: s.ports.map((p) => make('PublishedPort', { ...p })),
      virtualIPs: s.virtualIPs.map((v) => make('VirtualIP', { ...v })),
      line: s.line,
    }),
  );
  const taskModels = tasks.map((t) =>
    make('Task', {
      id: t.id, serviceId: t.serviceId, nodeId: t.nodeId, slot: t.slot, desiredState: t.desiredState, state: t.state, line: t.line,
      attachments: t.attachments.map((a) => make('TaskAttachment', { ...a })),
      ingressAddresses: t.attachments.filter((a) => a.ingress || (ingressNetworkId !== '' && a.networkId === ingressNetworkId)).flatMap((a) => a.addresses),
    }),
  );
  const ingressPorts: unknown[] = [];
  const seen = new Set<string>();
  for (const s of services) {
    for (const p of s.ports) {
      if (p.publishMode !== 'ingress' || !p.publishedPort) continue;
      const key = `${p.protocol}/${p.publishedPort}`;
      if (seen.has(`${s.id} ${key}`)) continue;
      seen.add(`${s.id} ${key}`);
      ingressPorts.push(make('IngressPort', { key, serviceId: s.id, service: s.name, protocol: p.protocol, port: p.publishedPort, targetPort: p.targetPort }));
    }
  }
  // Engine versions: the manager's node list where there is one; nodes it does not list, from their info.json.
  const versionSource = r.inputs.get('cluster.nodes')!;
  const engineVersions: unknown[] = [];
  const listed = new Set<string>();
  for (const n of swarmNodes) {
    if (!n.engineVersion) continue;
    listed.add(n.hostname);
    engineVersions.push(make('EngineVersion', { node: n.hostname, version: n.engineVersion, source: versionSource.file }));
  }
  for (const n of nodes) {
    const v = n.engineVersion as string;
    if (!v || listed.has(n.hostname as string) || listed.has(n.name)) continue;
    engineVersions.push(make('EngineVersion', { node: n.name, version: v, source: n.inputs.get('info')!.file }));
  }
  // Every service has an entry, empty when none of its tasks runs: "no running task" is an answer.
  const runningIngressAddresses = new Map<string, string[]>(services.map((s) => [s.id, []]));
  for (const t of taskModels as { serviceId: string; desiredState: string; ingressAddresses: string[] }[]) {
    if (t.desiredState !== 'running') continue;
    const list = runningIngressAddresses.get(t.serviceId);
    if (list) append(list, t.ingressAddresses);
    else runningIngressAddresses.set(t.serviceId, [...t.ingressAddresses]);
  }
  // Who holds each ingress address, as the holding node reports it (tasks and sboxes are node-local
  // entries of the ingress network's Containers map).
  const ingressEndpointByIp = new Map<string, unknown>();
  for (const n of nodes) {
    const ing = (n.networks as Map<string, { containers: { name: string; ipv4: string; mac: string }[] }>).get('ingress');
    for (const c of ing?.containers ?? []) {
      if (c.ipv4 && !ingressEndpointByIp.has(c.ipv4)) ingressEndpointByIp.set(c.ipv4, make('IngressEndpoint', { node: n.name, name: c.name, ipv4: c.ipv4, mac: c.mac, file: n.inputs.get('network.ingress')?.file ?? '' }));
    }
  }
  // Which task holds (or held) each ingress address: one that should be running, else the first other one
  // listed (the manager keeps a few shut-down tasks of each slot, with the addresses they had).
  const taskByIngressIp = new Map<string, unknown>();
  for (const running of [true, false]) {
    for (const t of taskModels as { desiredState: string; ingressAddresses: string[] }[]) {
      if ((t.desiredState === 'running') !== running) continue;
      for (const a of t.ingressAddresses) if (!taskByIngressIp.has(a)) taskByIngressIp.set(a, t);
    }
  }
  // The same addresses as a set per service, for rules that ask whether an address is one of them.
  const runningIngressAddressSet = new Map<string, Map<string, boolean>>();
  for (const [id, list] of runningIngressAddresses) runningIngressAddressSet.set(id, new Map(list.map((a) => [a, true])));
  const ingressPortByKey = new Map<string, unknown>();
  for (const p of ingressPorts as { key: string }[]) if (!ingressPortByKey.has(p.key)) ingressPortByKey.set(p.key, p);
  // Batch A (ingress_sbox and IPVS): the ingress VIPs every sbox must hold.
  const batchA = ingressVips(services, nodes.map((n) => (n.networks as Map<string, { id: string }>).get('ingress')?.id ?? ''));
  // batch C (src/model/swarm.ts): services and networks seen swarm-wide
  const swarm = swarmViews({ nodes, swarmNodes, services, tasks, servicesFile: r.inputs.get('cluster.services')!.file, ingressNetworkId });
  swarmDataPathPort(nodes);
  // Where each ingress address lives, and the swarm's underlay addresses (src/model/overlay.ts).
  const underlay = underlayViews({ nodes, swarmNodes, services, tasks, nodesFile: r.inputs.get('cluster.nodes')!.file, tasksFile: r.inputs.get('cluster.tasks')!.file, ingressNetworkId });
  const cluster = make<ClusterModel>('Cluster', {
    ...swarm,
    ...underlay,
    swarmNetworks,
    inputs: r.inputs,
    nodes: nodeModels,
    services: serviceModels,
    tasks: taskModels,
    runningIngressAddresses,
    runningIngressAddressSet,
    taskByIngressIp,
    ingressPorts,
    ingressPortByKey,
    engineVersions,
    ingressNetworkId,
    ingressEndpointByIp,
    nodeById: new Map(nodeModels.map((n) => [(n as { id: string }).id, n])),
    serviceById: new Map(serviceModels.map((s) => [(s as { id: string }).id, s])),
    ...batchA,
  });
  return { cluster, diagnostics: r.diagnostics };
}

/**
 * Parse every file of a capture and build the snapshot the rules see. The nodes may come one at a
 * time (openCapture's readNodes): each node's files are read, modelled and let go before the next.
 */
export function buildSnapshot(capture: Omit<CaptureFiles, 'nodes'> & { nodes: Iterable<NodeFiles> }): Snapshot {
  const diagnostics: Diagnostic[] = [...capture.diagnostics];
  const nodes: NodeModel[] = [];
  for (const nf of capture.nodes) {
    const built = buildNode(nf);
    nodes.push(built.node);
    append(diagnostics, built.diagnostics);
  }
  const c = buildCluster(capture, nodes);
  append(diagnostics, c.diagnostics);
  // Every file is read: what the parsers remember of lines has no more use, and would hold them.
  forgetParseMemos();
  // registerSnapshot: a node's walk of the mesh (src/trace/path.ts) finds the other nodes.
  return registerSnapshot({ nodes, cluster: c.cluster, diagnostics });
}
