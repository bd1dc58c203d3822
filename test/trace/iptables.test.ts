import { parseIptables } from '../../src/parse/iptables.js';
import { forgetChainIndexes, hooksMemoKey, matchRule, MAX_PRINTS, walkChain, walkHooks, walkHooksShared, type Packet } from '../../src/trace/iptables.js';

/** A new TCP connection from outside to a published port, as the FORWARD walk sees it after the DNAT. */
const pkt = (over: Partial<Packet> = {}): Packet => ({
  proto: 'tcp', src: '203.0.113.10', dst: '172.18.0.2', dport: 8080, inIface: 'eth0', outIface: 'docker_gwbridge',
  ctstate: ['NEW', 'DNAT'], mark: 0, dstLocal: false, srcLocal: false, ipvs: false, tcpFlags: ['SYN'], ...over,
});

function filter(rules: string, policy = 'DROP', chains = ['DOCKER-USER', 'DOCKER-INGRESS', 'CUSTOM']) {
  const text = ['*filter', ':INPUT ACCEPT [0:0]', `:FORWARD ${policy} [0:0]`, ':OUTPUT ACCEPT [0:0]', ...chains.map((c) => `:${c} - [0:0]`), rules.trim(), 'COMMIT', ''].join('\n');
  const parsed = parseIptables(text, 'nodes/n1/host/iptables.txt');
  expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return parsed.data;
}

/** Docker 20.10's FORWARD, as the working-mesh lab has it. */
const DOCKER_FORWARD = `
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-INGRESS
-A FORWARD -o docker_gwbridge -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i docker_gwbridge ! -o docker_gwbridge -j ACCEPT
-A FORWARD -i docker_gwbridge -o docker_gwbridge -j DROP
-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j ACCEPT
-A DOCKER-INGRESS -p tcp -m state --state RELATED,ESTABLISHED -m tcp --sport 8080 -j ACCEPT
-A DOCKER-INGRESS -j RETURN
-A DOCKER-USER -j RETURN`;

const only = (data: ReturnType<typeof filter>, p = pkt()) => {
  const outs = walkChain(data, 'filter', 'FORWARD', p);
  expect(outs).toHaveLength(1);
  return outs[0];
};

describe('walking a chain: first match wins, jumps, RETURN, policies', () => {
  it("accepts a published port in Docker's own DOCKER-INGRESS after DOCKER-USER returns", () => {
    const o = only(filter(DOCKER_FORWARD));
    expect(o.action).toBe('ACCEPT');
    expect(o.at).toMatchObject({ chain: 'DOCKER-INGRESS', line: 13, file: 'nodes/n1/host/iptables.txt' });
    expect(o.hops.map((h) => h.effect)).toEqual(['jump DOCKER-USER', 'RETURN', 'jump DOCKER-INGRESS', 'ACCEPT']);
  });

  it('falls to the policy of a built-in chain, and names the policy line', () => {
    const o = only(filter(DOCKER_FORWARD), pkt({ dport: 9090 }));
    expect(o.action).toBe('DROP');
    expect(o.at).toMatchObject({ kind: 'policy', line: 3, effect: 'policy DROP' });
  });

  it('stops at a DROP in DOCKER-USER that matches the port, and not at one for another port', () => {
    expect(only(filter(`-A DOCKER-USER -p tcp --dport 8080 -j DROP\n${DOCKER_FORWARD}`)).action).toBe('DROP');
    expect(only(filter(`-A DOCKER-USER -p tcp --dport 9090 -j DROP\n${DOCKER_FORWARD}`)).action).toBe('ACCEPT');
    expect(only(filter(`-A DOCKER-USER -p udp --dport 8080 -j DROP\n${DOCKER_FORWARD}`)).action).toBe('ACCEPT');
  });

  it('stops at a REJECT placed ahead of the jumps (the RHEL / ufw pattern)', () => {
    const o = only(filter(`-A FORWARD -j REJECT --reject-with icmp-host-prohibited\n${DOCKER_FORWARD}`));
    expect(o).toMatchObject({ action: 'REJECT', at: { chain: 'FORWARD', line: 8 } });
  });

  it('a user chain that runs out returns to its caller; goto returns past it', () => {
    const jumped = filter(`-A FORWARD -j CUSTOM\n-A FORWARD -j ACCEPT\n-A CUSTOM -s 10.0.0.0/8 -j DROP`);
    expect(only(jumped).action).toBe('ACCEPT');
    // After a goto, falling off CUSTOM returns to FORWARD's caller: the built-in chain's policy.
    const gone = filter(`-A FORWARD -g CUSTOM\n-A FORWARD -j ACCEPT\n-A CUSTOM -s 10.0.0.0/8 -j DROP`);
    expect(only(gone)).toMatchObject({ action: 'DROP', at: { kind: 'policy' } });
  });

  it('LOG and MARK do not end the walk; a MARK is seen by a later -m mark', () => {
    const data = filter(`-A FORWARD -j LOG --log-prefix "fwd "\n-A FORWARD -j MARK --set-xmark 0x100/0xffffffff\n-A FORWARD -m mark --mark 0x100 -j ACCEPT`);
    const o = only(data);
    expect(o.action).toBe('ACCEPT');
    expect(o.mark).toBe(0x100);
    expect(o.hops.map((h) => h.effect)).toEqual(['LOG', 'MARK 0x100', 'ACCEPT']);
    expect(only(filter('-A FORWARD -m mark --mark 0x200 -j ACCEPT')).action).toBe('DROP');
  });
});

