import type { Environment } from '@marcbachmann/cel-js';
import { chargeProduced, OverBudget, overBudget, step } from './budget.js';
import type { Program } from './types.js';

/*
 * A rule's CEL, compiled to JavaScript closures once cel-js has type-checked it, so that the
 * hundreds of thousands of subjects of a large capture do not each pay for interpretation: cel-js
 * walks its tree through a generic `run`, looks variables up through a context object made per
 * evaluation, and checks every field value against its declared type as it reads it.
 *
 * The closures do only the common case and leave everything else to cel-js. Operators and
 * functions call the very handlers cel-js chose when it checked the expression (`ast.handle`), so
 * their meaning (overloads, int64 overflow, string and list semantics, their errors) is cel-js's
 * own. What the closures do themselves is reading variables, fields, indexes and iteration
 * variables, building lists and maps, `&&`, `||`, `?:` and the comprehensions of the macros
 * (map, filter, exists, all, exists_one). Whenever that common case does not hold (a field that
 * is not there, an index out of range, a non-boolean condition, any error raised on the way), the
 * whole expression is evaluated again by cel-js, whose result or error is the one given: an error
 * message, and what `||`, `&&` and the quantifiers make of errors, are exactly cel-js's. CEL has
 * no side effects, so evaluating again is safe.
 *
 * Metering is the same as cel-js's: one value per tree node evaluated, plus the length of a long
 * string or list that `+` or a function call produced (see budget.ts).
 */

type Fn = (r: Run) => unknown;

interface Frame {
  /** The iteration variable's value. */
  v: unknown;
  /** The accumulator. */
  a: unknown;
}

interface Run {
  vars: Record<string, unknown>;
  /** Comprehension frames by nesting depth. */
  f: Frame[];
}

/** Thrown by a closure when the common case does not hold: cel-js evaluates the expression instead. */
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

/** Each closure's value, in order, as a new array: a list literal's items, a call's arguments. */
function values(fns: Fn[], r: Run): unknown[] {
  const out = new Array(fns.length);
  for (let i = 0; i < fns.length; i++) out[i] = fns[i](r);
  return out;
}

/** Same-typed strings, ints or bools, whose CEL equality is JavaScript's ===. */
function samePrimitive(a: unknown, b: unknown): boolean {
  const t = typeof a;
  return t === typeof b && (t === 'string' || t === 'bigint' || t === 'boolean');
}

/**
 * Operators whose commonest cases are decided here, with the values cel-js's own handlers give
 * (the overloads of string, int and bool equality, mapIncludes, listIncludes); undefined leaves the
 * case to cel-js. A dyn operand otherwise makes cel-js find the overload by the values' types at
 * every evaluation (an `in` or `==` per backend of a 50-node capture).
 */
const FAST_BINARY: Record<string, ((a: unknown, b: unknown) => boolean | undefined) | undefined> = {
  // null equals only null (CEL's heterogeneous equality: `x == null` is false for any other x).
  '==': (a, b) => (samePrimitive(a, b) || a === null || b === null ? a === b : undefined),
  '!=': (a, b) => (samePrimitive(a, b) || a === null || b === null ? a !== b : undefined),
  in: (a, b) => {
    if (typeof a !== 'string') return undefined;
    if (b instanceof Map) return b.get(a) !== undefined;
    if (!Array.isArray(b)) return undefined;
    for (const x of b) {
      if (typeof x !== 'string') return undefined;
      if (x === a) return true;
    }
    return false;
  },
};

const SIZED = new Set(['+', 'call', 'rcall']);
const BINARY = new Set(['!=', '==', 'in', '+', '-', '*', '/', '%', '<', '<=', '>', '>=']);

class Compiler {
  constructor(private readonly ev: object) {}

  /** A node as cel-js evaluates it through `run`: one step, its alternate if it has one, its size charged. */
  node(ast: AstNode, scope: string[]): Fn {
    if (!ast || typeof ast !== 'object' || typeof ast.op !== 'string') throw new Unsupported('not a node');
    const inner = this.op(ast.meta?.alternate ?? ast, scope);
    if (!SIZED.has(ast.op)) return inner;
    return (r) => {
      const v = inner(r);
      chargeProduced(v);
      return v;
    };
  }

