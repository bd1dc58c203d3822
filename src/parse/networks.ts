import { at, DiagnosticSink, JsonFields, jsonValueLines, pathOf, type Parsed, readJsonText } from './types.js';

/**
 * cluster/networks.json: the swarm's networks as a manager lists them (`docker network inspect` of
 * every overlay, GET /networks), with the driver options the data path depends on: `encrypted`
 * (IPsec ESP between nodes) and `com.docker.network.driver.mtu` (the overlay's MTU). The same
 * reader takes one node's networks/<NAME>.json, for the options of its ingress network.
 */
export interface SwarmNetwork {
  id: string;
  name: string;
  driver: string;
  scope: string;
  ingress: boolean;
  subnets: string[];
  /** Driver options as strings (`encrypted` has the value "" when set by `--opt encrypted`). */
  options: Map<string, string>;
  encrypted: boolean;
  /** com.docker.network.driver.mtu; 0 when not set. */
  mtu: number;
  /** Line of the network's object in the file (1-based). */
  line: number;
}

export const MTU_OPTION = 'com.docker.network.driver.mtu';
/** The VXLAN id of each of an overlay's subnets, comma separated: `4096`, `4097,4098`. */
export const VXLAN_IDS_OPTION = 'com.docker.network.driver.overlay.vxlanid_list';

/** A list of `docker network inspect` objects (one object alone is a list of one). Total: bad input is a diagnostic. */
export function parseNetworkList(content: string, file: string): Parsed<SwarmNetwork[]> {
  const sink = new DiagnosticSink(file);
  const out: SwarmNetwork[] = [];
  const doc = readJsonText(content, sink);
  if (!doc) return { format: 'unknown', data: out, diagnostics: sink.list };
  const f = new JsonFields(sink, doc.text, 'network');
  const v = doc.value;
  const entries = Array.isArray(v) ? f.objects(v, [], 'a network object') : v !== null && typeof v === 'object' ? [{ o: v as Record<string, unknown>, path: [] as (string | number)[] }] : [];
  if (!Array.isArray(v) && (v === null || typeof v !== 'object')) f.error([], `the document is ${v === null ? 'null' : typeof v}, expected a list of networks`);
  for (const { o, path } of entries) {
    if (!('Name' in o) || !('Id' in o || 'ID' in o)) {
      f.error(path, `${f.name(path)} is not \`docker network inspect\` JSON: no 'Name' or 'Id' field`);
      continue;
    }
    const options = new Map<string, string>();
    for (const [k, val] of Object.entries(f.obj(o, path, 'Options', true))) {
      if (typeof val === 'string') options.set(k, val);
      else f.error(at(at(path, 'Options'), k), `${f.name(at(at(path, 'Options'), k))} is ${val === null ? 'null' : typeof val}, expected a string`);
    }
    let mtu = 0;
    const mtuText = options.get(MTU_OPTION);
    if (mtuText !== undefined) {
      if (/^\d{1,6}$/.test(mtuText.trim()) && Number(mtuText) >= 68 && Number(mtuText) <= 65535) mtu = Number(mtuText);
      else f.error(at(at(path, 'Options'), MTU_OPTION), `${MTU_OPTION} is ${JSON.stringify(mtuText.slice(0, 20))}, expected an MTU from 68 to 65535`);
    }
    const ipam = f.obj(o, path, 'IPAM', true);
    const configs = f.objects(f.list(ipam, at(path, 'IPAM'), 'Config'), at(at(path, 'IPAM'), 'Config'));
    out.push({
      id: 'Id' in o ? f.str(o, path, 'Id') : f.str(o, path, 'ID'),
      name: f.str(o, path, 'Name'),
      driver: f.str(o, path, 'Driver'),
      scope: f.str(o, path, 'Scope'),
      ingress: f.bool(o, path, 'Ingress'),
      subnets: configs.map((c) => f.str(c.o, c.path, 'Subnet')).filter(Boolean),
      options,
      // `--opt encrypted` stores "" and `--opt encrypted=true` "true"; only an explicit false is off.
      encrypted: options.has('encrypted') && !/^(false|0|no)$/i.test(options.get('encrypted')!.trim()),
      mtu,
      line: 0,
    });
  }
  f.flush();
  // Lines of the networks, so a verdict can point at the one it is about.
  if (Array.isArray(v) && out.length > 0) {
    const paths = entries.filter(({ o }) => 'Name' in o && ('Id' in o || 'ID' in o)).map(({ path }) => pathOf(path));
    const lines = jsonValueLines(doc.text, paths);
    out.forEach((n, i) => (n.line = lines[i] ?? 0));
  } else if (out.length === 1) out[0].line = 1;
  return { format: 'docker-networks', data: out, diagnostics: sink.list };
}
