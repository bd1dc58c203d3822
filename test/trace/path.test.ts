import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../../src/capture/read.js';
import { buildSnapshot, type Snapshot } from '../../src/model/build.js';
import { loadRules } from '../../src/rules/loader.js';
import { evaluate } from '../../src/rules/evaluate.js';
import { traceFields, traceForCheck, traceNode, traceNodes, traceView, type NodeTrace } from '../../src/trace/path.js';
import { FIXTURES, ROOT, fixture, snapshotOf } from '../helpers/fixtures.js';

/*
 * The walk from a client to the task, on the working-mesh lab's healthy capture (one task of web on
 * node3, port tcp/8080) and on copies of it with one thing changed: the firewall mistakes no
 * enumerated rule names, the hops that are not iptables, and a match the walk cannot decide.
 */

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** lab-healthy with some files edited: (file relative to the fixture, text -> new text). */
function labWith(edits: Record<string, (text: string) => string>): Snapshot {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-trace-'));
  dirs.push(dir);
  cpSync(fixture('lab-healthy'), dir, { recursive: true });
  for (const [rel, edit] of Object.entries(edits)) {
    const p = join(dir, rel);
    const before = readFileSync(p, 'utf8');
    const after = edit(before);
    expect(after).not.toBe(before); // the edit must change something, or the test proves nothing
    writeFileSync(p, after);
  }
  return buildSnapshot(readCapture(dir));
}

const HOST2 = 'nodes/node2/host/iptables.txt';
/** Rules placed at the top of node2's DOCKER-USER (and chains declared), in iptables-save form. */
const dockerUser = (rules: string[], chains: string[] = []) => ({
  [HOST2]: (t: string) =>
    t.replace(':DOCKER-USER - [0:0]', [':DOCKER-USER - [0:0]', ...chains.map((c) => `:${c} - [0:0]`)].join('\n')).replace('-A DOCKER-USER -j RETURN', [...rules, '-A DOCKER-USER -j RETURN'].join('\n')),
});
const node = (snap: Snapshot, name: string) => snap.nodes.find((n) => n.name === name)!;
const trace = (snap: Snapshot, name: string, src?: string): NodeTrace => traceNode(node(snap, name), 'tcp', 8080, src, snap);
const effects = (t: NodeTrace) => [...t.hops, ...(t.backends[0]?.hops ?? [])].map((h) => `${h.where}: ${h.effect}`);