describe('matches', () => {
  const rule = (line: string) => filter(line).tables.get('filter')!.get('FORWARD')!.rules[0];
  const m = (line: string, p = pkt()) => matchRule(rule(line), p).result;

  it('-p, --dport (single, range, multiport), --sport known and unknown', () => {
    expect(m('-A FORWARD -p tcp -m tcp --dport 8080 -j ACCEPT')).toBe(true);
    expect(m('-A FORWARD -p tcp -m tcp --dport 8000:8100 -j ACCEPT')).toBe(true);
    expect(m('-A FORWARD -p tcp -m multiport --dports 80,443,8080 -j ACCEPT')).toBe(true);
    expect(m('-A FORWARD -p tcp -m multiport --dports 80,443 -j ACCEPT')).toBe(false);
    expect(m('-A FORWARD -p udp -j ACCEPT')).toBe(false);
    expect(m('-A FORWARD -p 6 -j ACCEPT')).toBe(true);
    expect(m('-A FORWARD -p tcp -m tcp --sport 1024:65535 -j ACCEPT')).toBe('unknown');
    expect(m('-A FORWARD -p tcp -m tcp --sport 1024:65535 -j ACCEPT', pkt({ sport: 40000 }))).toBe(true);
  });

  it('both outcomes of !', () => {
    expect(m('-A FORWARD ! -p udp -j ACCEPT')).toBe(true);
    expect(m('-A FORWARD ! -p tcp -j ACCEPT')).toBe(false);
    expect(m('-A FORWARD -p tcp -m tcp ! --dport 8080 -j ACCEPT')).toBe(false);
    expect(m('-A FORWARD -p tcp -m tcp ! --dport 22 -j ACCEPT')).toBe(true);
    expect(m('-A FORWARD ! -s 10.0.0.0/8 -j DROP')).toBe(true);
    expect(m('-A FORWARD ! -d 172.18.0.0/16 -j DROP')).toBe(false);
    expect(m('-A FORWARD -o docker_gwbridge ! -i docker_gwbridge -j ACCEPT')).toBe(true);
  });

  it('-s / -d with CIDR, -i / -o with +', () => {
    expect(m('-A FORWARD -s 203.0.113.0/24 -j DROP')).toBe(true);
    expect(m('-A FORWARD -s 198.51.100.0/24 -j DROP')).toBe(false);
    expect(m('-A FORWARD -d 172.18.0.2/32 -j DROP')).toBe(true);
    expect(m('-A FORWARD -o docker+ -j DROP')).toBe(true);
    expect(m('-A FORWARD -i eth+ -o docker0 -j DROP')).toBe(false);
    expect(m('-A FORWARD -i eth1 -j DROP', pkt({ inIface: undefined }))).toBe('unknown');
  });

  it('-m conntrack / -m state for a new connection, DNAT included', () => {
    expect(m('-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT')).toBe(false);
    expect(m('-A FORWARD -m conntrack --ctstate NEW -j ACCEPT')).toBe(true);
    expect(m('-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT')).toBe(true);
    expect(m('-A FORWARD -m conntrack ! --ctstate INVALID -j ACCEPT')).toBe(true);
    expect(m('-A FORWARD -m state --state ESTABLISHED -j ACCEPT')).toBe(false);
  });

  it('-m addrtype, -m comment, --syn', () => {
    expect(m('-A FORWARD -m addrtype --dst-type LOCAL -j DROP')).toBe(false);
    expect(m('-A FORWARD -m addrtype --dst-type LOCAL -j DROP', pkt({ dstLocal: true }))).toBe(true);
    expect(m('-A FORWARD -m addrtype --dst-type LOCAL -j DROP', pkt({ dstLocal: undefined }))).toBe('unknown');
    // One type per address, as the kernel's inet_addr_type: a node's own address is LOCAL (not
    // UNICAST), any other unicast address UNICAST; BROADCAST and MULTICAST match neither (ufw's
    // ufw-not-local tests them).
    expect(m('-A FORWARD -m addrtype --dst-type UNICAST -j DROP', pkt({ dstLocal: true }))).toBe(false);
    expect(m('-A FORWARD -m addrtype --dst-type UNICAST -j DROP', pkt({ dstLocal: false }))).toBe(true);
    expect(m('-A FORWARD -m addrtype --dst-type BROADCAST -j RETURN', pkt({ dstLocal: true }))).toBe(false);
    expect(m('-A FORWARD -m addrtype --dst-type MULTICAST -j RETURN', pkt({ dstLocal: undefined }))).toBe(false);
    expect(m('-A FORWARD -m addrtype ! --dst-type BROADCAST -j RETURN', pkt({ dstLocal: true }))).toBe(true);
    expect(m('-A FORWARD -m addrtype --dst-type LOCAL,UNICAST -j RETURN', pkt({ dstLocal: undefined }))).toBe(true);
    expect(m('-A FORWARD -m addrtype --dst-type LOCAL,BROADCAST -j RETURN', pkt({ dstLocal: false }))).toBe(false);
    expect(m('-A FORWARD -m addrtype --src-type LOCAL -j MASQUERADE', pkt({ srcLocal: false }))).toBe(false);
    expect(m('-A FORWARD -m comment --comment "allow web" -p tcp --dport 8080 -j ACCEPT')).toBe(true);
    expect(m('-A FORWARD -p tcp -m tcp --syn -j ACCEPT')).toBe(true);
    expect(m('-A FORWARD -p tcp -m tcp --tcp-flags SYN,ACK SYN -j ACCEPT')).toBe(true);
    expect(m('-A FORWARD -p tcp -m tcp --tcp-flags SYN,ACK ACK -j ACCEPT')).toBe(false);
  });

  it('a match it does not know is undecided, unless another condition already rules the packet out', () => {
    expect(matchRule(rule('-A FORWARD -m set --match-set blocklist src -j DROP'), pkt())).toEqual({ result: 'unknown', why: 'uses -m set' });
    expect(m('-A FORWARD -p udp -m set --match-set blocklist src -j DROP')).toBe(false);
    expect(m('-A FORWARD -m recent --name x --rcheck -j DROP')).toBe('unknown');
  });

  // What the packet does not say makes a condition undecidable, and the hop names which.
  it.each([
    ['-A FORWARD -i eth0 -j DROP', { inIface: undefined }, "uses -i eth0 and the packet's input interface is not known"],
    ['-A FORWARD -o docker_gwbridge -j DROP', { outIface: undefined }, "uses -o docker_gwbridge and the packet's output interface is not known"],
    ['-A FORWARD -p tcp -m tcp --sport 1024:65535 -j DROP', {}, 'uses --sport 1024:65535 and the source port is not known'],
    ['-A FORWARD -p tcp -m multiport --ports 22,80 -j DROP', {}, 'uses --ports 22,80 and the source port is not known'],
    ['-A FORWARD -m addrtype --dst-type LOCAL -j DROP', { dstLocal: undefined }, 'uses --dst-type LOCAL'],
    ['-A FORWARD -m addrtype --src-type LOCAL -j DROP', { srcLocal: undefined }, 'uses --src-type LOCAL'],
    ['-A FORWARD -p tcp -m tcp --tcp-flags SYN,ACK SYN -j DROP', { tcpFlags: undefined }, 'uses --tcp-flags SYN,ACK SYN'],
    ['-A FORWARD -p tcp -m tcp --syn -j DROP', { tcpFlags: undefined }, 'uses --syn'],
    ['-A FORWARD -m ipvs --ipvs -j DROP', { ipvs: undefined }, 'uses -m ipvs --ipvs'],
    ['-A FORWARD -p icmp -m icmp --icmp-type 8 -j DROP', { proto: 'icmp', tcpFlags: undefined }, 'uses --icmp-type 8'],
    ['-A FORWARD -p tcp -m tcp --tcp-option 2 -j DROP', {}, 'uses -m tcp --tcp-option'],
  ] as [string, Partial<Packet>, string][])('%s is undecided when the packet does not say, and says why', (line, over, why) => {
    expect(matchRule(rule(line), pkt(over))).toEqual({ result: 'unknown', why });
  });
});

