import { UsageError } from '../util/errors.js';

/** PORT as `trace` takes it: 8080 (TCP), tcp/8080, udp/53, sctp/9000. */
export function parsePort(text: string): { protocol: string; port: number } {
  const m = /^(?:(tcp|udp|sctp)\/)?(\d{1,5})$/i.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new UsageError(`PORT: expected a port from 1 to 65535, optionally with its protocol (8080, tcp/8080, udp/53), got '${text}'`);
  return { protocol: (m[1] ?? 'tcp').toLowerCase(), port };
}

/** A dotted IPv4 address (what the walk compares with -s / -d). */
export function parseAddress(text: string, flag: string): string {
  const t = text.trim();
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(t);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) throw new UsageError(`${flag}: expected an IPv4 address (203.0.113.10), got '${text}'`);
  return m.slice(1).map(Number).join('.');
}
