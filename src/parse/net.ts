import { DiagnosticSink, fileKind, intern, JsonFields, type JsonAt, at, jsonValueLines, looksLikeJson, pathOf, type Parsed, readJsonText, textLines, parseMemo } from './types.js';

/* ---------- neighbours ---------- */

export interface Neighbour {
  address: string;
  /** '' when the entry has no link-layer address yet (incomplete / failed). */
  lladdr: string;
  /**
   * REACHABLE, STALE, DELAY, PROBE, PERMANENT, NOARP, INCOMPLETE, FAILED, NONE from `ip neigh`;
   * arp and /proc/net/arp know only COMPLETE, PERMANENT and INCOMPLETE.
   */
  state: string;
  device: string;
  line: number;
}

export interface NeighData {
  entries: Neighbour[];
}

const NUD_STATES = new Set(['REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT', 'NOARP', 'INCOMPLETE', 'FAILED', 'NONE']);

/** An empty file named .json: `ip -j` prints at least `[]`, so nothing at all is a failed or cut capture. */
const emptyJson = (content: string, file: string): boolean => file.endsWith('.json') && content.trim().replace(/^\uFEFF/, '') === '';

/** A neighbour entry, its short texts kept once (intern): a 50-node capture has 100,000 entries of a few states and devices. */
function entry(address: string, lladdr: string, state: string, device: string, line: number): Neighbour {
  return { address: intern(address), lladdr: intern(lladdr), state: intern(state), device: intern(device), line };
}

/** `ip -j` output: a list of objects (one object alone is taken as a list of one). */
function parseJsonArray(content: string, sink: DiagnosticSink, what: string): { entries: { o: Record<string, unknown>; path: JsonAt }[]; f: JsonFields; text: string } | undefined {
  const doc = readJsonText(content, sink);
  if (!doc) return undefined;
  const f = new JsonFields(sink, doc.text, what);
  const v = doc.value;
  if (Array.isArray(v)) return { entries: f.objects(v, []), f, text: doc.text };
  if (v !== null && typeof v === 'object') return { entries: [{ o: v as Record<string, unknown>, path: [] }], f, text: doc.text };
  f.error([], `the document is ${v === null ? 'null' : typeof v}, expected a list of objects`);
  return { entries: [], f, text: doc.text };
}

/** An `ip neigh` line with other whitespace, read by the regex: its words (address, [dev, device,] the rest), or undefined. */
function neighWords(t: string): string[] | undefined {
  const m = /^(\S+)\s+(?:dev\s+(\S+))?(.*)$/.exec(t);
  if (!m) return undefined;
  return [m[1], ...(m[2] !== undefined ? ['dev', m[2]] : []), ...m[3].trim().split(/\s+/).filter(Boolean)];
}

/**
 * What an `ip neigh` line says: its entry (at line 0: each line with the text gives its own), or why
 * it is none; `neigh`: it reads as an `ip neigh` line at all.
 */
interface NeighLine {
  neigh: boolean;
  entry: Neighbour | undefined;
  error: string;
}

/**
 * `ip neigh` lines read so far, by text. The sboxes of a swarm's nodes resolve the same backends
 * to the same MACs: the same lines, but for the state of each entry.
 */
const neighLines = parseMemo<NeighLine>();

// ip neigh: "10.0.0.98 dev eth0 lladdr 02:42:0a:00:00:62 REACHABLE" (also "router", "proxy", no dev with -n?)
// The words of the line, as /^(\S+)\s+(?:dev\s+(\S+))?(.*)$/ reads them: the address, an optional
// `dev X`, the rest. Words between single spaces (what ip prints) are split directly.
function readNeighLine(t: string): NeighLine {
  const w = t.includes('  ') || /[^\S ]/.test(t) ? neighWords(t) : t.split(' ');
  if (w && w.length >= 2 && /^[\d.:a-f]+$/i.test(w[0])) {
    const dev = w[1] === 'dev' && w.length >= 3;
    const from = dev ? 3 : 1;
    const ll = w.indexOf('lladdr', from);
    let state: string | undefined;
    for (let i = w.length - 1; i >= from && !state; i--) if (NUD_STATES.has(w[i])) state = w[i];
    if (!state) return { neigh: true, entry: undefined, error: `neighbour entry without a state: '${t.slice(0, 80)}'` };
    return { neigh: true, entry: entry(w[0], ll >= 0 ? (w[ll + 1] ?? '') : '', state, dev ? w[2] : '', 0), error: '' };
  }
  return { neigh: false, entry: undefined, error: `not neighbour output (ip neigh, arp -a, arp -an or /proc/net/arp): '${t.slice(0, 80)}'` };
}

