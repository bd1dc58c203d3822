import type { Environment } from '@marcbachmann/cel-js';
import { chargeProduced, OverBudget, overBudget, step, steps } from './budget.js';
import { MODEL } from '../model/classes.js';
import type { Program } from './types.js';

/*
 * A rule's CEL, compiled to JavaScript once cel-js has type-checked it, so that the hundreds of
 * thousands of subjects of a large capture do not each pay for interpretation: cel-js walks its
 * tree through a generic `run`, looks variables up through a context object made per evaluation,
 * and checks every field value against its declared type as it reads it.
 *
 * The compiled code does only the common case and leaves everything else to cel-js. Operators and
 * functions call the very handlers cel-js chose when it checked the expression (`ast.handle`), so
 * their meaning (overloads, int64 overflow, string and list semantics, their errors) is cel-js's
 * own. What the code does itself is reading variables, fields, indexes and iteration variables,
 * building lists and maps, `&&`, `||`, `?:` and the comprehensions of the macros (map, filter,
 * exists, all, exists_one). Whenever that common case does not hold (a field that is not there, an
 * index out of range, a non-boolean condition, any error raised on the way), the whole expression
 * is evaluated again by cel-js, whose result or error is the one given: an error message, and what
 * `||`, `&&` and the quantifiers make of errors, are exactly cel-js's. CEL has no side effects, so
 * evaluating again is safe.
 *
 * Metering is the same as cel-js's: one value per tree node evaluated, plus the length of a long
 * string or list that `+` or a function call produced (see budget.ts).
 */

type Fn = (vars: Record<string, unknown>) => unknown;

/** Thrown by compiled code when the common case does not hold: cel-js evaluates the expression instead. */
class Fallback extends Error {}
const FALLBACK = new Fallback('fall back to cel-js');
function bail(): never {
  throw FALLBACK;
}

/** Thrown at compile time for a node this compiler does not handle: the expression stays interpreted. */
class Unsupported extends Error {}

interface AstNode {
  op: string;
  args: unknown;
  meta: { alternate?: AstNode; macro?: unknown; evaluate?: unknown };
  checkedType?: unknown;
  handle?: (...a: unknown[]) => unknown;
  left?: AstNode;
  right?: AstNode;
  condition?: AstNode;
}

interface ComprehensionArgs {
  iterable: AstNode;
  iterVarName: string;
  init: AstNode;
  step: AstNode;
  condition?: (accu: unknown) => boolean;
  result: (accu: unknown) => unknown;
  errorsAreFatal?: boolean;
  kind?: string;
  iterVar2Name?: unknown;
}

const hasOwn = (o: object, k: PropertyKey) => Object.prototype.hasOwnProperty.call(o, k);

/** Whether `o` is a plain object: CEL map literals, JSON-like values. */
function isPlain(o: object): boolean {
  const c = (o as { constructor?: unknown }).constructor;
  return c === Object || c === undefined;
}

/** `o.key` in the common case: a model object's field, a map's entry; undefined when it is not there. */
function field(o: unknown, key: string): unknown {
  if (o === null || typeof o !== 'object') bail();
  if (o instanceof Map) return o.get(key);
  if (Array.isArray(o) || o instanceof Set) bail();
  if (isPlain(o)) return hasOwn(o, key) ? (o as Record<string, unknown>)[key] : undefined;
  return (o as Record<string, unknown>)[key];
}

/** `o[k]` in the common case. */
function index(o: unknown, k: unknown): unknown {
  if (Array.isArray(o)) {
    if (typeof k !== 'bigint') bail();
    const i = Number(k);
    if (i < 0 || i >= o.length) bail();
    return o[i];
  }
  if (o instanceof Map) return o.get(k);
  if (o !== null && typeof o === 'object' && isPlain(o) && (typeof k === 'string' || typeof k === 'bigint')) {
    return hasOwn(o, k as string) ? (o as Record<string, unknown>)[k as string] : undefined;
  }
  bail();
}

/** What a comprehension ranges over, as cel-js makes it: a list's items, a map's keys. */
function iterable(coll: unknown): unknown[] {
  if (Array.isArray(coll)) return coll;
  if (coll instanceof Set) return [...coll];
  if (coll instanceof Map) return [...coll.keys()];
  if (coll !== null && typeof coll === 'object' && isPlain(coll)) return Object.keys(coll);
  bail();
}

/** Same-typed strings, ints or bools, whose CEL equality is JavaScript's ===. */
function samePrimitive(a: unknown, b: unknown): boolean {
  const t = typeof a;
  return t === typeof b && (t === 'string' || t === 'bigint' || t === 'boolean');
}

