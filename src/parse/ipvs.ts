import { DiagnosticSink, fileKind, intern, type MemoLane, type Parsed, shellSplit, textLines, type TextLine, parseMemo } from './types.js';
import { parseMark } from './numbers.js';

export interface IpvsBackend {
  address: string;
  port: number;
  /** Masq, Route, Tunnel (ipvsadm names; -m/-g/-i in -S form). '' when not printed (--stats). */
  forward: string;
  /** -1 when the listing does not print it (--stats / --rate). */
  weight: number;
  activeConn: number;
  inactConn: number;
  line: number;
}

export interface IpvsService {
  /** 'FWM', 'TCP', 'UDP' or 'SCTP'. */
  protocol: string;
  /** The firewall mark for FWM services; 0 otherwise. */
  fwmark: number;
  /** Virtual address and port for TCP/UDP services; '' and 0 for FWM. */
  address: string;
  port: number;
  scheduler: string;
  backends: IpvsBackend[];
  line: number;
}

export interface IpvsData {
  services: IpvsService[];
}

const PROTOS = new Set(['TCP', 'UDP', 'SCTP', 'FWM']);

export function hexToIPv4(h: string): string {
  const n = parseInt(h, 16);
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function hexToIPv6(h: string): string {
  // /proc prints [2001:0db8:0000:...]: groups of 4 hex digits; compress leading zeros only.
  return h
    .split(':')
    .map((g) => g.replace(/^0+(?=.)/, '').toLowerCase())
    .join(':')
    .replace(/(^|:)0(:0)+(:|$)/, '::');
}

const HEX_V4 = /^[0-9a-fA-F]{8}:[0-9a-fA-F]{4}$/;

/** "0A000062:0000" or "[2001:...]:0050" as printed by /proc/net/ip_vs. */
function procAddr(text: string): { address: string; port: number } | undefined {
  const v6 = text.charCodeAt(0) === 91 ? /^\[([0-9a-fA-F:]+)\]:([0-9a-fA-F]{4})$/.exec(text) : null;
  if (v6) return { address: hexToIPv6(v6[1]), port: parseInt(v6[2], 16) };
  if (HEX_V4.test(text)) return { address: hexToIPv4(text.slice(0, 8)), port: parseInt(text.slice(9), 16) };
  return undefined;
}

/** "10.0.0.98:0", "[::1]:80", "10.0.0.97:http" as printed by ipvsadm. */
function decAddr(text: string): { address: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:\s[\]]+):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65535) return undefined;
  return { address: m[1], port: Number(m[2]) };
}

/** A count or weight column: digits that fit in 32 bits. */
const count = (s: string): number | undefined => (/^\d{1,10}$/.test(s) && Number(s) <= 0xffffffff ? Number(s) : undefined);

type Flavor = 'proc-ip_vs' | 'ipvsadm-L' | 'ipvsadm-S';

function detect(lines: TextLine[]): Flavor | undefined {
  for (const { text } of lines) {
    const t = text.trim();
    if (/^-[AaE]\s/.test(t)) return 'ipvsadm-S';
    if (/^(Prot|IP Virtual Server|->)/.test(t)) continue;
    const m = /^(TCP|UDP|SCTP|FWM)\s+(\S+)/.exec(t);
    if (m) {
      if (m[1] === 'FWM') return /^[0-9A-F]{8}$/.test(m[2]) ? 'proc-ip_vs' : 'ipvsadm-L';
      return /^\[?[0-9A-F:]+\]?:[0-9A-F]{4}$/.test(m[2]) && !m[2].includes('.') ? 'proc-ip_vs' : 'ipvsadm-L';
    }
    return undefined;
  }
  // Only headers: an empty table. The header tells which listing it is.
  const joined = lines.map((l) => l.text).join('\n');
  if (/IP Virtual Server/.test(joined)) return /size=/.test(joined) && /Flags/.test(joined) ? 'proc-ip_vs' : 'ipvsadm-L';
  return undefined;
}

/** The words of a trimmed line from index `from`, split on runs of whitespace (as `.trim().split(/\s+/)` does; [''] for none). */
function words(t: string, from: number): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = from; i < t.length; i++) {
    const c = t.charCodeAt(i);
    const space = c === 32 || (c >= 9 && c <= 13) || c === 160 || c === 0xfeff || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
    if (space) {
      if (start >= 0) out.push(t.slice(start, i));
      start = -1;
    } else if (start < 0) start = i;
  }
  if (start >= 0) out.push(t.slice(start));
  if (out.length === 0) out.push('');
  return out;
}