/** `ip neigh`, `ip -j neigh`, `arp -a`, `arp -an`, `arp` (table) or `/proc/net/arp`. */
export function parseNeigh(content: string, file: string): Parsed<NeighData> {
  const sink = new DiagnosticSink(file);
  const entries: Neighbour[] = [];
  if (looksLikeJson(content) || emptyJson(content, file)) {
    const doc = parseJsonArray(content, sink, 'ip -j neigh');
    const paths: JsonAt[] = [];
    for (const { o, path } of doc?.entries ?? []) {
      const dst = doc!.f.str(o, path, 'dst');
      if (!dst) {
        if (o.dst === undefined || o.dst === '') doc!.f.error(path, `${doc!.f.name(path)} has no "dst"`);
        continue;
      }
      // "state": ["REACHABLE"] (iproute2 prints a list; a single string is taken too).
      const states = typeof o.state === 'string' ? [o.state] : doc!.f.strings(doc!.f.list(o, path, 'state'), at(path, 'state')).map((x) => x.s);
      const state = (states[0] ?? 'NONE').toUpperCase();
      if (!NUD_STATES.has(state)) {
        doc!.f.error(at(path, 'state'), `${doc!.f.name(at(path, 'state'))} ${JSON.stringify(states[0].slice(0, 40))} is no neighbour state (${[...NUD_STATES].join(', ')})`);
        continue;
      }
      entries.push(entry(dst, doc!.f.str(o, path, 'lladdr'), state, doc!.f.str(o, path, 'dev'), 0));
      paths.push(path);
    }
    doc?.f.flush();
    // Each entry's line: where its object starts (`ip -j` prints one line; `ip -j -p` one per field).
    if (doc && paths.length) {
      const lines = jsonValueLines(doc.text, paths.map(pathOf));
      entries.forEach((e, i) => (e.line = lines[i]));
    }
    return { format: 'ip-j-neigh', data: { entries }, diagnostics: sink.list };
  }
  const lines = textLines(content);
  if (lines.length === 0) return { format: 'empty', data: { entries }, diagnostics: sink.list };
  let format = '';
  // Lines read before, looked up first where the last file of this kind had them.
  const lane = neighLines.lane(fileKind(file));
  // Indexed, not for-of: see parseSave (iptables.ts).
  for (let i = 0; i < lines.length; i++) {
    const { no, text } = lines[i];
    const t = text.trim();
    // A line read before as ip neigh is one again: no header, no arp -a row (its text alone decides that).
    let read = format === 'proc-net-arp' || format === 'arp-table' ? undefined : lane.get(no, t);
    if (read === undefined) {
      let m: RegExpExecArray | null;
      if (/^IP address\s+HW type\s+Flags/.test(t)) {
        format = 'proc-net-arp';
        continue;
      }
      if (/^Address\s+HWtype\s+HWaddress/.test(t)) {
        format = 'arp-table';
        continue;
      }
      if ((m = /^\S*\s*\(([^)]+)\)\s+at\s+(\S+)(?:\s+\[(\w+)\])?(?:\s+(PERM|PUB))*(?:\s+on\s+(\S+))?/.exec(t))) {
        format ||= 'arp-a';
        const incomplete = m[2] === '<incomplete>';
        entries.push(entry(m[1], incomplete ? '' : m[2], incomplete ? 'INCOMPLETE' : /\bPERM\b/.test(t) ? 'PERMANENT' : 'COMPLETE', m[5] ?? '', no));
        continue;
      }
      if (format === 'proc-net-arp') {
        const p = t.split(/\s+/);
        if (p.length < 6 || !/^0x[0-9a-f]+$/i.test(p[2])) {
          sink.error(no, `not a /proc/net/arp row: '${t.slice(0, 80)}'`);
          continue;
        }
        const flags = parseInt(p[2], 16);
        const state = (flags & 0x2) === 0 ? 'INCOMPLETE' : flags & 0x4 ? 'PERMANENT' : 'COMPLETE';
        entries.push(entry(p[0], state === 'INCOMPLETE' ? '' : p[3], state, p[5], no));
        continue;
      }
      if (format === 'arp-table') {
        // "10.0.0.98  ether  02:42:0a:00:00:62  C  eth0" or "10.0.0.5  (incomplete)  eth0"
        const p = t.split(/\s+/);
        if (p[1] === '(incomplete)') entries.push(entry(p[0], '', 'INCOMPLETE', p[p.length - 1], no));
        else if (p.length >= 4) entries.push(entry(p[0], p[2], /M/.test(p[3]) ? 'PERMANENT' : 'COMPLETE', p[p.length - 1], no));
        else sink.error(no, `not an arp table row: '${t.slice(0, 80)}'`);
        continue;
      }
      // ip neigh, or no neighbour output at all (looked up above, and not there: formats that skip
      // the lookup ended at their own branch).
      read = lane.keep(no, t, readNeighLine(t));
    }
    if (read.neigh) format ||= 'ip-neigh';
    // Shared with the other nodes whose table has this entry at this line (read-only from here on).
    const e = read.entry;
    if (e) entries.push(lane.made(no, read, () => ({ address: e.address, lladdr: e.lladdr, state: e.state, device: e.device, line: no })));
    else sink.error(no, read.error);
  }
  return { format: format || 'unknown', data: { entries }, diagnostics: sink.list };
}

