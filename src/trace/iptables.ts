import type { IptablesChain, IptablesData, IptablesRule } from '../parse/iptables.js';
import { protocolName } from '../parse/numbers.js';
import { shellSplit } from '../parse/types.js';
import { ipv4InCidr } from '../model/build.js';

/*
 * Walking one packet through captured iptables chains the way the kernel does for what is
 * supported here: first match wins within a chain, jump / goto / RETURN / policy, the targets that
 * end a walk (ACCEPT, DROP, REJECT, DNAT, SNAT, MASQUERADE, REDIRECT) and those that do not (MARK,
 * LOG, ...), and the matches found on swarm nodes. A match it cannot decide is never guessed: the walk
 * follows both outcomes and says which rule it could not decide.
 */

/** What the walk knows of the packet. `undefined` means "not known": rules that test it are undecidable. */
export interface Packet {
  proto: string;
  src: string;
  dst: string;
  sport?: number;
  dport: number;
  /** Interface the packet came in on / goes out of; '' when the hook has none (INPUT has no -o). */
  inIface?: string;
  outIface?: string;
  /** Conntrack states the packet is in: a new connection is ['NEW'], after DNAT also 'DNAT'. */
  ctstate: string[];
  mark: number;
  /** addrtype: is the destination / source an address of this host. */
  dstLocal?: boolean;
  srcLocal?: boolean;
  /** The packet belongs to an IPVS connection (the `-m ipvs --ipvs` match). */
  ipvs?: boolean;
  /** TCP flags of this packet; a new connection's first segment is a SYN. */
  tcpFlags?: string[];
}

export type Action = 'ACCEPT' | 'DROP' | 'REJECT' | 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT' | 'QUEUE';

/** One rule or policy the walk passed through that did something (a jump, a mark, the verdict). */
export interface Hop {
  table: string;
  chain: string;
  /** 'rule' for a rule, 'policy' for a built-in chain's policy, 'end' for a user chain that ran out. */
  kind: 'rule' | 'policy' | 'end';
  text: string;
  file: string;
  line: number;
  /** What happened there: 'jump DOCKER-USER', 'MARK 0x100', 'ACCEPT', 'DROP' ... */
  effect: string;
}

/** One way the walk can end. */
export interface Outcome {
  action: Action;
  /** Where it was decided. */
  at: Hop;
  /** Every hop on the way, the deciding one last. */
  hops: Hop[];
  /** For DNAT/SNAT: the new address and port. */
  toAddress: string;
  toPort: number;
  /** Rules whose match could not be decided on the way to this outcome ('file:line uses -m X'). */
  undecided: string[];
  /** The packet's mark when it ended. */
  mark: number;
}

export interface WalkResult {
  /** Every way the walk can end (one when nothing was undecidable). */
  outcomes: Outcome[];
  /** ACCEPT-like when all outcomes let the packet on, DROP-like when all stop it, else 'uncertain'. */
  verdict: 'pass' | 'stop' | 'uncertain';
  /** The outcome that decides the verdict (the first one that stops it, for 'stop' and 'uncertain'). */
  decisive: Outcome;
}

type Tri = boolean | 'unknown';

interface MatchResult {
  result: Tri;
  /** Why it is unknown: 'uses -m set', ... */
  why: string;
}

const STOPS = new Set<Action>(['DROP', 'REJECT']);
const TERMINAL = new Set(['ACCEPT', 'DROP', 'REJECT', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'QUEUE', 'NFQUEUE']);
/** Targets that do something and let the packet go on to the next rule. */
const CONTINUE = new Set(['LOG', 'NFLOG', 'ULOG', 'MARK', 'CONNMARK', 'TCPMSS', 'CHECKSUM', 'CLASSIFY', 'DSCP', 'TOS', 'TTL', 'AUDIT', 'TRACE', 'CT', 'NOTRACK', 'SECMARK', 'CONNSECMARK', 'SET', 'IDLETIMER', 'TEE']);
const MAX_DEPTH = 40;
const MAX_OUTCOMES = 64;

