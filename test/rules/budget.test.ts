import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_BUDGET, evaluate } from '../../src/rules/evaluate.js';
import { ROOT, fixture, snapshotOf } from '../helpers/fixtures.js';
import { itemsRule, testRules } from '../helpers/rules.js';

const { dir: ruleDir, write: ruleText, load: rule } = testRules('budget');

/** A list of 100 ints: four nested quantifiers over it are 10^8 steps (minutes) and allocate nothing. */
const HUNDRED = `[${Array.from({ length: 100 }, (_, i) => i).join(', ')}]`;
const SLOW = `${HUNDRED}.all(a, ${HUNDRED}.all(b, ${HUNDRED}.all(c, ${HUNDRED}.all(d, a + b + c + d >= 0))))`;

const seed = snapshotOf('seed-cluster');
const NODES = seed.nodes.map((n) => n.name);

/** Items 1 and 2 pass at once, item 3 runs out of any budget. */
const PARTLY = itemsRule('[1, 2, 3]', `item < 3 || ${SLOW}`);
/** One pass per node, at once. */
const NAMED = `checks:
  - assert: node.name != ""
    message: '"no"'
pass: '"fine"'
`;

describe('per-rule evaluation budget', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_BUDGET).toEqual({ timeMs: 10_000, values: 20_000_000 });
  });

  it('stops a rule over its time budget promptly: one error naming the rule file, the node and the field', () => {
    const slow = rule('slow', `checks:
  - assert: '${SLOW}'
    message: '"no"'
pass: '"yes"'
`);
    const t0 = performance.now();
    const rs = evaluate([slow], seed, { budget: { timeMs: 200, values: 1e15 } });
    const took = performance.now() - t0;
    // The first node runs 200 ms and stops; the others are not evaluated at all.
    expect(took).toBeLessThan(200 + 1500);
    expect(rs.map((r) => [r.node, r.status, r.message])).toEqual([
      [NODES[0], 'error', `rules/slow.yaml: evaluation over budget on node ${NODES[0]}: took more than 200 ms (at checks[0].assert)`],
      [NODES[1], 'error', `rules/slow.yaml: not evaluated on node ${NODES[1]}: over budget on node ${NODES[0]}`],
      [NODES[2], 'error', `rules/slow.yaml: not evaluated on node ${NODES[2]}: over budget on node ${NODES[0]}`],
    ]);
    expect(rs[0]).toMatchObject({ rule: 'slow', subject: '', remediation: '', docs: 'rules/slow.yaml' });
  });

  it('stops a rule over its values budget: list doubling is charged by the size it produces', () => {
    const vars = Array.from({ length: 40 }, (_, i) => `  - name: l${i + 1}\n    expression: l${i} + l${i}`).join('\n');
    const doubling = rule('doubling', `variables:
  - name: l0
    expression: '[1, 2, 3, 4, 5, 6, 7, 8]'
${vars}
checks:
  - assert: size(l40) > 0
    message: '"no"'
pass: '"yes"'
`);
    const rs = evaluate([doubling], seed, { budget: { values: 100_000 } });
    expect(rs[0].message).toMatch(/^rules\/doubling\.yaml: evaluation over budget on node \d+: produced more than 100000 values \(at variables\.l1[0-4]\)$/);
    expect(rs.length).toBe(3);
  });

  it('drops what the rule produced on that node before it went over, and leaves other rules alone', () => {
    const partly = rule('partly', PARTLY);
    const other = rule('other', NAMED);
    const rs = evaluate([partly, other], seed, { budget: { timeMs: 100 } });
    // Items 1 and 2 passed on the first node before item 3 ran out of time: only the error remains.
    expect(rs.filter((r) => r.rule === 'partly').map((r) => [r.node, r.status])).toEqual(NODES.map((n) => [n, 'error']));
    expect(rs.filter((r) => r.rule === 'other').map((r) => [r.node, r.status])).toEqual(NODES.map((n) => [n, 'pass']));
  });

  it('cannot be dodged by an error-swallowing operator: `||` and exists() still end over budget', () => {
    const dodge = rule('dodge', `checks:
  - assert: '(${SLOW}) || true'
    message: '"no"'
  - assert: '[1, 2].exists(x, x == 1 || ${SLOW})'
    message: '"no"'
pass: '"fine"'
`);
    const rs = evaluate([dodge], seed, { budget: { timeMs: 100 } });
    expect(rs[0].status).toBe('error');
    expect(rs[0].message).toMatch(/over budget on node .*took more than 100 ms \(at checks\[0\]\.assert\)/);
  });

  it('meters a budget per node: a rule within budget on each node passes everywhere', () => {
    const modest = rule('modest', `checks:
  - assert: '${HUNDRED}.all(a, ${HUNDRED}.all(b, a + b >= 0))'
    message: '"no"'
pass: '"fine"'
`);
    // ~10^4 iterations of a few steps each: well under 200 000 values per node, over it for three nodes.
    const rs = evaluate([modest], seed, { budget: { values: 200_000 } });
    expect(rs.map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
  });
});