/* ---------- addresses ---------- */

export interface Address {
  ifname: string;
  family: 'inet' | 'inet6';
  address: string;
  prefixLen: number;
  line: number;
}

export interface Interface {
  ifname: string;
  mtu: number;
  mac: string;
  state: string;
  /** The interface's own line (`ip addr`); 0 for `ip -j addr`. */
  line: number;
}

export interface AddrData {
  interfaces: Interface[];
  addresses: Address[];
}

/** An interface's first line in `ip addr` and `ip link` (`4: flannel.1: <BROADCAST,...> mtu 1450 ... state UNKNOWN ...`): its name, and the rest. */
const LINK_LINE = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<[^>]*>(.*)$/;
const LINK_STATE = /\bstate\s+(\S+)/;

/** `ip addr` or `ip -j addr`. */
export function parseAddr(content: string, file: string): Parsed<AddrData> {
  const sink = new DiagnosticSink(file);
  const data: AddrData = { interfaces: [], addresses: [] };
  if (looksLikeJson(content) || emptyJson(content, file)) {
    const doc = parseJsonArray(content, sink, 'ip -j addr');
    const f = doc?.f;
    for (const { o, path } of doc?.entries ?? []) {
      const ifname = f!.str(o, path, 'ifname');
      if (!ifname) {
        if (o.ifname === undefined || o.ifname === '') f!.error(path, `${f!.name(path)} has no "ifname"`);
        continue;
      }
      data.interfaces.push({ ifname, mtu: f!.int(o, path, 'mtu', 0, 0x7fffffff), mac: f!.str(o, path, 'address'), state: f!.str(o, path, 'operstate'), line: 0 });
      for (const a of f!.objects(f!.list(o, path, 'addr_info'), at(path, 'addr_info'))) {
        const family = f!.str(a.o, a.path, 'family');
        const local = f!.str(a.o, a.path, 'local');
        const prefixLen = f!.int(a.o, a.path, 'prefixlen', 0, 128);
        if ((family === 'inet' || family === 'inet6') && local) data.addresses.push({ ifname, family, address: local, prefixLen, line: 0 });
      }
    }
    f?.flush();
    return { format: 'ip-j-addr', data, diagnostics: sink.list };
  }
  let current: Interface | undefined;
  for (const { no, text } of textLines(content)) {
    const t = text.trim();
    let m: RegExpExecArray | null;
    if ((m = LINK_LINE.exec(t))) {
      const mtu = /\bmtu\s+(\d+)/.exec(m[2]);
      const state = LINK_STATE.exec(m[2]);
      if (mtu && !(mtu[1].length <= 10 && Number(mtu[1]) <= 0x7fffffff)) sink.error(no, `mtu ${mtu[1].slice(0, 20)} is out of range`);
      current = { ifname: m[1], mtu: mtu && mtu[1].length <= 10 && Number(mtu[1]) <= 0x7fffffff ? Number(mtu[1]) : 0, mac: '', state: state ? state[1] : '', line: no };
      data.interfaces.push(current);
    } else if ((m = /^link\/\S+\s+(\S+)/.exec(t))) {
      if (current) current.mac = m[1];
    } else if ((m = /^(inet6?)\s+([^/\s]+)\/(\d+)/.exec(t))) {
      if (!current) {
        sink.error(no, 'address line before any interface line');
        continue;
      }
      const maxLen = m[1] === 'inet' ? 32 : 128;
      if (m[3].length > 3 || Number(m[3]) > maxLen) {
        sink.error(no, `prefix length /${m[3].slice(0, 20)} is out of range for ${m[1]}`);
        continue;
      }
      // The label at the end of an inet line names the interface (eth0, eth0:1).
      data.addresses.push({ ifname: current.ifname, family: m[1] as 'inet' | 'inet6', address: m[2], prefixLen: Number(m[3]), line: no });
    } else if (/^(valid_lft|altname|inet6?\s)/.test(t) || current) {
      continue;
    } else {
      sink.error(no, `not 'ip addr' output: '${t.slice(0, 80)}'`);
    }
  }
  if (data.interfaces.length === 0 && sink.list.length === 0) sink.error(0, "no interface found: expected 'ip addr' or 'ip -j addr' output");
  return { format: 'ip-addr', data, diagnostics: sink.list };
}

