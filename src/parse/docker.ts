import { DiagnosticSink, type Parsed, readJson, textLines } from './types.js';
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
  /** Set when read from `docker node ls` output instead of JSON. */
  self: boolean;
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
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : 0);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function splitCidr(a: string): { address: string; prefixLen: number } {
  const [address, p] = a.split('/');
  return { address, prefixLen: p ? Number(p) : 0 };
}

/** An API list (array), or one object as `docker X inspect` of one item prints it. */
function readList(content: string, sink: DiagnosticSink, what: string): Obj[] | undefined {
  const v = readJson(content, sink);
  if (v === undefined) return undefined;
  const list = Array.isArray(v) ? v : [v];
  const out: Obj[] = [];
  list.forEach((o, i) => {
    if (!o || typeof o !== 'object' || Array.isArray(o)) sink.error(0, `${what} entry ${i} is not an object`);
    else out.push(o as Obj);
  });
  return out;
}

export function parseInfo(content: string, file: string): Parsed<DockerInfo | undefined> {
  const sink = new DiagnosticSink(file);
  const v = readJson(content, sink);
  const o = obj(Array.isArray(v) ? v[0] : v);
  if (v !== undefined && !('ServerVersion' in o) && !('Swarm' in o)) {
    sink.error(0, "not `docker info` JSON: no 'ServerVersion' or 'Swarm' field");
    return { format: 'unknown', data: undefined, diagnostics: sink.list };
  }
  if (v === undefined) return { format: 'unknown', data: undefined, diagnostics: sink.list };
  const swarm = obj(o.Swarm);
  return {
    format: 'docker-info',
    data: {
      name: str(o.Name),
      serverVersion: str(o.ServerVersion),
      nodeId: str(swarm.NodeID),
      nodeAddr: str(swarm.NodeAddr),
      swarmState: str(swarm.LocalNodeState),
      isManager: swarm.ControlAvailable === true,
      dataPathPort: num(obj(swarm.Cluster).DataPathPort) || 4789,
      kernelVersion: str(o.KernelVersion),
      operatingSystem: str(o.OperatingSystem),
    },
    diagnostics: sink.list,
  };
}

export function parseNetwork(content: string, file: string): Parsed<DockerNetwork | undefined> {
  const sink = new DiagnosticSink(file);
  const list = readList(content, sink, 'network');
  if (!list) return { format: 'unknown', data: undefined, diagnostics: sink.list };
  if (list.length !== 1) sink.error(0, `expected one network, found ${list.length}`);
  const o = list[0] ?? {};
  if (!('Name' in o) || !('Id' in o || 'ID' in o)) {
    sink.error(0, "not `docker network inspect` JSON: no 'Name' or 'Id' field");
    return { format: 'unknown', data: undefined, diagnostics: sink.list };
  }
  const ipam = obj(o.IPAM);
  const containers = Object.entries(obj(o.Containers)).map(([key, c]) => {
    const co = obj(c);
    const cidr = splitCidr(str(co.IPv4Address));
    return { key, name: str(co.Name), ipv4: cidr.address, prefixLen: cidr.prefixLen, mac: str(co.MacAddress) };
  });
  return {
    format: 'docker-network',
    data: {
      id: str(o.Id ?? o.ID),
      name: str(o.Name),
      driver: str(o.Driver),
      scope: str(o.Scope),
      ingress: o.Ingress === true,
      subnets: arr(ipam.Config).map((c) => str(obj(c).Subnet)).filter(Boolean),
      gateways: arr(ipam.Config).map((c) => str(obj(c).Gateway)).filter(Boolean),
      containers,
      peers: arr(o.Peers).map((p) => ({ name: str(obj(p).Name), ip: str(obj(p).IP) })),
    },
    diagnostics: sink.list,
  };
}

export function parseNodes(content: string, file: string): Parsed<SwarmNode[]> {
  const sink = new DiagnosticSink(file);
  const list = readList(content, sink, 'node') ?? [];
  const nodes: SwarmNode[] = [];
  list.forEach((o, i) => {
    const desc = obj(o.Description);
    if (!str(o.ID) || !('Description' in o)) {
      sink.error(0, `node entry ${i} is not a swarm node object (no ID or Description)`);
      return;
    }
    const spec = obj(o.Spec);
    const status = obj(o.Status);
    const ms = obj(o.ManagerStatus);
    nodes.push({
      id: str(o.ID),
      hostname: str(desc.Hostname),
      role: str(spec.Role),
      availability: str(spec.Availability),
      state: str(status.State),
      addr: str(status.Addr),
      engineVersion: str(obj(desc.Engine).EngineVersion),
      leader: ms.Leader === true,
      self: false,
    });
  });
  return { format: 'docker-nodes', data: nodes, diagnostics: sink.list };
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
  const list = readList(content, sink, 'service') ?? [];
  const services: SwarmService[] = [];
  list.forEach((o, i) => {
    const spec = obj(o.Spec);
    if (!str(o.ID) || !('Spec' in o)) {
      sink.error(0, `service entry ${i} is not a swarm service object (no ID or Spec)`);
      return;
    }
    const endpoint = obj(o.Endpoint);
    const epSpec = obj(spec.EndpointSpec);
    const rawPorts = 'Ports' in endpoint ? arr(endpoint.Ports) : arr(epSpec.Ports);
    services.push({
      id: str(o.ID),
      name: str(spec.Name),
      mode: serviceMode(obj(spec.Mode)),
      endpointMode: str(epSpec.Mode) || str(obj(endpoint.Spec).Mode) || 'vip',
      ports: rawPorts.map((p) => {
        const po = obj(p);
        return {
          protocol: str(po.Protocol) || 'tcp',
          targetPort: num(po.TargetPort),
          publishedPort: num(po.PublishedPort),
          publishMode: str(po.PublishMode) || 'ingress',
        };
      }),
      virtualIPs: arr(endpoint.VirtualIPs).map((v) => {
        const vo = obj(v);
        const cidr = splitCidr(str(vo.Addr));
        return { networkId: str(vo.NetworkID), address: cidr.address, prefixLen: cidr.prefixLen };
      }),
    });
  });
  return { format: 'docker-services', data: services, diagnostics: sink.list };
}

export function parseTasks(content: string, file: string): Parsed<SwarmTask[]> {
  const sink = new DiagnosticSink(file);
  const list = readList(content, sink, 'task') ?? [];
  const tasks: SwarmTask[] = [];
  list.forEach((o, i) => {
    if (!str(o.ID) || !('ServiceID' in o)) {
      sink.error(0, `task entry ${i} is not a swarm task object (no ID or ServiceID)`);
      return;
    }
    tasks.push({
      id: str(o.ID),
      serviceId: str(o.ServiceID),
      nodeId: str(o.NodeID),
      slot: num(o.Slot),
      desiredState: str(o.DesiredState),
      state: str(obj(o.Status).State),
      attachments: arr(o.NetworksAttachments).map((a) => {
        const ao = obj(a);
        const net = obj(ao.Network);
        return {
          networkId: str(net.ID),
          networkName: str(obj(net.Spec).Name),
          ingress: obj(net.Spec).Ingress === true,
          addresses: arr(ao.Addresses).map((x) => splitCidr(str(x)).address),
        };
      }),
    });
  });
  return { format: 'docker-tasks', data: tasks, diagnostics: sink.list };
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
      addr: '', engineVersion: engine, leader: mgr === 'Leader', self,
    });
  }
  return { format: 'docker-node-ls', data: nodes, diagnostics: sink.list };
}