/** Does an interface pattern (`eth0`, `docker+`, `!docker_gwbridge`) match a name? */
function ifaceMatches(pattern: string, name: string): boolean {
  if (pattern.endsWith('+')) return name.startsWith(pattern.slice(0, -1));
  return name === pattern;
}

function inPortSpec(spec: string, port: number): boolean {
  return spec.split(',').some((p) => {
    const [a, b] = p.split(':');
    if (b === undefined) return Number(a) === port;
    return port >= (a === '' ? 0 : Number(a)) && port <= (b === '' ? 65535 : Number(b));
  });
}

function addrMatches(spec: string, ip: string): boolean {
  return spec.split(',').some((a) => (a.includes('/') ? ipv4InCidr(ip, a) : a === ip));
}

const SYN_ONLY = ['SYN'];

/**
 * Decide whether a rule (in iptables-save / -S form) matches the packet. Conditions are ANDed: one
 * false condition decides "no match" even when another cannot be decided.
 */
export function matchSaveRule(tokens: string[], p: Packet): MatchResult {
  let unknown = '';
  let neg = false;
  let module = '';
  const decide = (v: Tri, why: string): boolean => {
    if (v === 'unknown') {
      unknown ||= why;
      return true;
    }
    return neg ? !v : v;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === '!') {
      neg = true;
      continue;
    }
    if (t === '-j' || t === '--jump' || t === '-g' || t === '--goto') break; // the target's options follow
    const v = tokens[i + 1] ?? '';
    let ok = true;
    let consumed = 1;
    switch (t) {
      case '-A':
      case '--append':
        break;
      case '-p':
      case '--protocol': {
        const want = protocolName(v);
        ok = decide(want === 'all' || want === p.proto, '');
        break;
      }
      case '-s':
      case '--source':
      case '--src':
        ok = decide(addrMatches(v, p.src), '');
        break;
      case '-d':
      case '--destination':
      case '--dst':
        ok = decide(addrMatches(v, p.dst), '');
        break;
      case '-i':
      case '--in-interface':
        ok = decide(p.inIface === undefined ? 'unknown' : ifaceMatches(v, p.inIface), `uses -i ${v} and the packet's input interface is not known`);
        break;
      case '-o':
      case '--out-interface':
        ok = decide(p.outIface === undefined ? 'unknown' : ifaceMatches(v, p.outIface), `uses -o ${v} and the packet's output interface is not known`);
        break;
      case '-m':
      case '--match':
        module = v;
        if (!KNOWN_MODULES.has(v)) ok = decide('unknown', `uses -m ${v}`);
        break;
      case '-f':
      case '--fragment':
        ok = decide(false, ''); // a connection's first packet is no fragment
        consumed = 0;
        break;
      case '-4':
      case '--ipv4':
        consumed = 0;
        break;
      case '--tcp-flags':
        ok = decide(tcpFlags(v, tokens[i + 2] ?? '', p), `uses --tcp-flags ${v} ${tokens[i + 2] ?? ''}`);
        consumed = 2;
        break;
      default:
        if (!t.startsWith('-')) {
          consumed = 0;
        } else if (!KNOWN_MODULES.has(module)) {
          // An option of a module this walk does not know: `-m X` already made the rule undecidable.
          consumed = takesValue(v) ? 1 : 0;
        } else {
          const r = moduleOption(module, t, v, p);
          ok = decide(r.result, r.why || `uses -m ${module} ${t}`);
          consumed = r.consumed;
        }
    }
    if (!ok) return { result: false, why: '' };
    neg = false;
    i += consumed;
  }
  return unknown ? { result: 'unknown', why: unknown } : { result: true, why: '' };
}

const KNOWN_MODULES = new Set(['tcp', 'udp', 'sctp', 'multiport', 'addrtype', 'conntrack', 'state', 'mark', 'comment', 'ipvs', 'icmp']);