describe('the walk on the healthy lab', () => {
  const snap = snapshotOf('lab-healthy');

  it('delivers tcp/8080 from every node to web.1 on node3, hop by hop in kernel order', () => {
    const ts = traceNodes(snap, 'tcp', 8080);
    expect(ts.map((t) => [t.node, t.verdict, t.backends.map((b) => `${b.task} on ${b.taskNode}`)])).toEqual([
      ['node1', 'delivered', ['task web.1 on node3']],
      ['node2', 'delivered', ['task web.1 on node3']],
      ['node3', 'delivered', ['task web.1 on node3']],
    ]);
    const t = ts[1];
    expect(effects(t)).toEqual([
      'swarm: node ready',
      // The count is whatever the capture holds (it moves with each capture of the lab).
      `host conntrack: ${/nf_conntrack_count = (\d+)/.exec(readFileSync(fixture('lab-healthy/nodes/node2/host/sysctl.txt'), 'utf8'))![1]} of 8192`,
      'host mangle PREROUTING: policy ACCEPT',
      'host nat PREROUTING: jump DOCKER-INGRESS',
      'host nat DOCKER-INGRESS: DNAT to 172.18.0.2:8080',
      'routing: forward via docker_gwbridge',
      'host mangle FORWARD: policy ACCEPT',
      'host filter FORWARD: jump DOCKER-USER',
      'host filter DOCKER-USER: RETURN',
      'host filter FORWARD: jump DOCKER-INGRESS',
      'host filter DOCKER-INGRESS: ACCEPT',
      'host mangle POSTROUTING: policy ACCEPT',
      'host nat POSTROUTING: policy ACCEPT',
      'sbox mangle PREROUTING: MARK 0x100',
      'sbox mangle PREROUTING: policy ACCEPT',
      'sbox nat PREROUTING: policy ACCEPT',
      'sbox mangle INPUT: policy ACCEPT',
      'sbox filter INPUT: policy ACCEPT',
      'IPVS: FWM 256 rr',
      'IPVS backend: Masq 10.0.0.6:0 weight 1',
      'sbox mangle OUTPUT: policy ACCEPT',
      'sbox filter OUTPUT: policy ACCEPT',
      'sbox mangle POSTROUTING: policy ACCEPT',
      'sbox nat POSTROUTING: SNAT to 10.0.0.3',
      'sbox neighbour: STALE 02:42:0a:00:00:06',
      'overlay FDB: 02:42:0a:00:00:06 via 10.78.0.13',
      'vxlan to node3: udp/4789 accepted',
      'vxlan from node3: udp/4789 accepted',
      'task: task web.1 on node3',
    ]);
    // Every iptables hop names its file and line.
    for (const h of [...t.hops, ...t.backends[0].hops].filter((x) => (x.stage === 'host' || x.stage === 'sbox') && x.table !== '')) expect(h.file).toMatch(/^nodes\/node2\/(host|ingress_sbox)\/iptables\.txt$/), expect(h.line).toBeGreaterThan(0);
    expect(t.undecided).toEqual([]);
  });

  it('does not cross VXLAN to a task on the same node', () => {
    const t = trace(snap, 'node3');
    expect(effects(t).filter((e) => e.startsWith('vxlan'))).toEqual([]);
    expect(effects(t)).toContain('task: task web.1 on node3 (this node)');
  });

  it('a port no rule DNATs ends at the node itself: dropped, naming where nat PREROUTING ended', () => {
    const t = traceNode(node(snap, 'node2'), 'tcp', 9999, undefined, snap);
    expect(t.verdict).toBe('dropped');
    expect(t.decisive).toMatchObject({ where: 'routing', effect: 'no DNAT: local', file: HOST2, line: 12 }); // nat PREROUTING's policy: nothing DNATed it
  });
});

describe('firewall mistakes no rule names', () => {
  it('a DROP in a custom chain DOCKER-USER jumps to: dropped there, the jump on the way', () => {
    const snap = labWith(dockerUser(['-A DOCKER-USER -j CUSTOM', '-A CUSTOM -p tcp -m multiport --dports 80,8080 -j DROP'], ['CUSTOM']));
    const t = trace(snap, 'node2');
    expect(t.verdict).toBe('dropped');
    expect(t.decisive).toMatchObject({ where: 'host filter CUSTOM', effect: 'DROP', rule: '-A CUSTOM -p tcp -m multiport --dports 80,8080 -j DROP', file: HOST2 });
    expect(effects(t)).toContain('host filter DOCKER-USER: jump CUSTOM');
    expect(trace(snap, 'node1').verdict).toBe('delivered'); // only node2's firewall changed
  });

  it('a REJECT for a source range stops clients from it, and only them', () => {
    const snap = labWith(dockerUser(['-A DOCKER-USER -s 198.51.100.0/24 -j REJECT --reject-with icmp-port-unreachable']));
    expect(trace(snap, 'node2', '198.51.100.7')).toMatchObject({ verdict: 'dropped', decisive: { effect: 'REJECT', where: 'host filter DOCKER-USER' } });
    expect(trace(snap, 'node2').verdict).toBe('delivered');
  });

  it('both outcomes of !: a DROP for every source outside 10.0.0.0/8', () => {
    const snap = labWith(dockerUser(['-A DOCKER-USER ! -s 10.0.0.0/8 -p tcp --dport 8080 -j DROP']));
    expect(trace(snap, 'node2').verdict).toBe('dropped'); // 203.0.113.10 is outside
    expect(trace(snap, 'node2', '10.9.8.7').verdict).toBe('delivered');
  });

  it("a FORWARD policy of DROP with Docker's DOCKER-INGRESS jump gone: dropped by the policy line", () => {
    const snap = labWith({ [HOST2]: (t) => t.replace('-A FORWARD -j DOCKER-INGRESS\n', '') });
    const t = trace(snap, 'node2');
    expect(t.verdict).toBe('dropped');
    expect(t.decisive).toMatchObject({ where: 'host filter FORWARD', effect: 'policy DROP', rule: '' });
    expect(t.decisive!.line).toBeGreaterThan(0);
  });

  it('goto: a chain entered by -g that returns goes back past DOCKER-USER to FORWARD', () => {
    const snap = labWith(dockerUser(['-A DOCKER-USER -g CUSTOM', '-A CUSTOM -p udp -j DROP', '-A CUSTOM -j RETURN'], ['CUSTOM']));
    const t = trace(snap, 'node2');
    expect(t.verdict).toBe('delivered');
    expect(effects(t)).toEqual(expect.arrayContaining(['host filter DOCKER-USER: goto CUSTOM', 'host filter CUSTOM: RETURN', 'host filter FORWARD: jump DOCKER-INGRESS']));
    expect(effects(t)).not.toContain('host filter DOCKER-USER: RETURN'); // the rest of DOCKER-USER is skipped
  });

  it('LOG does not end the walk; a MARK set in mangle is seen by -m mark in filter', () => {
    const snap = labWith({
      [HOST2]: (t) =>
        t.replace(/(\*mangle\n(?::[^\n]*\n)*)/, '$1-A PREROUTING -p tcp --dport 8080 -j MARK --set-xmark 0x7/0xffffffff\n').replace(
          '-A DOCKER-USER -j RETURN',
          '-A DOCKER-USER -j LOG --log-prefix "fw "\n-A DOCKER-USER -m mark --mark 0x7 -m comment --comment "blocked" -j DROP\n-A DOCKER-USER -j RETURN',
        ),
    });
    const t = trace(snap, 'node2');
    expect(effects(t)).toEqual(expect.arrayContaining(['host mangle PREROUTING: MARK 0x7', 'host filter DOCKER-USER: LOG']));
    expect(t).toMatchObject({ verdict: 'dropped', decisive: { rule: '-A DOCKER-USER -m mark --mark 0x7 -m comment --comment "blocked" -j DROP' } });
  });
});

