import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../../src/capture/read.js';
import { buildSnapshot, type Snapshot } from '../../src/model/build.js';
import { COMPILE_AFTER, compileStats, setCompiled } from '../../src/rules/compile.js';
import { evaluate } from '../../src/rules/evaluate.js';
import { installMeter, metered } from '../../src/rules/budget.js';
import { loadRules } from '../../src/rules/loader.js';
import type { LoadedRule, Result } from '../../src/rules/types.js';
import { FIXTURES, ROOT, snapshotOf } from '../helpers/fixtures.js';
import { testRules } from '../helpers/rules.js';

/*
 * Compiled CEL (src/rules/compile.ts) must give exactly what cel-js's interpreter gives: every
 * result of every bundled rule on every fixture and on a generated capture, and for expressions
 * whose common case does not hold (a missing key, an error `||` absorbs, an index out of range),
 * the interpreter's own value or error.
 */

// Every expression compiled at its first evaluation (by default at its COMPILE_AFTER-th: see the last test).
beforeAll(() => setCompiled(true, 1));
afterEach(() => setCompiled(true));
afterAll(() => setCompiled(true, COMPILE_AFTER));

/** Results of `rules` on `snap`, interpreted only, or compiled (twice: a program compiles when first run). */
function both(rules: () => LoadedRule[], snaps: Snapshot[]): { interpreted: Result[][]; compiled: Result[][] } {
  setCompiled(false);
  const i = rules();
  const interpreted = snaps.map((s) => evaluate(i, s));
  setCompiled(true);
  const c = rules();
  for (const s of snaps) evaluate(c, s);
  const compiled = snaps.map((s) => evaluate(c, s));
  return { interpreted, compiled };
}

/** A rule over the CEL list `items` with one check, `assert`: each item passes ("yes") or fails ("no"). */
function checkRule(items: string, assert: string): string {
  return `forEach: '${items}'
subject: 'string(item)'
checks:
  - assert: '${assert.replace(/'/g, "''")}'
    message: '"no"'
pass: '"yes"'
`;
}

