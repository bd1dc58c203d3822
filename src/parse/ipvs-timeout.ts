import { DiagnosticSink, textLines, type Parsed } from './types.js';

/** IPVS's connection timeouts in seconds, as `ipvsadm -l --timeout` prints them. */
export interface IpvsTimeout {
  tcp: number;
  tcpfin: number;
  udp: number;
  /** The line the values were read from. */
  line: number;
}

const TIMEOUT = /^Timeout \(tcp tcpfin udp\):\s+(\d+)\s+(\d+)\s+(\d+)$/;

/**
 * `ipvsadm -l --timeout` (also `-L`, `-Ln`): one line `Timeout (tcp tcpfin udp): 900 120 300`. A
 * pasted shell prompt first is dropped; anything else is an error naming the line, never a throw.
 */
export function parseIpvsTimeout(content: string, file: string): Parsed<IpvsTimeout> {
  const sink = new DiagnosticSink(file);
  const data: IpvsTimeout = { tcp: 0, tcpfin: 0, udp: 0, line: 0 };
  for (const { no, text } of textLines(content)) {
    const m = TIMEOUT.exec(text.trim().replace(/\s+/g, ' '));
    if (!m) {
      sink.error(no, `not an 'ipvsadm -l --timeout' line ('Timeout (tcp tcpfin udp): 900 120 300'): '${text.trim().slice(0, 80)}'`);
      continue;
    }
    if (data.line) {
      sink.error(no, `a second timeout line (the first is line ${data.line})`);
      continue;
    }
    const [tcp, tcpfin, udp] = [m[1], m[2], m[3]].map((x) => (x.length <= 10 ? Number(x) : NaN));
    if (![tcp, tcpfin, udp].every((x) => Number.isSafeInteger(x) && x <= 0x7fffffff)) {
      sink.error(no, `timeout out of range: '${text.trim().slice(0, 80)}'`);
      continue;
    }
    Object.assign(data, { tcp, tcpfin, udp, line: no });
  }
  if (!data.line && !sink.list.some((d) => d.severity === 'error')) sink.error(0, 'no timeout line (expected `ipvsadm -l --timeout` output)');
  return { format: 'ipvsadm-timeout', data, diagnostics: sink.list };
}
