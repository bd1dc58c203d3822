import { DiagnosticSink, isPromptLine, textLines, type Parsed } from './types.js';

/** One line of `ethtool -k IF`: `tx-checksum-ip-generic: on`, `off [fixed]`, `off [requested on]`. */
export interface EthtoolFeature {
  name: string;
  on: boolean;
  /** `[fixed]`: the driver does not let it change. */
  fixed: boolean;
  /** `[requested on]` / `[requested off]`: what was asked, when the kernel holds another value; '' otherwise. */
  requested: string;
  /** The line as printed, trimmed: `tx-checksum-ip-generic: on`. */
  text: string;
  line: number;
}

export interface EthtoolInterface {
  ifname: string;
  /** The driver (`# interface IF driver D` or `ethtool -i`'s `driver: D`); '' when the file does not say. */
  driver: string;
  driverLine: number;
  /** The line that first named the interface. */
  line: number;
  features: Map<string, EthtoolFeature>;
}

export interface EthtoolData {
  interfaces: Map<string, EthtoolInterface>;
}

// The collectors' header line for one interface.
const HEADER = /^#\s*interface\s+(\S+)\s+driver\s+(\S+)\s*$/;
const FEATURES_FOR = /^Features for (\S+):$/;
// `name: on|off`, then `[fixed]`, `[requested on|off]` or `[not requested]` (ethtool's feature names: letters, digits, - and _).
const FEATURE = /^([a-z0-9][a-z0-9_-]*): (on|off)(?: \[(fixed|requested on|requested off|not requested)\])?$/;
// `ethtool -i IF`: the driver line, and the other keys it prints (their values are not needed).
const DRIVER = /^driver:\s*(\S*)$/;
const DRIVER_INFO = /^(version|firmware-version|expansion-rom-version|bus-info|supports-statistics|supports-test|supports-eeprom-access|supports-register-dump|supports-priv-flags):/;
// A pasted command line naming the interface: `[root@n ~]# ethtool -i ens192`, `# ethtool -k ens192`.
const COMMAND = /ethtool\s+(-k|-i|--show-features|--show-offload|--driver)\s+(\S+)\s*$/;
// Older ethtool printed a line per feature it could not read.
const CANNOT = /^Cannot get /;

/**
 * host/ethtool.txt: per host interface, the driver and `ethtool -k` output. The collectors write a
 * header `# interface IF driver D` before each interface's `ethtool -k IF`; a file assembled by
 * hand may instead hold plain `ethtool -k IF` output (its `Features for IF:` names the interface)
 * and `ethtool -i IF` output (`driver: D`), with or without the shell prompt lines. An `ethtool -i`
 * block belongs to the interface its prompt line names; without one, to the interface just named
 * when that one has no driver yet, else to the next interface named.
 * Lines it cannot read are errors naming the line; parsing never throws.
 */
export function parseEthtool(content: string, file: string): Parsed<EthtoolData> {
  const sink = new DiagnosticSink(file);
  const interfaces = new Map<string, EthtoolInterface>();
  let current: EthtoolInterface | undefined;
  /** An `ethtool -i` driver waiting for the interface it belongs to. */
  let pending: { driver: string; line: number } | undefined;
  /** The interface a pasted `ethtool -i IF` command line named, for the driver line after it. */
  let driverFor: string | undefined;

  const named = (ifname: string, line: number): EthtoolInterface => {
    let i = interfaces.get(ifname);
    if (!i) interfaces.set(ifname, (i = { ifname, driver: '', driverLine: 0, line, features: new Map() }));
    if (pending && !i.driver) {
      Object.assign(i, { driver: pending.driver, driverLine: pending.line });
      pending = undefined;
    }
    return i;
  };
  const setDriver = (i: EthtoolInterface, driver: string, line: number) => {
    if (i.driver && i.driver !== driver) sink.error(line, `driver '${driver}' for ${i.ifname}, whose driver is already '${i.driver}' (line ${i.driverLine})`);
    else Object.assign(i, { driver, driverLine: line });
  };

  for (const { no, text } of textLines(content)) {
    const t = text.trim();
    let m: RegExpExecArray | null;
    if ((m = HEADER.exec(t))) {
      current = named(m[1], no);
      if (m[2] !== 'unknown') setDriver(current, m[2], no);
      driverFor = undefined;
    } else if ((m = COMMAND.exec(t)) && (t.startsWith('#') || isPromptLine(t) || t.startsWith('$'))) {
      if (m[1] === '-i' || m[1] === '--driver') driverFor = m[2];
      else current = named(m[2], no);
    } else if (t.startsWith('#')) {
      // A comment (the collectors note an interface ethtool could not read).
    } else if ((m = FEATURES_FOR.exec(t))) {
      current = named(m[1], no);
      driverFor = undefined;
    } else if ((m = FEATURE.exec(t.replace(/\s+/g, ' ')))) {
      if (!current) {
        sink.error(no, `a feature line before any 'Features for <IF>:' line: which interface it is for is unknown: '${t.slice(0, 80)}'`);
        continue;
      }
      if (current.features.has(m[1])) sink.warn(no, `${m[1]} of ${current.ifname} is listed again (first at line ${current.features.get(m[1])!.line}): the later line is kept`);
      current.features.set(m[1], { name: m[1], on: m[2] === 'on', fixed: m[3] === 'fixed', requested: m[3]?.startsWith('requested ') ? m[3].slice(10) : '', text: t.replace(/\s+/g, ' '), line: no });
    } else if ((m = DRIVER.exec(t))) {
      if (!m[1]) {
        sink.error(no, "an empty 'driver:' line");
        continue;
      }
      if (driverFor) {
        setDriver(named(driverFor, no), m[1], no);
        driverFor = undefined;
      } else if (current && !current.driver) setDriver(current, m[1], no);
      else if (pending) sink.error(no, `a second 'driver:' line before any interface is named (the first is line ${pending.line})`);
      else pending = { driver: m[1], line: no };
    } else if (DRIVER_INFO.test(t)) {
      // The rest of `ethtool -i`.
    } else if (CANNOT.test(t)) {
      sink.warn(no, `ethtool could not read a setting: '${t.slice(0, 80)}'`);
    } else {
      sink.error(no, `not a line of 'ethtool -k' ('tx-checksum-ip-generic: on'), 'ethtool -i' ('driver: vmxnet3') or a '# interface IF driver D' header: '${t.slice(0, 80)}'`);
    }
  }
  if (pending) sink.warn(pending.line, `'driver: ${pending.driver}' is followed by no interface: put its 'ethtool -k IF' output (Features for IF:) after it`);
  return { format: 'ethtool', data: { interfaces }, diagnostics: sink.list };
}
