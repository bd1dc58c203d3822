import type { IptablesChain, IptablesData, IptablesRule } from '../parse/iptables.js';
import { protocolName } from '../parse/numbers.js';
import { intern, shellSplit, TextMemo } from '../parse/types.js';
import { ipv4InCidr, ipv4Number, ipv4Prefix } from '../model/build.js';
import { pushTo } from '../util/obj.js';

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

/** One hook a walk passes (a table's built-in chain), with what the packet is there when it differs (after a DNAT, the forward). */
export type HookStep = { table: string; chain: string; packet?: Partial<Packet> };

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
  /** A rule's place in its chain (1 for the first); 0 for a policy or the end of a chain. */
  index: number;
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
  // One port, the usual case, without splitting (a walk tests the rules of every port).
  if (spec.indexOf(',') < 0 && spec.indexOf(':') < 0) return Number(spec) === port;
  return spec.split(',').some((p) => {
    const [a, b] = p.split(':');
    if (b === undefined) return Number(a) === port;
    return port >= (a === '' ? 0 : Number(a)) && port <= (b === '' ? 65535 : Number(b));
  });
}

function addrMatches(spec: string, ip: string): boolean {
  if (spec.indexOf(',') < 0) return spec.includes('/') ? ipv4InCidr(ip, spec) : spec === ip;
  return spec.split(',').some((a) => (a.includes('/') ? ipv4InCidr(ip, a) : a === ip));
}

const SYN_ONLY = ['SYN'];

/**
 * Decide whether a rule (in iptables-save / -S form) matches the packet. Conditions are ANDed: one
 * false condition decides "no match" even when another cannot be decided.
 */
export function matchSaveRule(tokens: string[], p: Packet, wild = false): MatchResult {
  undecidedWhy = '';
  negated = false;
  let module = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === '!') {
      negated = true;
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
        // `-p tcp --dport 80` loads the tcp match implicitly, as iptables does.
        if (!module && (want === 'tcp' || want === 'udp' || want === 'sctp')) module = want;
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
        ok = p.inIface === undefined ? decide('unknown', `uses -i ${v} and the packet's input interface is not known`) : decide(ifaceMatches(v, p.inIface), '');
        break;
      case '-o':
      case '--out-interface':
        ok = p.outIface === undefined ? decide('unknown', `uses -o ${v} and the packet's output interface is not known`) : decide(ifaceMatches(v, p.outIface), '');
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
      case '--tcp-flags': {
        const f = tcpFlags(v, tokens[i + 2] ?? '', p);
        ok = decide(f, f === 'unknown' ? `uses --tcp-flags ${v} ${tokens[i + 2] ?? ''}` : '');
        consumed = 2;
        break;
      }
      default:
        if (!t.startsWith('-')) {
          consumed = 0;
        } else if (!KNOWN_MODULES.has(module)) {
          // An option of a module this walk does not know: `-m X` already made the rule undecidable.
          consumed = takesValue(v) ? 1 : 0;
        } else if (wild && WILD_OPTIONS.has(t)) {
          // Indexing: the port and the mark are looked at per packet, so here they may match.
          ok = decide('unknown', '');
          consumed = 1;
        } else {
          const r = moduleOption(module, t, v, p);
          ok = decide(r.result, r.result === 'unknown' ? r.why || `uses -m ${module} ${t}` : '');
          consumed = r.consumed;
        }
    }
    if (!ok) return NO_MATCH;
    negated = false;
    i += consumed;
  }
  return undecidedWhy ? { result: 'unknown', why: undecidedWhy } : MATCH;
}

// The state of the rule matchSaveRule is deciding (it calls nothing that decides another rule): why
// the first undecidable condition was, and whether a `!` stands before the condition at hand.
let undecidedWhy = '';
let negated = false;
/** A condition's verdict as the rule's: true goes on, false rules the packet out; undecidable goes on, remembering why. */
function decide(v: Tri, why: string): boolean {
  if (v === 'unknown') {
    undecidedWhy ||= why;
    return true;
  }
  return negated ? !v : v;
}
/** Shared: a match result is read, never changed. */
const NO_MATCH: MatchResult = { result: false, why: '' };
const MATCH: MatchResult = { result: true, why: '' };

/** Conditions on the destination port and the mark: left open when indexing a chain (see rulesFor). */
const WILD_OPTIONS = new Set(['--dport', '--destination-port', '--dports', '--destination-ports', '--ports', '--mark']);

const KNOWN_MODULES = new Set(['tcp', 'udp', 'sctp', 'multiport', 'addrtype', 'conntrack', 'state', 'mark', 'comment', 'ipvs', 'icmp']);

/**
 * An option with one value, decided: one of two shared results (a walk decides the options of every
 * rule it reads); the reason is written only for one that cannot be decided.
 */
function one(result: Tri, why?: (opt: string, v: string) => string, opt = '', v = ''): { result: Tri; why: string; consumed: number } {
  if (result === true) return ONE_TRUE;
  if (result === false) return ONE_FALSE;
  return { result, why: why ? why(opt, v) : '', consumed: 1 };
}
const ONE_TRUE = { result: true as Tri, why: '', consumed: 1 };
const ONE_FALSE = { result: false as Tri, why: '', consumed: 1 };
const SPORT_WHY = (opt: string, v: string) => `uses ${opt} ${v} and the source port is not known`;
const PORTS_WHY = (_opt: string, v: string) => `uses --ports ${v} and the source port is not known`;
const TYPE_WHY = (opt: string, v: string) => `uses ${opt} ${v}`;