/**
 * `a in b` where it is decided here, with the value cel-js's own handlers give (mapIncludes,
 * listIncludes of strings); undefined leaves the case to cel-js. A dyn operand otherwise makes
 * cel-js find the overload by the values' types at every evaluation.
 */
function fastIn(a: unknown, b: unknown): boolean | undefined {
  if (typeof a !== 'string') return undefined;
  if (b instanceof Map) return b.get(a) !== undefined;
  if (!Array.isArray(b)) return undefined;
  for (const x of b) {
    if (typeof x !== 'string') return undefined;
    if (x === a) return true;
  }
  return false;
}

/** The type of a literal as Generator.constant writes it ('null' for null); undefined for any other expression. */
function literalType(e: string): 'string' | 'boolean' | 'bigint' | 'null' | undefined {
  if (e === 'null') return 'null';
  if (e === 'true' || e === 'false') return 'boolean';
  if (e.startsWith('"')) return 'string';
  if (e.startsWith('(')) return 'bigint';
  return undefined;
}

/** The strings of a list literal of string constants (`["A", "B"]`); undefined for any other node. */
function stringList(ast: AstNode): string[] | undefined {
  if (!ast || ast.op !== 'list' || ast.meta?.alternate || ast.meta?.macro || !Array.isArray(ast.args)) return undefined;
  const items = ast.args as AstNode[];
  if (!items.every((x) => x && x.op === 'value' && !x.meta?.alternate && !x.meta?.macro && typeof x.args === 'string')) return undefined;
  return items.map((x) => x.args as string);
}

const SIZED = new Set(['+', 'call', 'rcall']);
const BINARY = new Set(['!=', '==', 'in', '+', '-', '*', '/', '%', '<', '<=', '>', '>=']);
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** What the generated code is given: the helpers above, cel-js's handlers and nodes, constants. */
const PARAMS = ['step', 'steps', 'chargeProduced', 'field', 'index', 'iterable', 'bail', 'samePrimitive', 'fastIn', 'MODEL', 'RESERVED', 'ev', 'H', 'A', 'C'];

/**
 * Writes one expression as the body of one JavaScript function, a statement per tree node, in the
 * order in which cel-js's `run` evaluates them: each node counts its step before its operands are
 * evaluated, and its value goes to a variable of its own (`t0`, `t1`, ...). An iteration variable
 * and accumulator of a comprehension at nesting depth d are `v<d>` and `a<d>`.
 *
 * Every field read, index and operator is then code of its own, so that V8 keeps what it learns at
 * that place (the model class a field is read from, the type an `==` compares) rather than sharing
 * one closure's knowledge among every rule (the closures this replaced were one piece of code per
 * kind of node, for every expression of every rule). Consecutive steps are written as one
 * `steps(n)`, and constants as literals: the code runs in V8's interpreter before it is optimised.
 * Nothing of a rule's text is written into the code but its field and variable names, as JSON
 * string literals; everything else is an index into H (handlers), A (cel-js's nodes) or C
 * (constants).
 */
class Generator {
  private readonly body: string[] = [];
  private temps = 0;
  private readonly handlers: unknown[] = [];
  private readonly nodes: AstNode[] = [];
  private readonly consts: unknown[] = [];
  /** Comprehensions nested this deep at most: the iteration variables and accumulators to declare. */
  private maxDepth = 0;
  /** Steps counted but not yet written: consecutive steps, with nothing evaluated between them, are one `steps(n)`. */
  private pending = 0;

  /** The function that evaluates `ast` with `vars`. */
  build(ast: AstNode, ev: object): Fn {
    const result = this.node(ast, []);
    this.flush();
    const decls = Array.from({ length: this.temps }, (_, i) => `t${i}`);
    for (let d = 0; d < this.maxDepth; d++) decls.push(`v${d}`, `a${d}`, `n${d}`, `i${d}`);
    const src = `"use strict";\nreturn function compiledCel(vars) {\n${decls.length ? `let ${decls.join(', ')};\n` : ''}${this.body.join('\n')}\nreturn ${result};\n};`;
    const make = new Function(...PARAMS, src);
    return make(step, steps, chargeProduced, field, index, iterable, bail, samePrimitive, fastIn, MODEL, RESERVED_KEYS, ev, this.handlers, this.nodes, this.consts);
  }

  private temp(): string {
    return `t${this.temps++}`;
  }

  private emit(line: string): void {
    this.flush();
    this.body.push(line);
  }