describe('walks remembered for every port', () => {
  it("a DNAT for any port names each trace's own port, though the walk of nat PREROUTING is remembered and shared", () => {
    // No --dport: nat PREROUTING ends alike for every port, so its walk is remembered (from its second
    // walk) and its hops shared by the traces of later ports. Each must still say where its port goes.
    const snap = labWith({ [HOST2]: (t) => t.replace('-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:8080', '-A DOCKER-INGRESS -p tcp -j DNAT --to-destination 172.18.0.2') });
    const n2 = node(snap, 'node2');
    const dnat = (t: NodeTrace) => t.hops.find((h) => h.effect.startsWith('DNAT'))?.effect;
    const ts = [8080, 9090, 7070, 6060].map((port) => traceNode(n2, 'tcp', port, undefined, snap));
    expect(ts.map(dnat)).toEqual(['DNAT to 172.18.0.2:8080', 'DNAT to 172.18.0.2:9090', 'DNAT to 172.18.0.2:7070', 'DNAT to 172.18.0.2:6060']);
    expect(ts[0].verdict).toBe('delivered');
  });

  it("a backend's walk through the sbox's OUTPUT is remembered across ports, and each carries its own port's mark on to the SNAT", () => {
    // Two more ports, 9090 and 7070, marked 0x101 and 0x102 and balanced by their FWM services to the
    // same task; the sbox SNATs only what carries mark 0x100 or 0x101. The sbox's OUTPUT has no rule,
    // so its walk is remembered and given back to each backend with that backend's own mark: 7070,
    // walked after 9090, must not reach the SNAT with 9090's mark.
    const SBOX2 = 'nodes/node2/ingress_sbox/iptables.txt';
    const ports = [[9090, '0x101', '00000101'], [7070, '0x102', '00000102']] as const;
    const snap = labWith({
      [HOST2]: (t) =>
        t
          .replace('-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:8080', (x) => [x, ...ports.map(([p]) => `-A DOCKER-INGRESS -p tcp -m tcp --dport ${p} -j DNAT --to-destination 172.18.0.2:${p}`)].join('\n'))
          .replace('-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j ACCEPT', (x) => [x, ...ports.map(([p]) => `-A DOCKER-INGRESS -p tcp -m tcp --dport ${p} -j ACCEPT`)].join('\n')),
      [SBOX2]: (t) =>
        t
          .replace('-A PREROUTING -p tcp -m tcp --dport 8080 -j MARK --set-xmark 0x100/0xffffffff', (x) => [x, ...ports.map(([p, m]) => `-A PREROUTING -p tcp -m tcp --dport ${p} -j MARK --set-xmark ${m}/0xffffffff`)].join('\n'))
          .replace('-A POSTROUTING -d 10.0.0.0/24 -m ipvs --ipvs -j SNAT --to-source 10.0.0.3', ['0x100', '0x101'].map((m) => `-A POSTROUTING -d 10.0.0.0/24 -m mark --mark ${m} -m ipvs --ipvs -j SNAT --to-source 10.0.0.3`).join('\n')),
      'nodes/node2/ingress_sbox/ipvs.txt': (t) => [t.trimEnd(), ...ports.map(([, , fwm]) => `FWM  ${fwm} rr \n  -> 0A000006:0000      Masq    1      0          0         `)].join('\n') + '\n',
    });
    const n2 = node(snap, 'node2');
    const verdicts = [8080, 9090, 7070, 8080, 7070].map((port) => {
      const t = traceNode(n2, 'tcp', port, undefined, snap);
      return t.verdict === 'delivered' ? `${port} delivered` : `${port} ${t.verdict}: ${t.decisive?.effect}`;
    });
    expect(verdicts).toEqual(['8080 delivered', '9090 delivered', '7070 dropped: no SNAT', '8080 delivered', '7070 dropped: no SNAT']);
  });
});