/* ---------- routes ---------- */

export interface Route {
  /** 'default' or a prefix such as 10.0.0.0/24. */
  destination: string;
  gateway: string;
  device: string;
  source: string;
  line: number;
}

export interface RouteData {
  routes: Route[];
}

/** `ip route` or `ip -j route`. */
export function parseRoutes(content: string, file: string): Parsed<RouteData> {
  const sink = new DiagnosticSink(file);
  const routes: Route[] = [];
  if (looksLikeJson(content) || emptyJson(content, file)) {
    const doc = parseJsonArray(content, sink, 'ip -j route');
    const f = doc?.f;
    for (const { o, path } of doc?.entries ?? []) {
      const dst = f!.str(o, path, 'dst');
      if (!dst) {
        if (o.dst === undefined || o.dst === '') f!.error(path, `${f!.name(path)} has no "dst"`);
        continue;
      }
      routes.push({ destination: dst, gateway: f!.str(o, path, 'gateway'), device: f!.str(o, path, 'dev'), source: f!.str(o, path, 'prefsrc'), line: 0 });
    }
    f?.flush();
    return { format: 'ip-j-route', data: { routes }, diagnostics: sink.list };
  }
  for (const { no, text } of textLines(content)) {
    const p = text.trim().split(/\s+/);
    let i = 0;
    if (/^(unicast|local|broadcast|blackhole|unreachable|prohibit|throw|multicast)$/.test(p[0])) i++;
    const dst = p[i];
    if (!dst || !(dst === 'default' || /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(dst) || /^[\da-f]*:[\d.:a-f]*(\/\d{1,3})?$/i.test(dst))) {
      sink.error(no, `not an 'ip route' line: '${text.trim().slice(0, 80)}'`);
      continue;
    }
    const field = (k: string) => {
      const j = p.indexOf(k, i + 1);
      return j >= 0 ? p[j + 1] ?? '' : '';
    };
    routes.push({ destination: dst, gateway: field('via'), device: field('dev'), source: field('src'), line: no });
  }
  return { format: 'ip-route', data: { routes }, diagnostics: sink.list };
}

/* ---------- sysctl ---------- */