  /** The closure of one operation; it counts its own step. */
  private op(ast: AstNode, scope: string[]): Fn {
    const ev = this.ev;
    const op = ast.op;
    if (ast.meta?.macro) throw new Unsupported(`macro ${op}`);
    if (op === 'value') {
      const v = ast.args;
      return () => {
        step();
        return v;
      };
    }
    if (op === 'id') {
      const name = ast.args as string;
      const depth = scope.lastIndexOf(name);
      if (depth >= 0) {
        return (r) => {
          step();
          return r.f[depth].v;
        };
      }
      return (r) => {
        step();
        const v = r.vars[name];
        if (v === undefined) bail();
        return v;
      };
    }
    if (op === '.') {
      const [l, key] = ast.args as [AstNode, string];
      if (typeof key !== 'string') throw new Unsupported('field name');
      const L = this.node(l, scope);
      return (r) => {
        step();
        const v = field(L(r), key);
        if (v === undefined) bail();
        return v;
      };
    }
    if (op === '[]') {
      const [l, k] = ast.args as [AstNode, AstNode];
      const L = this.node(l, scope);
      const K = this.node(k, scope);
      return (r) => {
        step();
        const o = L(r);
        const v = index(o, K(r));
        if (v === undefined) bail();
        return v;
      };
    }
    if (BINARY.has(op)) {
      const handle = this.handle(ast);
      const [l, rt] = ast.args as [AstNode, AstNode];
      const L = this.node(l, scope);
      const R = this.node(rt, scope);
      if (op === '+') {
        // Two strings join as cel-js's string + string overload joins them; with a dyn operand
        // cel-js would look the overload up by the values' types at every evaluation (the messages
        // of every subject of a large capture are such joins).
        return (r) => {
          step();
          const a = L(r);
          const b = R(r);
          return typeof a === 'string' && typeof b === 'string' ? a + b : handle(a, b, ast, ev);
        };
      }
      const fast = FAST_BINARY[op];
      if (fast) {
        return (r) => {
          step();
          const a = L(r);
          const b = R(r);
          const v = fast(a, b);
          return v !== undefined ? v : handle(a, b, ast, ev);
        };
      }
      return (r) => {
        step();
        return handle(L(r), R(r), ast, ev);
      };
    }
    if (op === '!_' || op === '-_') {
      const handle = this.handle(ast);
      const X = this.node(ast.args as AstNode, scope);
      return (r) => {
        step();
        return handle(X(r), ast, ev);
      };
    }
    if (op === '&&' || op === '||') {
      const [l, rt] = ast.args as [AstNode, AstNode];
      const L = this.node(l, scope);
      const R = this.node(rt, scope);
      const stop = op === '||'; // the left value that decides alone
      return (r) => {
        step();
        const a = L(r);
        if (a === stop) return stop;
        if (a !== !stop) bail();
        const b = R(r);
        if (typeof b !== 'boolean') bail();
        return b;
      };
    }
    if (op === '?:') {
      const [c, a, b] = (ast.args as AstNode[]).map((x) => this.node(x, scope));
      return (r) => {
        step();
        const cond = c(r);
        if (cond === true) return a(r);
        if (cond === false) return b(r);
        bail();
      };
    }
    if (op === 'list') {
      const items = (ast.args as AstNode[]).map((x) => this.node(x, scope));
      return (r) => {
        step();
        return values(items, r);
      };
    }
    if (op === 'map') {
      const entries = (ast.args as [AstNode, AstNode][]).map(([k, v]) => [this.node(k, scope), this.node(v, scope)] as const);
      return (r) => {
        step();
        const obj: Record<string, unknown> = {};
        for (const [K, V] of entries) {
          const k = K(r);
          const v = V(r);
          // As cel-js's safeFromEntries.
          if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
          obj[k as string] = v;
        }
        return obj;
      };
    }
    if (op === 'call') {
      const handle = this.handle(ast);
      const [name, list] = ast.args as [string, AstNode[]];
      const args = list.map((x) => this.node(x, scope));
      if (name === 'dyn' && args.length === 1) {
        // dyn(x) is x (cel-js's overload is the identity): its value without an argument list and a call
        // through the handler (`k in m ? dyn(m[k]) : dyn(null)`, twice per backend of a large capture).
        const X = args[0];
        return (r) => {
          step();
          return X(r);
        };
      }
      return (r) => {
        step();
        return handle(values(args, r), ast, ev);
      };
    }
    if (op === 'rcall') {
      const handle = this.handle(ast);
      const all = (ast as unknown as { receiverWithArgs?: AstNode[] }).receiverWithArgs;
      if (!Array.isArray(all)) throw new Unsupported('rcall without receiverWithArgs');
      const args = all.map((x) => this.node(x, scope));
      return (r) => {
        step();
        return handle(values(args, r), ev, ast);
      };
    }
    if (op === 'comprehension') return this.comprehension(ast.args as ComprehensionArgs, scope);
    if (op === 'accuValue') {
      const depth = scope.length - 1;
      if (depth < 0) throw new Unsupported('accuValue outside a comprehension');
      return (r) => {
        step();
        return r.f[depth].a;
      };
    }
    if (op === 'accuPush') {
      const depth = scope.length - 1;
      if (depth < 0) throw new Unsupported('accuPush outside a comprehension');
      const X = this.node(ast.args as AstNode, scope);
      return (r) => {
        step();
        const accu = r.f[depth].a;
        if (!Array.isArray(accu)) bail();
        accu.push(X(r));
        return accu;
      };
    }
    if (op === 'accuInc') {
      const depth = scope.length - 1;
      if (depth < 0) throw new Unsupported('accuInc outside a comprehension');
      return (r) => {
        step();
        const f = r.f[depth];
        return (f.a = (f.a as number) + 1);
      };
    }
    throw new Unsupported(`operation ${op}`);
  }