describe('VXLAN hops remembered per pair of nodes', () => {
  it("gives the tasks of one node, each with its own MAC, that node pair's hops, made once", () => {
    // A generated swarm whose nodes carry traffic: every task has a MAC of its own in the sboxes'
    // neighbour tables. The INPUT hops for VXLAN depend on the two nodes only; remembered per MAC as
    // well, a 50-node capture kept 100,000 copies of them.
    const dir = mkdtempSync(join(tmpdir(), 'mesh-trace-gen-'));
    dirs.push(dir);
    execFileSync(process.execPath, [join(ROOT, 'scripts/gen-capture.js'), dir, '3', '4', '24', '--busy', '100'], { stdio: 'ignore' });
    const snap = buildSnapshot(readCapture(dir));
    const from = snap.nodes[0];
    const vx = (t: NodeTrace) => t.backends.filter((b) => b.taskNode !== from.hostname).map((b) => ({ node: b.taskNode, mac: (from.neighbourByIp as Map<string, { lladdr: string }>).get(b.address)?.lladdr, hop: b.hops.find((h) => h.where.startsWith('vxlan to')) }));
    const all = [30000, 30001, 30002, 30003].flatMap((port) => vx(traceNode(from, 'tcp', port, undefined, snap)));
    const byNode = new Map<string, typeof all>();
    for (const x of all) byNode.set(x.node, [...(byNode.get(x.node) ?? []), x]);
    expect(byNode.size).toBe(2);
    for (const [taskNode, list] of byNode) {
      expect(new Set(list.map((x) => x.mac)).size).toBeGreaterThan(1);
      expect(list.every((x) => x.hop?.effect === 'udp/4789 accepted')).toBe(true);
      // One hop object for the pair, whatever the task and its MAC.
      expect([taskNode, new Set(list.map((x) => x.hop)).size]).toEqual([taskNode, 1]);
    }
  });
});

describe('the check rule published-port-reaches-task', () => {
  const rule = loadRules().filter((r) => r.spec.id === 'published-port-reaches-task');
  const on = (snap: Snapshot, name: string) => evaluate(rule, snap).filter((r) => r.node === name);

  it('fails on a firewall mistake no other rule names: a DROP in a custom chain DOCKER-USER jumps to, with its file:line', () => {
    const snap = labWith(dockerUser(['-A DOCKER-USER -j CUSTOM', '-A CUSTOM -s 203.0.113.0/24 -j DROP'], ['CUSTOM']));
    const [r] = on(snap, 'node2');
    expect(r).toMatchObject({ status: 'fail', subject: 'tcp/8080' });
    expect(r.message).toMatch(/dropped at host filter CUSTOM \(nodes\/node2\/host\/iptables.txt:\d+\)/);
    expect(r.where).toEqual([expect.stringMatching(/^nodes\/node2\/host\/iptables.txt:\d+$/)]);
    expect(on(snap, 'node1').map((x) => x.status)).toEqual(['pass']);
  });

  it('passes, naming the rule that reports it, where the hop that stops the port is another rule\'s', () => {
    const [r] = on(snapshotOf('broken-dnat-target'), '253');
    expect(r.status).toBe('pass');
    expect(r.message).toMatch(/dropped at docker_gwbridge .* \(reported by dnat-target-is-sbox\)/);
  });
});

