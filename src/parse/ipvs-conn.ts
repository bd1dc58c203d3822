import { DiagnosticSink, intern, isPromptLine, textLines, type Parsed } from './types.js';
import { hexToIPv4, hexToIPv6 } from './ipvs.js';

/** One entry of IPVS's connection table: a client's flow through a virtual address to a destination. */
export interface IpvsConn {
  /** `UDP`, `TCP`, `SCTP`; `IP` for a persistence template of a fwmark service. */
  protocol: string;
  clientAddress: string;
  clientPort: number;
  /** The address and port the client sent to (in ingress_sbox: its docker_gwbridge address and the published port). */
  virtualAddress: string;
  virtualPort: number;
  /** The real server IPVS sends the flow to (in ingress_sbox: a task's ingress address). */
  destAddress: string;
  destPort: number;
  /** UDP's only state is `UDP`; TCP's `ESTABLISHED`, `TIME_WAIT`, ... */
  state: string;
  /** Seconds left before the entry expires (a packet of the flow renews it to the protocol's timeout). */
  expires: number;
  /** A persistence engine's name and data (`sip ...`); '' for none. */
  peName: string;
  peData: string;
  line: number;
}

export interface IpvsConnData {
  conns: IpvsConn[];
  /** The collectors' `# cut at N UDP entries` line: N, the entries they kept of more; 0 when the table was not cut. */
  cutAt: number;
  cutLine: number;
}

// The kernel's header (ip_vs_conn_seq_show), and ip_vs_conn_sync's, which has an Origin column.
const PROC_HEADER = /^Pro\s+FromIP\s+FPrt\s+ToIP\s+TPrt\s+DestIP\s+DPrt\s+State\s+/;
// ipvsadm -Lnc's two header lines (list_conn).
const IPVSADM_HEADER = /^(IPVS connection entries$|pro\s+expire\s+state\s+source\s+virtual\s+destination\b)/;
// The collectors' last line when the table had more UDP entries than they keep (see cutIpvsConn).
const CUT = /^#\s*cut at (\d{1,9}) UDP entries\b/;
const HEX4 = /^[0-9A-Fa-f]{4}$/;
const HEX8 = /^[0-9A-Fa-f]{8}$/;
// %pI6: eight groups of four hex digits.
const PI6 = /^[0-9A-Fa-f]{4}(:[0-9A-Fa-f]{4}){7}$/;
const SECONDS = /^\d{1,10}$/;
// ip_vs_proto_name: UDP, TCP, SCTP, ICMP, ICMPv6, IP (a template), IP_<n> for another.
const PROTOCOL = /^[A-Z][A-Za-z0-9_]{0,15}$/;
const MMSS = /^(\d{1,8}):([0-5]\d)$/;
const DOTTED = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * An address column of /proc/net/ip_vs_conn: 8 hex digits (IPv4), or %pI6's colon form. A table
 * names the same few addresses on line after line (the virtual address, the tasks): each is read
 * once per file (`seen`, bounded), and the lines share its string.
 */
function procAddress(text: string, seen: Map<string, string>): string | undefined {
  const known = seen.get(text);
  if (known !== undefined) return known;
  const address = HEX8.test(text) ? hexToIPv4(text) : PI6.test(text) ? hexToIPv6(text) : undefined;
  if (address !== undefined && seen.size < 4096) seen.set(text, address);
  return address;
}

/** An `address:port` column of ipvsadm -Lnc: `10.0.0.5:514`, `[2001:db8::1]:514`. */
function ipvsadmEndpoint(text: string): { address: string; port: number } | string {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m) return `cannot read '${text.slice(0, 60)}' as address:port`;
  if (!m[1].includes(':') && !DOTTED.test(m[1])) return `'${m[1].slice(0, 60)}' is a name, not an address: list with ipvsadm -Lnc (-n, numeric)`;
  const port = Number(m[2]);
  if (port > 65535) return `port ${m[2]} out of range`;
  return { address: m[1].toLowerCase(), port };
}