/** One option of a match module: its verdict and how many value tokens it took. */
function moduleOption(module: string, opt: string, v: string, p: Packet): { result: Tri; why: string; consumed: number } {
  const one = (result: Tri, why = '') => ({ result, why, consumed: 1 });
  switch (opt) {
    case '--dport':
    case '--destination-port':
      return one(inPortSpec(v, p.dport));
    case '--sport':
    case '--source-port':
      return one(p.sport === undefined ? 'unknown' : inPortSpec(v, p.sport), `uses ${opt} ${v} and the source port is not known`);
    case '--dports':
    case '--destination-ports':
      return one(inPortSpec(v, p.dport));
    case '--sports':
    case '--source-ports':
      return one(p.sport === undefined ? 'unknown' : inPortSpec(v, p.sport), `uses ${opt} ${v} and the source port is not known`);
    case '--ports':
      return one(inPortSpec(v, p.dport) || (p.sport !== undefined && inPortSpec(v, p.sport)) ? true : p.sport === undefined ? 'unknown' : false, `uses --ports ${v} and the source port is not known`);
    case '--dst-type':
      return one(addrType(v, p.dstLocal), `uses --dst-type ${v}`);
    case '--src-type':
      return one(addrType(v, p.srcLocal), `uses --src-type ${v}`);
    case '--limit-iface-in':
    case '--limit-iface-out':
      return { result: 'unknown', why: `uses addrtype ${opt}`, consumed: 0 };
    case '--ctstate':
    case '--state':
      return one(v.split(',').some((s) => p.ctstate.includes(s.toUpperCase())));
    case '--mark': {
      const [val, mask] = v.split('/');
      const m = mask === undefined ? 0xffffffff : Number(mask);
      return one(((p.mark & m) >>> 0) === ((Number(val) & m) >>> 0));
    }
    case '--comment':
      return one(true);
    case '--ipvs':
      return { result: p.ipvs === undefined ? 'unknown' : p.ipvs, why: 'uses -m ipvs --ipvs', consumed: 0 };
    case '--syn':
      return { result: p.proto !== 'tcp' ? false : p.tcpFlags === undefined ? 'unknown' : sameFlags(p.tcpFlags, SYN_ONLY), why: 'uses --syn', consumed: 0 };
    case '--icmp-type':
      return one(p.proto === 'icmp' ? 'unknown' : false, `uses --icmp-type ${v}`);
    default:
      return { result: 'unknown', why: `uses ${module ? `-m ${module} ` : ''}${opt}`, consumed: takesValue(v) ? 1 : 0 };
  }
}

/** Whether the token after an option is its value (not another option). */
function takesValue(v: string): boolean {
  return v !== '' && v !== '!' && !/^-[-a-zA-Z]/.test(v);
}

function sameFlags(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((f) => b.includes(f));
}

/** --tcp-flags MASK COMP: of the flags in MASK, exactly those in COMP are set. */
function tcpFlags(mask: string, comp: string, p: Packet): Tri {
  if (p.proto !== 'tcp') return false;
  if (!p.tcpFlags || !comp) return 'unknown';
  const m = mask === 'ALL' ? ['SYN', 'ACK', 'FIN', 'RST', 'URG', 'PSH'] : mask.split(',');
  const c = comp === 'NONE' ? [] : comp.split(',');
  return m.every((f) => p.tcpFlags!.includes(f) === c.includes(f));
}

function addrType(type: string, local: boolean | undefined): Tri {
  const types = type.split(',').map((x) => x.toUpperCase());
  if (types.includes('LOCAL')) return local === undefined ? 'unknown' : local || (types.includes('UNICAST') ? 'unknown' : false);
  if (types.every((x) => x === 'UNICAST')) return true; // the walk only follows unicast packets
  return 'unknown';
}

