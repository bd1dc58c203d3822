import { baseEnvironment } from '../../src/rules/cel.js';
import { loadRuleFile, RuleLoadError } from '../../src/rules/loader.js';
import { evaluate } from '../../src/rules/evaluate.js';
import { literalPatterns } from '../../src/rules/regex.js';
import { snapshotOf } from '../helpers/fixtures.js';
import { testRules } from '../helpers/rules.js';

const { write } = testRules('regular expression');

function loadError(id: string, body: string): string {
  try {
    loadRuleFile(write(id, body), `rules/${id}.yaml`);
  } catch (e) {
    expect(e).toBeInstanceOf(RuleLoadError);
    return (e as Error).message;
  }
  throw new Error('loaded');
}

/** 40 a's and a '!': a backtracking engine tries 2^40 ways to split the a's before giving up. */
const EVIL = `"${'a'.repeat(40)}!"`;

describe('matches() runs on RE2 (linear time)', () => {
  const env = baseEnvironment();

  it('answers a catastrophic-backtracking pattern at once, with the right result, in every call form', () => {
    const t0 = performance.now();
    expect(env.evaluate(`${EVIL}.matches("^(a+)+$")`, {})).toBe(false);
    expect(env.evaluate(`matches(${EVIL}, "^(a+)+$")`, {})).toBe(false);
    expect(env.evaluate(`dyn(${EVIL}).matches("^(a+)+$")`, {})).toBe(false);
    expect(env.evaluate(`${EVIL}.matches("^(a+)+!$")`, {})).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('keeps CEL semantics: a match anywhere in the string unless anchored, RE2 syntax', () => {
    expect(env.evaluate('"10.0.0.2".matches("0\\\\.2")', {})).toBe(true);
    expect(env.evaluate('"abc".matches("^b")', {})).toBe(false);
    expect(env.evaluate('matches("ABC", "(?i)abc")', {})).toBe(true);
    expect(env.evaluate('"123".matches("^[0-9]+$")', {})).toBe(true);
  });

  it('finds the literal patterns of both call forms in a parsed expression', () => {
    const ast = (env.parse('"x".matches("a+") && matches("y", "b*") && "z".matches(string(1))') as unknown as { ast: unknown }).ast;
    expect(literalPatterns(ast)).toEqual(['a+', 'b*']);
  });
});

describe('a literal pattern RE2 cannot run is refused when the rule loads', () => {
  // ruleHead is 7 lines: `checks:` is line 8, the assert line 9, its message line 10.
  const body = (assert: string) => `checks:
  - assert: ${assert}
    message: '"no"'
pass: '"yes"'
`;

  it('refuses a backreference, naming file, line and field', () => {
    expect(loadError('backref', body(`'node.name.matches("(a)\\\\1")'`))).toMatch(
      /^rules\/backref\.yaml:9: checks\[0\]\.assert: CEL: matches\(\) takes RE2 syntax .*invalid escape sequence: `\\1`/,
    );
  });

  it('refuses lookahead in the function form, naming file, line and field', () => {
    expect(loadError('lookahead', body(`'matches(node.name, "a(?=b)")'`))).toMatch(/^rules\/lookahead\.yaml:9: checks\[0\]\.assert: CEL: .*unsupported Perl syntax: `\(\?=`/);
  });

  it('refuses an invalid pattern in any field, here a message', () => {
    const msg = loadError('in-message', `checks:
  - assert: 'true'
    message: 'node.name.matches("[") ? "a" : "b"'
pass: '"yes"'
`);
    expect(msg).toMatch(/^rules\/in-message\.yaml:10: checks\[0\]\.message: CEL: .*missing closing \]/);
  });
});

describe('a pattern built from data at run time', () => {
  it('is an error result for that rule when RE2 refuses it, and the run goes on', () => {
    const bad = loadRuleFile(write('data-pattern', `checks:
  - assert: 'node.name.matches(node.name + "(")'
    message: '"no"'
pass: '"yes"'
`), 'rules/data-pattern.yaml');
    const good = loadRuleFile(write('data-pattern-ok', `checks:
  - assert: 'node.name.matches("^" + node.name + "$")'
    message: '"no"'
pass: '"yes"'
`), 'rules/data-pattern-ok.yaml');
    const rs = evaluate([bad, good], snapshotOf('seed-cluster'));
    const badResults = rs.filter((r) => r.rule === 'data-pattern');
    expect(badResults.length).toBe(3);
    for (const r of badResults) expect(r).toMatchObject({ status: 'error', message: expect.stringMatching(/checks\[0\]\.assert: invalid regular expression "\d+\(": .*missing closing \)/) });
    expect(rs.filter((r) => r.rule === 'data-pattern-ok').map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
  });
});
