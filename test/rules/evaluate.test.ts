import { loadRules } from '../../src/rules/loader.js';
import { evaluate, exitCode, summarize } from '../../src/rules/evaluate.js';
import type { Result } from '../../src/rules/types.js';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../../src/capture/read.js';
import { buildSnapshot } from '../../src/model/build.js';
import { fixture, snapshotOf } from '../helpers/fixtures.js';
import { itemsRule, testRules } from '../helpers/rules.js';

const { load: rule } = testRules('evaluator');

const seed = snapshotOf('seed-cluster');
const only = (rs: Result[], node = '253') => rs.filter((r) => r.node === node);

describe('evaluation', () => {
  it('computes each `let` once per item, in order, and subject, checks and pass read them', () => {
    const r = rule('per-item-let', `forEach: node.marks
let:
  - name: port
    expression: item.protocol + "/" + string(item.port)
  - name: label
    expression: item.chain + " " + port
subject: label
checks:
  - assert: item.chain == "PREROUTING"
    message: '"not PREROUTING: " + label'
pass: '"marks " + port'
`);
    const rs = only(evaluate([r], seed));
    expect(rs.map((x) => [x.subject, x.status, x.message])).toEqual([
      ['PREROUTING tcp/8080', 'pass', 'marks tcp/8080'],
      ['INPUT all/0', 'fail', 'not PREROUTING: INPUT all/0'],
    ]);
  });

  it('refuses a `let` without forEach, and a name defined twice, naming the file and line', () => {
    expect(() => rule('let-no-foreach', `let:
  - name: x
    expression: '"a"'
checks:
  - assert: x == "a"
    message: '"x"'
pass: '"ok"'
`)).toThrow(/^rules\/let-no-foreach.yaml:\d+: let: needs forEach$/);
    expect(() => rule('let-twice', `variables:
  - name: x
    expression: '"a"'
forEach: node.marks
let:
  - name: x
    expression: '"b"'
checks:
  - assert: x == "a"
    message: '"x"'
pass: '"ok"'
`)).toThrow(/let-twice.yaml:\d+: name: 'x' is defined twice/);
  });

  it('turns a run-time CEL failure into an error result naming the field, and goes on', () => {
    const r = rule('runtime-error', `forEach: node.marks
checks:
  - assert: node.ipvsByMark[item.mark + 1].backends.size() > 0
    message: '"x"'
pass: '"ok"'
`);
    const [res] = only(evaluate([r], seed));
    expect(res.status).toBe('error');
    expect(res.message).toMatch(/^rule evaluation failed at checks\[0\]\.assert: /);
    expect(evaluate([r], seed).filter((x) => x.status === 'error')).toHaveLength(6); // two marks on each of three nodes
  });

  it('gives the first failing check: its severity and message; else the pass message', () => {
    const r = rule('ordered-checks', `severity: fail
forEach: node.marks
subject: item.chain
checks:
  - assert: item.chain != "INPUT"
    severity: warn
    message: '"input mark " + hex(item.mark)'
  - assert: item.port != 8080
    message: '"port 8080"'
pass: '"fine"'
`.replace('severity: fail\n', ''));
    const rs = only(evaluate([r], seed));
    expect(rs.map((x) => [x.subject, x.status, x.message])).toEqual([
      ['PREROUTING', 'fail', 'port 8080'],
      ['INPUT', 'warn', 'input mark 0x205a'],
    ]);
  });

  it('reports an empty forEach as pass (or skip) with its message: never silence', () => {
    const pass = rule('empty-pass', `forEach: node.marks.filter(m, m.chain == "NONE")
checks: [{assert: 'true', message: '"x"'}]
pass: '"x"'
empty: '"nothing marked"'
`);
    const skip = rule('empty-skip', `forEach: node.marks.filter(m, m.chain == "NONE")
emptyStatus: skip
checks: [{assert: 'true', message: '"x"'}]
pass: '"x"'
`);
    expect(only(evaluate([pass], seed)).map((x) => [x.status, x.message])).toEqual([['pass', 'nothing marked']]);
    expect(only(evaluate([skip], seed)).map((x) => [x.status, x.message])).toEqual([['skip', 'nothing to check here']]);
  });

  it('skips with its skipMessage when `when` is false', () => {
    const r = rule('when-false', `variables:
  - name: n
    expression: node.name
when: n == "228"
skipMessage: '"only 228, not " + n'
checks: [{assert: 'true', message: '"x"'}]
pass: '"on 228"'
`);
    expect(evaluate([r], seed).map((x) => [x.node, x.status, x.message])).toEqual([
      ['228', 'pass', 'on 228'],
      ['234', 'skip', 'only 228, not 234'],
      ['253', 'skip', 'only 228, not 253'],
    ]);
  });

  it('gates on required inputs: missing is a skip naming the file, optional ones do not gate', () => {
    const r = rule('needs-legacy', `requires: [host.iptables-legacy]
checks: [{assert: 'true', message: '"x"'}]
pass: '"x"'
`);
    expect(only(evaluate([r], seed))[0]).toMatchObject({ status: 'skip', message: 'needs nodes/253/host/iptables-legacy.txt, which is not in the capture' });
    const opt = rule('optional-legacy', `requires: ['host.iptables-legacy?']
checks: [{assert: 'true', message: '"x"'}]
pass: '"ran"'
`);
    expect(only(evaluate([opt], seed))[0]).toMatchObject({ status: 'pass', message: 'ran' });
  });

  it('fills evidence and remediation for warn and fail only', () => {
    const rs = evaluate(loadRules(), snapshotOf('broken-dnat-target'));
    for (const r of rs) {
      if (r.status === 'fail' || r.status === 'warn') {
        expect(Object.keys(r.evidence).length).toBeGreaterThan(0);
        expect(r.remediation).not.toBe('');
      } else {
        expect(r.evidence).toEqual({});
        expect(r.remediation).toBe('');
      }
    }
  });
});