/** The parts of a rule the walk reads: its match verdict, its target and the target's options. */
function ruleTarget(rule: IptablesRule, tokens: string[] = []): { target: string; goto: boolean; options: string[] } {
  const j = tokens.findIndex((t) => t === '-j' || t === '--jump' || t === '-g' || t === '--goto');
  if (j < 0) return { target: rule.target, goto: false, options: [] };
  return { target: tokens[j + 1] ?? rule.target, goto: tokens[j] === '-g' || tokens[j] === '--goto', options: tokens.slice(j + 2) };
}

/** Rules printed by `iptables -L` hold no tokens: decide from the parsed fields, never beyond them. */
function matchListingRule(rule: IptablesRule, p: Packet): MatchResult {
  const tokens: string[] = [];
  if (rule.protocol && rule.protocol !== 'all') tokens.push(...(rule.protocol.startsWith('!') ? ['!', '-p', rule.protocol.slice(1)] : ['-p', rule.protocol]));
  for (const [opt, v] of [['-s', rule.source], ['-d', rule.destination], ['-i', rule.inInterface], ['-o', rule.outInterface]] as const) {
    if (!v || v === '0.0.0.0/0') continue;
    tokens.push(...(v.startsWith('!') ? ['!', opt, v.slice(1)] : [opt, v]));
  }
  if (rule.dportSpec) tokens.push(...(rule.dportSpec.startsWith('!') ? ['!', '--dport', rule.dportSpec.slice(1)] : ['--dport', rule.dportSpec]));
  if (rule.dstType) tokens.push('--dst-type', rule.dstType.replace(/^!/, ''));
  if (rule.srcType) tokens.push('--src-type', rule.srcType.replace(/^!/, ''));
  const r = matchSaveRule(tokens, p);
  if (r.result === false) return r;
  // Anything else the row says (states, marks, sets...) is not kept by the parser: not decidable.
  const extra = rule.matches.filter((m) => !['tcp', 'udp', 'addrtype', 'multiport'].includes(m));
  if (extra.length || rule.sport) return { result: 'unknown', why: `uses ${extra.length ? extra.join(', ') : 'a source port'} (an -L listing: capture with iptables-save to decide it)` };
  return r;
}

/** A rule read once for walking: its tokens, and the one destination port it requires, if any. */
interface Compiled {
  rule: IptablesRule;
  tokens: string[] | undefined;
  /** The rule matches only this destination port (a plain `--dport N`); -1 when it may match others. */
  port: number;
}

interface CompiledChain {
  rules: Compiled[];
  /** Rules for exactly one destination port, by port. */
  byPort: Map<number, number[]>;
  /** Rules that test the destination port otherwise (ranges, lists, negations). */
  portDependent: number[];
  /** Rules that do not look at the destination port at all. */
  portIndependent: number[];
  /** For one packet (all but its port): the port-independent rules that may match it. */
  viable: Map<string, number[]>;
}

const compiledChains = new WeakMap<IptablesChain, CompiledChain>();
const PORT_OPTIONS = new Set(['--dport', '--destination-port', '--dports', '--destination-ports', '--ports']);

/**
 * Chains are read once per capture, however many packets are walked through them, and a walk for one
 * port visits only the rules that can match it: DOCKER-INGRESS holds two rules per published port,
 * and a capture may publish hundreds.
 */
