import { DiagnosticSink, textLines, type Parsed } from './types.js';

/*
 * The network managers' own view of the host's interfaces: NetworkManager's (`nmcli device`) and
 * systemd-networkd's (`networkctl list`). network-manager-leaves-docker reads which of Docker's
 * interfaces either one manages.
 */

/** One interface as a network manager lists it. */
export interface ManagedLink {
  ifname: string;
  /** nmcli's TYPE (ethernet, bridge, veth...) or networkctl's (ether, bridge, loopback...). */
  type: string;
  /** nmcli's STATE (`connected (externally)`) or networkctl's SETUP (`configured`). */
  state: string;
  /** nmcli's CONNECTION (the profile, '' for `--`); networkctl's OPERATIONAL state. */
  detail: string;
  /** The manager holds the interface: it may set or take its addresses, bring it up or down. */
  managed: boolean;
  line: number;
}

export interface NetmgrData {
  links: ManagedLink[];
  /**
   * The daemon answered: false when the file says it is not running (a pasted `Error:
   * NetworkManager is not running.`, networkctl's `WARNING: systemd-networkd is not running`, or
   * every link's OPERATIONAL `n/a`, which networkctl prints only then).
   */
  running: boolean;
}

/* ---------- nmcli ---------- */

/**
 * NetworkManager's device states as nmcli prints them (libnmc nmc_device_state_to_string). Of
 * these, `unmanaged` and `connected (externally)` are devices NetworkManager does not configure: the
 * second (NetworkManager 1.20 and later) is an interface set up by someone else, Docker here, that
 * it only watches (an in-memory profile it does not apply). Every other state means it owns the
 * device: it activates a profile on it (a `Wired connection N` with DHCP on a new veth), or will.
 */
