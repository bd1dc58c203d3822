import { DiagnosticSink, JsonFields, type JsonAt, at, type Parsed, pathOf, readJsonText, jsonValueLines, textLines } from './types.js';
import { obj, type Obj } from '../util/obj.js';

/* Docker objects as the API or the CLI prints them, reduced to what the mesh depends on. */

export interface DockerInfo {
  name: string;
  serverVersion: string;
  nodeId: string;
  nodeAddr: string;
  /** Swarm.LocalNodeState: active, inactive, pending, error, locked. */
  swarmState: string;
  isManager: boolean;
  dataPathPort: number;
  /** Whether Swarm.Cluster.DataPathPort was there (only managers print Swarm.Cluster), and its line (0 when not). */
  dataPathPortSet: boolean;
  dataPathPortLine: number;
  kernelVersion: string;
  operatingSystem: string;
}

export interface NetworkEndpoint {
  /** The key in Containers: a container id, or 'ingress-sbox'. */
  key: string;
  name: string;
  /** IPv4 address without its prefix length; '' when none. */
  ipv4: string;
  prefixLen: number;
  mac: string;
}

export interface NetworkPeer {
  name: string;
  ip: string;
}

export interface DockerNetwork {
  id: string;
  name: string;
  driver: string;
  scope: string;
  ingress: boolean;
  subnets: string[];
  gateways: string[];
  containers: NetworkEndpoint[];
  peers: NetworkPeer[];
}

export interface SwarmNode {
  id: string;
  hostname: string;
  role: string;
  availability: string;
  /** Status.State: ready, down, unknown, disconnected. */
  state: string;
  addr: string;
  engineVersion: string;
  leader: boolean;
  /** ManagerStatus.Reachability (reachable, unreachable, unknown); '' for a worker. From `docker node ls`: Leader and Reachable read as reachable. */
  reachability: string;
  /** Set when read from `docker node ls` output instead of JSON. */
  self: boolean;
  /** Line of the node's entry in the file (its object in nodes.json, its row in node-ls.txt). */
  line: number;
}

export interface PublishedPort {
  protocol: string;
  targetPort: number;
  publishedPort: number;
  /** ingress or host. */
  publishMode: string;
}

export interface VirtualIP {
  networkId: string;
  address: string;
  prefixLen: number;
  /** Line of the VIP's entry in services.json. */
  line: number;
}

export interface SwarmService {
  id: string;
  name: string;
  /** replicated, global, replicated-job, global-job. */
  mode: string;
  /** vip or dnsrr. */
  endpointMode: string;
  /** Endpoint.Ports when present (what is really published), else Spec.EndpointSpec.Ports. */
  ports: PublishedPort[];
  virtualIPs: VirtualIP[];
  /** Line where the service's object starts in services.json. */
  line: number;
}

export interface TaskAttachment {
  networkId: string;
  networkName: string;
  ingress: boolean;
  addresses: string[];
}

export interface SwarmTask {
  id: string;
  serviceId: string;
  nodeId: string;
  slot: number;
  desiredState: string;
  state: string;
  attachments: TaskAttachment[];
  /** Line where the task's object starts in tasks.json. */
  line: number;
}

const MAX_PORT = 65535;

/** "10.0.0.5/24" (or "10.0.0.5"): the address and prefix length; an unreadable prefix is an error. */
function splitCidr(a: string, f: JsonFields, path: JsonAt): { address: string; prefixLen: number } {
  const slash = a.indexOf('/');
  if (slash < 0) return { address: a, prefixLen: 0 };
  const p = a.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p) || Number(p) > 128) {
    f.error(path, `${f.name(path)} is ${JSON.stringify(a.length > 60 ? a.slice(0, 60) + '...' : a)}: not ADDRESS/PREFIX-LENGTH`);
    return { address: a.slice(0, slash), prefixLen: 0 };
  }
  return { address: a.slice(0, slash), prefixLen: Number(p) };
}

interface Entry {
  o: Obj;
  path: JsonAt;
}

/**
 * An API list (array), or one object as `docker X inspect` of one item prints it. Entries that are
 * not objects are errors at their line.
 */
function readList(content: string, sink: DiagnosticSink, what: string): { entries: Entry[]; f: JsonFields; text: string } | undefined {
  const doc = readJsonText(content, sink);
  if (!doc) return undefined;
  const f = new JsonFields(sink, doc.text, what);
  const v = doc.value;
  if (Array.isArray(v)) return { entries: f.objects(v, [], `a ${what} object`), f, text: doc.text };
  if (v !== null && typeof v === 'object') return { entries: [{ o: v as Obj, path: [] }], f, text: doc.text };
  f.error([], `the document is ${v === null ? 'null' : typeof v}, expected a ${what} object or a list of them`);
  return { entries: [], f, text: doc.text };
}

