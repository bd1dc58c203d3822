/** Counters as iptables -v prints them: 1542K, 93M, 21G, 3 (powers of 1000). */
export function parseCounter(text: string): number | undefined {
  const m = /^(\d+)([KMGT]?)$/.exec(text);
  if (!m) return undefined;
  const mult = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] as '' | 'K' | 'M' | 'G' | 'T'];
  return Number(m[1]) * mult;
}

/**
 * An fwmark in any of its spellings: 0x205a (iptables), 8282 (ipvsadm), 0000205A (/proc/net/ip_vs,
 * pass hex=true). A mask suffix (0x205a/0xffffffff) is dropped.
 */
export function parseMark(text: string, hex = false): number | undefined {
  const slash = text.indexOf('/');
  const t = (slash < 0 ? text : text.slice(0, slash)).trim();
  let n: number | undefined;
  if (/^0x[0-9a-f]{1,16}$/i.test(t)) n = parseInt(t.slice(2), 16);
  else if (hex && /^[0-9a-f]{1,16}$/i.test(t)) n = parseInt(t, 16);
  else if (/^\d{1,20}$/.test(t)) n = parseInt(t, 10);
  // A mark is 32 bits: anything larger is no mark the kernel could hold.
  return n !== undefined && n <= MAX_MARK ? n : undefined;
}

export const MAX_MARK = 0xffffffff;

/** A port number 0-65535, or a name from `services`; undefined otherwise. */
export function parsePort(text: string, services?: Map<string, number>): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= 65535 ? n : undefined;
  }
  return services?.get(text);
}

/** Protocol numbers that iptables prints in newer versions instead of names. */
export function protocolName(text: string): string {
  switch (text) {
    case '0':
      return 'all';
    case '1':
      return 'icmp';
    case '6':
      return 'tcp';
    case '17':
      return 'udp';
    case '50':
      return 'esp';
    case '132':
      return 'sctp';
    default:
      return text.toLowerCase();
  }
}

/**
 * Service names that `iptables -L` without -n prints for ports (from /etc/services). Only names a
 * published port is likely to get are listed; an unknown name is reported, never guessed.
 */
export const SERVICE_PORTS: Map<string, number> = new Map([
  ['ftp-data', 20], ['ftp', 21], ['ssh', 22], ['telnet', 23], ['smtp', 25], ['domain', 53],
  ['http', 80], ['www', 80], ['pop3', 110], ['ntp', 123], ['imap2', 143], ['imap', 143], ['snmp', 161],
  ['ldap', 389], ['https', 443], ['submission', 587], ['ldaps', 636], ['imaps', 993], ['pop3s', 995],
  ['openvpn', 1194], ['ms-sql-s', 1433], ['mysql', 3306], ['postgresql', 5432], ['amqp', 5672],
  ['redis', 6379], ['x11', 6000], ['http-alt', 8080], ['webcache', 8080], ['tproxy', 8081], ['9000', 9000],
  ['cslistener', 9000], ['docker', 2375], ['docker-s', 2376], ['swarm', 2377], ['etcd-client', 2379],
  ['mongodb', 27017], ['memcache', 11211], ['git', 9418], ['rsync', 873], ['ldp', 646], ['sip', 5060],
  ['xmpp-client', 5222], ['rtmp', 1935], ['zabbix-agent', 10050], ['zabbix-trapper', 10051],
  ['nfs', 2049], ['svn', 3690], ['iso-tsap', 102], ['omniorb', 8088], ['http-mgmt', 280],
  ['kerberos', 88], ['bgp', 179], ['irc', 194], ['syslog', 514], ['printer', 515], ['radius', 1812],
  ['sieve', 4190], ['epmd', 4369], ['postgres', 5432], ['hkp', 11371], ['bacula-dir', 9101],
]);

/**
 * A port match as iptables-save prints it: 8080, 1000:2000, :1024, 1024:, or (multiport) a comma
 * list of those. Every number must be a port (0-65535).
 */
export function isPortSpec(text: string, list: boolean): boolean {
  // The usual case, one plain port, without building anything.
  if (text.length <= 5 && /^\d+$/.test(text)) return Number(text) <= 65535;
  const parts = list ? text.split(',') : [text];
  return parts.every((p) => {
    const m = /^(\d*)(?::(\d*))?$/.exec(p);
    if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) return false;
    return [m[1], m[2]].every((x) => x === undefined || x === '' || (x.length <= 5 && Number(x) <= 65535));
  });
}