/**
 * A line as the kernel prints it (ip_vs_conn_seq_show, `%-3s %08X %04X %08X %04X %s %04X %-11s %7u%s`:
 * protocol, client, virtual and destination address and port in hex, state, seconds left, then
 * PEName and PEData where a persistence engine set them), or ip_vs_conn_sync's (an Origin column,
 * LOCAL or SYNC, before the seconds).
 */
function procLine(w: string[], line: number, seen: Map<string, string>): IpvsConn | string {
  if (w.length < 9) return `${w.length} columns, expected at least 9 (Pro FromIP FPrt ToIP TPrt DestIP DPrt State Expires)`;
  const [protocol, caddr, cport, vaddr, vport, daddr, dport, state] = w;
  const client = procAddress(caddr, seen);
  const virtual = procAddress(vaddr, seen);
  const dest = procAddress(daddr, seen);
  if (!client || !virtual || !dest) return `cannot read address '${(!client ? caddr : !virtual ? vaddr : daddr).slice(0, 40)}' (8 hex digits, or eight groups of four for IPv6)`;
  for (const p of [cport, vport, dport]) if (!HEX4.test(p)) return `cannot read port '${p.slice(0, 20)}' (4 hex digits)`;
  let rest = w.slice(8);
  if ((rest[0] === 'LOCAL' || rest[0] === 'SYNC') && rest.length === 2) rest = rest.slice(1);
  if (!SECONDS.test(rest[0])) return `cannot read the expiry '${rest[0].slice(0, 20)}' (seconds)`;
  return {
    protocol: intern(protocol), clientAddress: client, clientPort: parseInt(cport, 16), virtualAddress: virtual, virtualPort: parseInt(vport, 16),
    destAddress: dest, destPort: parseInt(dport, 16), state: intern(state), expires: Number(rest[0]), peName: rest[1] ?? '', peData: rest.slice(2).join(' '), line,
  };
}