describe('undecidable rules: both outcomes followed, never guessed', () => {
  it('is uncertain when one way drops and the other accepts, and names the line', () => {
    const data = filter(`-A FORWARD -m set --match-set blocklist src -j DROP\n${DOCKER_FORWARD}`);
    const w = walkHooks(data, [{ table: 'filter', chain: 'FORWARD' }], pkt());
    expect(w.verdict).toBe('uncertain');
    expect(w.outcomes.map((o) => o.action).sort()).toEqual(['ACCEPT', 'DROP']);
    expect(w.decisive.action).toBe('DROP');
    expect(w.decisive.undecided).toEqual(['nodes/n1/host/iptables.txt:8 uses -m set']);
  });

  it('is decided when every way ends alike', () => {
    const data = filter(`-A FORWARD -m set --match-set friends src -j ACCEPT\n-A FORWARD -j ACCEPT`);
    expect(walkHooks(data, [{ table: 'filter', chain: 'FORWARD' }], pkt()).verdict).toBe('pass');
  });

  it('a jump to a target it cannot follow is uncertain', () => {
    const data = filter('-A FORWARD -j SOMETHING-ELSE\n-A FORWARD -j ACCEPT');
    const w = walkHooks(data, [{ table: 'filter', chain: 'FORWARD' }], pkt());
    expect(w.verdict).toBe('uncertain');
    expect(w.decisive.undecided[0]).toMatch(/jumps to SOMETHING-ELSE, which this walk cannot follow/);
  });
});