/** What a backend line (`-> ADDRESS:PORT Masq 1 0 0`) says: its fields but the line, the column header (`-> RemoteAddress:Port ...`), or why it cannot be read. */
type BackendLine = Omit<IpvsBackend, 'line'> | typeof HEADER | string;
const HEADER = Symbol('header');

/**
 * Backend lines read so far, by text, per flavour (hex for /proc/net/ip_vs). Every node of a swarm
 * balances each published port over the same tasks: the same lines, but for the connection counts
 * of a node that carries traffic.
 */
const backendLines = { hex: parseMemo<BackendLine>(), dec: parseMemo<BackendLine>() };
const readHex = (t: string) => readBackendLine(t, true);
const readDec = (t: string) => readBackendLine(t, false);

/**
 * Busy backend lines' first words (`-> ADDRESS:PORT Masq 1`), by text, per flavour: what the line
 * reads as with counts of zero. Kept apart from whole lines, by the words themselves (no key made
 * by joining them to `0 0`), and looked up in a lane like them.
 */
const idleReadings = { hex: parseMemo<BackendLine>(), dec: parseMemo<BackendLine>() };
const readHexIdle = (words: string) => readBackendLine(`${words} 0 0`, true);
const readDecIdle = (words: string) => readBackendLine(`${words} 0 0`, false);

/**
 * A trimmed backend line read, or remembered from another node's file. A line with connection
 * counts of its own (`-> ADDRESS:PORT Masq 1 14 138` on a node that carries traffic) is read as the
 * same backend with counts of zero, remembered, and given its own counts.
 */
function backendLine(t: string, no: number, lanes: BackendLanes, hex: boolean): BackendLine {
  const { lane, idleLane } = lanes;
  const known = lane.get(no, t);
  if (known !== undefined) return known;
  const busy = BUSY_LINE.exec(t);
  if (busy) {
    const idle = idleLane.of(no, busy[1], hex ? readHexIdle : readDecIdle);
    const active = count(busy[2]);
    const inact = count(busy[3]);
    // Only a backend with a forward method has counts where these are; anything else is read whole.
    if (typeof idle === 'object' && idle.forward !== '' && active !== undefined && inact !== undefined) {
      // An idle backend's line, as every node without traffic to it prints it: remembered whole.
      if (active === 0 && inact === 0) return lane.keep(no, t, idle);
      return { address: idle.address, port: idle.port, forward: idle.forward, weight: idle.weight, activeConn: active, inactConn: inact };
    }
  }
  return lane.keep(no, t, (hex ? readHex : readDec)(t));
}

/** The lanes of one listing: its whole backend lines, and its busy lines' first words. */
interface BackendLanes {
  lane: MemoLane<BackendLine>;
  idleLane: MemoLane<BackendLine>;
}

/** A backend line of five words, the last two its connection counts: the line up to them, and each count. */
const BUSY_LINE = /^(->\s+\S+\s+\S+\s+\S+)\s+(\d{1,10})\s+(\d{1,10})$/;

function readBackendLine(t: string, hex: boolean): BackendLine {
  if (/^->\s*RemoteAddress/.test(t)) return HEADER;
  const parts = words(t, 2);
  if (parts[0] === 'RemoteAddress:Port') return HEADER;
  const addr = hex ? procAddr(parts[0]) : decAddr(parts[0]);
  if (!addr) return `cannot read backend address '${parts[0]}'`;
  // "Masq 1 0 0" (listing) or counters only (--stats/--rate: no forward method), or nothing.
  const isForward = /^(Masq|Route|Tunnel|Local|FullNat)$/i.test(parts[1] ?? '');
  let weight = -1;
  let activeConn = 0;
  let inactConn = 0;
  if (isForward) {
    // The weight decides whether IPVS uses the backend: one that cannot be read is an error.
    const w = count(parts[2] ?? '');
    const active = parts[3] === undefined ? 0 : count(parts[3]);
    const inact = parts[4] === undefined ? 0 : count(parts[4]);
    if (w === undefined || active === undefined || inact === undefined) {
      return `cannot read backend weight and connection counts '${parts.slice(2, 5).join(' ').slice(0, 60)}' (numbers after ${parts[1]})`;
    }
    weight = w;
    activeConn = active;
    inactConn = inact;
  }
  return { address: intern(addr.address), port: addr.port, forward: isForward ? intern(parts[1]) : '', weight, activeConn, inactConn };
}

