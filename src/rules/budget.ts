import { Environment } from '@marcbachmann/cel-js';

/**
 * What one rule may spend on one node (or on the cluster): wall-clock time, and "values": one per
 * CEL node evaluated, plus the length of every string or list (of more than 16) that `+` or a
 * function call produces: the operations that can make a value much larger than the work that asked
 * for it, such as list concatenation doubling. A rule over either limit stops promptly with an
 * error result.
 */
export interface EvalBudget {
  timeMs: number;
  values: number;
}

export const DEFAULT_BUDGET: EvalBudget = { timeMs: 10_000, values: 20_000_000 };

/** Thrown (and re-thrown on every later step) once the running rule is over its budget. */
export class OverBudget extends Error {
  /** The rule field being evaluated when the budget ran out (set by the evaluator). */
  field = '';
  constructor(readonly reason: string) {
    super(`over budget: ${reason}`);
    this.name = 'OverBudget';
  }
}

interface Meter {
  budget: EvalBudget;
  deadline: number;
  /** Values consumed before the current chunk. */
  used: number;
  /** Size of the current chunk: `left` counts it down. */
  chunk: number;
  lastClock: number;
  over: OverBudget | undefined;
}

let meter: Meter | undefined;
/**
 * Values left before the next look at the meter. Kept a small integer (V8 stores a double in a
 * module variable as a heap number and would allocate one on every step): UNMETERED when no rule is
 * metered, so that CEL run outside `metered` (load-time checks, tests) costs one decrement per step.
 */
const UNMETERED = 0x3fffffff;
let left = UNMETERED;

/** Clock reads are spaced so that they happen every ~5 ms of work, whatever one step costs. */
const MIN_CHUNK = 16;
const MAX_CHUNK = 1 << 16;
let chunkSize = 1024;