/** Set each item's line to where its JSON value starts (one pass over the text for all of them). */
function setLines(text: string, items: { line: number }[], paths: JsonAt[]): void {
  if (items.length === 0) return;
  const lines = jsonValueLines(text, paths.map(pathOf));
  items.forEach((x, i) => (x.line = lines[i] ?? 0));
}

const done = <T>(format: string, data: T, f: JsonFields | undefined, sink: DiagnosticSink): Parsed<T> => {
  f?.flush();
  return { format, data, diagnostics: sink.list };
};

export function parseInfo(content: string, file: string): Parsed<DockerInfo | undefined> {
  const sink = new DiagnosticSink(file);
  const doc = readJsonText(content, sink);
  if (!doc) return done('unknown', undefined, undefined, sink);
  const f = new JsonFields(sink, doc.text, 'docker info');
  const v = doc.value;
  const base: JsonAt = Array.isArray(v) ? [0] : [];
  const o = obj(Array.isArray(v) ? v[0] : v);
  if (!('ServerVersion' in o) && !('Swarm' in o)) {
    sink.error(0, "not `docker info` JSON: no 'ServerVersion' or 'Swarm' field");
    return done('unknown', undefined, f, sink);
  }
  // Swarm is a struct in docker info: never null, even outside a swarm.
  const swarm = f.obj(o, base, 'Swarm', false);
  const sp = at(base, 'Swarm');
  const cluster = f.obj(swarm, sp, 'Cluster', true);
  const data: DockerInfo = {
    name: f.str(o, base, 'Name'),
    serverVersion: f.str(o, base, 'ServerVersion'),
    nodeId: f.str(swarm, sp, 'NodeID'),
    nodeAddr: f.str(swarm, sp, 'NodeAddr'),
    swarmState: f.str(swarm, sp, 'LocalNodeState'),
    isManager: f.bool(swarm, sp, 'ControlAvailable'),
    dataPathPort: f.int(cluster, at(sp, 'Cluster'), 'DataPathPort', 0, MAX_PORT) || 4789,
    dataPathPortSet: typeof cluster.DataPathPort === 'number' && cluster.DataPathPort > 0,
    dataPathPortLine: 0,
    kernelVersion: f.str(o, base, 'KernelVersion'),
    operatingSystem: f.str(o, base, 'OperatingSystem'),
  };
  if (data.dataPathPortSet) data.dataPathPortLine = jsonValueLines(doc.text, [pathOf(at(at(sp, 'Cluster'), 'DataPathPort'))])[0] ?? 0;
  return done('docker-info', data, f, sink);
}

export function parseNetwork(content: string, file: string): Parsed<DockerNetwork | undefined> {
  const sink = new DiagnosticSink(file);
  const list = readList(content, sink, 'network');
  if (!list) return done('unknown', undefined, undefined, sink);
  const { f } = list;
  if (list.entries.length !== 1) sink.error(0, `expected one network, found ${list.entries.length}`);
  const { o, path } = list.entries[0] ?? { o: {}, path: [] };
  if (!('Name' in o) || !('Id' in o || 'ID' in o)) {
    sink.error(0, "not `docker network inspect` JSON: no 'Name' or 'Id' field");
    return done('unknown', undefined, f, sink);
  }
  const ipam = f.obj(o, path, 'IPAM', true);
  const configs = f.objects(f.list(ipam, at(path, 'IPAM'), 'Config'), at(at(path, 'IPAM'), 'Config'));
  const containers = f.members(o, path, 'Containers').map((e) => {
    const cidr = splitCidr(f.str(e.o, e.path, 'IPv4Address'), f, at(e.path, 'IPv4Address'));
    return { key: e.key, name: f.str(e.o, e.path, 'Name'), ipv4: cidr.address, prefixLen: cidr.prefixLen, mac: f.str(e.o, e.path, 'MacAddress') };
  });
  const data: DockerNetwork = {
    id: 'Id' in o ? f.str(o, path, 'Id') : f.str(o, path, 'ID'),
    name: f.str(o, path, 'Name'),
    driver: f.str(o, path, 'Driver'),
    scope: f.str(o, path, 'Scope'),
    ingress: f.bool(o, path, 'Ingress'),
    subnets: configs.map((c) => f.str(c.o, c.path, 'Subnet')).filter(Boolean),
    gateways: configs.map((c) => f.str(c.o, c.path, 'Gateway')).filter(Boolean),
    containers,
    peers: f.objects(f.list(o, path, 'Peers'), at(path, 'Peers')).map((p) => ({ name: f.str(p.o, p.path, 'Name'), ip: f.str(p.o, p.path, 'IP') })),
  };
  return done('docker-network', data, f, sink);
}