describe('the default values budget stops a rule before the heap runs out', () => {
  /**
   * In a child process with a 768 MB heap: a list that doubles forty times, and a list of 10^8
   * elements built by nested maps, would each need gigabytes (V8 aborts with "heap out of memory");
   * under DEFAULT_BUDGET each is one error result and the process exits normally.
   */
  it.each([
    ['doubling', `variables:
  - name: l0
    expression: '[1, 2, 3, 4, 5, 6, 7, 8]'
${Array.from({ length: 40 }, (_, i) => `  - name: l${i + 1}\n    expression: l${i} + l${i}`).join('\n')}
checks:
  - assert: size(l40) > 0
    message: '"no"'
pass: '"yes"'
`],
    ['nested-maps', `checks:
  - assert: 'size(${HUNDRED}.map(a, ${HUNDRED}.map(b, ${HUNDRED}.map(c, ${HUNDRED}.map(d, d))))) > 0'
    message: '"no"'
pass: '"yes"'
`],
  ])('%s', (id, body) => {
    const p = ruleText(id, body);
    const script = join(ruleDir(), `${id}.mjs`);
    writeFileSync(script, `
      const { loadRuleFile } = await import(${JSON.stringify(join(ROOT, 'dist/rules/loader.js'))});
      const { evaluate } = await import(${JSON.stringify(join(ROOT, 'dist/rules/evaluate.js'))});
      const { readCapture } = await import(${JSON.stringify(join(ROOT, 'dist/capture/read.js'))});
      const { buildSnapshot } = await import(${JSON.stringify(join(ROOT, 'dist/model/build.js'))});
      const rs = evaluate([loadRuleFile(${JSON.stringify(p)}, 'rules/${id}.yaml')], buildSnapshot(readCapture(${JSON.stringify(fixture('seed-cluster'))})));
      process.stdout.write(JSON.stringify(rs.map((r) => r.message)));
    `);
    const r = spawnSync(process.execPath, ['--max-old-space-size=768', script], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).not.toMatch(/heap out of memory/);
    expect(r.status).toBe(0);
    const messages = JSON.parse(r.stdout) as string[];
    expect(messages[0]).toMatch(new RegExp(`^rules/${id}\\.yaml: evaluation over budget on node \\d+: produced more than 20 million values`));
    expect(messages.slice(1)).toEqual([expect.stringMatching(/not evaluated on node/), expect.stringMatching(/not evaluated on node/)]);
  });
});

describe('a budget with passes counted (EvaluateOptions.passCounts)', () => {
  it('takes back the passes a rule counted on a node before it went over there', () => {
    const partly = rule('partly-counted', PARTLY);
    const other = rule('other-counted', NAMED);
    const passCounts = new Map<string, Map<string, number>>();
    const rs = evaluate([partly, other], seed, { budget: { timeMs: 100 }, passCounts });
    // Items 1 and 2 passed on the first node before item 3 ran out of time: only the error remains, and no pass of it is counted.
    expect(rs.map((r) => [r.rule, r.node, r.status])).toEqual(NODES.map((n) => ['partly-counted', n, 'error']));
    expect(NODES.map((n) => [passCounts.get(n)?.get('partly-counted'), passCounts.get(n)?.get('other-counted')])).toEqual(NODES.map(() => [undefined, 1]));
    // Alone, it leaves no count at all: a node has an entry only for the passes it has.
    const alone = new Map<string, Map<string, number>>();
    evaluate([partly], seed, { budget: { timeMs: 100 }, passCounts: alone });
    expect(alone.size).toBe(0);
  });
});
