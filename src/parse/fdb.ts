import { DiagnosticSink, JsonFields, type JsonAt, at, jsonValueLines, looksLikeJson, pathOf, type Parsed, readJsonText, textLines } from './types.js';

/*
 * A bridge forwarding database: `bridge fdb show` and `bridge -j fdb show`. In an overlay network's
 * namespace, libnetwork programs one row per endpoint on another node on the VXLAN device:
 * `02:42:0a:00:00:62 dev vxlan0 dst 192.168.100.253 self permanent` (the tunnel's far end).
 */

export interface FdbEntry {
  /** Lowercase. */
  mac: string;
  /** `dev`; '' when the listing was of one device (`bridge fdb show dev vxlan0` leaves it out). */
  device: string;
  /** The VXLAN remote (`dst`): where frames for the MAC are tunnelled; '' for a bridge's own rows. */
  dst: string;
  vlan: number;
  master: string;
  /** self, router, extern_learn, offload, master, sticky. */
  flags: string[];
  /** permanent, static, stale, or '' (iproute2 prints nothing for a reachable row). */
  state: string;
  line: number;
}

export interface FdbData {
  entries: FdbEntry[];
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2})+$/i;
const FLAGS = new Set(['self', 'router', 'extern_learn', 'offload', 'master', 'sticky']);
const STATES = new Set(['permanent', 'static', 'stale']);
/** Keywords followed by a value, as iproute2 prints them (`used` and `updated` with -s). */
const VALUED = new Set(['dev', 'dst', 'vlan', 'port', 'vni', 'src_vni', 'via', 'master', 'nhid', 'used', 'updated']);

/** `bridge fdb show` or `bridge -j fdb show` (also of one device, with `dev`). */
export function parseFdb(content: string, file: string): Parsed<FdbData> {
  const sink = new DiagnosticSink(file);
  const entries: FdbEntry[] = [];
  const emptyJson = file.endsWith('.json') && content.replace(/^\uFEFF/, '').trim() === '';
  if (looksLikeJson(content) || emptyJson) {
    const doc = readJsonText(content, sink);
    if (!doc) return { format: 'bridge-j-fdb', data: { entries }, diagnostics: sink.list };
    const f = new JsonFields(sink, doc.text, 'bridge -j fdb');
    const v = doc.value;
    let list: { o: Record<string, unknown>; path: JsonAt }[] = [];
    if (Array.isArray(v)) list = f.objects(v, []);
    else if (v !== null && typeof v === 'object') list = [{ o: v as Record<string, unknown>, path: [] }];
    else f.error([], `the document is ${v === null ? 'null' : typeof v}, expected a list of objects`);
    const paths: JsonAt[] = [];
    for (const { o, path } of list) {
      const mac = f.str(o, path, 'mac');
      if (!mac) {
        if (o.mac === undefined || o.mac === '') f.error(path, `${f.name(path)} has no "mac"`);
        continue;
      }
      if (!MAC.test(mac)) {
        f.error(at(path, 'mac'), `${f.name(at(path, 'mac'))} ${JSON.stringify(mac.slice(0, 40))} is not a MAC address`);
        continue;
      }
      // "state": "permanent" (a list is taken too, as ip -j neigh prints states).
      const states = Array.isArray(o.state) ? f.strings(o.state, at(path, 'state')).map((x) => x.s) : [f.str(o, path, 'state')];
      entries.push({
        mac: mac.toLowerCase(),
        device: f.str(o, path, 'ifname'),
        dst: f.str(o, path, 'dst'),
        vlan: f.int(o, path, 'vlan', 0, 4095),
        master: f.str(o, path, 'master'),
        flags: f.strings(f.list(o, path, 'flags'), at(path, 'flags')).map((x) => x.s),
        state: (states[0] ?? '').toLowerCase(),
        line: 0,
      });
      paths.push(path);
    }
    f.flush();
    const lines = paths.length ? jsonValueLines(doc.text, paths.map(pathOf)) : [];
    entries.forEach((e, i) => (e.line = lines[i]));
    return { format: 'bridge-j-fdb', data: { entries }, diagnostics: sink.list };
  }
  for (const { no, text } of textLines(content)) {
    const words = text.trim().split(/\s+/);
    if (!MAC.test(words[0])) {
      sink.error(no, `not a 'bridge fdb show' row (a MAC address first): '${text.trim().slice(0, 80)}'`);
      continue;
    }
    const e: FdbEntry = { mac: words[0].toLowerCase(), device: '', dst: '', vlan: 0, master: '', flags: [], state: '', line: no };
    let bad = '';
    for (let i = 1; i < words.length && !bad; i++) {
      const w = words[i];
      const next = words[i + 1];
      // `master` is a flag when no device name follows it.
      if (VALUED.has(w) && next !== undefined && !(w === 'master' && (FLAGS.has(next) || STATES.has(next)))) {
        i++;
        if (w === 'dev') e.device = next;
        else if (w === 'dst') e.dst = next;
        else if (w === 'master') e.master = next;
        else if (w === 'vlan') {
          if (/^\d{1,4}$/.test(next) && Number(next) <= 4095) e.vlan = Number(next);
          else bad = `vlan ${next.slice(0, 20)} is not a VLAN id`;
        }
      } else if (FLAGS.has(w)) e.flags.push(w);
      else if (STATES.has(w) || /^state=0x[0-9a-f]+$/i.test(w)) e.state = w.toLowerCase();
      else if (VALUED.has(w)) bad = `'${w}' without its value`;
      else bad = `unknown word '${w.slice(0, 40)}'`;
    }
    if (bad) {
      sink.error(no, `${bad}: '${text.trim().slice(0, 80)}'`);
      continue;
    }
    entries.push(e);
  }
  return { format: 'bridge-fdb', data: { entries }, diagnostics: sink.list };
}