export function parseNodes(content: string, file: string): Parsed<SwarmNode[]> {
  const sink = new DiagnosticSink(file);
  const list = readList(content, sink, 'node');
  const nodes: SwarmNode[] = [];
  if (!list) return done('docker-nodes', nodes, undefined, sink);
  const { f } = list;
  const paths: JsonAt[] = [];
  for (const { o, path } of list.entries) {
    const id = f.str(o, path, 'ID');
    if (!id || !('Description' in o)) {
      if (!('ID' in o) || typeof o.ID === 'string') f.error(path, `${f.name(path)} is not a swarm node object (no ID or Description)`);
      continue;
    }
    const desc = f.obj(o, path, 'Description', false);
    const spec = f.obj(o, path, 'Spec', false);
    const status = f.obj(o, path, 'Status', false);
    const ms = f.obj(o, path, 'ManagerStatus', true);
    const dp = at(path, 'Description');
    nodes.push({
      id,
      hostname: f.str(desc, dp, 'Hostname'),
      role: f.str(spec, at(path, 'Spec'), 'Role'),
      availability: f.str(spec, at(path, 'Spec'), 'Availability'),
      state: f.str(status, at(path, 'Status'), 'State'),
      addr: f.str(status, at(path, 'Status'), 'Addr'),
      engineVersion: f.str(f.obj(desc, dp, 'Engine', false), at(dp, 'Engine'), 'EngineVersion'),
      leader: f.bool(ms, at(path, 'ManagerStatus'), 'Leader'),
      reachability: f.str(ms, at(path, 'ManagerStatus'), 'Reachability'),
      self: false,
      line: 0,
    });
    paths.push(path);
  }
  setLines(list.text, nodes, paths);
  return done('docker-nodes', nodes, f, sink);
}

function serviceMode(mode: Obj): string {
  if ('Replicated' in mode) return 'replicated';
  if ('Global' in mode) return 'global';
  if ('ReplicatedJob' in mode) return 'replicated-job';
  if ('GlobalJob' in mode) return 'global-job';
  return '';
}

export function parseServices(content: string, file: string): Parsed<SwarmService[]> {
  const sink = new DiagnosticSink(file);
  const list = readList(content, sink, 'service');
  const services: SwarmService[] = [];
  if (!list) return done('docker-services', services, undefined, sink);
  const { f } = list;
  const paths: JsonAt[] = [];
  const vips: VirtualIP[] = [];
  const vipPaths: JsonAt[] = [];
  for (const { o, path } of list.entries) {
    const id = f.str(o, path, 'ID');
    if (!id || !('Spec' in o)) {
      if (!('ID' in o) || typeof o.ID === 'string') f.error(path, `${f.name(path)} is not a swarm service object (no ID or Spec)`);
      continue;
    }
    const spec = f.obj(o, path, 'Spec', false);
    const sp = at(path, 'Spec');
    const endpoint = f.obj(o, path, 'Endpoint', true);
    const ep = at(path, 'Endpoint');
    const epSpec = f.obj(spec, sp, 'EndpointSpec', true);
    const esp = at(sp, 'EndpointSpec');
    // Endpoint.Ports is what is really published; the spec's ports only say what was asked for.
    const [portsOf, portsPath] = 'Ports' in endpoint ? [endpoint, ep] : [epSpec, esp];
    const ports = f.objects(f.list(portsOf, portsPath, 'Ports'), at(portsPath, 'Ports')).map(({ o: po, path: pp }) => ({
      protocol: f.str(po, pp, 'Protocol') || 'tcp',
      targetPort: f.int(po, pp, 'TargetPort', 0, MAX_PORT),
      publishedPort: f.int(po, pp, 'PublishedPort', 0, MAX_PORT),
      publishMode: f.str(po, pp, 'PublishMode') || 'ingress',
    }));
    const virtualIPs = f.objects(f.list(endpoint, ep, 'VirtualIPs'), at(ep, 'VirtualIPs')).map(({ o: vo, path: vp }) => {
      const cidr = splitCidr(f.str(vo, vp, 'Addr'), f, at(vp, 'Addr'));
      const vip = { networkId: f.str(vo, vp, 'NetworkID'), address: cidr.address, prefixLen: cidr.prefixLen, line: 0 };
      vips.push(vip);
      vipPaths.push(vp);
      return vip;
    });
    services.push({
      id,
      name: f.str(spec, sp, 'Name'),
      mode: serviceMode(f.obj(spec, sp, 'Mode', false)),
      endpointMode: f.str(epSpec, esp, 'Mode') || f.str(f.obj(endpoint, ep, 'Spec', true), at(ep, 'Spec'), 'Mode') || 'vip',
      ports,
      virtualIPs,
      line: 0,
    });
    paths.push(path);
  }
  setLines(list.text, services, paths);
  setLines(list.text, vips, vipPaths);
  return done('docker-services', services, f, sink);
}