/** The value of `n` hex digits of `t` from `at`; -1 if one is not a hex digit. */
function hexAt(t: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = t.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** An IPv4 address as a number, dotted (each distinct one made once per file: `seen`, bounded). */
function dotted(n: number, seen: Map<number, string>): string {
  let s = seen.get(n);
  if (s === undefined) {
    s = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    if (seen.size < 4096) seen.set(n, s);
  }
  return s;
}

/**
 * A line exactly as the kernel prints a UDP or TCP flow over IPv4 (`%-3s %08X %04X %08X %04X %08X
 * %04X %-11s %7u`): every column at its place, read without cutting the line up (a capture holds
 * thousands of them). Anything else (collapsed spacing, IPv6, a persistence engine's columns,
 * another protocol) is left to procLine, column by column.
 */
const STATE = /^[A-Z_]+$/;
function kernelColumns(t: string, line: number, seen: Map<number, string>): IpvsConn | undefined {
  if (t.length < 65 || t.length > 68) return undefined;
  for (const at of [3, 12, 17, 26, 31, 40, 45, 57]) if (t.charCodeAt(at) !== 32) return undefined;
  const protocol = t.startsWith('UDP') ? 'UDP' : t.startsWith('TCP') ? 'TCP' : undefined;
  if (!protocol) return undefined;
  const c = hexAt(t, 4, 8), cp = hexAt(t, 13, 4), v = hexAt(t, 18, 8), vp = hexAt(t, 27, 4), d = hexAt(t, 32, 8), dp = hexAt(t, 41, 4);
  if (c < 0 || cp < 0 || v < 0 || vp < 0 || d < 0 || dp < 0) return undefined;
  const state = t.slice(46, 57).trimEnd();
  const exp = t.slice(58).trimStart();
  if (!STATE.test(state) || !SECONDS.test(exp)) return undefined;
  return {
    protocol, clientAddress: dotted(c, seen), clientPort: cp, virtualAddress: dotted(v, seen), virtualPort: vp,
    destAddress: dotted(d, seen), destPort: dp, state: intern(state), expires: Number(exp), peName: '', peData: '', line,
  };
}

/** A line of `ipvsadm -Lnc` (print_conn: protocol, expiry mm:ss, state, source, virtual, destination[, pe name, pe_data]). */
function ipvsadmLine(w: string[], line: number): IpvsConn | string {
  if (w.length < 6) return `${w.length} columns, expected at least 6 (pro expire state source virtual destination)`;
  const [protocol, expire, state] = w;
  const m = MMSS.exec(expire)!;
  const ends = [w[3], w[4], w[5]].map(ipvsadmEndpoint);
  const bad = ends.find((e): e is string => typeof e === 'string');
  if (bad) return bad;
  const [client, virtual, dest] = ends as { address: string; port: number }[];
  return {
    protocol, clientAddress: client.address, clientPort: client.port, virtualAddress: virtual.address, virtualPort: virtual.port,
    destAddress: dest.address, destPort: dest.port, state, expires: Number(m[1]) * 60 + Number(m[2]), peName: w[6] ?? '', peData: w.slice(7).join(' '), line,
  };
}

/**
 * ingress_sbox/ipvs-conn.txt: IPVS's connection table as /proc/net/ip_vs_conn prints it (what the
 * collectors keep of it: the UDP lines, and their `# cut at N UDP entries` line when there were more),
 * with or without the kernel's header, or as `ipvsadm -Lnc` prints it (numeric). An empty file is an
 * empty table. A pasted prompt line and other `#` comments are skipped; a line it cannot read is an
 * error naming the line, never a throw.
 */
export function parseIpvsConn(content: string, file: string): Parsed<IpvsConnData> {
  const sink = new DiagnosticSink(file);
  const data: IpvsConnData = { conns: [], cutAt: 0, cutLine: 0 };
  let format = '';
  // Addresses read so far in this file, by their hex text and by their number (see procAddress, dotted).
  const seen = new Map<string, string>();
  const seenNumbers = new Map<number, string>();
  for (const { no, text } of textLines(content)) {
    const t = text.trim();
    if (t.charCodeAt(0) === 35 /* # */) {
      const cut = CUT.exec(t);
      if (!cut) continue;
      if (data.cutLine) sink.warn(no, `a second cut line (the first is line ${data.cutLine}): the first is kept`);
      else Object.assign(data, { cutAt: Number(cut[1]), cutLine: no });
      continue;
    }
    const fixed = kernelColumns(t, no, seenNumbers);
    if (fixed) {
      format ||= 'proc-ip_vs_conn';
      data.conns.push(fixed);
      continue;
    }
    const w = t.split(/\s+/);
    const ipvsadm = w.length > 1 && MMSS.test(w[1]);
    // A line of the table first (a protocol's name, in capitals); then the headers and a pasted prompt.
    const read = PROTOCOL.test(w[0]) ? (ipvsadm ? ipvsadmLine(w, no) : procLine(w, no, seen)) : `the first column '${w[0].slice(0, 20)}' is no protocol (UDP, TCP, ...)`;
    if (typeof read !== 'string') {
      format ||= ipvsadm ? 'ipvsadm-Lnc' : 'proc-ip_vs_conn';
      data.conns.push(read);
    } else if (!(PROC_HEADER.test(t) || IPVSADM_HEADER.test(t) || isPromptLine(t))) {
      sink.error(no, `not a line of /proc/net/ip_vs_conn ('UDP C0A80001 9C41 C0A80002 0202 0A000058 0202 UDP 297') or ipvsadm -Lnc: ${read}: '${t.slice(0, 100)}'`);
    }
  }
  if (data.cutLine) {
    const udp = data.conns.filter((c) => c.protocol === 'UDP').length;
    if (udp !== data.cutAt) sink.warn(data.cutLine, `the cut line says ${data.cutAt} UDP entries were kept, the file has ${udp}`);
  }
  return { format: format || (data.cutLine ? 'proc-ip_vs_conn' : 'empty'), data, diagnostics: sink.list };
}