/** One option of a match module: its verdict and how many value tokens it took. */
function moduleOption(module: string, opt: string, v: string, p: Packet): { result: Tri; why: string; consumed: number } {
  switch (opt) {
    case '--dport':
    case '--destination-port':
      return one(inPortSpec(v, p.dport));
    case '--sport':
    case '--source-port':
      return one(p.sport === undefined ? 'unknown' : inPortSpec(v, p.sport), SPORT_WHY, opt, v);
    case '--dports':
    case '--destination-ports':
      return one(inPortSpec(v, p.dport));
    case '--sports':
    case '--source-ports':
      return one(p.sport === undefined ? 'unknown' : inPortSpec(v, p.sport), SPORT_WHY, opt, v);
    case '--ports':
      return one(inPortSpec(v, p.dport) || (p.sport !== undefined && inPortSpec(v, p.sport)) ? true : p.sport === undefined ? 'unknown' : false, PORTS_WHY, opt, v);
    case '--dst-type':
      return one(addrType(v, p.dstLocal), TYPE_WHY, opt, v);
    case '--src-type':
      return one(addrType(v, p.srcLocal), TYPE_WHY, opt, v);
    case '--limit-iface-in':
    case '--limit-iface-out':
      return { result: 'unknown', why: `uses addrtype ${opt}`, consumed: 0 };
    case '--ctstate':
    case '--state':
      return one(v.indexOf(',') < 0 ? p.ctstate.includes(v.toUpperCase()) : v.split(',').some((s) => p.ctstate.includes(s.toUpperCase())));
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
      return one(p.proto === 'icmp' ? 'unknown' : false, TYPE_WHY, opt, v);
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

/**
 * `-m addrtype --dst-type / --src-type`. The kernel gives an address one type (inet_addr_type: the
 * local routing table's LOCAL or BROADCAST, else UNICAST; MULTICAST by range), and the match is
 * whether that type is in the list. The walk follows unicast packets between unicast addresses, so
 * an address is LOCAL when it is one of the node's and UNICAST otherwise: BROADCAST, MULTICAST and
 * the rest never match it. Unknown only when whether it is local is unknown and that matters.
 */
function addrType(type: string, local: boolean | undefined): Tri {
  let t = addrTypes.get(type);
  if (!t) {
    const types = type.split(',').map((x) => x.toUpperCase());
    t = { asLocal: types.includes('LOCAL'), asUnicast: types.includes('UNICAST') };
    if (addrTypes.size < 256) addrTypes.set(type, t);
  }
  const { asLocal, asUnicast } = t;
  if (asLocal && asUnicast) return true;
  if (!asLocal && !asUnicast) return false;
  if (local === undefined) return 'unknown';
  return asLocal ? local : !local;
}
/** The types of an addrtype list, read once per list ('LOCAL', 'UNICAST,LOCAL'). */
const addrTypes = new Map<string, { asLocal: boolean; asUnicast: boolean }>();

/** The parts of a rule the walk reads: its match verdict, its target and the target's options. */
function ruleTarget(rule: IptablesRule, tokens: string[] = NO_TOKENS): { target: string; goto: boolean; options: string[]; from: number } {
  // The target's options are tokens[from...] (not copied out: a walk reads the target of every rule it takes).
  const j = tokens.findIndex((t) => t === '-j' || t === '--jump' || t === '-g' || t === '--goto');
  if (j < 0) return { target: rule.target, goto: false, options: NO_TOKENS, from: 0 };
  return { target: tokens[j + 1] ?? rule.target, goto: tokens[j] === '-g' || tokens[j] === '--goto', options: tokens, from: j + 2 };
}

/** Rules printed by `iptables -L` hold no tokens: decide from the parsed fields, never beyond them. */
function matchListingRule(rule: IptablesRule, p: Packet, wild = false): MatchResult {
  const tokens: string[] = [];
  if (rule.protocol && rule.protocol !== 'all') tokens.push(...(rule.protocol.startsWith('!') ? ['!', '-p', rule.protocol.slice(1)] : ['-p', rule.protocol]));
  for (const [opt, v] of [['-s', rule.source], ['-d', rule.destination], ['-i', rule.inInterface], ['-o', rule.outInterface]] as const) {
    if (!v || v === '0.0.0.0/0') continue;
    tokens.push(...(v.startsWith('!') ? ['!', opt, v.slice(1)] : [opt, v]));
  }
  if (rule.dportSpec) tokens.push(...(rule.dportSpec.startsWith('!') ? ['!', '--dport', rule.dportSpec.slice(1)] : ['--dport', rule.dportSpec]));
  // The addrtype match by name (an option without its module would be read as an unknown module's), negation kept.
  for (const [opt, v] of [['--dst-type', rule.dstType], ['--src-type', rule.srcType]] as const) {
    if (v) tokens.push('-m', 'addrtype', ...(v.startsWith('!') ? ['!', opt, v.slice(1)] : [opt, v]));
  }
  const r = matchSaveRule(tokens, p, wild);
  if (r.result === false) return r;
  // Anything else the row says (states, marks, sets...) is not kept by the parser: not decidable.
  const extra = rule.matches.filter((m) => !['tcp', 'udp', 'addrtype', 'multiport'].includes(m));
  if (extra.length || rule.sport) return { result: 'unknown', why: `uses ${extra.length ? extra.join(', ') : 'a source port'} (an -L listing: capture with iptables-save to decide it)` };
  return r;
}

/**
 * A chain read once for walking, however many packets are walked through it: how far it has been
 * walked, what its walks came to, and its index (shared with every chain of the same rules).
 */
interface CompiledChain {
  chain: IptablesChain;
  /** Walks through the chain so far: the first is a plain pass over its rules, later ones use the index. */
  runs: number;
  index: ChainIndex;
  /** Decided per port and mark nowhere in it (nor in the chains it jumps to): see portAndMarkFree. */
  free?: boolean;
  /**
   * For a free chain, the key of a packet for its whole walk: the destinations tested here and in
   * every chain it may jump to (a walk remembered by this chain's tests alone would be given to a
   * packet that a jumped-to chain's -d decides otherwise).
   */
  walkKey?: KeyRule;
  /** For a free chain: its outcomes per packet key (walkKey). */
  walks: Map<string, Outcome[]>;
  /** Per rule index: the hop of a jump, goto or RETURN (see fixedHop). */
  fixedHops: Map<number, Hop>;
  /** The hop of the chain's policy (a built-in chain that runs out). */
  policyHop?: Hop;
}

/**
 * What a chain's rules say for walking, from their texts alone: one per set of rules, shared by the
 * chains that hold the same rules in the same order (every node of a swarm marks and DNATs the same
 * published ports alike). Per rule it keeps only numbers: the one destination port the rule
 * requires (-1 when it may match others) and the source network it requires, to rule out
 * blocklists of thousands of addresses without reading them again; a rule's tokens are kept once it
 * may match some packet.
 */
interface ChainIndex {
  /** A number of its own: the same for every chain with these rules (see tablePrint). */
  id: number;
  /** Whether port, srcNet, srcMask, anyPort, byPort and ruleKey are filled (indexChain). */
  indexed: boolean;
  /** Whether another chain has these rules: then the index pays from the first walk. */
  shared: boolean;
  port: Int32Array;
  /** A plain `-s A.B.C.D[/N]`: the network and its mask; both 0 (any source) when none. */
  srcNet: Uint32Array;
  srcMask: Uint32Array;
  tokens: (string[] | undefined)[];
  /** Per rule: what taking it does (targetAt), read when first taken. */
  targets: (TargetInfo | undefined)[];
  /** The chains its rules jump or go to and the destinations they test (wordsOf), read when first asked. */
  words?: { jumps: string[]; dsts: string[] };
  /** Per packet key (everything but the port and the mark): the rules that may match it. */
  viable: Map<string, Viable>;
  /**
   * For a chain with few rules that may match any port (at most FEW_ANY_PORT): per port, every rule
   * that may match it, whatever the packet; `anyPort` for a port no rule names. Undefined for other
   * chains, which use `viable`.
   */
  byPort?: Map<number, number[]>;
  anyPort: number[];
  /** The key of a packet for the rules that may match it: the destinations this chain's rules test. */
  ruleKey: KeyRule;
}

/**
 * How a packet's key is made: every field but its port and mark, and of its destination only which
 * of `specs` hold it (packets to many addresses alike, IPVS backends, share one key). Null specs:
 * too many to be worth it, and the key holds the address.
 */
interface KeyRule {
  specs: string[] | null;
  /** Per destination address: which of specs hold it, as the key writes it. */
  bits: Map<string, string>;
  /** The last key made, with what it was made of (see packetKey). */
  last?: { p: Packet; dst: string; key: string };
}

/** For one packet but its port and mark: the rules that may match it, the single-port ones by port. */
interface Viable {
  byPort: Map<number, number[]>;
  /** Rules that may match whatever the port (no port condition, or a range, list or negation). */
  anyPort: number[];
}

const compiledChains = new WeakMap<IptablesChain, CompiledChain>();
const PORT_OPTIONS = new Set(['--dport', '--destination-port', '--dports', '--destination-ports', '--ports']);
function compileChain(chain: IptablesChain): CompiledChain {
  let c = compiledChains.get(chain);
  if (c) return c;
  c = { chain, runs: 0, index: sharedIndex(chain), walks: new Map(), fixedHops: new Map() };
  compiledChains.set(chain, c);
  return c;
}

/**
 * Indexes by table, chain and size: the few sets of rules seen under each (the nodes of a swarm
 * mostly hold one; an sbox's nat chains name its own address, one set per node). Each index is kept
 * with a chain that holds its rules, to compare the next one with: held weakly, so that a snapshot
 * no longer in use is not kept for it.
 */
const indexes = new Map<string, { chain: WeakRef<IptablesChain>; index: ChainIndex }[]>();
/** Sets of rules compared with, per table, chain and size: past this, a chain gets an index of its own. */
const MAX_SHARED_SETS = 8;

/** Forget the indexes kept for sharing: chains compiled from now on share none with those before (for tests). */
export function forgetChainIndexes(): void {
  indexes.clear();
  forgetSharedWalks();
}

/** The index of a chain's rules: that of another chain with the same rules (see sameRules), or a new one. */
function sharedIndex(chain: IptablesChain): ChainIndex {
  const key = `${chain.table} ${chain.name} ${chain.size}`;
  let known = indexes.get(key);
  if (!known) {
    if (indexes.size >= 4096) indexes.clear();
    indexes.set(key, (known = []));
  }
  for (let i = 0; i < known.length; i++) {
    const other = known[i].chain.deref();
    if (!other) known.splice(i--, 1);
    else if (other.sameRules(chain)) {
      known[i].index.shared = true;
      return known[i].index;
    }
  }
  const index: ChainIndex = { id: ++indexCount, indexed: false, shared: false, port: EMPTY_I32, srcNet: EMPTY_U32, srcMask: EMPTY_U32, tokens: new Array(chain.size), targets: new Array(chain.size), viable: new Map(), anyPort: [], ruleKey: { specs: null, bits: new Map() } };
  if (known.length < MAX_SHARED_SETS && chain.saveForm) known.push({ chain: new WeakRef(chain), index });
  return index;
}

let indexCount = 0;
const EMPTY_I32 = new Int32Array(0);
const EMPTY_U32 = new Uint32Array(0);
/** No tokens, no options, no undecided rules: shared, never changed. */
const NO_TOKENS: string[] = Object.freeze([]) as unknown as string[];

/**
 * The chain's index, made the second time it is walked, or the first when another chain has the
 * same rules: a trace of one port walks each chain once, and reading every rule to index it would
 * cost more than that walk (a check walks each chain for every port, and the index pays from the
 * second; an index shared by the nodes of a swarm pays from the second node).
 */
function indexChain(c: CompiledChain): ChainIndex {
  const x = c.index;
  if (x.indexed) return x;
  const chain = c.chain;
  const n = chain.size;
  x.port = new Int32Array(n).fill(-1);
  x.srcNet = new Uint32Array(n);
  x.srcMask = new Uint32Array(n);
  const dsts = new Set<string>();
  for (let k = 0; k < n; k++) {
    // A rule read into fields already (the parser normalises -s/-d, and keeps the port only a single,
    // unnegated port option requires) is indexed from them; else from its tokens.
    const rule = chain.fieldsAt(k);
    if (rule) {
      if (rule.dport > 0 && /^\d+$/.test(rule.dportSpec)) x.port[k] = rule.dport;
      const d = rule.destination.replace(/^!/, '');
      if (d && d !== '0.0.0.0/0') dsts.add(d);
      const prefix = rule.source.startsWith('!') ? null : ipv4Prefix(rule.source);
      if (prefix) [x.srcNet[k], x.srcMask[k]] = prefix;
      continue;
    }
    const tokens = x.tokens[k] ?? shellSplit(chain.textAt(k));
    const end = tokens.findIndex((t) => t === '-j' || t === '--jump' || t === '-g' || t === '--goto');
    const conds = end < 0 ? tokens : tokens.slice(0, end);
    for (let i = 0; i < conds.length - 1; i++) if (conds[i] === '-d' || conds[i] === '--destination' || conds[i] === '--dst') dsts.add(conds[i + 1]);
    const j = conds.findIndex((t) => t === '--dport' || t === '--destination-port');
    if (j > 0 && conds[j - 1] !== '!' && /^\d+$/.test(conds[j + 1] ?? '') && conds.filter((t) => PORT_OPTIONS.has(t)).length === 1) x.port[k] = Number(conds[j + 1]);
    const s = conds.findIndex((t) => t === '-s' || t === '--source' || t === '--src');
    const prefix = s > 0 && conds[s - 1] !== '!' ? ipv4Prefix(conds[s + 1] ?? '') : null;
    if (prefix) [x.srcNet[k], x.srcMask[k]] = prefix;
  }
  x.ruleKey.specs = dsts.size <= MAX_DST_SPECS ? [...dsts] : null;
  const byPort = new Map<number, number[]>();
  for (let k = 0; k < n; k++) {
    const port = x.port[k];
    if (port < 0) x.anyPort.push(k);
    else pushTo(byPort, port, k);
  }
  if (x.anyPort.length <= FEW_ANY_PORT) {
    for (const [port, list] of byPort) byPort.set(port, mergeSorted(list, x.anyPort));
    x.byPort = byPort;
  }
  x.indexed = true;
  return x;
}

const MAX_DST_SPECS = 32;
/**
 * A chain with up to this many rules that may match any port (DOCKER-INGRESS, DOCKER-USER, FORWARD:
 * one rule per published port, a handful besides) gives each walk the rules for its port and those,
 * each then decided for the packet: cheaper than a key per packet. Longer ones (a blocklist of
 * thousands of sources) are narrowed per packet key first (see candidates).
 */
const FEW_ANY_PORT = 32;

/** Merge two lists of ascending rule indices (an index is in one list only) into one ascending list. */
function mergeSorted(a: number[], b: number[]): number[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const m: number[] = new Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) m[n++] = a[i] < b[j] ? a[i++] : b[j++];
  while (i < a.length) m[n++] = a[i++];
  while (j < b.length) m[n++] = b[j++];
  return m;
}

/** Everything about a packet but its destination port and its mark: the key of the rules that may match it. */
function packetKey(p: Packet, k: KeyRule): string {
  let dst = p.dst;
  if (k.specs) {
    const bits = k.bits.get(p.dst);
    if (bits !== undefined) dst = bits;
    else {
      dst = '@';
      for (const d of k.specs) dst += addrMatches(d, p.dst) ? '1' : '0';
      // One string per pattern (a chain's thousands of backend addresses share a few), not one per address.
      dst = intern(dst);
      if (k.bits.size < 4096) k.bits.set(p.dst, dst);
    }
  }
  // The walks of a node's ports, and of a port's backends, come one after another with one key: the
  // same string is given back (its hash is kept, so the maps it keys find it without reading it again).
  const last = k.last;
  if (last && last.dst === dst && sameKeyFields(last.p, p)) return last.key;
  // Every field of Packet but the port and the mark (a field added to Packet must be added here and
  // in sameKeyFields).
  const key = p.proto + '|' + p.src + '|' + dst + '|' + p.sport + '|' + p.inIface + '|' + p.outIface + '|' + joined(p.ctstate) + '|' + p.dstLocal + '|' + p.srcLocal + '|' + p.ipvs + '|' + (p.tcpFlags ? joined(p.tcpFlags) : '-');
  k.last = { p: { ...p }, dst, key };
  return key;
}

/** Whether two packets agree on every field of their key but the destination (see packetKey). */
function sameKeyFields(a: Packet, b: Packet): boolean {
  return (
    a.proto === b.proto && a.src === b.src && a.sport === b.sport && a.inIface === b.inIface && a.outIface === b.outIface && sameList(a.ctstate, b.ctstate) &&
    a.dstLocal === b.dstLocal && a.srcLocal === b.srcLocal && a.ipvs === b.ipvs && (a.tcpFlags === undefined ? b.tcpFlags === undefined : b.tcpFlags !== undefined && sameList(a.tcpFlags, b.tcpFlags))
  );
}

function sameList(a: string[], b: string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A list of states or flags as the key writes it (nearly always one: no join). */
function joined(xs: string[]): string {
  return xs.length === 1 ? xs[0] : xs.join(',');
}

/**
 * The indices of rules that may match this packet, in chain order. Every rule is looked at once per
 * packet key (sources, interfaces, states, protocol: what a blocklist of thousands of addresses
 * tests), with its port and mark conditions left open; a walk for one port then visits only the
 * rules for that port and those for any port. A chain of n rules walked for p ports costs n + p
 * times the rules that may match, not n times p. A chain with few rules for any port skips the key:
 * its lists per port are made once (indexChain).
 */
function candidates(c: CompiledChain, p: Packet): number[] | null {
  if (c.runs++ === 0 && !c.index.indexed && !c.index.shared) return null;
  const x = indexChain(c);
  if (x.byPort) return x.byPort.get(p.dport) ?? x.anyPort;
  const key = packetKey(p, x.ruleKey);
  let v = x.viable.get(key);
  if (!v) {
    v = { byPort: new Map(), anyPort: [] };
    const srcNum = ipv4Number(p.src);
    for (let k = 0; k < x.port.length; k++) {
      if (srcNum >= 0 && ((srcNum & x.srcMask[k]) >>> 0) !== x.srcNet[k]) continue;
      if (matchAt(c, k, p, true).result === false) continue;
      const port = x.port[k];
      if (port < 0) v.anyPort.push(k);
      else pushTo(v.byPort, port, k);
    }
    if (x.viable.size < 1024) x.viable.set(key, v);
  }
  return mergeSorted(v.byPort.get(p.dport) ?? [], v.anyPort);
}

/**
 * The tokens of rule k of a save-form chain, read once it may match a packet: once per text's
 * reading, which the lines with that text share wherever they are. Nodes whose engines met the
 * services in orders of their own list the same rules in other orders: each node's chain has an
 * index of its own, and a node's index once looked every rule's words up by its text.
 */
function tokensAt(c: CompiledChain, k: number): string[] {
  const known = c.index.tokens[k];
  if (known) return known;
  const r = textReading(c.chain, k);
  return (c.index.tokens[k] = r ? r.tokens : words(c.chain.textAt(k)));
}

/** What the walk reads from a text once (see tokensAt): its words, and what taking it does. */
interface TextReading {
  tokens: string[];
  target?: TargetInfo;
}

/**
 * Rule k's TextReading, made when first asked and kept on the parser's reading of its text;
 * undefined for a rule without one (a listing, a file over 4 MB).
 */
function textReading(chain: IptablesChain, k: number): TextReading | undefined {
  const reading = chain.readingAt(k);
  if (!reading) return undefined;
  return (reading.derived ??= { tokens: splitWords(reading.rule.text) }) as TextReading;
}

/** What taking a rule does, read from its words once: its target, and the values of a MARK, DNAT or SNAT. */
interface TargetInfo {
  target: string;
  goto: boolean;
  /** A MARK's --set-xmark / --set-mark: the mark becomes (mark & ~markMask) ^ markValue; undefined without one. */
  markMask?: number;
  markValue: number;
  /** A DNAT's --to-destination, an SNAT's --to-source (else the parsed rule's). */
  toAddress: string;
  toPort: number;
}

/**
 * The target of the rule at index k, once per set of rules (the index is shared by chains of the same
 * rules, whose words are the same): every walk of every port takes the same jumps, MARKs and DNATs.
 */
function targetAt(c: CompiledChain, k: number, rule: IptablesRule): TargetInfo {
  const known = c.index.targets[k];
  if (known) return known;
  // A listing's rows have no reading (textReading gives undefined): their targets are their own.
  const r = textReading(c.chain, k);
  if (r?.target) return (c.index.targets[k] = r.target);
  const { target, goto, options, from } = ruleTarget(rule, c.chain.saveForm ? tokensAt(c, k) : undefined);
  const t: TargetInfo = { target, goto, markValue: 0, toAddress: '', toPort: 0 };
  if (target === 'MARK') {
    const set = optionValue(options, from, '--set-xmark') ?? optionValue(options, from, '--set-mark');
    if (set !== undefined) {
      const [val, mask] = set.split('/');
      t.markMask = mask === undefined ? 0xffffffff : Number(mask);
      t.markValue = Number(val);
    }
  } else if (target === 'DNAT' || target === 'SNAT') {
    const to = optionValue(options, from, target === 'DNAT' ? '--to-destination' : '--to-source') ?? (rule.toAddress ? `${rule.toAddress}:${rule.toPort}` : '');
    const m = /^([^:]*)(?::(\d+))?/.exec(to);
    t.toAddress = m?.[1] || rule.toAddress;
    t.toPort = m?.[2] ? Number(m[2]) : rule.toPort;
  }
  // Listing rules (no words) are read from the parsed rule, which is this chain's own: not shared.
  if (c.chain.saveForm) c.index.targets[k] = t;
  if (r) r.target = t;
  return t;
}

/**
 * A rule's words, one list per rule text, each word kept once (intern), for a rule whose text has no
 * reading of its own (a line of a file over 4 MB, which keeps its lines: see tokensAt): remembered
 * by text, so that a chain's index made again (another chain of the same texts) reads them once. A
 * list is read, never changed.
 */
function words(text: string): string[] {
  return wordLists.of(text, splitWords);
}
const wordLists = new TextMemo<string[]>();

function splitWords(text: string): string[] {
  const w = shellSplit(text);
  for (let i = 0; i < w.length; i++) w[i] = intern(w[i]);
  return w;
}

function matchAt(c: CompiledChain, k: number, p: Packet, wild = false): MatchResult {
  return c.chain.saveForm ? matchSaveRule(tokensAt(c, k), p, wild) : matchListingRule(c.chain.ruleAt(k), p, wild);
}

export function matchRule(rule: IptablesRule, p: Packet): MatchResult {
  return rule.text.startsWith('-') ? matchSaveRule(shellSplit(rule.text), p) : matchListingRule(rule, p);
}

function hop(rule: IptablesRule, effect: string): Hop {
  return { table: rule.table, chain: rule.chain, kind: 'rule', text: rule.text, file: rule.file, line: rule.line, effect, index: rule.index };
}

/** Hops so far, newest first: adding one costs the same however long the walk (a chain of 10,000 LOG rules). */
type Trail = { hop: Hop; prev: Trail } | null;

/** The hops of a trail in order, then `last`. */
function trailArray(t: Trail, last: Hop): Hop[] {
  let n = 1;
  for (let x = t; x; x = x.prev) n++;
  const out: Hop[] = new Array(n);
  out[--n] = last;
  for (let x = t; x; x = x.prev) out[--n] = x.hop;
  return out;
}

interface State {
  packet: Packet;
  hops: Trail;
  undecided: string[];
}

type Ending = { kind: 'end'; state: State } | { kind: 'return'; state: State } | { kind: 'final'; outcome: Outcome };

/** After a rule matched: go on with the next rule in the same chain, or these are the ways it ends. */
type Step = { next: State } | { endings: Ending[] };

/** The position of the first index >= i in an ascending list. */
function lowerBound(list: number[], i: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] < i) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class Walker {
  private count = 0;
  constructor(
    private data: IptablesData,
    private table: string,
  ) {}

  chain(name: string): IptablesChain | undefined {
    return this.data.tables.get(this.table)?.get(name);
  }

  /**
   * Walk a chain from rule index i; every way it can end. One pass over the rules that may match:
   * a rule that lets the packet go on (LOG, MARK, a jump that returns) continues the loop; only an
   * undecidable rule (at most MAX_OUTCOMES of them) branches.
   */
  run(chain: IptablesChain, i: number, start: State, depth: number): Ending[] {
    if (depth > MAX_DEPTH) {
      return [{ kind: 'final', outcome: this.finalOutcome('ACCEPT', { table: this.table, chain: chain.name, kind: 'end', text: '', file: '', line: 0, effect: 'too deep', index: 0 }, { ...start, undecided: [...start.undecided, `jumps nest deeper than ${MAX_DEPTH} chains at ${chain.name}`] }) }];
    }
    const compiled = compileChain(chain);
    // The mark may change on the way (MARK); the list holds for any mark, each rule is then decided for the packet as it is.
    // Null on the chain's first walk: then every rule from i is looked at.
    const list = candidates(compiled, start.packet);
    let st = start;
    const n = list ? list.length : chain.size;
    for (let pos = list ? lowerBound(list, i) : i; pos < n; pos++) {
      const k = list ? list[pos] : pos;
      const m = matchAt(compiled, k, st.packet);
      if (m.result === false) continue;
      if (m.result === 'unknown') {
        const rule = chain.ruleAt(k);
        const note = `${rule.file}:${rule.line} ${m.why}`;
        if (this.count++ > MAX_OUTCOMES) {
          return [{ kind: 'final', outcome: this.finalOutcome('ACCEPT', hop(rule, 'undecided'), { ...st, undecided: [...st.undecided, note, `more than ${MAX_OUTCOMES} undecidable rules: walk stopped`] }) }];
        }
        const taken = this.endings(chain, k, this.take(chain, k, compiled, { ...st, undecided: [...st.undecided, note] }, depth), depth);
        const skipped = this.run(chain, k + 1, { ...st, packet: { ...st.packet }, undecided: [...st.undecided, note] }, depth);
        return [...taken, ...skipped];
      }
      const step = this.take(chain, k, compiled, st, depth);
      if ('endings' in step) return step.endings;
      st = step.next;
    }
    return [{ kind: 'end', state: st }];
  }

  /** A step as endings: going on means walking the rest of the chain. */
  private endings(chain: IptablesChain, k: number, step: Step, depth: number): Ending[] {
    return 'endings' in step ? step.endings : this.run(chain, k + 1, step.next, depth);
  }

  /** The rule at index k matched: apply its target. */
  private take(chain: IptablesChain, k: number, c: CompiledChain, st: State, depth: number): Step {
    const rule = chain.ruleAt(k);
    const t = targetAt(c, k, rule);
    const target = t.target;
    if (!target) return { next: st }; // a counting rule
    if (target === 'RETURN') return { endings: [{ kind: 'return', state: { packet: st.packet, undecided: st.undecided, hops: { hop: fixedHop(c, k, rule, 'RETURN', target), prev: st.hops } } }] };
    if (TERMINAL.has(target)) {
      const action = (target === 'NFQUEUE' ? 'QUEUE' : target) as Action;
      const out = this.finalOutcome(action, hop(rule, target), st);
      if (action === 'DNAT' || action === 'SNAT') {
        out.toAddress = t.toAddress;
        out.toPort = t.toPort;
      }
      return { endings: [{ kind: 'final', outcome: out }] };
    }
    if (CONTINUE.has(target)) {
      const packet = { ...st.packet };
      let effect = target;
      if (target === 'MARK') {
        if (t.markMask !== undefined) {
          packet.mark = ((packet.mark & ~t.markMask) ^ t.markValue) >>> 0;
          effect = `MARK ${'0x' + packet.mark.toString(16)}`;
        } else if (rule.setMark >= 0) {
          packet.mark = rule.setMark;
          effect = `MARK ${'0x' + packet.mark.toString(16)}`;
        }
      }
      return { next: { ...st, packet, hops: { hop: hop(rule, effect), prev: st.hops } } };
    }
    const sub = this.chain(target);
    if (!sub) {
      // A target this walk does not know (an extension, or a chain not in the capture): both ways.
      const note = `${rule.file}:${rule.line} jumps to ${target}, which this walk cannot follow`;
      const h = hop(rule, `${target}?`);
      const asStop = this.finalOutcome('DROP', h, { ...st, undecided: [...st.undecided, note] });
      if (this.count++ > MAX_OUTCOMES) {
        return { endings: [{ kind: 'final', outcome: asStop }, { kind: 'final', outcome: this.finalOutcome('ACCEPT', h, { ...st, undecided: [...st.undecided, note, `more than ${MAX_OUTCOMES} undecidable rules: walk stopped`] }) }] };
      }
      return { endings: [{ kind: 'final', outcome: asStop }, ...this.run(chain, k + 1, { ...st, hops: { hop: h, prev: st.hops }, undecided: [...st.undecided, note] }, depth)] };
    }
    const goto = t.goto;
    const into = { packet: st.packet, undecided: st.undecided, hops: { hop: fixedHop(c, k, rule, goto ? 'goto' : 'jump', target), prev: st.hops } };
    const subEndings = this.run(sub, 0, into, depth + 1);
    // The usual case: the sub-chain returned one way, and the walk goes on here.
    if (!goto && subEndings.length === 1 && subEndings[0].kind !== 'final') return { next: subEndings[0].state };
    const results: Ending[] = [];
    for (const r of subEndings) {
      if (r.kind === 'final') results.push(r);
      else if (goto) results.push({ kind: 'return', state: r.state }); // back to whoever called this chain
      else for (const e of this.run(chain, k + 1, r.state, depth)) results.push(e);
    }
    return { endings: results };
  }

  finalOutcome(action: Action, at: Hop, st: State): Outcome {
    return { action, at, hops: trailArray(st.hops, at), toAddress: '', toPort: 0, undecided: st.undecided, mark: st.packet.mark };
  }
}

/**
 * The hop of a jump, goto or RETURN: the same for every walk that takes the rule (these are the
 * rules every port's walk passes), so made once per rule. Hops are read, never changed.
 */
function fixedHop(c: CompiledChain, k: number, rule: IptablesRule, what: 'jump' | 'goto' | 'RETURN', target: string): Hop {
  let h = c.fixedHops.get(k);
  if (!h) c.fixedHops.set(k, (h = hop(rule, what === 'RETURN' ? 'RETURN' : `${what} ${target}`)));
  return h;
}

function optionValue(options: string[], from: number, name: string): string | undefined {
  const i = options.indexOf(name, from);
  return i >= 0 ? options[i + 1] : undefined;
}

/**
 * Walk one built-in chain of one table (its jumps included) for a packet. A chain that ends falls
 * to its policy (ACCEPT when the capture has none: the kernel's default).
 */
export function walkChain(data: IptablesData, table: string, chain: string, packet: Packet): Outcome[] {
  const w = new Walker(data, table);
  const c = w.chain(chain);
  // The packet is read, never changed (a MARK makes a new one), and so are the lists of undecided rules.
  const start: State = { packet, hops: null, undecided: NO_TOKENS };
  if (!c) return [w.finalOutcome('ACCEPT', { table, chain, kind: 'policy', text: `no ${table} ${chain} chain in the capture`, file: '', line: 0, effect: 'ACCEPT', index: 0 }, start)];
  // A chain whose rules (and those of the chains it jumps to) look at neither the port nor the mark,
  // nor set the mark, ends alike for every packet of one key: walked once per key (the walk of every
  // published port, or of every IPVS backend, through the same chain).
  const compiled = compileChain(c);
  // Not on its first walk: telling whether a chain is free reads every rule, which one walk need not.
  const memo = compiled.runs > 0 && portAndMarkFree(data, table, c, new Set()) ? compiled.walks : undefined;
  const key = memo ? packetKey(packet, compiled.walkKey!) : '';
  const hit = memo?.get(key);
  if (hit) return hit.map((o) => (o.mark === packet.mark ? o : { ...o, mark: packet.mark }));
  const file = c.file;
  const outs = w.run(c, 0, start, 0).map((r) => {
    if (r.kind === 'final') return r.outcome;
    const policy = (c.policy ?? 'ACCEPT').toUpperCase() as Action;
    compiled.policyHop ??= { table, chain, kind: 'policy', text: `:${chain} ${c.policy ?? 'ACCEPT'}`, file, line: c.line, effect: `policy ${c.policy ?? 'ACCEPT'}`, index: 0 };
    return w.finalOutcome(policy === 'DROP' ? 'DROP' : 'ACCEPT', compiled.policyHop, r.state);
  });
  if (memo && memo.size < 1024) memo.set(key, outs);
  return outs;
}

/**
 * A key under which a walk of these hooks may be remembered: when no chain on the way looks at the
 * port or the mark (or sets the mark), the walk ends alike for every port and mark of packets with
 * this key (the mark comes out as it went in). Undefined when some chain does.
 */
export function hooksMemoKey(data: IptablesData, steps: HookStep[], packet: Packet): string | undefined {
  let memo = stepsFree.get(steps)?.get(data);
  if (memo === undefined) {
    // Nothing to remember before the hooks' chains were walked once (see walkChain).
    for (const s of steps) {
      const c = data.tables.get(s.table)?.get(s.chain);
      if (c && c.size > 0 && compileChain(c).runs === 0) return undefined;
    }
    const free = steps.every((s) => {
      const c = data.tables.get(s.table)?.get(s.chain);
      return !c || portAndMarkFree(data, s.table, c, new Set());
    });
    let m = stepsFree.get(steps);
    if (!m) stepsFree.set(steps, (m = new WeakMap()));
    m.set(data, (memo = { free, parts: [], key: '' }));
  }
  if (!memo.free) return undefined;
  // Each chain's packet key; when every one is the string it was last time, so is the whole key.
  let same = memo.parts.length === steps.length;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    const c = data.tables.get(s.table)?.get(s.chain);
    // A chain without rules ends in its policy whatever the packet.
    const part = !c ? '-' : c.size === 0 ? '' : packetKey(s.packet ? { ...packet, ...s.packet } : packet, compileChain(c).walkKey!);
    if (same && memo.parts[i] !== part) same = false;
    memo.parts[i] = part;
  }
  if (same) return memo.key;
  let key = '';
  for (let i = 0; i < steps.length; i++) key += steps[i].table + '/' + steps[i].chain + ':' + memo.parts[i] + '#';
  return (memo.key = key);
}