describe('a match the walk cannot decide', () => {
  const snap = labWith(dockerUser(['-A DOCKER-USER -m set --match-set blocklist src -j DROP']));
  const t = trace(snap, 'node2');

  it('is never guessed: the hop says "cannot decide: line N uses -m set", the verdict is uncertain', () => {
    expect(t.verdict).toBe('uncertain');
    expect(t.decisive).toMatchObject({ status: 'uncertain', effect: 'cannot decide', file: HOST2 });
    expect(t.decisive!.detail).toMatch(new RegExp(`^cannot decide: ${HOST2}:${t.decisive!.line} uses -m set; one way it is dropped at ${HOST2}:${t.decisive!.line}`));
    expect(t.undecided).toEqual([`${HOST2}:${t.decisive!.line} uses -m set`]);
  });

  it('follows both outcomes: the other way is walked on to the task', () => {
    expect(t.backends.map((b) => b.verdict)).toEqual(['delivered']);
    expect(effects(t)).toContain('task: task web.1 on node3');
  });

  it('is a warning of the check rule, naming the line', () => {
    const rule = loadRules().filter((r) => r.spec.id === 'published-port-reaches-task');
    const rs = evaluate(rule, snap).filter((r) => r.node === 'node2');
    expect(rs.map((r) => r.status)).toEqual(['warn']);
    expect(rs[0].message).toContain(`uses -m set`);
  });
});

