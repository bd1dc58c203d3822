import { createRequire } from 'node:module';
import { Environment } from '@marcbachmann/cel-js';

/**
 * CEL's `matches` on RE2 semantics, in linear time: re2js (a pure JavaScript port of RE2) instead of
 * the JavaScript RegExp cel-js uses, whose backtracking makes `"aaaa…!".matches("^(a+)+$")` take
 * exponential time. RE2 refuses what it cannot match in linear time: backreferences (`\1`),
 * lookaround (`(?=`, `(?!`, `(?<=`).
 */

interface Re2Pattern {
  test(input: string): boolean;
}
interface Re2Module {
  RE2JS: { compile(pattern: string): Re2Pattern };
}

const require = createRequire(import.meta.url);
let re2Module: Re2Module | undefined;
/** re2js costs ~20 ms to load: loaded on the first pattern only (a rule set without `matches` never does). */
const re2 = (): Re2Module => (re2Module ??= require('re2js') as Re2Module);

/** Compiled patterns (and refusals), keyed by the pattern text. Bounded: patterns may come from data. */
const cache = new Map<string, Re2Pattern | Error>();
const CACHE_MAX = 1000;

/** Why RE2 refuses the pattern, in one line; undefined when it compiles. */
export function regexProblem(pattern: string): string | undefined {
  const p = compiled(pattern);
  return p instanceof Error ? p.message : undefined;
}

function compiled(pattern: string): Re2Pattern | Error {
  let p = cache.get(pattern);
  if (p) return p;
  try {
    p = re2().RE2JS.compile(pattern);
  } catch (e) {
    p = new Error(`invalid regular expression ${JSON.stringify(pattern)}: ${String((e as Error).message).split('\n')[0]}`);
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(pattern, p);
  return p;
}

/** CEL `matches`: whether the pattern matches any part of the string (RE2 syntax). */
export function re2Matches(s: string, pattern: string): boolean {
  if (typeof s !== 'string' || typeof pattern !== 'string') throw new Error('matches() needs a string and a pattern string');
  if (probing) {
    probeHits++;
    return true;
  }
  const p = compiled(pattern);
  if (p instanceof Error) throw p;
  return p.test(s);
}

let probing = false;
let probeHits = 0;
let installed = false;

/**
 * Replace cel-js's `string.matches(string): bool`. cel-js refuses to register an overload with the
 * same signature and freezes its declarations, but calls every function handler as
 * `handler.apply(evaluator, args)` (operators.js, callFunctionHandler), on both the statically
 * resolved and the dyn path. The built-in handler is found through the evaluator's registry
 * (`registry.functionCandidates(true, 'matches', 1)`) and given an own `apply` that runs re2js. Installed
 * once per process and verified: if this version of cel-js does not call handlers that way, this
 * fails with a clear message rather than leaving backtracking regular expressions in place.
 */
export function installRe2Matches(): void {
  if (installed) return;
  const fail = (why: string): never => {
    throw new Error(`mesh-doctor cannot replace the regular expressions of @marcbachmann/cel-js with RE2 in this version of cel-js (${why})`);
  };
  let evaluator: { registry?: { functionCandidates?: (rec: boolean, name: string, n: number) => Iterable<{ signature: string; handler: unknown }> } } | undefined;
  const probe = new Environment();
  probe.registerFunction('meshDoctorRegexProbe(): bool', function (this: typeof evaluator) {
    evaluator = this;
    return true;
  });
  probe.evaluate('meshDoctorRegexProbe()', {});
  const candidates = evaluator?.registry?.functionCandidates?.(true, 'matches', 1);
  if (!candidates) fail('no function registry reachable from the evaluator');
  const builtin = [...candidates!].find((d) => d.signature === 'string.matches(string): bool');
  if (!builtin || typeof builtin.handler !== 'function') fail("no built-in 'string.matches(string): bool'");
  Object.defineProperty(builtin!.handler, 'apply', {
    value: (_thisArg: unknown, args: [string, string]) => re2Matches(args[0], args[1]),
    configurable: true,
  });
  // Verify both ways cel-js resolves the call: statically typed, and dyn at run time.
  probing = true;
  probeHits = 0;
  try {
    probe.evaluate('"a".matches("b") && dyn("a").matches("b")', {});
  } catch (e) {
    probeHits = -1;
    void e;
  } finally {
    probing = false;
  }
  if (probeHits !== 2) fail(`the probe reached re2js ${probeHits} times out of 2`);
  installed = true;
}

interface AstLike {
  op: string;
  args: unknown;
}
const isAst = (x: unknown): x is AstLike => typeof x === 'object' && x !== null && typeof (x as AstLike).op === 'string' && 'args' in x;

/**
 * The string literals an expression passes as the pattern of `s.matches(re)` or `matches(s, re)`,
 * found in cel-js's parse tree (`rcall` with args [name, receiver, [args]]; `call` with args [name, [args]]).
 */
export function literalPatterns(ast: unknown): string[] {
  const out: string[] = [];
  const literal = (n: unknown) => {
    if (isAst(n) && n.op === 'value' && typeof n.args === 'string') out.push(n.args);
  };
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!isAst(n)) return;
    const a = n.args as unknown[];
    if (n.op === 'rcall' && a[0] === 'matches' && Array.isArray(a[2]) && a[2].length === 1) literal(a[2][0]);
    if (n.op === 'call' && a[0] === 'matches' && Array.isArray(a[1]) && a[1].length === 2) literal(a[1][1]);
    walk(n.args);
  };
  walk(ast);
  return out;
}

let patternFinderOk = false;
/** Once per process: the parse tree still has the shape literalPatterns reads (else patterns would go unchecked). */
export function verifyPatternFinder(env: { parse(expr: string): unknown }): void {
  if (patternFinderOk) return;
  const found = literalPatterns((env.parse('"x".matches("y") || matches("x", "z")') as { ast?: unknown }).ast);
  if (found.join(' ') !== 'y z') throw new Error(`mesh-doctor cannot find the regular expressions in rules with this version of @marcbachmann/cel-js (found ${JSON.stringify(found)})`);
  patternFinderOk = true;
}