  private flush(): void {
    if (this.pending === 0) return;
    this.body.push(this.pending === 1 ? 'step();' : `steps(${this.pending});`);
    this.pending = 0;
  }

  /** Statements `fn` emits, kept apart (the branch of an `&&`, a loop's body) and given back. */
  private block(fn: () => string): { code: string; value: string } {
    this.flush();
    const mark = this.body.length;
    const value = fn();
    this.flush();
    const code = this.body.splice(mark).join('\n');
    return { code, value };
  }

  private handler(ast: AstNode): string {
    if (typeof ast.handle !== 'function') throw new Unsupported(`${ast.op} has no handler`);
    this.handlers.push(ast.handle);
    this.nodes.push(ast);
    return String(this.handlers.length - 1);
  }

  /** A value as the code writes it: a literal for a string, bool, null or int, else an entry of C. */
  private constant(v: unknown): string {
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (v === null) return 'null';
    if (typeof v === 'bigint') return `(${v}n)`;
    this.consts.push(v);
    return `C[${this.consts.length - 1}]`;
  }

  /** A node as cel-js evaluates it through `run`: one step, its alternate if it has one, its size charged. */
  node(ast: AstNode, scope: string[]): string {
    if (!ast || typeof ast !== 'object' || typeof ast.op !== 'string') throw new Unsupported('not a node');
    const v = this.op(ast.meta?.alternate ?? ast, scope);
    if (SIZED.has(ast.op)) this.emit(`chargeProduced(${v});`);
    return v;
  }