/**
 * Per list of steps (a constant of the caller) and capture: whether every chain on it is port- and
 * mark-free, and the last key made for it (each chain's part, and the whole).
 */
const stepsFree = new WeakMap<object, WeakMap<IptablesData, { free: boolean; parts: string[]; key: string }>>();

/**
 * The walks of some hooks that nodes with the same rules share: a swarm's nodes DNAT, accept and mark
 * the same published ports with the same rules, so the walk of a port through one node's nat
 * PREROUTING (or filter FORWARD, or its sbox's mangle PREROUTING) is every such node's walk. Kept
 * per set of rules (tablePrint) and packet, port and mark; only walks that end one way, decided,
 * going on (the usual walk): their outcome names no rule of any node the caller would show.
 */
interface SharedWalks {
  /** The packet's key: every field but the port and the mark, its destination as the tables' -d tests it. */
  keyRule: KeyRule;
  /** Per packet key, per port * 2^32 + mark: the walk. */
  walks: Map<string, Map<number, WalkResult>>;
  /**
   * How many captures' walks of these hooks it is: a walk is kept only once a second has come, as no
   * other capture would read it. A node whose dockerd gave the services marks of its own (after a
   * restart) has an sbox mangle table no other node's equals, and kept a walk of every port: 44 MB
   * for 50 nodes, read by no one.
   */
  sharers: number;
}
/**
 * Per print of the tables and hooks walked (see tablePrint). Bounded, for a process that checks
 * capture after capture (each has rule indexes, and so prints, of its own once the one before is
 * gone): past MAX_PRINTS prints or MAX_SHARED_WALKS walks in all, everything is forgotten.
 */