function fmtNumber(n: number): string {
  return n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6} million` : String(n);
}

function fmtTime(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function stop(m: Meter, reason: string): never {
  m.over = new OverBudget(reason);
  left = 0; // every later step ticks, and throws the same error again
  throw m.over;
}

/** The slow path of every step once `left` runs out: account for the chunk, look at the clock. */
function tick(): void {
  const m = meter;
  if (!m) {
    left = UNMETERED;
    return;
  }
  if (m.over) {
    left = 0;
    throw m.over;
  }
  m.used += m.chunk - left;
  if (m.used > m.budget.values) stop(m, `produced more than ${fmtNumber(m.budget.values)} values`);
  const now = performance.now();
  if (now > m.deadline) stop(m, `took more than ${fmtTime(m.budget.timeMs)}`);
  const dt = now - m.lastClock;
  m.lastClock = now;
  if (dt < 1 && chunkSize < MAX_CHUNK) chunkSize *= 2;
  else if (dt > 5 && chunkSize > MIN_CHUNK) chunkSize = Math.max(MIN_CHUNK, chunkSize >> 2);
  m.chunk = Math.min(chunkSize, m.budget.values - m.used + 1);
  left = m.chunk;
}

/** Charge the size of a value an operation produced. */
function charge(v: unknown): void {
  let n: number;
  if (typeof v === 'string') n = v.length;
  else if (typeof v !== 'object' || v === null) return;
  else if (Array.isArray(v) || v instanceof Uint8Array) n = v.length;
  else if (v instanceof Map || v instanceof Set) n = v.size;
  else return;
  if ((left -= n) < 0) tick();
}

/** The operations whose results are charged by size: the ones that can build a value larger than their inputs. */
const sized = (op: unknown) => op === '+' || op === 'rcall' || op === 'call';

/**
 * A compiled expression, metered at its top node too: cel-js evaluates the top node of a program
 * directly, not through `run`, so `l + l` as a whole expression would otherwise go uncharged.
 * `program.ast.op` is the top node's operation in cel-js's parse tree.
 */
export function meteredProgram<C, R>(program: ((ctx: C) => R) & { ast?: { op?: unknown } }): (ctx: C) => R {
  const chargeResult = sized(program.ast?.op);
  const run = (ctx: C): R => {
    if (--left < 0) tick();
    const v = program(ctx);
    if (chargeResult) charge(v);
    return v;
  };
  return Object.assign(run, { ast: program.ast });
}

/** Up to this length a string or list produced by one step is not charged by size (see run below). */
const SMALL = 16;

/** One step of compiled CEL (compile.ts): what `run` below counts per node. */
export function step(): void {
  if (--left < 0) tick();
}

/**
 * `n` steps of compiled CEL with nothing evaluated between them: the same count as n step() calls
 * (tick accounts for what `left` went below zero), and the same outcome (nothing ran in between).
 */
export function steps(n: number): void {
  if ((left -= n) < 0) tick();
}

/** What `run` below charges for the value of a `+` or a call: the length of a string or list longer than SMALL. */
export function chargeProduced(v: unknown): void {
  let n: number;
  if (typeof v === 'string') n = v.length;
  else if (Array.isArray(v) || v instanceof Uint8Array) n = v.length;
  else return;
  if (n > SMALL && (left -= n) < 0) tick();
}

/**
 * Charge a large string or list if the node made it (`+`, a function call); reading a variable or
 * a field is free. Small values are not looked at: reading `ast.op` on every step would cost a
 * quarter of evaluation time, and a value of up to SMALL elements is within a few steps' worth.
 */
function sizeCheck(ast: AstNode, v: unknown): void {
  let n: number;
  if (typeof v === 'string') n = v.length;
  else if (Array.isArray(v) || v instanceof Uint8Array) {
    n = v.length;
    if (n <= SMALL) return;
  } else return;
  if (sized(ast.op) && (left -= n) < 0) tick();
}

interface AstNode {
  op: string;
  evaluate(ev: unknown, ast: AstNode, ctx: unknown): unknown;
}

let installed = false;

/**
 * Meter every step of CEL evaluation. cel-js evaluates every child node through one method,
 * `Evaluator.prototype.run(ast, ctx)` (its body: `return ast.evaluate(this, ast, ctx)`); the
 * Evaluator class is not exported, so its prototype is reached through `this` of a function handler
 * (cel-js calls handlers with the evaluator as `this`). Installed once per process; verified on a
 * probe expression, failing with a clear message if this version of cel-js does not evaluate that
 * way.
 */
export function installMeter(): void {
  if (installed) return;
  const fail = (why: string): never => {
    throw new Error(`mesh-doctor cannot meter CEL evaluation with this version of @marcbachmann/cel-js (${why}); rules would run without their time and size limits`);
  };
  let evaluator: object | undefined;
  const probe = new Environment();
  probe.registerFunction('meshDoctorProbe(): bool', function (this: object) {
    evaluator = this;
    return true;
  });
  try {
    probe.evaluate('meshDoctorProbe()', {});
  } catch (e) {
    fail(`probe failed: ${(e as Error).message}`);
  }
  const proto = evaluator && (Object.getPrototypeOf(evaluator) as { run?: unknown });
  if (!proto || typeof proto.run !== 'function' || proto.run.length !== 2) fail('no Evaluator.prototype.run(ast, ctx) found');
  const original = proto!.run;
  proto!.run = function run(this: unknown, ast: AstNode, ctx: unknown): unknown {
    if (--left < 0) tick();
    const v = ast.evaluate(this, ast, ctx);
    // Kept this small (V8 inlines it into every operator): only a long string or an object goes on.
    if (typeof v === 'string' ? v.length > SMALL : typeof v === 'object') sizeCheck(ast, v);
    return v;
  };
  installed = true;
  // The probe: a metered evaluation must see its steps and the list the concatenation produced.
  const seen = metered({ timeMs: 60_000, values: 1e9 }, () => probe.evaluate('[1, 2].map(x, x + 1) + [3]', {}));
  if (JSON.stringify(seen.value, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)) !== '[2,3,3]' || seen.values < 8) {
    installed = false;
    proto!.run = original;
    fail(`probe evaluated to ${String(seen.value)} counting ${seen.values} values`);
  }
}

/** Run `fn` with a fresh meter for one rule on one node. Not re-entrant. */
export function metered<T>(budget: EvalBudget, fn: () => T): { value: T; values: number } {
  const now = performance.now();
  const m: Meter = { budget, deadline: now + budget.timeMs, used: 0, chunk: 0, lastClock: now, over: undefined };
  meter = m;
  left = 0; // the first step ticks and sizes the first chunk
  try {
    return { value: fn(), values: m.used + m.chunk - left };
  } finally {
    meter = undefined;
    left = UNMETERED;
  }
}

/** The running rule's OverBudget once it has gone over: for code that saw errors, or none, on the way. */
export function overBudget(): OverBudget | undefined {
  return meter?.over;
}