  /** The statements of one operation, its step counted first; gives the variable that holds its value. */
  private op(ast: AstNode, scope: string[]): string {
    const op = ast.op;
    if (ast.meta?.macro) throw new Unsupported(`macro ${op}`);
    this.pending++;
    // A constant is its literal, with no variable of its own (a string, bool, null or int never changes).
    if (op === 'value') return this.constant(ast.args);
    const t = this.temp();
    if (op === 'id') {
      const name = ast.args as string;
      if (typeof name !== 'string') throw new Unsupported('identifier');
      const depth = scope.lastIndexOf(name);
      if (depth >= 0) this.emit(`${t} = v${depth};`);
      else this.emit(`${t} = vars[${JSON.stringify(name)}]; if (${t} === undefined) bail();`);
      return t;
    }
    if (op === '.') {
      const [l, key] = ast.args as [AstNode, string];
      if (typeof key !== 'string') throw new Unsupported('field name');
      const o = this.node(l, scope);
      const k = JSON.stringify(key);
      // A model object's field is read here, where V8 learns its class; anything else as field() reads it.
      this.emit(`${t} = ${o} !== null && typeof ${o} === 'object' && ${o}[MODEL] === true ? ${o}[${k}] : field(${o}, ${k}); if (${t} === undefined) bail();`);
      return t;
    }
    if (op === '[]') {
      const [l, kn] = ast.args as [AstNode, AstNode];
      const o = this.node(l, scope);
      const k = this.node(kn, scope);
      this.emit(`${t} = ${o} instanceof Map ? ${o}.get(${k}) : index(${o}, ${k}); if (${t} === undefined) bail();`);
      return t;
    }
    if (BINARY.has(op)) {
      const h = this.handler(ast);
      const [l, r] = ast.args as [AstNode, AstNode];
      const a = this.node(l, scope);
      const strings = op === 'in' ? stringList(r) : undefined;
      if (strings) {
        // `x in ["A", "B"]`: the list's steps counted, and for a string x no list made.
        this.pending += 1 + strings.length;
        const list = `[${strings.map((x) => JSON.stringify(x)).join(', ')}]`;
        const test = strings.length ? strings.map((x) => `${a} === ${JSON.stringify(x)}`).join(' || ') : 'false';
        this.emit(`${t} = typeof ${a} === 'string' ? ${test} : H[${h}](${a}, ${list}, A[${h}], ev);`);
        return t;
      }
      const b = this.node(r, scope);
      const slow = `H[${h}](${a}, ${b}, A[${h}], ev)`;
      if (op === '==' || op === '!=') {
        // null equals only null (CEL's heterogeneous equality: `x == null` is false for any other x).
        // Against a literal, the same outcomes with the literal's type known here.
        const js = op === '==' ? '===' : '!==';
        const litB = literalType(b);
        const lit = litB ?? literalType(a);
        const x = litB ? a : b;
        if (lit === 'null') this.emit(`${t} = ${x} ${js} null;`);
        else if (lit) this.emit(`${t} = typeof ${x} === '${lit}' || ${x} === null ? ${a} ${js} ${b} : ${slow};`);
        else this.emit(`${t} = samePrimitive(${a}, ${b}) || ${a} === null || ${b} === null ? ${a} ${js} ${b} : ${slow};`);
      } else if (op === '+') {
        // Two strings join as cel-js's string + string overload joins them; with a dyn operand
        // cel-js would look the overload up by the values' types at every evaluation.
        this.emit(`${t} = typeof ${a} === 'string' && typeof ${b} === 'string' ? ${a} + ${b} : ${slow};`);
      } else if (op === 'in') {
        this.emit(`${t} = fastIn(${a}, ${b}); if (${t} === undefined) ${t} = ${slow};`);
      } else this.emit(`${t} = ${slow};`);
      return t;
    }
    if (op === '!_' || op === '-_') {
      const h = this.handler(ast);
      const x = this.node(ast.args as AstNode, scope);
      // `!` has one overload, bool to bool.
      if (op === '!_') this.emit(`${t} = typeof ${x} === 'boolean' ? !${x} : H[${h}](${x}, A[${h}], ev);`);
      else this.emit(`${t} = H[${h}](${x}, A[${h}], ev);`);
      return t;
    }
    if (op === '&&' || op === '||') {
      const [l, r] = ast.args as [AstNode, AstNode];
      const stop = op === '||'; // the left value that decides alone
      const a = this.node(l, scope);
      const right = this.block(() => this.node(r, scope));
      this.emit(`if (${a} === ${stop}) ${t} = ${stop}; else { if (${a} !== ${!stop}) bail();\n${right.code}\nif (typeof ${right.value} !== 'boolean') bail(); ${t} = ${right.value}; }`);
      return t;
    }
    if (op === '?:') {
      const [c, x, y] = ast.args as AstNode[];
      const cond = this.node(c, scope);
      const yes = this.block(() => this.node(x, scope));
      const no = this.block(() => this.node(y, scope));
      this.emit(`if (${cond} === true) {\n${yes.code}\n${t} = ${yes.value}; } else if (${cond} === false) {\n${no.code}\n${t} = ${no.value}; } else bail();`);
      return t;
    }
    if (op === 'list') {
      const items = (ast.args as AstNode[]).map((x) => this.node(x, scope));
      this.emit(`${t} = [${items.join(', ')}];`);
      return t;
    }
    if (op === 'map') {
      this.emit(`${t} = {};`);
      for (const [kn, vn] of ast.args as [AstNode, AstNode][]) {
        const k = this.node(kn, scope);
        const v = this.node(vn, scope);
        // As cel-js's safeFromEntries.
        this.emit(`if (!RESERVED.has(${k})) ${t}[${k}] = ${v};`);
      }
      return t;
    }
    if (op === 'call') {
      const [name, list] = ast.args as [string, AstNode[]];
      if (name === 'dyn' && list.length === 1) {
        // dyn(x) is x (cel-js's overload is the identity).
        this.handler(ast);
        const x = this.node(list[0], scope);
        this.emit(`${t} = ${x};`);
        return t;
      }
      const h = this.handler(ast);
      const args = list.map((x) => this.node(x, scope));
      this.emit(`${t} = H[${h}]([${args.join(', ')}], A[${h}], ev);`);
      return t;
    }
    if (op === 'rcall') {
      const h = this.handler(ast);
      const all = (ast as unknown as { receiverWithArgs?: AstNode[] }).receiverWithArgs;
      if (!Array.isArray(all)) throw new Unsupported('rcall without receiverWithArgs');
      const args = all.map((x) => this.node(x, scope));
      this.emit(`${t} = H[${h}]([${args.join(', ')}], ev, A[${h}]);`);
      return t;
    }
    if (op === 'comprehension') {
      this.comprehension(ast.args as ComprehensionArgs, scope, t);
      return t;
    }
    if (op === 'accuValue' || op === 'accuPush' || op === 'accuInc') {
      const d = scope.length - 1;
      if (d < 0) throw new Unsupported(`${op} outside a comprehension`);
      if (op === 'accuValue') this.emit(`${t} = a${d};`);
      else if (op === 'accuInc') this.emit(`${t} = a${d} = a${d} + 1;`);
      else {
        this.emit(`if (!Array.isArray(a${d})) bail();`);
        const x = this.node(ast.args as AstNode, scope);
        this.emit(`a${d}.push(${x}); ${t} = a${d};`);
      }
      return t;
    }
    throw new Unsupported(`operation ${op}`);
  }

