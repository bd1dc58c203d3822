import { DiagnosticSink, looksLikeJson, type Parsed, readJson, textLines } from './types.js';

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

function parseJsonArray(content: string, sink: DiagnosticSink): unknown[] | undefined {
  const v = readJson(content, sink);
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v : [v];
}

/** `ip neigh`, `ip -j neigh`, `arp -a`, `arp -an`, `arp` (table) or `/proc/net/arp`. */
export function parseNeigh(content: string, file: string): Parsed<NeighData> {
  const sink = new DiagnosticSink(file);
  const entries: Neighbour[] = [];
  if (looksLikeJson(content)) {
    const arr = parseJsonArray(content, sink);
    if (arr) {
      arr.forEach((o, i) => {
        const e = o as { dst?: string; dev?: string; lladdr?: string; state?: string[] | string };
        if (typeof e?.dst !== 'string') {
          sink.error(0, `ip -j neigh entry ${i} has no "dst"`);
          return;
        }
        const states = Array.isArray(e.state) ? e.state : e.state ? [e.state] : [];
        entries.push({ address: e.dst, lladdr: e.lladdr ?? '', state: (states[0] ?? 'NONE').toUpperCase(), device: e.dev ?? '', line: 0 });
      });
    }
    return { format: 'ip-j-neigh', data: { entries }, diagnostics: sink.list };
  }
  const lines = textLines(content);
  if (lines.length === 0) return { format: 'empty', data: { entries }, diagnostics: sink.list };
  let format = '';
  for (const { no, text } of lines) {
    const t = text.trim();
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
      entries.push({ address: m[1], lladdr: incomplete ? '' : m[2], state: incomplete ? 'INCOMPLETE' : /\bPERM\b/.test(t) ? 'PERMANENT' : 'COMPLETE', device: m[5] ?? '', line: no });
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
      entries.push({ address: p[0], lladdr: state === 'INCOMPLETE' ? '' : p[3], state, device: p[5], line: no });
      continue;
    }
    if (format === 'arp-table') {
      // "10.0.0.98  ether  02:42:0a:00:00:62  C  eth0" or "10.0.0.5  (incomplete)  eth0"
      const p = t.split(/\s+/);
      if (p[1] === '(incomplete)') entries.push({ address: p[0], lladdr: '', state: 'INCOMPLETE', device: p[p.length - 1], line: no });
      else if (p.length >= 4) entries.push({ address: p[0], lladdr: p[2], state: /M/.test(p[3]) ? 'PERMANENT' : 'COMPLETE', device: p[p.length - 1], line: no });
      else sink.error(no, `not an arp table row: '${t.slice(0, 80)}'`);
      continue;
    }
    // ip neigh: "10.0.0.98 dev eth0 lladdr 02:42:0a:00:00:62 REACHABLE" (also "router", "proxy", no dev with -n?)
    if ((m = /^(\S+)\s+(?:dev\s+(\S+))?(.*)$/.exec(t)) && /^[\d.:a-f]+$/i.test(m[1])) {
      format ||= 'ip-neigh';
      const rest = m[3].trim().split(/\s+/).filter(Boolean);
      const ll = rest.indexOf('lladdr');
      const state = [...rest].reverse().find((w) => NUD_STATES.has(w));
      if (!state) {
        sink.error(no, `neighbour entry without a state: '${t.slice(0, 80)}'`);
        continue;
      }
      entries.push({ address: m[1], lladdr: ll >= 0 ? rest[ll + 1] ?? '' : '', state, device: m[2] ?? '', line: no });
      continue;
    }
    sink.error(no, `not neighbour output (ip neigh, arp -a, arp -an or /proc/net/arp): '${t.slice(0, 80)}'`);
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
}

export interface AddrData {
  interfaces: Interface[];
  addresses: Address[];
}

/** `ip addr` or `ip -j addr`. */
export function parseAddr(content: string, file: string): Parsed<AddrData> {
  const sink = new DiagnosticSink(file);
  const data: AddrData = { interfaces: [], addresses: [] };
  if (looksLikeJson(content)) {
    const arr = parseJsonArray(content, sink);
    for (const o of arr ?? []) {
      const e = o as { ifname?: string; mtu?: number; address?: string; operstate?: string; addr_info?: { family?: string; local?: string; prefixlen?: number }[] };
      if (typeof e?.ifname !== 'string') {
        sink.error(0, 'ip -j addr entry without "ifname"');
        continue;
      }
      data.interfaces.push({ ifname: e.ifname, mtu: e.mtu ?? 0, mac: e.address ?? '', state: e.operstate ?? '' });
      for (const a of e.addr_info ?? []) {
        if ((a.family === 'inet' || a.family === 'inet6') && a.local) data.addresses.push({ ifname: e.ifname, family: a.family, address: a.local, prefixLen: a.prefixlen ?? 0, line: 0 });
      }
    }
    return { format: 'ip-j-addr', data, diagnostics: sink.list };
  }
  let current: Interface | undefined;
  for (const { no, text } of textLines(content)) {
    const t = text.trim();
    let m: RegExpExecArray | null;
    if ((m = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<[^>]*>(.*)$/.exec(t))) {
      const mtu = /\bmtu\s+(\d+)/.exec(m[2]);
      const state = /\bstate\s+(\S+)/.exec(m[2]);
      current = { ifname: m[1], mtu: mtu ? Number(mtu[1]) : 0, mac: '', state: state ? state[1] : '' };
      data.interfaces.push(current);
    } else if ((m = /^link\/\S+\s+(\S+)/.exec(t))) {
      if (current) current.mac = m[1];
    } else if ((m = /^(inet6?)\s+([^/\s]+)\/(\d+)/.exec(t))) {
      if (!current) {
        sink.error(no, 'address line before any interface line');
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
  if (looksLikeJson(content)) {
    for (const o of parseJsonArray(content, sink) ?? []) {
      const r = o as { dst?: string; gateway?: string; dev?: string; prefsrc?: string };
      if (typeof r?.dst !== 'string') {
        sink.error(0, 'ip -j route entry without "dst"');
        continue;
      }
      routes.push({ destination: r.dst, gateway: r.gateway ?? '', device: r.dev ?? '', source: r.prefsrc ?? '', line: 0 });
    }
    return { format: 'ip-j-route', data: { routes }, diagnostics: sink.list };
  }
  for (const { no, text } of textLines(content)) {
    const p = text.trim().split(/\s+/);
    let i = 0;
    if (/^(unicast|local|broadcast|blackhole|unreachable|prohibit|throw|multicast)$/.test(p[0])) i++;
    const dst = p[i];
    if (!dst || !(dst === 'default' || /^[\d.:a-f]+(\/\d+)?$/i.test(dst))) {
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