function compileChain(chain: IptablesChain): CompiledChain {
  let c = compiledChains.get(chain);
  if (c) return c;
  const byPort = new Map<number, number[]>();
  const portDependent: number[] = [];
  const portIndependent: number[] = [];
  const rules = chain.rules.map((rule, i): Compiled => {
    const tokens = rule.text.startsWith('-') ? shellSplit(rule.text) : undefined;
    let port = -1;
    let usesPort = false;
    if (tokens) {
      const end = tokens.findIndex((t) => t === '-j' || t === '--jump' || t === '-g' || t === '--goto');
      const conds = end < 0 ? tokens : tokens.slice(0, end);
      usesPort = conds.some((t) => PORT_OPTIONS.has(t));
      const j = conds.findIndex((t) => t === '--dport' || t === '--destination-port');
      if (j > 0 && conds[j - 1] !== '!' && /^\d+$/.test(conds[j + 1] ?? '') && conds.filter((t) => PORT_OPTIONS.has(t)).length === 1) port = Number(conds[j + 1]);
    } else {
      usesPort = rule.dportSpec !== '';
      if (rule.dport > 0 && /^\d+$/.test(rule.dportSpec)) port = rule.dport;
    }
    if (port >= 0) {
      const list = byPort.get(port);
      if (list) list.push(i);
      else byPort.set(port, [i]);
    } else (usesPort ? portDependent : portIndependent).push(i);
    return { rule, tokens, port };
  });
  c = { rules, byPort, portDependent, portIndependent, viable: new Map() };
  compiledChains.set(chain, c);
  return c;
}

/** Merge lists of ascending rule indices into one ascending list (an index is in one list only). */
function mergeSorted(lists: number[][]): number[] {
  const nonEmpty = lists.filter((l) => l.length);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? [];
  let out = nonEmpty[0];
  for (let k = 1; k < nonEmpty.length; k++) {
    const a = out;
    const b = nonEmpty[k];
    const m: number[] = new Array(a.length + b.length);
    let i = 0;
    let j = 0;
    let n = 0;
    while (i < a.length && j < b.length) m[n++] = a[i] < b[j] ? a[i++] : b[j++];
    while (i < a.length) m[n++] = a[i++];
    while (j < b.length) m[n++] = b[j++];
    out = m;
  }
  return out;
}

/** Everything about a packet but its destination port: the key of the port-independent matches. */
function packetKey(p: Packet): string {
  let key = '';
  for (const k in p) if (k !== 'dport') key += `${k}=${String((p as unknown as Record<string, unknown>)[k])}|`;
  return key;
}

/** The indices of rules that may match this packet, in chain order. */
function candidates(c: CompiledChain, p: Packet): number[] {
  const key = packetKey(p);
  let viable = c.viable.get(key);
  if (!viable) {
    viable = c.portIndependent.filter((i) => matchCompiled(c.rules[i], p).result !== false);
    if (c.viable.size < 1024) c.viable.set(key, viable);
  }
  return mergeSorted([c.byPort.get(p.dport) ?? [], c.portDependent, viable]);
}

export function matchRule(rule: IptablesRule, p: Packet): MatchResult {
  return rule.text.startsWith('-') ? matchSaveRule(shellSplit(rule.text), p) : matchListingRule(rule, p);
}

function matchCompiled(r: Compiled, p: Packet): MatchResult {
  return r.tokens ? matchSaveRule(r.tokens, p) : matchListingRule(r.rule, p);
}

function hop(rule: IptablesRule, effect: string): Hop {
  return { table: rule.table, chain: rule.chain, kind: 'rule', text: rule.text, file: rule.file, line: rule.line, effect };
}

interface State {
  packet: Packet;
  hops: Hop[];
  undecided: string[];
}

type Ending = { kind: 'end'; state: State } | { kind: 'return'; state: State } | { kind: 'final'; outcome: Outcome };

class Walker {
  private count = 0;
  constructor(
    private data: IptablesData,
    private table: string,
  ) {}

  chain(name: string): IptablesChain | undefined {
    return this.data.tables.get(this.table)?.get(name);
  }