describe('compiled rules against the interpreter', () => {
  it('give the same results, message for message, for every bundled rule on every fixture', () => {
    const names = readdirSync(FIXTURES).sort();
    const snaps = names.map(snapshotOf);
    const { interpreted, compiled } = both(() => loadRules(), snaps);
    names.forEach((name, k) => expect({ name, results: compiled[k] }).toEqual({ name, results: interpreted[k] }));
    expect(interpreted.flat().length).toBeGreaterThan(1000);
  });

  it('compile every expression of the bundled rules that runs: none is left to the interpreter', () => {
    const before = { compiled: compileStats.compiled, interpreted: compileStats.interpreted.length };
    const rules = loadRules();
    for (const name of readdirSync(FIXTURES).sort()) evaluate(rules, snapshotOf(name));
    expect(compileStats.interpreted.slice(before.interpreted)).toEqual([]);
    // Every rule's assert, pass message and subject, at the least.
    expect(compileStats.compiled - before.compiled).toBeGreaterThan(3 * rules.length);
  });

  it('give the same results on a generated capture (4 nodes x 40 services x 120 tasks)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-compile-'));
    try {
      const gen = spawnSync(process.execPath, [join(ROOT, 'scripts/gen-capture.js'), dir, '4', '40', '120'], { encoding: 'utf8' });
      expect(gen.status).toBe(0);
      const snap = buildSnapshot(readCapture(dir));
      const { interpreted, compiled } = both(() => loadRules(), [snap]);
      expect(compiled[0]).toEqual(interpreted[0]);
      expect(compiled[0].length).toBeGreaterThan(500);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('compiled expressions where the common case does not hold', () => {
  const { load } = testRules('compile');
  const seed = snapshotOf('seed-cluster');
  const statuses = (rs: Result[]) => rs.map((r) => `${r.node} ${r.subject} ${r.status}: ${r.message}`);

  it.each([
    ['a key that is not there', `node.networks["no-such-network"].id == ""`],
    ['an index out of range', `[1, 2][5] == 1`],
    ['an error that || absorbs', `node.networks["no-such-network"].id == "" || true`],
    ['an error that && absorbs', `false && node.networks["no-such-network"].id == ""`],
    ['an error a quantifier absorbs', `[0, 1, 2].exists(x, 6 / x == 3)`],
    ['a division by zero', `[0, 1].map(x, 6 / x).size() == 2`],
    ['an int overflow', `9223372036854775807 + node.name.size() > 0`],
    ['a field of a map literal', `{"a": 1}.a == 1 && {"a": 1}.b == 1`],
    ['a field of a map literal that JavaScript objects inherit', `{"a": 1}.toString == 1`],
    ['exists_one', `[1, 2, 3].exists_one(x, x > 2) && ![1, 2, 3].exists_one(x, x > 1)`],
    ['nested comprehensions with shadowing', `[1, 2].all(x, [3, 4].exists(x, x > 3)) && [1, 2].map(x, [x, x * 10].filter(y, y > 1)).size() == 2`],
    ['a comprehension over a map', `{"a": 1, "b": 2}.all(k, k in ["a", "b"])`],
    ['comprehensions in what a comprehension ranges over, and side by side', `[[1, 2].map(x, x * 2), [3].filter(x, x > item)].map(l, l.size() + [7, 8].map(y, y).size()).size() == 2 && [1].all(x, x == 1) && [2].exists(x, x == 2)`],
    // cel-js leaves these keys out of a map (safeFromEntries): reading one is an error, not the value.
    ['a map literal with a key JavaScript objects keep apart', `{"constructor": 2, "a": 3}.constructor == 2`],
    ['! of a bool', `!(item > 5)`],
    // == and != against a literal, on either side, decided with the literal's type known.
    ['== and != against literals of each type', `dyn(string(item)) == "1" || "2" == dyn(string(item)) || dyn(item) == 3 || dyn(item > 9) != false || dyn(null) != null`],
    ['== against a literal of another type (int and double, string and int)', `dyn(double(item)) == 1 && !(dyn(string(item)) == 1) && dyn(item) != "1"`],
    ['uint, double and bytes literals against dyn values', `dyn(5u) == 5u && dyn(uint(item)) != 7u && dyn(1.5) == 1.5 && dyn(b"ab") == b"ab" && dyn(item) == 1u || dyn(item) == 2.0 || true`],
    ['has() on a model field and a map key', `has(node.name) && !has(node.networks.nosuch)`],
    ['string functions and a unicode literal', `"ünï€😀".size() == 5 && "a😀b".contains("😀") && ("x" + "😀").startsWith("x")`],
    ['in a list literal of strings, empty or not, with a string or an int on the left', `string(item) in ["1", "3"] && !(string(item) in []) && !(dyn(item) in ["1"])`],
    ['! of a dyn value that is no bool', `!dyn(item) == false`],
    ['?: with a condition that is no bool', `(dyn(item) ? 1 : 2) == 1`],
    // == != and in on dyn values: strings, ints and bools of one type and null are decided without
    // cel-js's overload lookup, any other pair by cel-js (heterogeneous numbers, mixed lists).
    ['== and != on dyn values and null', `dyn(null) == null && dyn("a") != null && !(dyn(item) == null) && dyn(null) != dyn("x") && dyn(true) == true && dyn(item) != 9 && dyn({"a": 1}) != null`],
    ['== across types (int and double, string and int)', `dyn(item) == dyn(double(item)) && !(dyn("1") == dyn(1))`],
    ['in a list of strings, of mixed values, and in a map', `dyn(string(item)) in ["1", "2", "3"] && !(dyn("z") in ["a"]) && dyn("a") in ["a", 1] && dyn("a") in {"a": 1} && !(dyn("b") in {"a": 1})`],
    ['in with an int on the left', `dyn(item) in [1, 2, 3] && !(dyn(item) in ["1"])`],
    // + of two strings is joined here, anything else by cel-js (lists, ints, a string and an int).
    ['+ on dyn values: strings, lists, ints', `dyn("a") + dyn(string(item)) == "a" + string(item) && dyn([1]) + dyn([item]) == [1, item] && dyn(item) + dyn(1) == item + 1`],
    ['+ of a dyn string and a dyn int', `dyn("a") + dyn(item) == "a1"`],
    // dyn(x) is compiled as x itself: its error is the argument's, its value any type's.
    ['dyn of a missing key, a map entry, a list, null', `dyn(node.networks["no-such-network"]) == null || (dyn(dyn(item)) == item && dyn([1, item])[1] == item && dyn({"k": item}).k == item && dyn(null) == null)`],
  ])('%s: the interpreter\'s value or error, on every evaluation', (_what, expr) => {
    const body = checkRule('[1, 2, 3]', expr);
    setCompiled(false);
    const want = statuses(evaluate([load('expr', body)], seed));
    setCompiled(true);
    const rule = load('expr', body);
    // Each program compiles when first run; a second run uses what the first compiled.
    const first = statuses(evaluate([rule], seed));
    const second = statuses(evaluate([rule], seed));
    expect(first).toEqual(want);
    expect(second).toEqual(want);
  });

  it('counts the values cel-js counts: steps written together as one steps(n) count each one', () => {
    installMeter();
    const rule = load('count', checkRule('[1, 2, 3]', '[1, 2, 3].map(x, x * item).filter(y, y > 2).size() > 0 && (item == 2 ? "a" + string(item) : "b") != "" && string(item) in ["1", "2", "3"] && dyn(null) == null'));
    const count = () => metered({ timeMs: 60_000, values: 1e9 }, () => rule.checks[0].assert({ item: 2n, node: seed.nodes[0], cluster: seed.cluster })).values;
    setCompiled(false);
    const interpreted = count();
    setCompiled(true);
    count(); // compiled when first run
    expect(count()).toBe(interpreted);
    expect(interpreted).toBeGreaterThan(30);
  });

  it('meters compiled evaluation: a rule that builds a huge list goes over its budget', () => {
    const rule = load('big', checkRule('[1, 2]', 'item == 1 || [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20].map(a, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20].map(b, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(c, a * b * c))).size() == 20'));
    // Item 1 is cheap (item == 1); item 2 runs the comprehensions compiled: 4,000+ values, over a budget of 3,000.
    const rs = evaluate([rule], seed, { budget: { values: 3000 } });
    expect(rs[0]).toMatchObject({ status: 'error' });
    expect(rs[0].message).toMatch(/over budget on node .*: produced more than 3000 values \(at checks\[0\]\.assert\)/);
  });
});

describe('when an expression is compiled', () => {
  const { load } = testRules('compile-after');
  const seed = snapshotOf('seed-cluster');

  it(`interprets an expression for its first ${COMPILE_AFTER - 1} evaluations and compiles it at evaluation ${COMPILE_AFTER}, with the same results`, () => {
    setCompiled(true, COMPILE_AFTER);
    const rule = load('after', checkRule('[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]', 'item * 2 > 4'));
    const assert = rule.checks[0].assert;
    const compiledBy = (n: number) => {
      const before = compileStats.compiled;
      for (let i = 0; i < n; i++) assert({ item: BigInt(i) });
      return compileStats.compiled - before;
    };
    expect(compiledBy(COMPILE_AFTER - 1)).toBe(0);
    expect(compiledBy(1)).toBe(1);
    expect(compiledBy(100)).toBe(0); // compiled once
    setCompiled(false);
    const want = evaluate([rule], seed).map((r) => `${r.subject} ${r.status} ${r.message}`);
    setCompiled(true);
    expect(evaluate([rule], seed).map((r) => `${r.subject} ${r.status} ${r.message}`)).toEqual(want);
    expect(want).toEqual(expect.arrayContaining(['2 fail no', '3 pass yes']));
  });
});