/** `sysctl -a` style `key = value` lines (also `key=value`); `sysctl: ...` notes are skipped. */
export function parseSysctl(content: string, file: string): Parsed<Map<string, string>> {
  const sink = new DiagnosticSink(file);
  const map = new Map<string, string>();
  for (const { no, text } of textLines(content)) {
    const t = text.trim();
    if (t.startsWith('#') || t.startsWith(';') || t.startsWith('sysctl:')) continue;
    const m = /^([A-Za-z0-9_.\-/]+)\s*=\s*(.*)$/.exec(t);
    if (!m) {
      sink.error(no, `not a 'key = value' line: '${t.slice(0, 80)}'`);
      continue;
    }
    map.set(m[1].replace(/\//g, '.'), m[2].replace(/\s+/g, ' '));
  }
  return { format: 'sysctl', data: map, diagnostics: sink.list };
}

/* ---------- VXLAN devices (ip -d link show type vxlan) ---------- */

export interface VxlanLink {
  ifname: string;
  /** The VXLAN network identifier (`vxlan id N`; JSON info_data.id); 0 for an external device. */
  vni: number;
  /**
   * `external` (collect metadata, as Cilium's cilium_vxlan): no VNI of its own, every VNI on its port
   * (JSON info_data.external).
   */
  external: boolean;
  /** The UDP port it sends to and listens on (`dstport N`; JSON info_data.port); 0 when the output does not say. */
  port: number;
  /** The device it is bound to (`dev X`; JSON info_data.link); '' when none. */
  dev: string;
  /** Its local (source) address; '' when none. */
  local: string;
  /** UP, DOWN, UNKNOWN (`state X`; JSON operstate). */
  state: string;
  /** The device's own line: in `ip -d link`, its first line; in JSON, the line of its "ifname". */
  line: number;
}

const MAX_VNI = 0xffffff;

/**
 * `ip -d link show type vxlan` or its `-j` form: the VXLAN devices of one network namespace, each
 * with its VNI, UDP port and underlay device. Other devices (a pasted `ip -d link` of everything)
 * are skipped; a VXLAN device whose VNI cannot be read is an error naming its line.
 */
export function parseVxlanLinks(content: string, file: string): Parsed<{ links: VxlanLink[] }> {
  const sink = new DiagnosticSink(file);
  const links: VxlanLink[] = [];
  if (looksLikeJson(content) || emptyJson(content, file)) {
    const doc = parseJsonArray(content, sink, 'ip -d -j link');
    const f = doc?.f;
    const found: { link: VxlanLink; path: JsonAt }[] = [];
    for (const { o, path } of doc?.entries ?? []) {
      const info = f!.obj(o, path, 'linkinfo', true);
      const infoAt = at(path, 'linkinfo');
      if (f!.str(info, infoAt, 'info_kind') !== 'vxlan') continue;
      const ifname = f!.str(o, path, 'ifname');
      if (!ifname) {
        f!.error(path, `${f!.name(path)} has no "ifname"`);
        continue;
      }
      const data = f!.obj(info, infoAt, 'info_data', true);
      const dataAt = at(infoAt, 'info_data');
      const external = f!.bool(data, dataAt, 'external');
      if (data.id === undefined && !external) {
        f!.error(dataAt, `${f!.name(dataAt)} has no "id": the VXLAN device ${ifname}'s VNI is not in the output (was it made with ip -d?)`);
        continue;
      }
      const vni = f!.int(data, dataAt, 'id', 0, MAX_VNI, external ? 0 : -1);
      if (vni < 0) continue;
      const link: VxlanLink = {
        ifname,
        vni,
        external,
        port: f!.int(data, dataAt, 'port', 0, 65535),
        dev: f!.str(data, dataAt, 'link'),
        local: f!.str(data, dataAt, 'local') || f!.str(data, dataAt, 'local6'),
        state: f!.str(o, path, 'operstate'),
        line: 0,
      };
      links.push(link);
      found.push({ link, path: at(path, 'ifname') });
    }
    f?.flush();
    if (found.length && doc) jsonValueLines(doc.text, found.map((x) => pathOf(x.path))).forEach((line, i) => (found[i].link.line = line));
    return { format: 'ip-d-j-link', data: { links }, diagnostics: sink.list };
  }
  let current: { ifname: string; state: string; line: number } | undefined;
  let devices = 0;
  let firstOther: { no: number; text: string } | undefined;
  for (const { no, text } of textLines(content)) {
    const t = text.trim();
    let m: RegExpExecArray | null;
    if ((m = LINK_LINE.exec(t))) {
      const state = LINK_STATE.exec(m[2]);
      current = { ifname: m[1], state: state ? state[1] : '', line: no };
      devices++;
    } else if (/^vxlan(\s|$)/.test(t)) {
      if (!current) {
        sink.error(no, 'vxlan line before any interface line');
        continue;
      }
      const words = t.split(/\s+/);
      const after = (k: string): string => {
        const j = words.indexOf(k);
        return j >= 0 ? words[j + 1] ?? '' : '';
      };
      const external = words.includes('external');
      const id = after('id') || (external ? '0' : '');
      if (!/^\d{1,8}$/.test(id) || Number(id) > MAX_VNI) {
        sink.error(no, `the VXLAN device ${current.ifname} has no VNI this reader understands ('vxlan id N'): '${t.slice(0, 80)}'`);
        continue;
      }
      const port = after('dstport');
      if (port && (!/^\d{1,5}$/.test(port) || Number(port) > 65535)) sink.error(no, `dstport ${port.slice(0, 20)} is not a UDP port`);
      links.push({
        ifname: current.ifname,
        vni: Number(id),
        external,
        port: /^\d{1,5}$/.test(port) && Number(port) <= 65535 ? Number(port) : 0,
        dev: after('dev'),
        local: after('local'),
        state: current.state,
        line: current.line,
      });
      current = undefined;
    } else if (t && !firstOther) firstOther = { no, text: t };
    // Every other line (link/ether, altname, the details of other kinds) says nothing of VXLAN.
  }
  // No VXLAN device prints nothing; text without a single device line is not this output.
  if (devices === 0 && firstOther) sink.error(firstOther.no, `not 'ip -d link show type vxlan' output: '${firstOther.text.slice(0, 80)}'`);
  return { format: 'ip-d-link', data: { links }, diagnostics: sink.list };
}
