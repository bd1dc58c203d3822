import { at, DiagnosticSink, JsonFields, jsonValueLines, readJsonText, stripBom, type Parsed } from './types.js';

/**
 * /etc/docker/daemon.json as the routing mesh cares about it: whether it turns off dockerd's
 * iptables management ("iptables": false: no DOCKER-INGRESS DNAT, no sbox rules written) or its
 * IP forwarding ("ip-forward": false: dockerd leaves net.ipv4.ip_forward as it finds it).
 */
export interface DaemonJson {
  /** Top-level keys, in file order. */
  keys: string[];
  /** The value of "iptables"; null when the file does not set it (dockerd's default, true). */
  iptables: boolean | null;
  /** Line of the "iptables" value (1-based); 0 when not set. */
  iptablesLine: number;
  /** The value of "ip-forward"; null when not set (default true). */
  ipForward: boolean | null;
  ipForwardLine: number;
}

/** The keys read, and the fields they go to. */
const SETTINGS = [
  ['iptables', 'iptables', 'iptablesLine'],
  ['ip-forward', 'ipForward', 'ipForwardLine'],
] as const;

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v === 'string' ? JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v) : String(v));

/**
 * Read daemon.json as dockerd does (daemon/config getConflictFreeConfiguration): a UTF-8 or UTF-16
 * byte-order mark is allowed (the capture reader decodes it), a file of only whitespace is no
 * settings at all (dockerd's defaults), anything else must be one JSON object (Go's encoding/json:
 * no comments, no trailing commas). A file dockerd would refuse to start with is an error naming
 * the line; a key given twice counts with its last value, as in Go. Never throws.
 */
export function parseDaemonJson(content: string, file: string): Parsed<DaemonJson> {
  const sink = new DiagnosticSink(file);
  const data: DaemonJson = { keys: [], iptables: null, iptablesLine: 0, ipForward: null, ipForwardLine: 0 };
  if (stripBom(content).trim() === '') return { format: 'daemon-json', data, diagnostics: sink.list };
  const doc = readJsonText(content, sink);
  if (!doc) {
    for (const d of sink.list) d.message += ' (dockerd refuses to start with this daemon.json: it must be plain JSON, without comments or trailing commas)';
    return { format: 'unknown', data, diagnostics: sink.list };
  }
  const f = new JsonFields(sink, doc.text);
  const v = doc.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    f.error([], `the document is ${describe(v)}, expected an object of dockerd settings ({"iptables": ..., ...}): dockerd refuses to start with this daemon.json`);
    f.flush();
    return { format: 'unknown', data, diagnostics: sink.list };
  }
  const o = v as Record<string, unknown>;
  data.keys = Object.keys(o);
  for (const [key, field] of SETTINGS) {
    if (!Object.hasOwn(o, key)) continue;
    const x = o[key];
    // Go leaves a bool as it was for null: the default.
    if (x === null) f.warn(at([], key), `"${key}": null leaves dockerd's default (true)`);
    else if (typeof x !== 'boolean') f.error(at([], key), `"${key}" is ${describe(x)}, expected true or false: dockerd refuses to start with this daemon.json`);
    else data[field] = x;
  }
  f.flush();
  const lines = jsonValueLines(doc.text, SETTINGS.map(([key]) => [key]));
  SETTINGS.forEach(([, field, lineField], i) => {
    if (data[field] !== null) data[lineField] = lines[i];
  });
  return { format: 'daemon-json', data, diagnostics: sink.list };
}