describe('hops that are not iptables, from the captured state', () => {
  it('a /32 route that sends the sbox address out of eth0 (gwbridge-route-hijacked)', () => {
    const snap = labWith({ 'nodes/node2/host/routes.json': (t) => t.replace(/^\[/, '[{"dst":"172.18.0.2","dev":"eth0","protocol":"static","scope":"link","flags":[]},') });
    expect(trace(snap, 'node2')).toMatchObject({ verdict: 'dropped', decisive: { where: 'routing', effect: 'via eth0', file: 'nodes/node2/host/routes.json' } });
  });

  it('a backend no task holds next to a good one: partial, each backend its own verdict', () => {
    const snap = labWith({ 'nodes/node1/ingress_sbox/ipvs.txt': (t) => t.replace(/( {2}-> 0A000006:0000 [^\n]*\n)/, '$1  -> 0A000063:0000      Masq    1      0          0\n') });
    const t = trace(snap, 'node1');
    expect(t.verdict).toBe('partial');
    expect(t.backends.map((b) => [b.address, b.verdict])).toEqual([['10.0.0.6', 'delivered'], ['10.0.0.99', 'dropped']]);
    expect(t.decisive).toMatchObject({ where: 'task', effect: 'no task', file: 'cluster/tasks.json' });
  });

  it("VXLAN: the task node's INPUT dropping the data port from this node stops it there, not on the task's own node", () => {
    const s2 = labWith({ 'nodes/node3/host/iptables.txt': (t) => t.replace('-A FORWARD -j DOCKER-USER', '-A INPUT -s 10.78.0.11/32 -p udp -m udp --dport 4789 -j DROP\n-A FORWARD -j DOCKER-USER') });
    expect(trace(s2, 'node1')).toMatchObject({ verdict: 'dropped', decisive: { where: 'vxlan to node3', file: 'nodes/node3/host/iptables.txt' } });
    expect(trace(s2, 'node2').verdict).toBe('delivered');
    expect(trace(s2, 'node3').verdict).toBe('delivered');
  });

  it("VXLAN there: the walk ends at the task node's INPUT (nothing after it), a firewall rule no other rule of check names", () => {
    const s2 = labWith({ 'nodes/node3/host/iptables.txt': (t) => t.replace('-A FORWARD -j DOCKER-USER', '-A INPUT -s 10.78.0.11/32 -p udp -m udp --dport 4789 -j DROP\n-A FORWARD -j DOCKER-USER') });
    const t = trace(s2, 'node1');
    const b = t.backends.find((x) => x.taskNode === 'node3')!;
    expect(b.hops[b.hops.length - 1]).toBe(b.decisive);
    expect(b.hops.some((h) => h.where === 'vxlan from node3')).toBe(false);
    expect(b.decisive).toMatchObject({ status: 'stop', namedBy: '', effect: 'udp/4789 DROP' });
    expect(b.decisive!.detail).toBe("node3's host filter INPUT stops VXLAN (udp/4789) from 10.78.0.11: the packet never reaches the task");
  });

  it("VXLAN back: this node's own INPUT dropping the data port from the task's node stops the replies, which swarm-ports-open names", () => {
    const s2 = labWith({ 'nodes/node1/host/iptables.txt': (t) => t.replace('-A FORWARD -j DOCKER-USER', '-A INPUT -s 10.78.0.13/32 -p udp -m udp --dport 4789 -j DROP\n-A FORWARD -j DOCKER-USER') });
    const t = trace(s2, 'node1');
    expect(t.verdict).toBe('dropped');
    expect(t.decisive).toMatchObject({ where: 'vxlan from node3', status: 'stop', namedBy: 'swarm-ports-open', file: 'nodes/node1/host/iptables.txt' });
    expect(t.decisive!.detail).toBe("this node's host filter INPUT stops VXLAN (udp/4789) from node3 (10.78.0.13): the task's replies never arrive");
  });

  it('VXLAN that a rule may stop (a match the walk cannot decide): uncertain, saying why, named by no other rule', () => {
    const s2 = labWith({ 'nodes/node1/host/iptables.txt': (t) => t.replace('-A FORWARD -j DOCKER-USER', '-A INPUT -p udp -m udp --dport 4789 -m set --match-set peers src -j DROP\n-A FORWARD -j DOCKER-USER') });
    const t = trace(s2, 'node1');
    expect(t.verdict).toBe('uncertain');
    expect(t.decisive).toMatchObject({ where: 'vxlan from node3', status: 'uncertain', namedBy: '' });
    expect(t.decisive!.detail).toMatch(/^this node's host filter INPUT may stop VXLAN \(udp\/4789\) from node3 \(10\.78\.0\.13\): the task's replies never arrive \(.*uses -m set.*\)$/);
  });

  it("a task's node the swarm lists as down", () => {
    const snap = labWith({ 'cluster/nodes.json': (t) => t.replace(/("Hostname":\s*"node3"[\s\S]*?"State":\s*)"ready"/, '$1"down"') });
    expect(trace(snap, 'node1')).toMatchObject({ verdict: 'dropped', decisive: { where: 'task', effect: 'node3 down' } });
  });

  it('an IPVS service whose backends are gone, a MARK deleted', () => {
    expect(trace(snapshotOf('lab-fault-06-ipvs-backend-deleted'), 'node2').decisive).toMatchObject({ where: 'IPVS', effect: 'FWM 256 rr' });
    expect(trace(snapshotOf('lab-fault-04-sbox-mark-deleted'), 'node2').decisive).toMatchObject({ where: 'sbox mangle PREROUTING', effect: 'no MARK' });
  });
});

describe('a drop on nodes of the same rules, whose verdict-only walks they share', () => {
  const edits: [string, (t: string) => string][] = [
    ['no DNAT', (t) => t.replace(/^-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j DNAT .*\n/m, '')],
    ['a DNAT to another address', (t) => t.replace('--to-destination 172.18.0.2:8080', '--to-destination 172.18.0.9:8080')],
  ];
  it.each(edits)("%s: what the check reads names each node's own file and line, as its full trace does", (_, edit) => {
    const snap = labWith({ 'nodes/node1/host/iptables.txt': edit, 'nodes/node2/host/iptables.txt': edit, 'nodes/node3/host/iptables.txt': edit });
    for (const n of ['node1', 'node2', 'node3']) {
      const view = traceForCheck(node(snap, n), 'tcp', 8080);
      expect(view).toMatchObject({ verdict: 'dropped', file: `nodes/${n}/host/iptables.txt` });
      expect(view.line).toBeGreaterThan(0);
      expect({ ...view }).toEqual(traceView(traceNode(node(snap, n), 'tcp', 8080, undefined, snap)));
    }
  });

  it('walks the way there in full only when a rule reads it', () => {
    const snap = labWith({ 'nodes/node2/ingress_sbox/neigh.json': (t) => t.replace('"state":["STALE"]', '"state":["FAILED"]') });
    const view = traceForCheck(node(snap, 'node2'), 'tcp', 8080);
    expect(view).toMatchObject({ verdict: 'dropped', namedBy: 'backend-in-arp' });
    const fields = traceFields(view);
    expect(typeof fields.hops).toBe('function');
    expect((fields.hops as () => string[])()).toEqual(traceView(traceNode(node(snap, 'node2'), 'tcp', 8080, undefined, snap)).hops);
    expect(view.hops.length).toBeGreaterThan(3);
  });

  it('is walked in full at once when a rule on the way could not be decided (the full walk says which)', () => {
    const snap = labWith({
      'nodes/node2/ingress_sbox/neigh.json': (t) => t.replace('"state":["STALE"]', '"state":["FAILED"]'),
      'nodes/node2/ingress_sbox/iptables.txt': (t) => t.replace(/^(\*filter\n(?::.*\n)*)/m, '$1-A OUTPUT -m set --match-set peers dst -j DROP\n'),
    });
    const view = traceForCheck(node(snap, 'node2'), 'tcp', 8080);
    expect(view.verdict).toBe('dropped');
    expect(view.undecided).toEqual([expect.stringMatching(/^nodes\/node2\/ingress_sbox\/iptables.txt:\d+ uses -m set$/)]);
    expect({ ...view }).toEqual(traceView(traceNode(node(snap, 'node2'), 'tcp', 8080, undefined, snap)));
  });
});

describe('what the rules read (Node.meshTrace)', () => {
  it('the view names the deciding hop, its file:line and the path to it', () => {
    const snap = snapshotOf('lab-fault-09-docker-user-drop');
    const v = traceView(trace(snap, 'node2'));
    expect(v).toMatchObject({ verdict: 'dropped', where: 'host filter DOCKER-USER', effect: 'DROP', at: 'nodes/node2/host/iptables.txt:61', rule: '-A DOCKER-USER -p tcp -m tcp --dport 8080 -j DROP', tasks: [] });
    expect(v.hops[v.hops.length - 1]).toBe('host filter DOCKER-USER: DROP (nodes/node2/host/iptables.txt:61)');
    expect(traceView(trace(snap, 'node1'))).toMatchObject({ verdict: 'delivered', tasks: ['web.1 on node3'] });
  });

  // The check walks for the verdict first and again in full only when not delivered: what the rule
  // reads must be exactly what the full walk shows, on every capture of the repo, every node, every port.
  const captures = readdirSync(FIXTURES).filter((f) => existsSync(join(FIXTURES, f, 'capture.json')));
  it.each(captures)('the check reads of %s what a full trace shows, for every node and port', (name) => {
    const snap = snapshotOf(name);
    const ports = (snap.cluster.ingressPorts as { protocol: string; port: bigint }[]).map((p) => [p.protocol, Number(p.port)] as const);
    const seen = new Set<string>();
    for (const n of snap.nodes) {
      for (const [protocol, port] of ports) {
        const full = traceView(traceNode(n, protocol, port, undefined, snap));
        seen.add(full.verdict);
        const subject = `${n.name} ${protocol}/${port}`; // named in a failure's diff
        expect({ subject, ...traceForCheck(n, protocol, port) }).toEqual({ subject, ...full });
      }
    }
    if (name === 'lab-fault-09-docker-user-drop') expect([...seen].sort()).toEqual(['delivered', 'dropped']);
  });

  it('walks each node and port once, however often a rule asks', () => {
    const snap = snapshotOf('lab-healthy');
    expect(traceNode(node(snap, 'node1'), 'tcp', 8080)).toBe(traceNode(node(snap, 'node1'), 'tcp', 8080));
  });
});