  private comprehension(args: ComprehensionArgs, scope: string[], t: string): void {
    if (typeof args.iterVarName !== 'string' || args.iterVar2Name !== undefined) throw new Unsupported('comprehension shape');
    if (typeof args.result !== 'function' || (args.condition !== undefined && typeof args.condition !== 'function')) throw new Unsupported('comprehension functions');
    const coll = this.node(args.iterable, scope);
    const d = scope.length;
    this.maxDepth = Math.max(this.maxDepth, d + 1);
    const inner = [...scope, args.iterVarName];
    this.emit(`n${d} = iterable(${coll}); v${d} = undefined;`);
    const init = this.node(args.init, inner);
    this.emit(`a${d} = ${init};`);
    const cond = args.condition ? `if (!${this.constant(args.condition)}(a${d})) break; ` : '';
    const body = this.block(() => this.node(args.step, inner));
    this.emit(`for (i${d} = 0; i${d} < n${d}.length; i${d}++) { ${cond}v${d} = n${d}[i${d}];\n${body.code}\na${d} = ${body.value}; }`);
    this.emit(`${t} = ${this.constant(args.result)}(a${d});`);
  }
}

let enabled = process.env.MESH_DOCTOR_CEL !== 'interpret';

/**
 * The evaluation of an expression at which it is compiled; cel-js interprets the ones before. In
 * the seed fixture no expression runs more than 10 times, and compiling all of them (242) made its
 * check 35 ms slower; in the 50-node capture the expressions that matter run 25,000 to 100,000
 * times. MESH_DOCTOR_CEL_AFTER=N changes it, for measurements.
 */
export const COMPILE_AFTER = 16;
let compileAfter = Number(process.env.MESH_DOCTOR_CEL_AFTER) || COMPILE_AFTER;

/**
 * Whether rules run compiled (the default); MESH_DOCTOR_CEL=interpret, or tests, turn it off.
 * `after`: the evaluation of an expression at which it is compiled (tests give 1).
 */
export function setCompiled(on: boolean, after?: number): void {
  enabled = on;
  if (after !== undefined) compileAfter = after;
}

const evaluators = new WeakMap<Environment, object>();

/** The evaluator cel-js runs an environment's expressions with (the handlers expect it as `this`). */
function evaluatorOf(env: Environment): object | undefined {
  let ev = evaluators.get(env);
  if (ev) return ev;
  const name = 'meshDoctorEvaluator__';
  try {
    env.registerFunction(`${name}(): bool`, function (this: object) {
      ev = this;
      return true;
    });
    env.evaluate(`${name}()`, {});
  } catch {
    return undefined;
  }
  if (ev) evaluators.set(env, ev);
  return ev;
}

/**
 * A program that runs compiled once cel-js has checked it (the loader checks it; else its first
 * evaluation does), compiled when first run, and falls back to `interpreted` (cel-js, metered) for
 * what the compiled code does not do. `program.ast` is cel-js's tree.
 */
export function compiledProgram(env: Environment, program: { ast?: unknown }, interpreted: Program): Program {
  let compiled: Fn | null | undefined;
  let runs = 0;
  const run: Program = (ctx) => {
    if (compiled === undefined) {
      // Interpreted until its COMPILE_AFTER-th evaluation: most expressions of a small capture run a
      // few times, where making and warming up code of their own costs more than it saves.
      if (!enabled || ++runs < compileAfter) return interpreted(ctx);
      const ast = program.ast as AstNode | undefined;
      if (!ast?.checkedType) {
        const v = interpreted(ctx); // cel-js checks an unchecked tree as it first evaluates it
        if (ast?.checkedType) compiled = compile(env, ast);
        return v;
      }
      compiled = compile(env, ast);
    }
    if (compiled === null || !enabled) return interpreted(ctx);
    try {
      return compiled(ctx);
    } catch (e) {
      if (e instanceof OverBudget || overBudget()) throw e;
      return interpreted(ctx);
    }
  };
  return Object.assign(run, { ast: program.ast });
}

/**
 * What this process compiled (for tests): expressions compiled, and why each one that stays
 * interpreted could not be (an Unsupported node, no evaluator).
 */
export const compileStats = { compiled: 0, interpreted: [] as string[] };

function compile(env: Environment, ast: AstNode): Fn | null {
  const ev = evaluatorOf(env);
  if (!ev) {
    compileStats.interpreted.push('no evaluator');
    return null;
  }
  try {
    // The top node counts its own step and charges its size, as meteredProgram does for cel-js.
    const fn = new Generator().build(ast, ev);
    compileStats.compiled++;
    return fn;
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    compileStats.interpreted.push(e.message);
    return null;
  }
}