const NM_STATE = String.raw`unmanaged|unavailable|disconnected|connected \(externally\)|connected|connecting \([^)]*\)|deactivating|connection failed|unknown`;
const NM_STATES = new RegExp(`^(${NM_STATE})$`);
const NM_NOT_MANAGED = new Set(['unmanaged', 'connected (externally)', 'unknown']);
/** The state in a line of `nmcli device` (human form): the known words after DEVICE and TYPE, then the connection. */
const NM_HUMAN = new RegExp(String.raw`^(\S+)\s+(\S+)\s+(${NM_STATE})(?:\s+(.*))?$`);
const NM_NOT_RUNNING = /^Error: NetworkManager is not running\.?$/i;
/** The command line a paste often keeps, also after a bare `$` or `#` prompt (textLines drops `user@host$` ones). */
const COMMAND_LINE = /^(\S*[$#%>]\s+)?(sudo\s+)?(nmcli|networkctl)(\s|$)/;

/** nmcli's terse fields: split at ':' not escaped with '\' (nmcli escapes ':' and '\' in values). */
export function terseFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else if (c === ':') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const nmManaged = (state: string) => !NM_NOT_MANAGED.has(state);

/**
 * `nmcli -t -f DEVICE,TYPE,STATE,CONNECTION device` (what the collectors run; also without
 * CONNECTION, or `nmcli -t device`), or a pasted `nmcli device` / `nmcli dev status` with its header
 * (`-p` too). A pasted `Error: NetworkManager is not running.` says the daemon was not running.
 * Anything else is an error naming the line, never a throw.
 */
export function parseNmcli(content: string, file: string): Parsed<NetmgrData> {
  const sink = new DiagnosticSink(file);
  const data: NetmgrData = { links: [], running: true };
  let human = false;
  let lines = 0;
  for (const { no, text } of textLines(content)) {
    const t = text.trim();
    lines++;
    if (NM_NOT_RUNNING.test(t)) {
      data.running = false;
      continue;
    }
    if (COMMAND_LINE.test(t)) continue;
    if (/^DEVICE\s+TYPE\s+STATE\b/.test(t)) {
      human = true;
      continue;
    }
    // nmcli -p: a title between rules of '='; and a rule of '-' under the header.
    if (/^(=+|-+)$/.test(t) || /^Status of devices$/i.test(t)) continue;
    if (human) {
      const m = NM_HUMAN.exec(t);
      if (!m) {
        sink.error(no, `not an 'nmcli device' line (DEVICE TYPE STATE CONNECTION, a known state): '${t.slice(0, 80)}'`);
        continue;
      }
      const connection = (m[4] ?? '').trim();
      data.links.push({ ifname: m[1], type: m[2], state: m[3], detail: connection === '--' ? '' : connection, managed: nmManaged(m[3]), line: no });
      continue;
    }
    const f = terseFields(text);
    if (f.length < 3 || f[0] === '' || !NM_STATES.test(f[2])) {
      sink.error(no, `not an 'nmcli -t device' line (DEVICE:TYPE:STATE[:CONNECTION], a known state): '${t.slice(0, 80)}'`);
      continue;
    }
    data.links.push({ ifname: f[0], type: f[1], state: f[2], detail: f[3] === '--' ? '' : (f[3] ?? ''), managed: nmManaged(f[2]), line: no });
  }
  if (lines === 0) sink.error(0, 'empty: expected `nmcli -t -f DEVICE,TYPE,STATE,CONNECTION device` output (NetworkManager lists lo at least)');
  return { format: human ? 'nmcli-device' : 'nmcli-terse', data, diagnostics: sink.list };
}

/* ---------- networkctl ---------- */

/** networkctl's SETUP states (systemd link_state): networkd configures a link, is doing it, or tried and failed. */
const ND_MANAGED = new Set(['configuring', 'configured', 'failed']);
const ND_STATES = new Set(['pending', 'initialized', 'configuring', 'configured', 'unmanaged', 'failed', 'linger']);
const ND_ROW = /^(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$/;
const ND_NOT_RUNNING = /^WARNING: systemd-networkd is not running/i;

/**
 * `networkctl list --no-pager --no-legend` (what the collectors run), or a pasted `networkctl` /
 * `networkctl list` with its header (IDX LINK TYPE OPERATIONAL SETUP) and legend (`N links
 * listed.`). Its warning that systemd-networkd is not running, or OPERATIONAL `n/a` on every link,
 * says the daemon was not running (then every link is `unmanaged`). Anything else is an error
 * naming the line, never a throw.
 */
export function parseNetworkctl(content: string, file: string): Parsed<NetmgrData> {
  const sink = new DiagnosticSink(file);
  const data: NetmgrData = { links: [], running: true };
  let lines = 0;
  for (const { no, text } of textLines(content)) {
    const t = text.trim();
    lines++;
    if (ND_NOT_RUNNING.test(t)) {
      data.running = false;
      continue;
    }
    if (COMMAND_LINE.test(t)) continue;
    if (/^IDX\s+LINK\s+TYPE\s+OPERATIONAL\s+SETUP$/.test(t) || /^\d+ links? listed\.$/.test(t)) continue;
    const m = ND_ROW.exec(t);
    if (!m || !ND_STATES.has(m[5])) {
      sink.error(no, `not a 'networkctl list' line (IDX LINK TYPE OPERATIONAL SETUP, a known SETUP state): '${t.slice(0, 80)}'`);
      continue;
    }
    data.links.push({ ifname: m[2], type: m[3], state: m[5], detail: m[4], managed: ND_MANAGED.has(m[5]), line: no });
  }
  if (data.links.length > 0 && data.links.every((l) => l.detail === 'n/a')) data.running = false;
  // With the daemon down nothing is managed, whatever a line says.
  if (!data.running) for (const l of data.links) l.managed = false;
  if (lines === 0) sink.error(0, 'empty: expected `networkctl list --no-pager --no-legend` output (it lists lo at least)');
  return { format: 'networkctl-list', data, diagnostics: sink.list };
}