/** What a virtual service line (`FWM  00000100 rr`, `TCP  10.0.0.5:80 rr`) says: its fields but its backends and line, or why it cannot be read. */
type ServiceLine = Omit<IpvsService, 'backends' | 'line'> | string;

/** Service lines read so far, by text, per flavour: every node of a swarm lists the same services. */
const serviceLines = { hex: parseMemo<ServiceLine>(), dec: parseMemo<ServiceLine>() };
const readHexService = (t: string) => readServiceLine(t, true);
const readDecService = (t: string) => readServiceLine(t, false);

function readServiceLine(t: string, hex: boolean): ServiceLine {
  const parts = words(t, 0);
  if (!PROTOS.has(parts[0]) || parts.length < 2) return `not an IPVS service line: '${t.slice(0, 80)}'`;
  let fwmark = 0;
  let address = '';
  let port = 0;
  if (parts[0] === 'FWM') {
    const mark = parseMark(parts[1], hex);
    if (mark === undefined) return `cannot read firewall mark '${parts[1]}'`;
    fwmark = mark;
  } else {
    const addr = hex ? procAddr(parts[1]) : decAddr(parts[1]);
    if (!addr) return `cannot read virtual address '${parts[1]}'`;
    address = addr.address;
    port = addr.port;
  }
  // The scheduler is a word (rr, wrr, lc, ...); --stats rows have counters instead.
  const scheduler = parts[2] && /^[a-z]+$/.test(parts[2]) ? intern(parts[2]) : '';
  return { protocol: intern(parts[0]), fwmark, address, port, scheduler };
}

function parseListing(lines: TextLine[], sink: DiagnosticSink, hex: boolean): IpvsData {
  const services: IpvsService[] = [];
  let current: IpvsService | undefined;
  // Lines read before, looked up first where the last file of this kind had them.
  const kind = fileKind(sink.file);
  const lanes: BackendLanes = { lane: (hex ? backendLines.hex : backendLines.dec).lane(kind), idleLane: (hex ? idleReadings.hex : idleReadings.dec).lane(kind) };
  const serviceLane = (hex ? serviceLines.hex : serviceLines.dec).lane(kind);
  // Indexed, not for-of: see parseSave (iptables.ts).
  for (let i = 0; i < lines.length; i++) {
    const { no, text } = lines[i];
    const t = text.trim();
    const backend = t.startsWith('->');
    if (!backend && (/^IP Virtual Server version/.test(t) || /^Prot\s/.test(t))) continue;
    if (backend) {
      const read = backendLine(t, no, lanes, hex);
      if (read === HEADER) continue;
      if (!current) {
        sink.error(no, 'backend line before any virtual service');
        continue;
      }
      if (typeof read === 'string') {
        sink.error(no, read);
        continue;
      }
      // Shared with the other nodes whose listing has this backend at this line (read-only from here on).
      current.backends.push(lanes.lane.made(no, read, () => ({ address: read.address, port: read.port, forward: read.forward, weight: read.weight, activeConn: read.activeConn, inactConn: read.inactConn, line: no })));
      continue;
    }
    const read = serviceLane.of(no, t, hex ? readHexService : readDecService);
    if (typeof read === 'string') {
      sink.error(no, read);
      current = undefined;
      continue;
    }
    const svc: IpvsService = { protocol: read.protocol, fwmark: read.fwmark, address: read.address, port: read.port, scheduler: read.scheduler, backends: [], line: no };
    services.push(svc);
    current = svc;
  }
  return { services };
}

const FORWARD_FLAGS: Record<string, string> = { '-m': 'Masq', '--masquerading': 'Masq', '-g': 'Route', '--gatewaying': 'Route', '-i': 'Tunnel', '--ipip': 'Tunnel' };