export function parseTasks(content: string, file: string): Parsed<SwarmTask[]> {
  const sink = new DiagnosticSink(file);
  const list = readList(content, sink, 'task');
  const tasks: SwarmTask[] = [];
  if (!list) return done('docker-tasks', tasks, undefined, sink);
  const { f } = list;
  const paths: JsonAt[] = [];
  for (const { o, path } of list.entries) {
    const id = f.str(o, path, 'ID');
    if (!id || !('ServiceID' in o)) {
      if (!('ID' in o) || typeof o.ID === 'string') f.error(path, `${f.name(path)} is not a swarm task object (no ID or ServiceID)`);
      continue;
    }
    const ap = at(path, 'NetworksAttachments');
    tasks.push({
      id,
      serviceId: f.str(o, path, 'ServiceID'),
      nodeId: f.str(o, path, 'NodeID'),
      slot: f.int(o, path, 'Slot', 0, Number.MAX_SAFE_INTEGER),
      desiredState: f.str(o, path, 'DesiredState'),
      state: f.str(f.obj(o, path, 'Status', false), at(path, 'Status'), 'State'),
      attachments: f.objects(f.list(o, path, 'NetworksAttachments'), ap).map(({ o: ao, path: aap }) => {
        const net = f.obj(ao, aap, 'Network', false);
        const np = at(aap, 'Network');
        const netSpec = f.obj(net, np, 'Spec', false);
        const adp = at(aap, 'Addresses');
        return {
          networkId: f.str(net, np, 'ID'),
          networkName: f.str(netSpec, at(np, 'Spec'), 'Name'),
          ingress: f.bool(netSpec, at(np, 'Spec'), 'Ingress'),
          addresses: f.strings(f.list(ao, aap, 'Addresses'), adp).map((x) => splitCidr(x.s, f, x.path).address),
        };
      }),
      line: 0,
    });
    paths.push(path);
  }
  setLines(list.text, tasks, paths);
  return done('docker-tasks', tasks, f, sink);
}

/** `docker node ls` as printed: columns found from the header, '*' marks the node it ran on. */
export function parseNodeLs(content: string, file: string): Parsed<SwarmNode[]> {
  const sink = new DiagnosticSink(file);
  const lines = textLines(content);
  const hi = lines.findIndex((l) => /^ID\s+HOSTNAME\s+STATUS/.test(l.text.trim()));
  if (hi < 0) {
    sink.error(lines[0]?.no ?? 0, "not `docker node ls` output: no 'ID  HOSTNAME  STATUS' header");
    return { format: 'unknown', data: [], diagnostics: sink.list };
  }
  const header = lines[hi].text;
  const cols = ['ID', 'HOSTNAME', 'STATUS', 'AVAILABILITY', 'MANAGER STATUS', 'ENGINE VERSION'].map((c) => header.indexOf(c));
  const nodes: SwarmNode[] = [];
  for (const { no, text } of lines.slice(hi + 1)) {
    // Column positions hold for aligned output; pasted output with collapsed spacing falls back to words.
    const aligned = cols.every((c) => c >= 0) && text.length >= cols[3];
    let id: string, host: string, status: string, avail: string, mgr: string, engine: string;
    const self = /^\S+\s+\*/.test(text);
    if (aligned && text.slice(cols[1] - 1, cols[1]) === ' ') {
      const cut = (a: number, b: number) => text.slice(cols[a], b < cols.length && cols[b] >= 0 ? cols[b] : undefined).trim();
      [id, host, status, avail, mgr, engine] = [cut(0, 1).replace(/\s*\*$/, ''), cut(1, 2), cut(2, 3), cut(3, 4), cut(4, 5), cut(5, 6)];
    } else {
      const w = text.trim().split(/\s+/).filter((x) => x !== '*');
      if (w.length < 4) {
        sink.error(no, `not a 'docker node ls' row: '${text.trim().slice(0, 80)}'`);
        continue;
      }
      [id, host, status, avail] = w;
      const rest = w.slice(4);
      engine = rest.length && /^\d+\.\d+/.test(rest[rest.length - 1]) ? rest.pop()! : '';
      mgr = rest.join(' ');
    }
    if (!/^[a-z0-9]{6,}$/i.test(id)) {
      sink.error(no, `not a node id: '${id}'`);
      continue;
    }
    nodes.push({
      id, hostname: host, role: mgr ? 'manager' : 'worker', availability: avail.toLowerCase(), state: status.toLowerCase(),
      addr: '', engineVersion: engine, leader: mgr === 'Leader',
      reachability: mgr === 'Leader' || mgr === 'Reachable' ? 'reachable' : mgr.toLowerCase(), self, line: no,
    });
  }
  return { format: 'docker-node-ls', data: nodes, diagnostics: sink.list };
}