const sharedWalks = new Map<string, SharedWalks>();
export const MAX_PRINTS = 64;
const MAX_SHARED_WALKS = 1 << 16;
let sharedWalkCount = 0;
/** How many times everything was forgotten: a capture counted among a print's sharers before was not since. */
let forgotten = 0;
/**
 * Per list of steps (a constant of the caller) and capture: the print its walks are kept under, and
 * when it was last counted among the print's sharers (`forgotten` then); null when it shares none.
 * The print, not the walks: forgotten walks are gone for every capture.
 */
const sharedFor = new WeakMap<object, WeakMap<IptablesData, { print: string; specs: string[] | null; counted: number } | null>>();

/**
 * What decides a walk of these hooks in this capture, as a string: every chain a walk from them may
 * reach (the hooks' chains, and those their rules jump or go to), each with its policy and its set of
 * rules (the index the chains with the same rules share), or absent; equal strings, equal walks. And
 * the destinations those rules test, for the packet's key. Null when a chain's rules are its own
 * (a listing, a file over 4 MB): no other capture's print can equal it.
 */
function tablePrint(data: IptablesData, steps: HookStep[]): { print: string; specs: string[] | null } | null {
  const parts: string[] = [];
  const specs = new Set<string>();
  let exact = false;
  for (const table of new Set(steps.map((s) => s.table))) {
    const chains = data.tables.get(table);
    const seen = new Set<string>();
    const todo = steps.filter((s) => s.table === table).map((s) => s.chain);
    for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
      if (seen.has(name)) continue;
      seen.add(name);
      const chain = chains?.get(name);
      if (!chain) {
        parts.push(`${table} ${name} absent`);
        continue;
      }
      if (chain.size === 0) {
        parts.push(`${table} ${name} ${chain.policy ?? '-'} 0`);
        continue;
      }
      // A chain whose rules no other chain's can equal (a listing's, a file's over 4 MB) has an index
      // of its own, and so has the print: nothing to share, and its rules need not be read for it.
      if (!chain.saveForm || !chain.shareable) return null;
      // The chain's set of rules, not its index (made on a chain's second walk, or never for a chain
      // no walk reaches: DOCKER's bridge DNATs after DOCKER-INGRESS's): reading every rule for it cost
      // a node with an 8 MB iptables-save a fifth of its check.
      const c = compileChain(chain);
      const { jumps, dsts } = wordsOf(c);
      parts.push(`${table} ${name} ${chain.policy ?? '-'} #${c.index.id}`);
      if (dsts.length > MAX_DST_SPECS) exact = true;
      else for (const d of dsts) specs.add(d);
      for (const t of jumps) todo.push(t);
    }
  }
  let print = parts.sort().join(';') + '|';
  for (const s of steps) print += `${s.table}/${s.chain}${s.packet ? JSON.stringify(s.packet) : ''},`;
  return { print, specs: exact || specs.size > MAX_DST_SPECS ? null : [...specs].sort() };
}