function parseRules(lines: TextLine[], sink: DiagnosticSink): IpvsData {
  const services: IpvsService[] = [];
  const key = (proto: string, spec: string) => `${proto} ${spec}`;
  const byKey = new Map<string, IpvsService>();
  for (const { no, text } of lines) {
    const tokens = shellSplit(text.trim());
    const op = tokens[0];
    if (op !== '-A' && op !== '-a' && op !== '-E') {
      sink.error(no, `not an 'ipvsadm -S' line: '${text.trim().slice(0, 80)}'`);
      continue;
    }
    let proto = '';
    let spec = '';
    let real = '';
    let sched = '';
    let forward = '';
    let weight = -1;
    let bad: string | undefined;
    for (let i = 1; i < tokens.length; i++) {
      const t = tokens[i];
      const v = tokens[i + 1] ?? '';
      if (t === '-f' || t === '--fwmark-service') [proto, spec, i] = ['FWM', v, i + 1];
      else if (t === '-t' || t === '--tcp-service') [proto, spec, i] = ['TCP', v, i + 1];
      else if (t === '-u' || t === '--udp-service') [proto, spec, i] = ['UDP', v, i + 1];
      else if (t === '--sctp-service') [proto, spec, i] = ['SCTP', v, i + 1];
      else if (t === '-r' || t === '--real-server') [real, i] = [v, i + 1];
      else if (t === '-s' || t === '--scheduler') [sched, i] = [v, i + 1];
      else if (t === '-w' || t === '--weight') {
        const w = count(v);
        if (w === undefined) bad ??= `cannot read weight '${v.slice(0, 40)}'`;
        [weight, i] = [w ?? -1, i + 1];
      }
      else if (FORWARD_FLAGS[t]) forward = FORWARD_FLAGS[t];
      else if (/^-(p|M|b|x|y|-persistent|-netmask|-sched-flags|-u-threshold|-l-threshold|-pe)$/.test(t) && v && !v.startsWith('-')) i++;
    }
    if (!proto) {
      sink.error(no, 'ipvsadm rule names no virtual service (-f, -t or -u)');
      continue;
    }
    if (bad) {
      sink.error(no, bad);
      continue;
    }
    if (op === '-A' || op === '-E') {
      const svc: IpvsService = { protocol: proto, fwmark: 0, address: '', port: 0, scheduler: sched, backends: [], line: no };
      if (proto === 'FWM') {
        const m = parseMark(spec);
        if (m === undefined) {
          sink.error(no, `cannot read firewall mark '${spec}'`);
          continue;
        }
        svc.fwmark = m;
      } else {
        const a = decAddr(spec);
        if (!a) {
          sink.error(no, `cannot read virtual address '${spec}'`);
          continue;
        }
        svc.address = a.address;
        svc.port = a.port;
      }
      const k = key(proto, proto === 'FWM' ? String(svc.fwmark) : spec);
      if (!byKey.has(k)) {
        byKey.set(k, svc);
        services.push(svc);
      }
    } else {
      const k = key(proto, proto === 'FWM' ? String(parseMark(spec) ?? spec) : spec);
      const svc = byKey.get(k);
      // -r ADDRESS[:PORT]: a port that is there must be a port (a bare IPv6 address has colons of its own).
      const bare = real !== '' && (!/[:\]]/.test(real) || (real.includes('::') && /^[0-9a-fA-F:]+$/.test(real)));
      const a = decAddr(real) ?? (bare ? { address: real, port: 0 } : undefined);
      if (!svc) {
        sink.error(no, `real server for ${proto} ${spec}, which no '-A' line declares`);
        continue;
      }
      if (!a) {
        sink.error(no, real ? `cannot read real server '${real.slice(0, 60)}' (ADDRESS or ADDRESS:PORT)` : "real server line without '-r ADDRESS'");
        continue;
      }
      svc.backends.push({ address: intern(a.address), port: a.port, forward, weight, activeConn: 0, inactConn: 0, line: no });
    }
  }
  return { services };
}

/** IPVS state as /proc/net/ip_vs (hex), `ipvsadm -Ln` (also --stats / --rate) or `ipvsadm -S -n` prints it. */
export function parseIpvs(content: string, file: string): Parsed<IpvsData> {
  const sink = new DiagnosticSink(file);
  const lines = textLines(content);
  if (lines.length === 0) {
    sink.error(0, 'empty file: expected /proc/net/ip_vs or ipvsadm output');
    return { format: 'unknown', data: { services: [] }, diagnostics: sink.list };
  }
  const flavor = detect(lines);
  if (!flavor) {
    sink.error(lines[0].no, `not IPVS output (expected /proc/net/ip_vs, ipvsadm -Ln or ipvsadm -S -n): '${lines[0].text.slice(0, 80)}'`);
    return { format: 'unknown', data: { services: [] }, diagnostics: sink.list };
  }
  const data = flavor === 'ipvsadm-S' ? parseRules(lines, sink) : parseListing(lines, sink, flavor === 'proc-ip_vs');
  return { format: flavor, data, diagnostics: sink.list };
}