  /** Walk a chain from rule index i; every way it can end. */
  run(chain: IptablesChain, i: number, st: State, depth: number): Ending[] {
    if (depth > MAX_DEPTH) {
      return [{ kind: 'final', outcome: this.finalOutcome('ACCEPT', { table: this.table, chain: chain.name, kind: 'end', text: '', file: '', line: 0, effect: 'too deep' }, { ...st, undecided: [...st.undecided, `jumps nest deeper than ${MAX_DEPTH} chains at ${chain.name}`] }) }];
    }
    const compiled = compileChain(chain);
    for (const k of candidates(compiled, st.packet)) {
      if (k < i) continue;
      const rule = chain.rules[k];
      const m = matchCompiled(compiled.rules[k], st.packet);
      if (m.result === false) continue;
      if (m.result === 'unknown') {
        const note = `${rule.file}:${rule.line} ${m.why}`;
        if (this.count++ > MAX_OUTCOMES) {
          return [{ kind: 'final', outcome: this.finalOutcome('ACCEPT', hop(rule, 'undecided'), { ...st, undecided: [...st.undecided, note, `more than ${MAX_OUTCOMES} undecidable rules: walk stopped`] }) }];
        }
        const taken = this.take(chain, k, compiled.rules[k], { ...st, undecided: [...st.undecided, note] }, depth);
        const skipped = this.run(chain, k + 1, { ...st, packet: { ...st.packet }, undecided: [...st.undecided, note] }, depth);
        return [...taken, ...skipped];
      }
      return this.take(chain, k, compiled.rules[k], st, depth);
    }
    return [{ kind: 'end', state: st }];
  }

  /** The rule at index k matched: apply its target. */
  private take(chain: IptablesChain, k: number, c: Compiled, st: State, depth: number): Ending[] {
    const rule = c.rule;
    const { target, goto, options } = ruleTarget(rule, c.tokens);
    if (!target) return this.run(chain, k + 1, st, depth); // a counting rule
    if (target === 'RETURN') return [{ kind: 'return', state: { ...st, hops: [...st.hops, hop(rule, 'RETURN')] } }];
    if (TERMINAL.has(target)) {
      const action = (target === 'NFQUEUE' ? 'QUEUE' : target) as Action;
      const out = this.finalOutcome(action, hop(rule, target), st);
      if (action === 'DNAT' || action === 'SNAT') {
        const to = optionValue(options, action === 'DNAT' ? '--to-destination' : '--to-source') ?? (rule.toAddress ? `${rule.toAddress}:${rule.toPort}` : '');
        const m = /^([^:]*)(?::(\d+))?/.exec(to);
        out.toAddress = m?.[1] || rule.toAddress;
        out.toPort = m?.[2] ? Number(m[2]) : rule.toPort;
      }
      return [{ kind: 'final', outcome: out }];
    }
    if (CONTINUE.has(target)) {
      const packet = { ...st.packet };
      let effect = target;
      if (target === 'MARK') {
        const set = optionValue(options, '--set-xmark') ?? optionValue(options, '--set-mark');
        if (set !== undefined) {
          const [val, mask] = set.split('/');
          const m = mask === undefined ? 0xffffffff : Number(mask);
          packet.mark = ((packet.mark & ~m) ^ Number(val)) >>> 0;
          effect = `MARK ${'0x' + packet.mark.toString(16)}`;
        } else if (rule.setMark >= 0) {
          packet.mark = rule.setMark;
          effect = `MARK ${'0x' + packet.mark.toString(16)}`;
        }
      }
      return this.run(chain, k + 1, { ...st, packet, hops: [...st.hops, hop(rule, effect)] }, depth);
    }
    const sub = this.chain(target);
    if (!sub) {
      // A target this walk does not know (an extension, or a chain not in the capture).
      const note = `${rule.file}:${rule.line} jumps to ${target}, which this walk cannot follow`;
      const h = hop(rule, `${target}?`);
      const asStop = this.finalOutcome('DROP', h, { ...st, undecided: [...st.undecided, note] });
      return [{ kind: 'final', outcome: asStop }, ...this.run(chain, k + 1, { ...st, hops: [...st.hops, h], undecided: [...st.undecided, note] }, depth)];
    }
    const into = { ...st, hops: [...st.hops, hop(rule, `${goto ? 'goto' : 'jump'} ${target}`)] };
    const results: Ending[] = [];
    for (const r of this.run(sub, 0, into, depth + 1)) {
      if (r.kind === 'final') results.push(r);
      else if (goto) results.push({ kind: 'return', state: r.state }); // back to whoever called this chain
      else results.push(...this.run(chain, k + 1, r.state, depth));
    }
    return results;
  }

