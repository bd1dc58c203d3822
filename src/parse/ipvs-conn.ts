import { DiagnosticSink, isPromptLine, textLines, type Parsed } from './types.js';
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
const MMSS = /^(\d{1,8}):([0-5]\d)$/;
const DOTTED = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An address column of /proc/net/ip_vs_conn: 8 hex digits (IPv4), or %pI6's colon form. */
function procAddress(text: string): string | undefined {
  if (HEX8.test(text)) return hexToIPv4(text);
  if (PI6.test(text)) return hexToIPv6(text);
  return undefined;
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

type Fields = Omit<IpvsConn, 'line'>;

/**
 * A line as the kernel prints it (ip_vs_conn_seq_show, `%-3s %08X %04X %08X %04X %s %04X %-11s %7u%s`:
 * protocol, client, virtual and destination address and port in hex, state, seconds left, then
 * PEName and PEData where a persistence engine set them), or ip_vs_conn_sync's (an Origin column,
 * LOCAL or SYNC, before the seconds).
 */
function procLine(w: string[]): Fields | string {
  if (w.length < 9) return `${w.length} columns, expected at least 9 (Pro FromIP FPrt ToIP TPrt DestIP DPrt State Expires)`;
  const [protocol, caddr, cport, vaddr, vport, daddr, dport, state] = w;
  const client = procAddress(caddr);
  const virtual = procAddress(vaddr);
  const dest = procAddress(daddr);
  if (!client || !virtual || !dest) return `cannot read address '${(!client ? caddr : !virtual ? vaddr : daddr).slice(0, 40)}' (8 hex digits, or eight groups of four for IPv6)`;
  for (const p of [cport, vport, dport]) if (!HEX4.test(p)) return `cannot read port '${p.slice(0, 20)}' (4 hex digits)`;
  let rest = w.slice(8);
  if ((rest[0] === 'LOCAL' || rest[0] === 'SYNC') && rest.length === 2) rest = rest.slice(1);
  if (!SECONDS.test(rest[0])) return `cannot read the expiry '${rest[0].slice(0, 20)}' (seconds)`;
  return {
    protocol, clientAddress: client, clientPort: parseInt(cport, 16), virtualAddress: virtual, virtualPort: parseInt(vport, 16),
    destAddress: dest, destPort: parseInt(dport, 16), state, expires: Number(rest[0]), peName: rest[1] ?? '', peData: rest.slice(2).join(' '),
  };
}

/** A line of `ipvsadm -Lnc` (print_conn: protocol, expiry mm:ss, state, source, virtual, destination[, pe name, pe_data]). */
function ipvsadmLine(w: string[]): Fields | string {
  if (w.length < 6) return `${w.length} columns, expected at least 6 (pro expire state source virtual destination)`;
  const [protocol, expire, state] = w;
  const m = MMSS.exec(expire)!;
  const ends = [w[3], w[4], w[5]].map(ipvsadmEndpoint);
  const bad = ends.find((e): e is string => typeof e === 'string');
  if (bad) return bad;
  const [client, virtual, dest] = ends as { address: string; port: number }[];
  return {
    protocol, clientAddress: client.address, clientPort: client.port, virtualAddress: virtual.address, virtualPort: virtual.port,
    destAddress: dest.address, destPort: dest.port, state, expires: Number(m[1]) * 60 + Number(m[2]), peName: w[6] ?? '', peData: w.slice(7).join(' '),
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
  for (const { no, text } of textLines(content)) {
    const t = text.trim();
    if (PROC_HEADER.test(t) || IPVSADM_HEADER.test(t) || isPromptLine(t)) continue;
    const cut = CUT.exec(t);
    if (cut) {
      if (data.cutLine) sink.warn(no, `a second cut line (the first is line ${data.cutLine}): the first is kept`);
      else Object.assign(data, { cutAt: Number(cut[1]), cutLine: no });
      continue;
    }
    if (t.startsWith('#')) continue;
    const w = t.split(/\s+/);
    const read = w.length > 1 && MMSS.test(w[1]) ? ipvsadmLine(w) : procLine(w);
    if (typeof read === 'string') {
      sink.error(no, `not a line of /proc/net/ip_vs_conn ('UDP C0A80001 9C41 C0A80002 0202 0A000058 0202 UDP 297') or ipvsadm -Lnc: ${read}: '${t.slice(0, 100)}'`);
      continue;
    }
    format ||= MMSS.test(w[1]) ? 'ipvsadm-Lnc' : 'proc-ip_vs_conn';
    data.conns.push({ ...read, line: no });
  }
  if (data.cutLine) {
    const udp = data.conns.filter((c) => c.protocol === 'UDP').length;
    if (udp !== data.cutAt) sink.warn(data.cutLine, `the cut line says ${data.cutAt} UDP entries were kept, the file has ${udp}`);
  }
  return { format: format || (data.cutLine ? 'proc-ip_vs_conn' : 'empty'), data, diagnostics: sink.list };
}