  private comprehension(args: ComprehensionArgs, scope: string[]): Fn {
    if (typeof args.iterVarName !== 'string' || args.iterVar2Name !== undefined) throw new Unsupported('comprehension shape');
    const I = this.node(args.iterable, scope);
    const inner = [...scope, args.iterVarName];
    const depth = scope.length;
    const Init = this.node(args.init, inner);
    const Step = this.node(args.step, inner);
    const condition = args.condition;
    const result = args.result;
    return (r) => {
      step();
      const items = iterable(I(r));
      const frame: Frame = { v: undefined, a: undefined };
      r.f[depth] = frame;
      let accu = Init(r);
      frame.a = accu;
      for (let i = 0; i < items.length; i++) {
        if (condition && !condition(accu)) break;
        frame.v = items[i];
        accu = Step(r);
        frame.a = accu;
      }
      return result(accu);
    };
  }

  /** The handler cel-js chose for this operator or call when it checked the expression. */
  private handle(ast: AstNode): (...a: unknown[]) => unknown {
    if (typeof ast.handle !== 'function') throw new Unsupported(`${ast.op} has no handler`);
    return ast.handle;
  }
}

let enabled = process.env.MESH_DOCTOR_CEL !== 'interpret';

/** Whether rules run compiled (the default); MESH_DOCTOR_CEL=interpret, or tests, turn it off. */
export function setCompiled(on: boolean): void {
  enabled = on;
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
 * what the closures do not do. `program.ast` is cel-js's tree.
 */
export function compiledProgram(env: Environment, program: { ast?: unknown }, interpreted: Program): Program {
  let compiled: Fn | null | undefined;
  const run: Program = (ctx) => {
    if (compiled === undefined) {
      if (!enabled) return interpreted(ctx);
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
      return compiled({ vars: ctx, f: [] });
    } catch (e) {
      if (e instanceof OverBudget || overBudget()) throw e;
      return interpreted(ctx);
    }
  };
  return Object.assign(run, { ast: program.ast });
}

function compile(env: Environment, ast: AstNode): Fn | null {
  const ev = evaluatorOf(env);
  if (!ev) return null;
  try {
    // The top node counts its own step and charges its size, as meteredProgram does for cel-js.
    return new Compiler(ev).node(ast, []);
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
}