  finalOutcome(action: Action, at: Hop, st: State): Outcome {
    return { action, at, hops: [...st.hops, at], toAddress: '', toPort: 0, undecided: st.undecided, mark: st.packet.mark };
  }
}

function optionValue(options: string[], name: string): string | undefined {
  const i = options.indexOf(name);
  return i >= 0 ? options[i + 1] : undefined;
}

/**
 * Walk one built-in chain of one table (its jumps included) for a packet. A chain that ends falls
 * to its policy (ACCEPT when the capture has none: the kernel's default).
 */
export function walkChain(data: IptablesData, table: string, chain: string, packet: Packet): Outcome[] {
  const w = new Walker(data, table);
  const c = w.chain(chain);
  const start: State = { packet: { ...packet }, hops: [], undecided: [] };
  if (!c) return [w.finalOutcome('ACCEPT', { table, chain, kind: 'policy', text: `no ${table} ${chain} chain in the capture`, file: '', line: 0, effect: 'ACCEPT' }, start)];
  const file = c.rules[0]?.file ?? '';
  return w.run(c, 0, start, 0).map((r) => {
    if (r.kind === 'final') return r.outcome;
    const policy = (c.policy ?? 'ACCEPT').toUpperCase() as Action;
    return w.finalOutcome(policy === 'DROP' ? 'DROP' : 'ACCEPT', { table, chain, kind: 'policy', text: `:${chain} ${c.policy ?? 'ACCEPT'}`, file, line: c.line, effect: `policy ${c.policy ?? 'ACCEPT'}` }, r.state);
  });
}

/**
 * Walk a sequence of hooks (e.g. raw PREROUTING, mangle PREROUTING, filter FORWARD): each one's
 * outcomes feed the next; a packet stopped in one goes no further. Marks carry over.
 */
export function walkHooks(data: IptablesData, steps: { table: string; chain: string; packet?: Partial<Packet> }[], packet: Packet): WalkResult {
  let current: { packet: Packet; prior: Outcome | undefined }[] = [{ packet, prior: undefined }];
  const done: Outcome[] = [];
  for (const step of steps) {
    const next: typeof current = [];
    for (const c of current) {
      const pk = { ...c.packet, ...(step.packet ?? {}) };
      if (!data.tables.get(step.table)?.get(step.chain)) {
        next.push(c);
        continue;
      }
      for (const o of walkChain(data, step.table, step.chain, pk)) {
        const merged: Outcome = { ...o, hops: [...(c.prior?.hops ?? []), ...o.hops], undecided: [...(c.prior?.undecided ?? []), ...o.undecided] };
        if (STOPS.has(o.action)) done.push(merged);
        else next.push({ packet: { ...pk, mark: o.mark }, prior: merged });
      }
    }
    current = next;
  }
  const outcomes = [...done, ...current.map((c) => c.prior ?? { action: 'ACCEPT' as Action, at: { table: '', chain: '', kind: 'policy' as const, text: 'no chain on the way', file: '', line: 0, effect: 'ACCEPT' }, hops: [], toAddress: '', toPort: 0, undecided: [], mark: c.packet.mark })];
  const stops = outcomes.filter((o) => STOPS.has(o.action));
  const verdict = stops.length === 0 ? 'pass' : stops.length === outcomes.length ? 'stop' : 'uncertain';
  return { outcomes, verdict, decisive: stops[0] ?? outcomes[0] };
}

export function describeRule(h: Hop): string {
  return h.kind === 'rule' ? `${h.file}:${h.line}` : h.line ? `${h.file}:${h.line} (policy)` : `${h.table} ${h.chain} policy`;
}