/**
 * What a save-form chain's rules name, read from their texts once per set of rules: the chains they
 * may jump or go to (every word after -j, --jump, -g or --goto, quotes taken off, that is not a
 * built-in target) and the destinations they may test (every word after -d, --destination or --dst).
 * A word inside a quoted comment is one more name or address (a chain no walk reaches, a key that
 * tells apart what need not be): never one fewer. From the texts, not the rules: a 20 MB
 * iptables-save's rules are not kept built, and building or splitting 100,000 of them cost a second.
 */
function wordsOf(c: CompiledChain): { jumps: string[]; dsts: string[] } {
  const x = c.index;
  if (x.words) return x.words;
  const jumps = new Set<string>();
  const dsts = new Set<string>();
  for (let k = 0; k < c.chain.size; k++) {
    const text = c.chain.textAt(k);
    RULE_WORD.lastIndex = 0;
    for (let m = RULE_WORD.exec(text); m; m = RULE_WORD.exec(text)) {
      const w = m[2].replace(/^["']|["']$/g, '');
      if (m[1] === '-d' || m[1] === '--destination' || m[1] === '--dst') dsts.add(w);
      else if (w && w !== 'RETURN' && !TERMINAL.has(w) && !CONTINUE.has(w)) jumps.add(w);
    }
  }
  return (x.words = { jumps: [...jumps], dsts: [...dsts] });
}
const RULE_WORD = /(?:^|\s)(-j|--jump|-g|--goto|-d|--destination|--dst)\s+(\S+)/g;

function sharedWalksOf(data: IptablesData, steps: HookStep[]): SharedWalks | null {
  let perSteps = sharedFor.get(steps);
  if (!perSteps) sharedFor.set(steps, (perSteps = new WeakMap()));
  let p = perSteps.get(data);
  if (p === undefined) {
    const print = tablePrint(data, steps);
    perSteps.set(data, (p = print && { ...print, counted: -1 }));
  }
  if (!p) return null;
  let s = sharedWalks.get(p.print);
  if (!s) {
    if (sharedWalks.size >= MAX_PRINTS) forgetSharedWalks();
    sharedWalks.set(p.print, (s = { keyRule: { specs: p.specs, bits: new Map() }, walks: new Map(), sharers: 0 }));
  }
  if (p.counted !== forgotten) {
    p.counted = forgotten;
    s.sharers++;
  }
  return s;
}

/**
 * walkHooks, with a walk that ends one way, decided and going on remembered for every capture with
 * the same rules in the tables it walks, by the packet's key, port and mark. `own`: the walk as this
 * capture's, every hop naming its own file and line (the rules are the same, in the same places of
 * their chains); else its hops may be those of the capture that walked it first (for a caller that
 * reads only the outcome's action, mark and addresses: the check's verdict-only walk). Any other
 * walk (one that stops, or that could not decide a rule) is made here and not remembered.
 */
export function walkHooksShared(data: IptablesData, steps: HookStep[], packet: Packet, own = false): WalkResult {
  const s = sharedWalksOf(data, steps);
  // Rules no other capture has: nothing kept to look up, nothing to keep.
  if (!s || s.sharers < 2) return walkHooks(data, steps, packet);
  const key = packetKey(packet, s.keyRule);
  let perKey = s.walks.get(key);
  const n = packet.dport * 4294967296 + packet.mark;
  const hit = perKey?.get(n);
  if (hit) return own ? rebound(data, hit) : hit;
  const w = walkHooks(data, steps, packet);
  const o = w.outcomes[0];
  if (w.outcomes.length === 1 && o.undecided.length === 0 && !STOPS.has(o.action)) {
    if (sharedWalkCount >= MAX_SHARED_WALKS) forgetSharedWalks();
    else {
      if (!perKey) s.walks.set(key, (perKey = new Map()));
      perKey.set(n, w);
      sharedWalkCount++;
    }
  }
  return w;
}

function forgetSharedWalks(): void {
  sharedWalks.clear();
  sharedWalkCount = 0;
  forgotten++;
}

/**
 * A walk (one way, decided) as this capture's: each hop at its own chain's file and line. The walk
 * itself when it names them already (the capture that made it).
 */
function rebound(data: IptablesData, w: WalkResult): WalkResult {
  const o = w.outcomes[0];
  let hops: Hop[] | undefined;
  for (let i = 0; i < o.hops.length; i++) {
    const h = reboundHop(data, o.hops[i]);
    if (h !== o.hops[i]) (hops ??= o.hops.slice(0, i)).push(h);
    else if (hops) hops.push(h);
  }
  const at = hops && o.hops.length > 0 && o.hops[o.hops.length - 1] === o.at ? hops[hops.length - 1] : reboundHop(data, o.at);
  if (!hops && at === o.at) return w;
  const out: Outcome = { ...o, at, hops: hops ?? o.hops };
  return { outcomes: [out], verdict: w.verdict, decisive: out };
}

/** A hop of a walk (maybe one another capture of the same rules made) at this capture's own file and line. */
export function reboundHop(data: IptablesData, h: Hop): Hop {
  if (h.kind === 'end' || h.file === '') return h;
  const c = data.tables.get(h.table)?.get(h.chain);
  if (!c) return h;
  const line = h.kind === 'rule' ? c.lineAt(h.index - 1) : c.line;
  return h.file === c.file && h.line === line ? h : { ...h, file: c.file, line };
}

const PORT_OR_MARK = WILD_OPTIONS; // the source port is part of the packet key
const MARK_TARGETS = new Set(['MARK', 'CONNMARK']);

/** Whether a chain (and every chain it jumps to) decides the same for any port and mark; cached per chain. */
function portAndMarkFree(data: IptablesData, table: string, chain: IptablesChain, visiting: Set<IptablesChain>): boolean {
  const c = compileChain(chain);
  if (c.free !== undefined) return c.free;
  if (visiting.has(chain)) return true; // a loop: decided by the other rules on it
  visiting.add(chain);
  let free = true;
  const subs = new Set<IptablesChain>();
  for (let k = 0; k < chain.size && free; k++) {
    let target: string;
    if (!chain.saveForm) {
      const rule = chain.ruleAt(k);
      target = rule.target;
      if (rule.dportSpec || rule.sport || rule.matches.some((m) => m !== 'addrtype') || MARK_TARGETS.has(rule.target) || rule.setMark >= 0) free = false;
    } else {
      const tokens = tokensAt(c, k);
      target = targetAt(c, k, chain.ruleAt(k)).target;
      if (tokens.some((t) => PORT_OR_MARK.has(t)) || MARK_TARGETS.has(target)) free = false;
    }
    const sub = free ? data.tables.get(table)?.get(target) : undefined;
    if (sub) {
      subs.add(sub);
      if (!portAndMarkFree(data, table, sub, visiting)) free = false;
    }
  }
  visiting.delete(chain);
  if (free) {
    // The destinations a walk from here may test: this chain's own and those of every chain it jumps
    // to (a chain met again on a loop is not known yet: the key then holds the address).
    const own = indexChain(c).ruleKey.specs;
    let specs: Set<string> | null = own ? new Set(own) : null;
    for (const sub of subs) {
      const w = compileChain(sub).walkKey;
      if (!w || !w.specs) specs = null;
      else if (specs) for (const d of w.specs) specs.add(d);
    }
    c.walkKey = { specs: specs && specs.size <= MAX_DST_SPECS ? [...specs] : null, bits: new Map() };
  }
  c.free = free;
  return free;
}

/**
 * Walk a sequence of hooks (e.g. raw PREROUTING, mangle PREROUTING, filter FORWARD): each one's
 * outcomes feed the next; a packet stopped in one goes no further. Marks carry over.
 */
export function walkHooks(data: IptablesData, steps: HookStep[], packet: Packet): WalkResult {
  // The usual walk: each hook ends one way (nothing undecidable), so there is one way to carry on.
  // Outcomes and their lists are read only (walkChain remembers some): joined here, never changed.
  let pk = packet;
  let prior: Outcome | undefined;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if (!data.tables.get(step.table)?.get(step.chain)) continue;
    const sp = step.packet ? { ...pk, ...step.packet } : pk;
    const outs = walkChain(data, step.table, step.chain, sp);
    if (outs.length !== 1) return walkHooksFrom(data, steps, i, [{ packet: pk, prior }]);
    const o = outs[0];
    const merged: Outcome = prior ? { ...o, hops: prior.hops.concat(o.hops), undecided: prior.undecided.length === 0 ? o.undecided : prior.undecided.concat(o.undecided) } : o;
    if (STOPS.has(o.action)) return { outcomes: [merged], verdict: 'stop', decisive: merged };
    pk = marked(sp, o.mark);
    prior = merged;
  }
  const last = prior ?? noChainOutcome(pk.mark);
  return { outcomes: [last], verdict: 'pass', decisive: last };
}

/** The packet with this mark: itself when it has it (packets are read, never changed). */
export function marked(p: Packet, mark: number): Packet {
  return p.mark === mark ? p : { ...p, mark };
}

function noChainOutcome(mark: number): Outcome {
  return { action: 'ACCEPT', at: { table: '', chain: '', kind: 'policy', text: 'no chain on the way', file: '', line: 0, effect: 'ACCEPT', index: 0 }, hops: [], toAddress: '', toPort: 0, undecided: [], mark };
}

/** walkHooks from step `from` on, for every way the walk has gone so far (some hook before could not decide). */
function walkHooksFrom(data: IptablesData, steps: HookStep[], from: number, start: { packet: Packet; prior: Outcome | undefined }[]): WalkResult {
  let current = start;
  const done: Outcome[] = [];
  for (let i = from; i < steps.length; i++) {
    const step = steps[i];
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
        else next.push({ packet: marked(pk, o.mark), prior: merged });
      }
    }
    current = next;
  }
  const outcomes = [...done, ...current.map((c) => c.prior ?? noChainOutcome(c.packet.mark))];
  const stops = outcomes.filter((o) => STOPS.has(o.action));
  const verdict = stops.length === 0 ? 'pass' : stops.length === outcomes.length ? 'stop' : 'uncertain';
  return { outcomes, verdict, decisive: stops[0] ?? outcomes[0] };
}

export function describeRule(h: Hop): string {
  return h.kind === 'rule' ? `${h.file}:${h.line}` : h.line ? `${h.file}:${h.line} (policy)` : `${h.table} ${h.chain} policy`;
}
