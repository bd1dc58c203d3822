import { Environment } from '@marcbachmann/cel-js';
import { celType, snapshotSchema } from '../model/schema.js';
import { modelClass } from '../model/classes.js';
import { inputNotFound, iptablesHasChain, iptablesRules, ipv4InCidr, type IptablesModel, type InputModel, type NodeModel } from '../model/build.js';
import { make } from '../model/classes.js';
import { forwardToSbox, inputFrom, walkView } from '../trace/mesh.js';
import { traceFields, traceForCheck } from '../trace/path.js';
import { installRe2Matches, re2Matches, verifyPatternFinder } from './regex.js';
import { installMeter } from './budget.js';

/**
 * The typed functions rules may call: the shared capabilities, so that no rule needs TypeScript of
 * its own. Each has a signature CEL checks at load time and a description `rules functions` shows.
 */
export const FUNCTIONS: { signature: string; description: string; handler: (...args: never[]) => unknown }[] = [
  {
    signature: 'Iptables.rules(string, string): list<IptablesRule>',
    description: 'rules of one chain of one table, in order; empty when the chain does not exist',
    handler: ((ipt: IptablesModel, table: string, chain: string) => iptablesRules(ipt, table, chain)) as never,
  },
  {
    signature: 'Iptables.hasChain(string, string): bool',
    description: 'whether the chain exists in the table',
    handler: ((ipt: IptablesModel, table: string, chain: string) => iptablesHasChain(ipt, table, chain)) as never,
  },
  {
    signature: 'Node.forwardWalk(string, int): Walk',
    description:
      "a client's new connection to a published port (protocol, port), walked through this node's host iptables after the DNAT to ingress_sbox: raw and mangle PREROUTING, mangle and filter FORWARD",
    handler: ((node: NodeModel, protocol: string, port: bigint) => make('Walk', walkView(forwardToSbox(node, protocol, Number(port))))) as never,
  },
  {
    signature: 'Node.inputWalk(string, int, string): Walk',
    description: "a new packet from an address (3rd argument) to this node's own address on a port, walked through raw and mangle PREROUTING, mangle and filter INPUT",
    handler: ((node: NodeModel, protocol: string, port: bigint, src: string) => make('Walk', walkView(inputFrom(node, protocol, Number(port), src)))) as never,
  },
  {
    signature: 'Node.meshTrace(string, int): Trace',
    description:
      "a client's new connection to a published port (protocol, port) followed hop by hop from this node to the task (src/trace/path.ts, what `mesh-doctor trace` prints): host PREROUTING and its DNAT, routing, host FORWARD, ingress_sbox's MARK, IPVS, SNAT, each backend's neighbour entry, task, node and VXLAN",
    handler: ((node: NodeModel, protocol: string, port: bigint) => make('Trace', traceFields(traceForCheck(node, protocol, Number(port))))) as never,
  },
  {
    signature: 'notFound(Input): bool',
    description: 'the collector tried to read the input and was told it is not there: "no such file" (ENOENT), or Docker\'s "No such network" for networks/<NAME>.json',
    handler: ((i: InputModel) => inputNotFound(i)) as never,
  },
  {
    signature: 'versionDelta(list<string>): string',
    description: "how far apart the versions are: 'none', 'patch', 'minor' or 'major' (numeric components, a leading v and suffixes ignored)",
    handler: ((versions: string[]) => versionDelta(versions)) as never,
  },
  {
    signature: 'newestVersion(list<string>): string',
    description: "the highest of the versions, compared by their numeric components (newestVersion(['20.10.12', '24.0.7']) == '24.0.7'); '' for an empty list",
    handler: ((versions: string[]) => newestVersion(versions)) as never,
  },
  {
    signature: 'distinct(list<string>): list<string>',
    description: 'the values without repeats, in first-seen order',
    handler: ((xs: string[]) => [...new Set(xs)]) as never,
  },
  {
    signature: 'cidrContains(string, string): bool',
    description: "whether an IPv4 address lies in a prefix: cidrContains('10.0.0.0/24', '10.0.0.98')",
    handler: ((cidr: string, ip: string) => ipv4InCidr(ip, cidr)) as never,
  },
  {
    signature: 'matches(string, string): bool',
    description: 'whether an RE2 regular expression (2nd argument) matches any part of the string, like string.matches(); linear time, no backreferences or lookaround',
    handler: ((s: string, pattern: string) => re2Matches(s, pattern)) as never,
  },
  {
    signature: 'hex(int): string',
    description: 'an integer as iptables prints marks: hex(8282) == "0x205a"',
    handler: ((n: bigint) => '0x' + n.toString(16)) as never,
  },
];

function versionParts(v: string): number[] {
  return (/(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v) ?? []).slice(1, 4).map((x) => Number(x ?? 0));
}

export function newestVersion(versions: string[]): string {
  let best = '';
  let bestParts: number[] = [];
  for (const v of versions) {
    const p = versionParts(v);
    const i = p.findIndex((x, k) => x !== bestParts[k]);
    if (best === '' || (i !== -1 && p[i] > bestParts[i])) {
      best = v;
      bestParts = p;
    }
  }
  return best;
}

export function versionDelta(versions: string[]): 'none' | 'patch' | 'minor' | 'major' {
  const parsed = [...new Set(versions)].map(versionParts);
  if (parsed.length < 2) return 'none';
  const differs = (i: number) => new Set(parsed.map((p) => p[i])).size > 1;
  if (differs(0)) return 'major';
  if (differs(1)) return 'minor';
  if (differs(2)) return 'patch';
  return new Set(versions).size > 1 ? 'patch' : 'none';
}

let base: Environment | undefined;

/**
 * The base environment: snapshot types from the schema, the capability functions. Built once, after
 * replacing cel-js's regular expressions with RE2 and metering its evaluation (both verified).
 */
export function baseEnvironment(): Environment {
  if (base) return base;
  installRe2Matches();
  installMeter();
  const env = new Environment({ homogeneousAggregateLiterals: false });
  const defs = snapshotSchema().$defs ?? {};
  for (const [name, def] of Object.entries(defs)) {
    const fields: Record<string, string> = {};
    for (const [k, p] of Object.entries(def.properties ?? {})) fields[k] = celType(p);
    env.registerType(name, { ctor: modelClass(name), fields } as never);
  }
  for (const f of FUNCTIONS) {
    const m = /^(?:(\w+)\.)?(\w+)\((.*)\):\s*(.+)$/.exec(f.signature)!;
    const [, receiver, name, params, returnType] = m;
    const paramTypes = params ? splitTypes(params) : [];
    if (receiver) {
      env.registerFunction({
        name, receiverType: receiver, returnType, description: f.description,
        handler: f.handler as never,
        params: paramTypes.map((type, i) => ({ name: `arg${i}`, type })),
      } as never);
    } else env.registerFunction(`${name}(${params}): ${returnType}`, f.handler as never);
  }
  verifyPatternFinder(env);
  base = env;
  return env;
}

/** Split "string, map<string, int>" on top-level commas. */
export function splitTypes(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '<') depth++;
    if (c === '>') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}