describe('remediation and where: what to do, about this result, and where it was read', () => {
  it('fills ${{ }} holes from the result (item, let values, node) and keeps {{ }} as text', () => {
    const r = rule('filled', `forEach: node.marks
let:
  - name: port
    expression: item.protocol + "/" + string(item.port)
checks:
  - assert: item.chain == "PREROUTING"
    message: '"not PREROUTING"'
pass: '"ok"'
remediation: >-
  On node \${{ node.name }}, look at \${{ port }} (mark \${{ item.mark }},
  \${{ [item.chain, "x"] }}) with \`docker inspect -f '{{.Id}}'\`.
`);
    const [bad] = only(evaluate([r], seed)).filter((x) => x.status === 'fail');
    expect(bad.remediation).toBe("On node 253, look at all/0 (mark 8282, INPUT, x) with `docker inspect -f '{{.Id}}'`.");
    // By default, where is the item's own file and line: the INPUT mark's.
    const input = (seed.nodes.find((n) => n.name === '253')!.marks as { chain: string; file: string; line: bigint }[]).find((m) => m.chain === 'INPUT')!;
    expect(bad.where).toEqual([`${input.file}:${input.line}`]);
    expect(bad.where[0]).toMatch(/^nodes\/253\/ingress_sbox\/\S+:\d+$/);
    const good = only(evaluate([r], seed)).find((x) => x.status === 'pass')!;
    expect([good.remediation, good.where]).toEqual(['', []]);
  });

  it('folds every run of whitespace to one space and trims the ends, across the text and what the holes give', () => {
    // Holes at both ends, side by side, giving nothing, only whitespace, runs of it, other spaces (NBSP, LS).
    const values = ['a', ' b ', '\t\n', '', '  c  d  ', '\u00a0e\u2028', ' '];
    const r = rule('folded', `forEach: '["a", " b ", "\\t\\n", "", "  c  d  ", "\\u00a0e\\u2028", " "]'
checks:
  - assert: 'false'
    message: '"x"'
pass: '"ok"'
remediation: "\${{ item }}  \\t\${{ item }}\${{ item }}  mid\\n\\n\${{ item }} \${{ \\"\\" }} end \${{ item }}\\t \${{ item }}"
`);
    const got = only(evaluate([r], seed)).map((x) => x.remediation);
    const whole = (v: string) => `${v}  \t${v}${v}  mid\n\n${v}  end ${v}\t ${v}`.replace(/\s+/g, ' ').trim();
    expect(got).toEqual(values.map(whole));
    expect(got).toContain('a aa mid a end a a');
    expect(got).toContain('mid end');
  });

  it('takes where from the rule when it has one, as a string or a list', () => {
    const r = rule('where-list', `checks:
  - assert: 'false'
    message: '"no"'
pass: '"yes"'
where: '[node.inputs["host.sysctl"].file, "x:1"]'
`);
    expect(only(evaluate([r], seed))[0].where).toEqual(['nodes/253/host/sysctl.txt', 'x:1']);
  });

  it('refuses an unclosed ${{ naming the file and line', () => {
    expect(() => rule('unclosed', `checks:
  - assert: 'true'
    message: '"no"'
pass: '"yes"'
remediation: 'run \${{ node.name for ever'
`)).toThrow(/unclosed\.yaml:\d+: remediation: '\$\{\{' without '\}\}'/);
    expect(() => rule('badhole', `checks:
  - assert: 'true'
    message: '"no"'
pass: '"yes"'
remediation: 'run \${{ node.nosuch }} now'
`)).toThrow(/badhole\.yaml:\d+: remediation: CEL: No such key: nosuch/);
  });

  it('leaves no placeholder in the bundled rules: every failing fixture result names its real subject and where it was read', () => {
    const bundled = loadRules();
    const broken = ['broken-dnat-target', 'broken-dnat-duplicate', 'broken-fwmark-no-backend', 'broken-backend-arp', 'broken-engine-major', 'broken-stale-backend', 'broken-missing-dnat', 'broken-missing-mark', 'broken-peers-incomplete', 'broken-ingress-recreated', 'broken-ip-forward-off', 'broken-gwbridge-masquerade', 'broken-node-down', 'lab-fault-09-docker-user-drop', 'lab-fault-12-vxlan-port-dropped', 'lab-fault-14-conntrack-full'];
    const rulesSeen = new Set<string>();
    for (const f of broken) {
      for (const res of evaluate(bundled, snapshotOf(f)).filter((x) => x.status === 'fail' || x.status === 'warn')) {
        rulesSeen.add(res.rule);
        expect([f, res.rule, res.remediation]).not.toEqual([f, res.rule, expect.stringMatching(/\b(SERVICE|ADDRESS|NODE|PEER|TARGET|CHAIN)\b|\$\{\{/)]);
        expect([f, res.rule, res.where.length]).not.toEqual([f, res.rule, 0]);
        if (res.node) expect(res.remediation).toContain(res.node);
      }
    }
    expect(rulesSeen.size).toBeGreaterThanOrEqual(12);
  });
});

describe('cluster rules that compare nodes', () => {
  const bundled = loadRules();
  const byId = (id: string) => bundled.find((r) => r.spec.id === id)!;

  /** The seed capture with one node's file replaced by text that cannot be parsed. */
  function seedWithBroken(file: string): Result[] {
    const dir = mkdtempSync(join(tmpdir(), 'md-eval-'));
    try {
      cpSync(fixture('seed-cluster'), dir, { recursive: true });
      writeFileSync(join(dir, 'nodes/228', file), '{"truncated": ');
      return evaluate([byId('peer-engine-versions'), byId('ingress-network-consistent')], buildSnapshot(readCapture(dir)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('pass on the seed, which every node could be read from', () => {
    expect(evaluate([byId('peer-engine-versions'), byId('ingress-network-consistent')], seed).map((r) => r.status)).toEqual(['pass', 'pass']);
  });

  it('give an error naming the file when one node\'s info.json cannot be read, not a comparison without it', () => {
    const [versions] = seedWithBroken('info.json');
    expect(versions.status).toBe('error');
    expect(versions.message).toMatch(/^cannot check: nodes\/228\/info\.json/);
  });

  it('give an error naming the file when one node\'s ingress network cannot be read', () => {
    const [, ingress] = seedWithBroken('networks/ingress.json');
    expect(ingress.status).toBe('error');
    expect(ingress.message).toMatch(/^cannot check: nodes\/228\/networks\/ingress\.json/);
  });
});

describe('a service none of whose tasks runs', () => {
  it('fails ipvs-backends-match-tasks naming the stale backends (was "No such key" error)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-eval-'));
    try {
      cpSync(fixture('seed-cluster'), dir, { recursive: true });
      const tasksFile = join(dir, 'cluster/tasks.json');
      const tasks = JSON.parse(readFileSync(tasksFile, 'utf8')) as { DesiredState: string; Status: { State: string } }[];
      for (const t of tasks) {
        t.DesiredState = 'shutdown';
        t.Status.State = 'shutdown';
      }
      writeFileSync(tasksFile, JSON.stringify(tasks));
      const rule = loadRules().find((r) => r.spec.id === 'ipvs-backends-match-tasks')!;
      const rs = evaluate([rule], buildSnapshot(readCapture(dir)));
      expect(rs.map((r) => r.status)).toEqual(['fail', 'fail', 'fail']);
      expect(rs[0].message).toMatch(/^IPVS FWM \d+ \(tcp\/8080\) has stale backends [\d.]+: no running task of service \S+ has them$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('exit code and summary', () => {
  const mk = (status: Result['status']): Result => ({ rule: 'r', status, severity: 'fail', node: null, subject: '', message: 'm', evidence: {}, remediation: '', where: [], docs: '' });

  it('follows --fail-on: fail (default), warn, none; error counts as fail', () => {
    expect(exitCode([mk('pass'), mk('warn'), mk('skip')], 'fail')).toBe(0);
    expect(exitCode([mk('pass'), mk('fail')], 'fail')).toBe(1);
    expect(exitCode([mk('error')], 'fail')).toBe(1);
    expect(exitCode([mk('warn')], 'warn')).toBe(1);
    expect(exitCode([mk('skip'), mk('pass')], 'warn')).toBe(0);
    expect(exitCode([mk('fail'), mk('error')], 'none')).toBe(0);
  });

  it('counts every status', () => {
    expect(summarize([mk('pass'), mk('pass'), mk('warn'), mk('error')])).toEqual({ pass: 2, warn: 1, fail: 0, skip: 0, error: 1 });
  });
});

describe('passes counted rather than kept (EvaluateOptions.passCounts)', () => {
  const statusOf = (rs: Result[]) => rs.map((r) => `${r.rule} ${r.node} ${r.subject} ${r.status}: ${r.message}`);

  it('returns every other result as it is, and counts the passes per node and rule', () => {
    for (const name of ['seed-cluster', 'broken-backend-arp', 'lab-fault-09-docker-user-drop']) {
      const snap = snapshotOf(name);
      const rules = loadRules();
      const kept = evaluate(rules, snap);
      const passCounts = new Map<string, Map<string, number>>();
      const counted = evaluate(rules, snap, { passCounts });
      expect(statusOf(counted)).toEqual(statusOf(kept.filter((r) => r.status !== 'pass')));
      const want = new Map<string, Map<string, number>>();
      for (const r of kept.filter((x) => x.status === 'pass')) {
        const perRule = want.get(r.node ?? '') ?? new Map<string, number>();
        want.set(r.node ?? '', perRule.set(r.rule, (perRule.get(r.rule) ?? 0) + 1));
      }
      expect(passCounts).toEqual(want);
      expect([...passCounts.values()].flatMap((m) => [...m.values()]).reduce((a, b) => a + b, 0)).toBeGreaterThan(50);
    }
  });

  it('still makes each pass message: one that cannot be evaluated is an error, not a pass counted', () => {
    const r = rule('pass-message-fails', itemsRule('[1, 2]', 'true', 'item == 1 ? "fine" : node.networks["no-such-network"].id'));
    const passCounts = new Map<string, Map<string, number>>();
    const rs = evaluate([r], seed, { passCounts });
    expect(rs.map((x) => [x.node, x.subject, x.status])).toEqual(seed.nodes.map((n) => [n.name, '2', 'error']));
    expect([...passCounts.entries()].map(([node, m]) => [node, m.get('pass-message-fails')])).toEqual(seed.nodes.map((n) => [n.name, 1]));
  });
});

describe('node by node: every node rule on one node, then the next', () => {
  const order = (rs: Result[]) => rs.map((r) => `${r.rule} ${r.node ?? '-'} ${r.subject}`);

  it('gives results by rule, then node, as a rule-by-rule run does, and counts passes in that order', () => {
    const a = rule('order-a', itemsRule('[1, 2]', 'item == 1'));
    // A cluster rule that passes on the seed, with one result.
    const c = loadRules().find((x) => x.spec.id === 'peer-engine-versions')!;
    const b = rule('order-b', itemsRule('[3]', 'true'));
    const names = seed.nodes.map((n) => n.name);
    const rs = evaluate([a, c, b], seed);
    expect(order(rs)).toEqual([
      ...names.flatMap((n) => [`order-a ${n} 1`, `order-a ${n} 2`]),
      'peer-engine-versions - engine versions',
      ...names.map((n) => `order-b ${n} 3`),
    ]);
    const passCounts = new Map<string, Map<string, number>>();
    const kept = evaluate([b, c, a], seed, { passCounts });
    expect(order(kept)).toEqual(names.map((n) => `order-a ${n} 2`));
    // Insertion order, which reports that list passes (prometheus) follow: the first rule's nodes, then the cluster's ''.
    expect([...passCounts.keys()]).toEqual([...names, '']);
    expect([...passCounts.get(names[0])!.entries()]).toEqual([['order-b', 1], ['order-a', 1]]);
  });

  it('adds passes to counts the map already holds, and counts a rule listed twice once per evaluation', () => {
    const a = rule('count-a', itemsRule('[1, 2]', 'true'));
    const passCounts = new Map<string, Map<string, number>>();
    evaluate([a], seed, { passCounts });
    evaluate([a, a], seed, { passCounts });
    expect([...passCounts].map(([node, m]) => [node, m.get('count-a')])).toEqual(seed.nodes.map((n) => [n.name, 6]));
  });

  it("lets go of what each node derived once the node's rules are done", () => {
    const snap = buildSnapshot(readCapture(fixture('seed-cluster')));
    const first = snap.nodes.map((n) => n.ipvsBackendsByAddress);
    const r = rule('reads-backends', itemsRule('node.ipvsBackendsByAddress.map(a, a)', 'true'));
    const rs = evaluate([r], snap);
    expect(rs.filter((x) => x.status !== 'pass')).toEqual([]);
    snap.nodes.forEach((n, i) => {
      expect(n.ipvsBackendsByAddress).not.toBe(first[i]);
      expect([...(n.ipvsBackendsByAddress as Map<string, unknown>).keys()]).toEqual([...(first[i] as Map<string, unknown>).keys()]);
    });
  });
});

describe('forEach whose value is no list (dyn)', () => {
  it("takes a map's entries as the items, and gives an error naming forEach for anything else: never silence", () => {
    const map = rule('foreach-dyn-map', `forEach: dyn(node.ipvsByMark)
subject: string(item[0])
checks:
  - assert: 'true'
    message: '"no"'
pass: '"mark " + string(item[0])'
`);
    expect(only(evaluate([map], seed)).map((r) => [r.status, r.message])).toEqual([...(seed.nodes.find((n) => n.name === '253')!.ipvsByMark as Map<bigint, unknown>).keys()].map((k) => ['pass', `mark ${k}`]));
    const int = rule('foreach-dyn-int', itemsRule('dyn(size(node.ipvs))', 'true'));
    expect(only(evaluate([int], seed)).map((r) => [r.status, r.message])).toEqual([['error', 'rule evaluation failed at forEach: is an int, not a list']]);
  });
});