describe('walking several hooks in order', () => {
  it('carries the mark from mangle into filter, and stops at the first table that drops', () => {
    const text = [
      '*mangle', ':PREROUTING ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', '-A PREROUTING -p tcp --dport 8080 -j MARK --set-xmark 0x7/0xffffffff', 'COMMIT',
      '*filter', ':FORWARD DROP [0:0]', '-A FORWARD -m mark --mark 0x7 -j ACCEPT', 'COMMIT', '',
    ].join('\n');
    const data = parseIptables(text, 'f').data;
    const w = walkHooks(data, [{ table: 'mangle', chain: 'PREROUTING' }, { table: 'mangle', chain: 'FORWARD' }, { table: 'filter', chain: 'FORWARD' }], pkt());
    expect(w.verdict).toBe('pass');
    expect(w.decisive.hops.map((h) => `${h.table} ${h.effect}`)).toEqual(['mangle MARK 0x7', 'mangle policy ACCEPT', 'mangle policy ACCEPT', 'filter ACCEPT']);
    const dropInRaw = parseIptables(['*raw', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -p tcp --dport 8080 -j DROP', 'COMMIT', ''].join('\n'), 'f').data;
    expect(walkHooks(dropInRaw, [{ table: 'raw', chain: 'PREROUTING' }, { table: 'filter', chain: 'FORWARD' }], pkt()).verdict).toBe('stop');
  });

  it('reads -L listings from what the parser kept, and calls the rest undecided', () => {
    const text = ['Chain FORWARD (policy DROP)', 'target     prot opt source               destination', 'DOCKER-INGRESS  all  --  0.0.0.0/0            0.0.0.0/0', 'ACCEPT     all  --  0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED', '', 'Chain DOCKER-INGRESS (1 references)', 'target     prot opt source               destination', 'ACCEPT     tcp  --  0.0.0.0/0            0.0.0.0/0            tcp dpt:8080', 'RETURN     all  --  0.0.0.0/0            0.0.0.0/0', ''].join('\n');
    const data = parseIptables(text, 'nodes/n/host/iptables-filter.txt', 'filter').data;
    expect(walkHooks(data, [{ table: 'filter', chain: 'FORWARD' }], pkt()).verdict).toBe('pass');
    const other = walkHooks(data, [{ table: 'filter', chain: 'FORWARD' }], pkt({ dport: 9090 }));
    expect(other.verdict).toBe('uncertain');
    expect(other.decisive.undecided[0]).toMatch(/iptables-filter.txt:4 uses conntrack/);
  });
});

describe('targets: the verdict and the rewrite each one makes', () => {
  const nat = (rules: string[], chain = 'PREROUTING') =>
    parseIptables(['*nat', ':PREROUTING ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':DOCKER-INGRESS - [0:0]', ...rules, 'COMMIT', ''].join('\n'), 'nodes/n1/host/iptables.txt').data;
  const walk = (data: ReturnType<typeof nat>, chain: string, p: Packet) => {
    const outs = walkChain(data, 'nat', chain, p);
    expect(outs).toHaveLength(1);
    return outs[0];
  };

  it('DNAT ends the chain with its address and port (and keeps the port when it gives none)', () => {
    const data = nat(['-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER-INGRESS', '-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:8080', '-A DOCKER-INGRESS -p udp -m udp --dport 53 -j DNAT --to-destination 172.18.0.2', '-A DOCKER-INGRESS -j RETURN']);
    const at = pkt({ dst: '10.78.0.12', dstLocal: true, ctstate: ['NEW'] });
    expect(walk(data, 'PREROUTING', at)).toMatchObject({ action: 'DNAT', toAddress: '172.18.0.2', toPort: 8080, at: { chain: 'DOCKER-INGRESS', line: 6 } });
    expect(walk(data, 'PREROUTING', { ...at, proto: 'udp', dport: 53, tcpFlags: undefined })).toMatchObject({ action: 'DNAT', toAddress: '172.18.0.2', toPort: 0 });
    // Not for this host's addresses: no jump, the policy.
    expect(walk(data, 'PREROUTING', { ...at, dstLocal: false })).toMatchObject({ action: 'ACCEPT', at: { kind: 'policy', line: 2 } });
  });

  it('SNAT and MASQUERADE end POSTROUTING; -m ipvs decides on IPVS traffic only', () => {
    const data = nat(['-A POSTROUTING -d 10.0.0.0/24 -m ipvs --ipvs -j SNAT --to-source 10.0.0.3', '-A POSTROUTING -s 172.18.0.0/16 ! -o docker_gwbridge -j MASQUERADE']);
    const toTask = pkt({ dst: '10.0.0.6', outIface: 'eth0', ipvs: true });
    expect(walk(data, 'POSTROUTING', toTask)).toMatchObject({ action: 'SNAT', toAddress: '10.0.0.3', toPort: 0, at: { line: 5 } });
    expect(walk(data, 'POSTROUTING', { ...toTask, ipvs: false })).toMatchObject({ action: 'ACCEPT', at: { kind: 'policy' } });
    expect(walk(data, 'POSTROUTING', pkt({ src: '172.18.0.5', dst: '1.1.1.1', outIface: 'eth0' }))).toMatchObject({ action: 'MASQUERADE', at: { line: 6 } });
    expect(walk(data, 'POSTROUTING', pkt({ src: '172.18.0.5', dst: '172.18.0.9', outIface: 'docker_gwbridge' }))).toMatchObject({ action: 'ACCEPT' });
  });

  it('REJECT stops like DROP; -m mark with a mask, and its !', () => {
    const data = filter('-A FORWARD -m mark --mark 0x100/0xf00 -j REJECT --reject-with icmp-port-unreachable\n-A FORWARD -m mark ! --mark 0x0 -j DROP\n-A FORWARD -j ACCEPT');
    expect(only(data, pkt({ mark: 0x1ff }))).toMatchObject({ action: 'REJECT', at: { line: 8 } });
    expect(only(data, pkt({ mark: 0x200 }))).toMatchObject({ action: 'DROP', at: { line: 9 } });
    expect(only(data, pkt({ mark: 0 }))).toMatchObject({ action: 'ACCEPT', at: { line: 10 } });
    expect(walkHooks(data, [{ table: 'filter', chain: 'FORWARD' }], pkt({ mark: 0x100 })).verdict).toBe('stop');
  });

  it('both outcomes of ! on interfaces and ports: -i, -o with +, --dports', () => {
    const data = filter('-A FORWARD ! -i eth+ -j DROP\n-A FORWARD -p tcp -m multiport ! --dports 80,8080 -j DROP\n-A FORWARD -j ACCEPT');
    expect(only(data, pkt({ inIface: 'eth0' })).action).toBe('ACCEPT');
    expect(only(data, pkt({ inIface: 'ens3' })).action).toBe('DROP');
    expect(only(data, pkt({ dport: 9000 })).action).toBe('DROP');
  });

  it('an -L listing\'s ADDRTYPE match is decided, with its !', () => {
    const text = ['Chain POSTROUTING (policy ACCEPT 708 packets, 42669 bytes)', ' pkts bytes target     prot opt in     out     source               destination', '    3   180 MASQUERADE  all  --  *      docker_gwbridge  0.0.0.0/0            0.0.0.0/0            ADDRTYPE match src-type LOCAL', ''].join('\n');
    const data = parseIptables(text, 'nodes/n/host/iptables-nat.txt', 'nat').data;
    const p = pkt({ outIface: 'docker_gwbridge' });
    expect(walkChain(data, 'nat', 'POSTROUTING', { ...p, srcLocal: false })[0].action).toBe('ACCEPT');
    expect(walkChain(data, 'nat', 'POSTROUTING', { ...p, srcLocal: true })[0].action).toBe('MASQUERADE');
  });
});

describe('walking large chains', () => {
  it('follows 20,000 matching LOG rules in one pass, without recursion (no stack overflow), keeping every hop', () => {
    const logs = Array.from({ length: 20_000 }, (_, i) => `-A FORWARD -j LOG --log-prefix "n${i} "`).join('\n');
    const o = only(filter(`${logs}\n-A FORWARD -j ACCEPT`));
    expect(o.action).toBe('ACCEPT');
    expect(o.hops).toHaveLength(20_001);
    expect(o.at.line).toBe(8 + 20_000);
  });

  it('comes back from 5,000 jumps into a chain that returns, and goes on after each', () => {
    const jumps = Array.from({ length: 5_000 }, () => '-A FORWARD -j CUSTOM').join('\n');
    const o = only(filter(`${jumps}\n-A FORWARD -p tcp --dport 8080 -j ACCEPT\n-A CUSTOM -s 10.0.0.0/8 -j DROP\n-A CUSTOM -j RETURN`));
    expect(o.action).toBe('ACCEPT');
    expect(o.hops.filter((h) => h.effect === 'RETURN')).toHaveLength(5_000);
  });

  it('rules out a blocklist by source once per packet, then finds the one rule for the port', () => {
    const block = Array.from({ length: 30_000 }, (_, i) => `-A DOCKER-USER -s 198.18.${(i >> 8) & 255}.${i & 255}/32 -p tcp -m multiport --dports 80,443,8080 -j DROP`).join('\n');
    const data = filter(`${block}\n-A DOCKER-USER -s 203.0.113.0/24 -p tcp -m multiport --dports 8080,9090 -j DROP\n${DOCKER_FORWARD}`);
    expect(only(data)).toMatchObject({ action: 'DROP', at: { chain: 'DOCKER-USER', line: 8 + 30_000 } });
    expect(only(data, pkt({ dport: 8081 })).action).toBe('DROP'); // FORWARD's policy: no rule for 8081
    expect(only(data, pkt({ src: '198.18.0.7' }))).toMatchObject({ action: 'DROP', at: { line: 8 + 7 } });
    expect(only(data, pkt({ src: '198.18.0.7', dport: 22 })).at.kind).toBe('policy');
  });

  it('reads -p tcp --dport without -m tcp as iptables does (the protocol loads its match)', () => {
    const rule = filter('-A FORWARD -p tcp --dport 1000:2000 -j DROP').tables.get('filter')!.get('FORWARD')!.rules[0];
    expect(matchRule(rule, pkt()).result).toBe(false);
    expect(matchRule(rule, pkt({ dport: 1500 })).result).toBe(true);
  });
});

describe('the first walk of a chain reads every rule; later walks use its index', () => {
  // A chain's first walk looks at each rule in turn; from the second on, the walk visits only the
  // rules its index says may match (by port and source). Both must end every packet alike.
  const RULES = `
-A DOCKER-USER -s 198.18.0.0/16 -p tcp -m multiport --dports 80,8080 -j DROP
-A DOCKER-USER -s 203.0.113.0/24 -p tcp --dport 9090 -j REJECT
-A DOCKER-USER ! -s 10.0.0.0/8 -p tcp --dport 8443 -j DROP
-A DOCKER-USER -s 10.9.9.9/32 -d 172.18.0.2/32 -p tcp -m multiport --dports 8444 -j REJECT
-A DOCKER-USER -p tcp ! --dport 8080 -m comment --comment "not web" -j CUSTOM
-A DOCKER-USER -i eth1 -p udp --dport 53 -j DROP
-A DOCKER-USER -m mark --mark 0x100 -j DROP
-A DOCKER-USER -j RETURN
-A CUSTOM -d 172.18.0.0/16 -p tcp --dport 7000:7100 -j DROP
-A CUSTOM -j LOG --log-prefix "custom "
-A CUSTOM -j RETURN
${DOCKER_FORWARD}
-A DOCKER-INGRESS -p udp --dport 53 -j ACCEPT`;
  const packets = [
    pkt(), pkt({ dport: 9090 }), pkt({ dport: 7050 }), pkt({ dport: 22 }), pkt({ src: '198.18.3.4' }), pkt({ src: '198.18.3.4', dport: 22 }),
    pkt({ proto: 'udp', dport: 53, tcpFlags: undefined }), pkt({ proto: 'udp', dport: 53, inIface: 'eth1', tcpFlags: undefined }), pkt({ mark: 0x100 }), pkt({ dst: '10.0.0.2', dport: 7050 }),
    // A negated source, a /32 source and destination, and a one-port multiport list.
    pkt({ dport: 8443 }), pkt({ src: '10.1.2.3', dport: 8443 }), pkt({ src: '10.9.9.9', dport: 8444 }), pkt({ src: '10.9.9.8', dport: 8444 }), pkt({ src: '10.9.9.9', dport: 8445 }),
  ];
  const view = (outs: ReturnType<typeof walkChain>) => outs.map((o) => [o.action, o.at.line, o.hops.map((h) => `${h.line} ${h.effect}`), o.undecided, o.mark]);
  /** The walk of chains that share no index with any walked before: each chain's first walk is a plain pass over its rules. */
  const walkAlone = (rules: string, p: Packet) => {
    forgetChainIndexes();
    return walkChain(filter(rules), 'filter', 'FORWARD', p);
  };

  // Past 32 rules for any port, a chain's index is narrowed per packet first (a blocklist); below,
  // its lists per port serve every packet. Both ways, with the blocklist first in DOCKER-USER.
  const BLOCKLIST = Array.from({ length: 40 }, (_, i) => `-A DOCKER-USER -s 192.0.2.${i + 1}/32 -j DROP`).join('\n');
  it.each([
    ['few rules for any port', RULES],
    ['a blocklist of 40 sources', `${BLOCKLIST}\n${RULES.trim()}`],
  ])('ends each packet alike on a first walk and on an indexed one (%s)', (_name, rules) => {
    const shared = filter(rules);
    walkChain(shared, 'filter', 'FORWARD', pkt({ dport: 1 })); // the first walk of every chain
    const seen = new Set<string>();
    for (const p of [...packets, pkt({ src: '192.0.2.7' }), pkt({ src: '192.0.2.77' })]) {
      const first = view(walkAlone(rules, p));
      const indexed = view(walkChain(shared, 'filter', 'FORWARD', p));
      expect(indexed).toEqual(first);
      seen.add(String(first[0][0]));
    }
    // The packets reach every kind of ending, so the comparison covers each.
    expect([...seen].sort()).toEqual(['ACCEPT', 'DROP', 'REJECT']);
  });

  // Chains of the same rules (the nodes of a swarm) share one index, made on the first walk of the
  // second one; each walk still names its own node's file and lines, and a chain that differs in one
  // rule's port is decided by its own index (given another's, it would not see that rule for its port).
  it.each([
    ['few rules for any port', RULES],
    ['a blocklist of 40 sources', `${BLOCKLIST}\n${RULES.trim()}`],
  ])('ends each packet alike on chains that share an index, naming each its own file (%s)', (_name, rules) => {
    const node = (name: string, text: string, lead = '') => {
      const parsed = parseIptables(`${lead}*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER-USER - [0:0]\n:DOCKER-INGRESS - [0:0]\n:CUSTOM - [0:0]\n${text.trim()}\nCOMMIT\n`, `nodes/${name}/host/iptables.txt`);
      expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      return parsed.data;
    };
    const REJECT_9090 = '-A DOCKER-USER -s 203.0.113.0/24 -p tcp --dport 9090 -j REJECT';
    const other = rules.replace(REJECT_9090, REJECT_9090.replace('9090', '9091'));
    const a = node('a', rules);
    const b = node('b', rules, '# two lines further down\n\n');
    const c = node('c', other);
    const shift = (v: ReturnType<typeof view>) => v.map(([action, line, hops, ...rest]) => [action, Number(line) + 2, (hops as string[]).map((h) => h.replace(/^\d+/, (n) => String(Number(n) + 2))), ...rest]);
    for (const p of [...packets, pkt({ src: '192.0.2.7' }), pkt({ dport: 9091 })]) {
      const alone = view(walkAlone(rules, p));
      const [oa, ob, oc] = [a, b, c].map((d) => walkChain(d, 'filter', 'FORWARD', p));
      expect(view(oa)).toEqual(alone);
      expect(view(ob)).toEqual(shift(alone));
      expect(ob.flatMap((o) => [o.at, ...o.hops]).every((h) => h.file === 'nodes/b/host/iptables.txt')).toBe(true);
      expect(view(oc)).toEqual(view(walkAlone(other, p)));
    }
    // The rule that differs decides 9090 and 9091 from 203.0.113.10: a REJECT of 9090 on a and b, of 9091 on c.
    const rejectLine = 7 + rules.trim().split('\n').findIndex((l) => l === REJECT_9090) + 1;
    const at = (d: typeof a, dport: number) => {
      const o = walkChain(d, 'filter', 'FORWARD', pkt({ dport }))[0];
      return `${o.action} ${o.at.line}`;
    };
    expect([at(a, 9090), at(b, 9090), at(c, 9090)]).toEqual([`REJECT ${rejectLine}`, `REJECT ${rejectLine + 2}`, 'DROP 3']);
    expect([at(a, 9091), at(c, 9091)]).toEqual(['DROP 3', `REJECT ${rejectLine}`]);
  });

  // The key of what may match a packet is remembered for the last packet (the walks of a node's ports
  // come one after another with one key): a packet that differs in any one field of it, walked next,
  // must be decided as itself.
  const ONE_FIELD = `${BLOCKLIST}
-A DOCKER-USER -p udp -j DROP
-A DOCKER-USER -s 198.51.100.9 -j DROP
-A DOCKER-USER -d 172.18.0.9 -j DROP
-A DOCKER-USER -p tcp -m tcp --sport 5555 -j DROP
-A DOCKER-USER -i eth9 -j DROP
-A DOCKER-USER -o eth8 -j DROP
-A DOCKER-USER -m conntrack --ctstate RELATED -j DROP
-A DOCKER-USER -m addrtype --dst-type LOCAL -j DROP
-A DOCKER-USER -m addrtype --src-type LOCAL -j DROP
-A DOCKER-USER -m ipvs --ipvs -j DROP
-A DOCKER-USER -p tcp -m tcp --tcp-flags SYN,ACK ACK -j DROP
-A DOCKER-USER -j RETURN
${DOCKER_FORWARD.replace('-A DOCKER-USER -j RETURN', '')}`;
  const variants: [string, Partial<Packet>][] = [
    ['proto', { proto: 'udp' }], ['src', { src: '198.51.100.9' }], ['dst', { dst: '172.18.0.9' }], ['sport', { sport: 5555 }],
    ['inIface', { inIface: 'eth9' }], ['outIface', { outIface: 'eth8' }], ['ctstate', { ctstate: ['RELATED'] }], ['dstLocal', { dstLocal: true }],
    ['srcLocal', { srcLocal: true }], ['ipvs', { ipvs: true }], ['tcpFlags', { tcpFlags: ['ACK'] }],
  ];
  // The base packet has a source port (an unknown one would leave --sport undecided).
  const base = (over: Partial<Packet> = {}) => pkt({ sport: 40000, ...over });
  it.each(variants)('a packet that differs from the one before only in %s is decided as itself', (_field, over) => {
    const shared = filter(ONE_FIELD);
    for (let i = 0; i < 2; i++) expect(walkChain(shared, 'filter', 'FORWARD', base())[0].action).toBe('ACCEPT'); // indexed, its key remembered
    expect(view(walkChain(shared, 'filter', 'FORWARD', base(over)))).toEqual(view(walkAlone(ONE_FIELD, base(over))));
    expect(walkChain(shared, 'filter', 'FORWARD', base(over))[0].action).toBe('DROP');
    expect(walkChain(shared, 'filter', 'FORWARD', base())[0].action).toBe('ACCEPT');
  });

  it.each(variants)('a remembered walk of hooks is keyed apart for a packet that differs only in %s', (_field, over) => {
    // No port or mark anywhere: the hooks' walk may be remembered, under a key of the packet.
    // The source port is part of the key, so a chain may test it and still be remembered.
    const rules = ONE_FIELD.replace(/^-A DOCKER-INGRESS .*$/gm, '').replace(/^-A FORWARD -j DOCKER-INGRESS$/m, '');
    const data = filter(rules);
    const steps = [{ table: 'filter', chain: 'FORWARD' }];
    walkChain(data, 'filter', 'FORWARD', base()); // nothing is remembered before a chain's first walk
    const key = hooksMemoKey(data, steps, base());
    expect(key).toBeDefined();
    expect(hooksMemoKey(data, steps, base())).toBe(key);
    expect(hooksMemoKey(data, steps, base(over))).not.toBe(key);
    expect(hooksMemoKey(data, steps, base())).toBe(key);
    // And the walk remembered under it is the packet's own (DOCKER-USER, which FORWARD jumps to, decides it).
    for (const p of [base(), base(over), base()]) expect(view(walkChain(data, 'filter', 'FORWARD', p))).toEqual(view(walkAlone(rules, p)));
  });
});

describe('walks shared by captures with the same rules (walkHooksShared, the check\'s verdict-only walk)', () => {
  // The nodes of a swarm DNAT, accept and mark the same ports with the same rules: a port's walk
  // through one node's chains is every such node's. Shared only between tables whose every chain
  // holds the same rules and policy, for packets alike in every field a rule of them tests.
  const STEPS = [{ table: 'filter', chain: 'FORWARD' }];
  const RULES = `
-A DOCKER-USER -s 198.18.0.0/16 -j DROP
-A DOCKER-USER -p tcp -m tcp --dport 7000 -m mark --mark 0x7 -j DROP
-A DOCKER-USER -d 172.18.0.9 -j DROP
-A DOCKER-USER -i eth9 -j DROP
-A DOCKER-INGRESS -p tcp -m tcp --dport 7000 -j ACCEPT
-A DOCKER-INGRESS -p tcp -m tcp --dport 9090 -j ACCEPT
${DOCKER_FORWARD.trim()}`;
  const node = (name: string, text: string, policy = 'DROP', lead = '') => {
    forgetChainIndexes();
    const parsed = parseIptables(`${lead}*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ${policy} [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER-USER - [0:0]\n:DOCKER-INGRESS - [0:0]\n${text.trim()}\nCOMMIT\n`, `nodes/${name}/host/iptables.txt`);
    expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    return parsed.data;
  };
  /** Each node's first walk of the hooks, of a packet a rule drops: a walk is kept only once two nodes of the same rules have begun. */
  const begun = (...nodes: ReturnType<typeof node>[]) => {
    for (const n of nodes) expect(walkHooksShared(n, STEPS, pkt({ src: '198.18.0.1' })).outcomes[0].action).toBe('DROP');
  };
  /** Two nodes of the same rules, the second's two lines further down its file, both begun. */
  const pair = (rules = RULES, policy = 'DROP') => {
    forgetChainIndexes();
    const make = (name: string, lead: string) => {
      const parsed = parseIptables(`${lead}*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ${policy} [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER-USER - [0:0]\n:DOCKER-INGRESS - [0:0]\n${rules.trim()}\nCOMMIT\n`, `nodes/${name}/host/iptables.txt`);
      return parsed.data;
    };
    const nodes = [make('a', ''), make('b', '# two lines further down\n\n')];
    begun(...nodes);
    return nodes;
  };
  const verdict = (w: ReturnType<typeof walkHooks>) => w.outcomes.map((o) => [o.action, o.mark, o.toAddress, o.toPort]);

  it("gives the second node the first one's walk of a port once both have begun, and each port and mark its own", () => {
    const [a, b] = pair();
    const shared = walkHooksShared(a, STEPS, pkt());
    expect(verdict(shared)).toEqual([['ACCEPT', 0, '', 0]]);
    expect(walkHooksShared(b, STEPS, pkt())).toBe(shared);
    // Another port, and the same port with a mark a rule tests, are walks of their own.
    expect(walkHooksShared(b, STEPS, pkt({ dport: 9090 }))).not.toBe(shared);
    expect(verdict(walkHooksShared(b, STEPS, pkt({ dport: 9090 })))).toEqual([['ACCEPT', 0, '', 0]]);
    expect(verdict(walkHooksShared(a, STEPS, pkt({ dport: 7000 })))).toEqual([['ACCEPT', 0, '', 0]]);
    expect(verdict(walkHooksShared(b, STEPS, pkt({ dport: 7000, mark: 7 })))).toEqual([['DROP', 7, '', 0]]);
  });

  it('keeps no walk of rules one node alone has, and keeps them once a second node has them too', () => {
    // A node whose dockerd gave the services marks of its own (after a restart) marks every port in a
    // mangle table no other node's equals: no other node would read its walks.
    const a = node('a', RULES);
    const first = walkHooksShared(a, STEPS, pkt());
    expect(verdict(first)).toEqual([['ACCEPT', 0, '', 0]]);
    expect(walkHooksShared(a, STEPS, pkt())).not.toBe(first);
    expect(walkHooksShared(a, STEPS, pkt())).toEqual(first);
    // A second node of the same rules: its walk is kept, and is the first node's from then on.
    const b = parseIptables(`*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER-USER - [0:0]\n:DOCKER-INGRESS - [0:0]\n${RULES.trim()}\nCOMMIT\n`, 'nodes/b/host/iptables.txt').data;
    const kept = walkHooksShared(b, STEPS, pkt());
    expect(walkHooksShared(a, STEPS, pkt())).toBe(kept);
    expect(walkHooksShared(b, STEPS, pkt())).toBe(kept);
  });

  it(`forgets every walk past ${MAX_PRINTS} sets of rules, those its nodes were given too, and keeps walks again after`, () => {
    const [a, b] = pair();
    const shared = walkHooksShared(a, STEPS, pkt());
    expect(walkHooksShared(b, STEPS, pkt())).toBe(shared);
    // As many nodes again, each with a rule of its own: the prints are past the bound.
    for (let i = 0; i < MAX_PRINTS; i++) {
      const other = parseIptables(`*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER-USER - [0:0]\n:DOCKER-INGRESS - [0:0]\n-A DOCKER-USER -s 203.0.113.${i}/32 -j DROP\n${RULES.trim()}\nCOMMIT\n`, `nodes/n${i}/host/iptables.txt`).data;
      walkHooksShared(other, STEPS, pkt());
    }
    const again = walkHooksShared(b, STEPS, pkt());
    expect(again).not.toBe(shared);
    expect(verdict(again)).toEqual(verdict(shared));
    // Both nodes have begun again: the walk is kept, and shared, once more.
    expect(walkHooksShared(a, STEPS, pkt())).not.toBe(again);
    const kept = walkHooksShared(a, STEPS, pkt());
    expect(walkHooksShared(b, STEPS, pkt())).toBe(kept);
  });

  it.each<[string, Partial<Packet>]>([
    ['its source', { src: '198.18.3.4' }],
    ['a destination a rule tests', { dst: '172.18.0.9' }],
    ['its input interface', { inIface: 'eth9' }],
    ['its mark', { dport: 7000, mark: 7 }],
  ])('walks a packet that differs in %s as itself, on the node that walks it', (_what, over) => {
    const [a, b] = pair();
    walkHooksShared(a, STEPS, pkt({ dport: 7000 }));
    const w = walkHooksShared(b, STEPS, pkt({ dport: 7000, ...over }));
    expect(verdict(w)).toEqual([['DROP', over.mark ?? 0, '', 0]]);
    expect(w.outcomes[0].at.file).toBe('nodes/b/host/iptables.txt');
    expect(w).toEqual(walkHooks(b, STEPS, pkt({ dport: 7000, ...over })));
  });

  it("gives a node that asks for its own walk the shared one at its own file and lines, equal to its own walk", () => {
    const [a, b] = pair();
    for (const p of [pkt(), pkt({ dport: 9090 }), pkt({ dport: 7000 })]) {
      const shared = walkHooksShared(a, STEPS, p, true);
      const own = walkHooksShared(b, STEPS, p, true);
      expect(own).not.toBe(shared);
      expect(own).toEqual(walkHooks(b, STEPS, p));
      expect([own.decisive.at, ...own.decisive.hops].every((h) => h.file === 'nodes/b/host/iptables.txt')).toBe(true);
      expect(own.decisive.at.line).toBe(shared.decisive.at.line + 2);
      // The node that walked it first gets it as it is.
      expect(walkHooksShared(a, STEPS, p, true)).toBe(shared);
    }
    // A walk that ends in a chain's policy names the policy's line of each node.
    const [c, d] = pair(RULES, 'ACCEPT');
    const open = (data: typeof c) => walkHooksShared(data, STEPS, pkt({ dport: 22 }), true);
    expect(open(c).decisive.at).toMatchObject({ kind: 'policy', effect: 'policy ACCEPT', file: 'nodes/a/host/iptables.txt', line: 3 });
    expect(open(d).decisive.at).toMatchObject({ kind: 'policy', effect: 'policy ACCEPT', file: 'nodes/b/host/iptables.txt', line: 5 });
    expect(open(d)).toEqual(walkHooks(d, STEPS, pkt({ dport: 22 })));
  });

  it('keeps the destinations no rule tests out of the key: nodes with addresses of their own share a walk', () => {
    const [a, b] = pair();
    const shared = walkHooksShared(a, STEPS, pkt({ dst: '172.18.0.2' }));
    expect(walkHooksShared(b, STEPS, pkt({ dst: '172.18.0.3' }))).toBe(shared);
  });

  it('shares no walk that stops or that it cannot decide: each names its own node', () => {
    const [a, b] = pair();
    for (const p of [pkt({ dport: 22 }), pkt({ src: '198.18.3.4' })]) {
      const wa = walkHooksShared(a, STEPS, p);
      const wb = walkHooksShared(b, STEPS, p);
      expect(wb).not.toBe(wa);
      expect(wa.outcomes.every((o) => o.at.file === 'nodes/a/host/iptables.txt')).toBe(true);
      expect(wb.outcomes.every((o) => o.at.file === 'nodes/b/host/iptables.txt')).toBe(true);
    }
    // -m set cannot be decided: both ways are followed, on each node.
    const [c, d] = pair(`-A DOCKER-USER -m set --match-set blocked src -j DROP\n${RULES.trim()}`);
    const wc = walkHooksShared(c, STEPS, pkt());
    expect(wc.outcomes.length).toBe(2);
    expect(walkHooksShared(d, STEPS, pkt())).not.toBe(wc);
  });

  it('keeps apart only nodes that differ in a chain a walk from the hooks may reach', () => {
    // INPUT is not on FORWARD's way: a node with a blocklist there shares FORWARD's walks.
    const [a, b] = pair(`-A INPUT -s 192.0.2.1/32 -j DROP\n${RULES.trim()}`);
    const c = parseIptables(`*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER-USER - [0:0]\n:DOCKER-INGRESS - [0:0]\n${RULES.trim()}\nCOMMIT\n`, 'nodes/c/host/iptables.txt').data;
    const shared = walkHooksShared(a, STEPS, pkt());
    expect(walkHooksShared(b, STEPS, pkt())).toBe(shared);
    expect(walkHooksShared(c, STEPS, pkt())).toBe(shared);
    // A chain DOCKER-USER jumps to is on the way: one more rule in it is another walk.
    const jump = `-A DOCKER-USER -j CUSTOM\n${RULES.trim()}`;
    const make = (name: string, custom: string) =>
      parseIptables(`*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER-USER - [0:0]\n:DOCKER-INGRESS - [0:0]\n:CUSTOM - [0:0]\n${custom}\n${jump}\nCOMMIT\n`, `nodes/${name}/host/iptables.txt`).data;
    const d = make('d', '-A CUSTOM -j RETURN');
    const e = make('e', '-A CUSTOM -p tcp -m tcp --dport 8080 -j DROP\n-A CUSTOM -j RETURN');
    expect(verdict(walkHooksShared(d, STEPS, pkt()))).toEqual([['ACCEPT', 0, '', 0]]);
    expect(verdict(walkHooksShared(e, STEPS, pkt()))).toEqual([['DROP', 0, '', 0]]);
    // Found behind a comment that names another target, and behind --goto.
    for (const lead of ['-A DOCKER-USER -m comment --comment "to -j RETURN or -j ELSEWHERE" -j CUSTOM', '-A DOCKER-USER -g CUSTOM']) {
      const f = parseIptables(`*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER-USER - [0:0]\n:DOCKER-INGRESS - [0:0]\n:CUSTOM - [0:0]\n-A CUSTOM -j RETURN\n${lead}\n${RULES.trim()}\nCOMMIT\n`, 'nodes/f/host/iptables.txt').data;
      const g = parseIptables(`*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER-USER - [0:0]\n:DOCKER-INGRESS - [0:0]\n:CUSTOM - [0:0]\n-A CUSTOM -p tcp -m tcp --dport 8080 -j DROP\n${lead}\n${RULES.trim()}\nCOMMIT\n`, 'nodes/g/host/iptables.txt').data;
      expect(verdict(walkHooksShared(f, STEPS, pkt()))[0][0]).not.toBe('DROP');
      expect(verdict(walkHooksShared(g, STEPS, pkt()))).toEqual([['DROP', 0, '', 0]]);
    }
  });

  it('does not give a node the walk of a node whose rules or policies differ', () => {
    const a = node('a', RULES);
    const accepted = walkHooksShared(a, STEPS, pkt({ dport: 9090 }));
    expect(verdict(accepted)).toEqual([['ACCEPT', 0, '', 0]]);
    // One rule less (no ACCEPT of 9090): the policy decides.
    const b = node('b', RULES.replace('-A DOCKER-INGRESS -p tcp -m tcp --dport 9090 -j ACCEPT', ''));
    expect(verdict(walkHooksShared(b, STEPS, pkt({ dport: 9090 })))).toEqual([['DROP', 0, '', 0]]);
    // The same rules under another policy: a port no rule accepts falls to each one's own.
    const open = node('open', RULES, 'ACCEPT');
    const closed = node('closed', RULES, 'DROP');
    expect(verdict(walkHooksShared(open, STEPS, pkt({ dport: 22 })))).toEqual([['ACCEPT', 0, '', 0]]);
    expect(verdict(walkHooksShared(closed, STEPS, pkt({ dport: 22 })))).toEqual([['DROP', 0, '', 0]]);
  });
});
