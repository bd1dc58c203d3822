import { releaseNode, type ClusterModel, type InputModel, type NodeModel, type Snapshot } from '../model/build.js';
import { toJson } from '../model/classes.js';
import type { LoadedRule, Program, Result, Status } from './types.js';
import { DEFAULT_BUDGET, installMeter, metered, OverBudget, overBudget, type EvalBudget } from './budget.js';
import { itself, TextMemo } from '../parse/types.js';

export { DEFAULT_BUDGET, type EvalBudget } from './budget.js';

/**
 * Why a rule cannot run on this node: its inputs. A cluster rule that names a node input (say
 * `info?`) reads it from every node: one node's unreadable copy is an error for the rule, never a
 * comparison made quietly without that node.
 */
function gate(rule: LoadedRule, node: NodeModel | undefined, cluster: ClusterModel, nodes: NodeModel[]): { status: Status; message: string } | undefined {
  let skip: string | undefined;
  for (const req of rule.requires) {
    if (!req.input.startsWith('cluster.') && node === undefined) {
      const bad = nodes.map((n) => n.inputs.get(req.input)).filter((i): i is InputModel => i?.status === 'invalid');
      if (bad.length > 0) return { status: 'error', message: `cannot check: ${bad.map((i) => i.message).join('; ')}` };
      continue;
    }
    const input: InputModel | undefined = req.input.startsWith('cluster.') ? cluster.inputs.get(req.input) : node?.inputs.get(req.input);
    if (!input) {
      if (!req.optional) skip ??= `needs ${req.input}, which this capture does not have`;
      continue;
    }
    if (input.status === 'invalid') return { status: 'error', message: `cannot check: ${input.message}` };
    if (req.optional) continue;
    if (input.status === 'missing') skip ??= `needs ${input.file}, which is not in the capture`;
    else if (input.status === 'uncaptured') skip ??= `${input.file} was not captured (${input.message})`;
  }
  return skip ? { status: 'skip', message: skip } : undefined;
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

class EvalError extends Error {
  constructor(
    readonly field: string,
    cause: unknown,
  ) {
    super(`${field}: ${firstLine(cause)}`);
  }
}

function run(p: Program, ctx: Record<string, unknown>, field: string): unknown {
  let v: unknown;
  let failure: { e: unknown } | undefined;
  try {
    v = p(ctx);
  } catch (e) {
    failure = { e };
  }
  // Over budget wins: cel-js may have turned the budget's error into another on the way up, or
  // swallowed it (`||`, `exists`); a rule over budget never gets a value through.
  const over = failure?.e instanceof OverBudget ? failure.e : overBudget();
  if (over) {
    over.field ||= field;
    throw over;
  }
  if (failure) throw new EvalError(field, failure.e);
  return v;
}

/**
 * A rule's `let` values as properties of the context, each computed when first read and once per
 * item: a value only a failure message needs costs nothing on the passes. The properties are
 * defined once per context (redefining them per item would slow every later lookup).
 */
function lazyLets(rule: LoadedRule, ctx: Record<string, unknown>): { reset: () => void } {
  const n = rule.lets.length;
  const values: unknown[] = new Array(n);
  const known: boolean[] = new Array(n).fill(false);
  rule.lets.forEach((v, i) => {
    Object.defineProperty(ctx, v.name, {
      configurable: true,
      enumerable: true,
      get: () => {
        if (!known[i]) {
          values[i] = run(v.program, ctx, `let.${v.name}`);
          known[i] = true;
        }
        return values[i];
      },
    });
  });
  return { reset: () => known.fill(false) };
}

/**
 * The evidence and where of a pass, skip or error: one shared, frozen pair rather than two new
 * objects per result (a 50-node check has 300,000 passes).
 */
const NO_EVIDENCE: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
const NO_WHERE: string[] = Object.freeze([]) as unknown as string[];

/**
 * A string built by CEL's `+` is a tree of V8 cons strings, about three times the size of its text;
 * a large capture keeps hundreds of thousands of messages until the report is written. Reading one
 * character makes V8 flatten the tree into one string in place, and the tree's nodes die young.
 */
function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

/** A rule's texts kept in its last context, in order, and in the one under way (Sink.text). */
interface Lane {
  last: string[];
  cur: string[];
}

/**
 * Where an evaluation puts what it finds: the results, the passes it only counts (when asked), and
 * each subject and message text of the results once. A check repeats them from node to node: the
 * 50-node capture's 356,407 messages are 34,866 texts, its subjects 7,071, and a report that lists
 * every result holds them all until it is written.
 */
class Sink {
  /** Past 2^17 texts per evaluation, new ones are kept as they come. */
  private readonly texts = new TextMemo<string>(1 << 17);

  constructor(
    /** Where results go: the list of the rule under way (evaluate sets it). */
    public results: Result[],
    readonly passes: PassCounts | undefined,
  ) {}

  /**
   * Per rule, the texts its last context (node) kept, in order, and those of the context under way:
   * the nodes of a swarm list the same subjects and messages in the same order, and comparing a text
   * with the one at its place last time costs a fraction of hashing it (and, when equal, of flattening it).
   */
  private readonly lanes = new Map<string, Lane>();
  private lane: Lane = { last: [], cur: [] };

  /** A rule begins in a context (a node, or the cluster). */
  begin(rule: string): void {
    let l = this.lanes.get(rule);
    if (!l) this.lanes.set(rule, (l = { last: [], cur: [] }));
    // A context that kept nothing (every pass counted) leaves the last one's texts to compare with.
    else if (l.cur.length > 0) {
      l.last = l.cur;
      l.cur = [];
    }
    this.lane = l;
  }

  /** The text once per evaluation, flat: the one kept at its place in the rule's last context when equal. */
  text(s: string): string {
    const l = this.lane;
    const prev = l.last[l.cur.length];
    const t = prev === s ? prev : this.texts.of(flat(s), itself);
    l.cur.push(t);
    return t;
  }

  /** `n` more passes of a rule in a context (a node, or the cluster: ''), when passes are counted. */
  countPasses(nodeName: string | null, rule: string, n: number): void {
    const passes = this.passes!;
    let perRule = passes.get(nodeName ?? '');
    if (!perRule) passes.set(nodeName ?? '', (perRule = new Map()));
    perRule.set(rule, (perRule.get(rule) ?? 0) + n);
  }

  /** What a rule produced in a context since `start` (a length of results), taken back: its results and its passes. */
  takeBack(start: number, nodeName: string | null, rule: string): void {
    this.results.length = start;
    const perRule = this.passes?.get(nodeName ?? '');
    perRule?.delete(rule);
    if (perRule?.size === 0) this.passes!.delete(nodeName ?? '');
  }
}

/**
 * Passes counted rather than kept (EvaluateOptions.passCounts): per node (its folder name; '' for
 * cluster rules), per rule id, how many pass results the rule had there.
 */
export type PassCounts = Map<string, Map<string, number>>;

/** Evaluate one rule in one context (a node, or the cluster); every outcome becomes a result, or a pass only a count (`passes`). */
function evaluateIn(rule: LoadedRule, nodeName: string | null, ctx: Record<string, unknown>, node: NodeModel | undefined, cluster: ClusterModel, sink: Sink): void {
  const spec = rule.spec;
  // Passes counted here, and added when the rule is done in this context: over budget, it never is.
  let passes = 0;
  const counting = sink.passes !== undefined;
  // Remediation and where are for results a person acts on; a pass, skip or error carries empty ones.
  const push = (status: Status, subject: string, message: string, evidence: Record<string, unknown> = NO_EVIDENCE, remediation = '', where: string[] = NO_WHERE) => {
    // Its message was made all the same: a pass message that cannot be evaluated is an error.
    if (counting && status === 'pass') passes++;
    else sink.results.push({ rule: spec.id, status, severity: spec.severity, node: nodeName, subject: sink.text(subject), message: sink.text(message), evidence, remediation, docs: rule.docs, where });
  };
  evaluateItems(rule, ctx, node, cluster, push);
  if (passes > 0) sink.countPasses(nodeName, spec.id, passes);
}

/**
 * forEach's value as a list. The loader checks that forEach is one; a `dyn` value may still be a map
 * (its entries are the items, as a for-of reads them) or no collection at all (an error result).
 */
function listOf(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v !== null && typeof v === 'object' && Symbol.iterator in v) return [...(v as Iterable<unknown>)];
  throw new EvalError('forEach', `is ${v === null ? 'null' : typeof v === 'bigint' ? 'an int' : `a ${typeof v}`}, not a list`);
}

type Push = (status: Status, subject: string, message: string, evidence?: Record<string, unknown>, remediation?: string, where?: string[]) => void;

/** The names of each check's fields in error messages ('checks[0].assert'), made once per rule. */
const checkFields = new WeakMap<LoadedRule, { assert: string[]; message: string[] }>();

function fieldsOf(rule: LoadedRule): { assert: string[]; message: string[] } {
  let f = checkFields.get(rule);
  if (!f) checkFields.set(rule, (f = { assert: rule.checks.map((c) => `${c.field}.assert`), message: rule.checks.map((c) => `${c.field}.message`) }));
  return f;
}

/** evaluateIn's work: the rule's gate, variables, items and checks, each outcome given to `push`. */
function evaluateItems(rule: LoadedRule, ctx: Record<string, unknown>, node: NodeModel | undefined, cluster: ClusterModel, push: Push): void {
  const spec = rule.spec;

  const blocked = gate(rule, node, cluster, (ctx.nodes as NodeModel[] | undefined) ?? []);
  if (blocked) {
    push(blocked.status, '', blocked.message);
    return;
  }
  let subject = '';
  try {
    for (const v of rule.variables) ctx[v.name] = run(v.program, ctx, `variables.${v.name}`);
    if (rule.when && run(rule.when, ctx, 'when') !== true) {
      push('skip', '', rule.skipMessage ? String(run(rule.skipMessage, ctx, 'skipMessage')) : `does not apply here (when: ${spec.when?.trim()})`);
      return;
    }
    const items = rule.forEach ? listOf(run(rule.forEach, ctx, 'forEach')) : [undefined];
    const lets = lazyLets(rule, ctx);
    const checks = rule.checks;
    const fields = fieldsOf(rule);
    if (items.length === 0) {
      push(spec.emptyStatus ?? 'pass', '', rule.empty ? String(run(rule.empty, ctx, 'empty')) : 'nothing to check here');
      return;
    }
    // Indexed, not for-of: this function is too large for V8 to optimize, and for-of outside optimized
    // code makes an iterator result per item (14 MB over the 50-node capture's 356,000 items).
    for (let k = 0; k < items.length; k++) {
      const item = items[k];
      if (rule.forEach) ctx.item = item;
      try {
        lets.reset();
        subject = rule.subject ? String(run(rule.subject, ctx, 'subject')) : '';
        let status: Status = 'pass';
        let message: Program = rule.pass;
        let field = 'pass';
        for (let i = 0; i < checks.length; i++) {
          const c = checks[i];
          if (run(c.assert, ctx, fields.assert[i]) !== true) {
            status = c.severity;
            message = c.message;
            field = fields.message[i];
            break;
          }
        }
        const text = String(run(message, ctx, field));
        // Evidence backs a warn or fail; computing it for every pass would dominate large captures.
        if (status === 'pass') {
          push(status, subject, text);
          continue;
        }
        const evidence = rule.evidence ? (toJson(run(rule.evidence, ctx, 'evidence')) as Record<string, unknown>) : {};
        push(status, subject, text, evidence, fillRemediation(rule, ctx), whereOf(rule, ctx, rule.forEach ? item : undefined));
      } catch (e) {
        if (e instanceof OverBudget) throw e;
        push('error', subject, `rule evaluation failed at ${e instanceof EvalError ? e.message : firstLine(e)}`);
      }
    }
  } catch (e) {
    if (e instanceof OverBudget) throw e;
    push('error', subject, `rule evaluation failed at ${e instanceof EvalError ? e.message : firstLine(e)}`);
  }
}

/**
 * The remediation with its `${{ }}` holes filled in for this result, whitespace folded (each run of
 * it one space, none at either end). The rule's text is folded once; each result folds only what its
 * holes gave and joins the pieces so that no two spaces meet: the text that folding the whole gives.
 * Folding each result's whole text (800 characters for backend-in-arp) took 1.6 s of a check whose
 * 100,000 backends had all failed.
 */
function fillRemediation(rule: LoadedRule, ctx: Record<string, unknown>): string {
  let parts = foldedRemediation.get(rule);
  if (!parts) foldedRemediation.set(rule, (parts = rule.remediation.map((p) => (typeof p === 'string' ? fold(p) : p))));
  let text = '';
  // At the start as after a space: a leading space goes, as trim() takes it.
  let afterSpace = true;
  for (const part of parts) {
    let piece = typeof part === 'string' ? part : fold(textOf(run(part, ctx, 'remediation')));
    if (afterSpace && piece.charCodeAt(0) === 32) piece = piece.slice(1);
    if (piece.length === 0) continue;
    text += piece;
    afterSpace = piece.charCodeAt(piece.length - 1) === 32;
  }
  return afterSpace && text.length > 0 ? text.slice(0, -1) : text;
}
const foldedRemediation = new WeakMap<LoadedRule, (string | Program)[]>();

/** Each run of whitespace as one space (a text with none but single spaces is given back as it is). */
function fold(s: string): string {
  return /[^\S ]| {2}/.test(s) ? s.replace(/\s+/g, ' ') : s;
}

function textOf(v: unknown): string {
  const j = toJson(v);
  if (Array.isArray(j)) return j.map(textOf).join(', ');
  return typeof j === 'string' ? j : typeof j === 'object' && j !== null ? JSON.stringify(j) : String(j);
}

/** Where a result was read: the rule's `where`, else the item's own file and line when it has them. */
function whereOf(rule: LoadedRule, ctx: Record<string, unknown>, item: unknown): string[] {
  if (rule.where) {
    const j = toJson(run(rule.where, ctx, 'where'));
    return (Array.isArray(j) ? j : [j]).map(String).filter((x) => x !== '');
  }
  const it = item as { file?: unknown; line?: unknown } | undefined;
  if (it && typeof it === 'object' && typeof it.file === 'string' && it.file) {
    const line = Number(it.line ?? 0);
    return [line > 0 ? `${it.file}:${line}` : it.file];
  }
  return [];
}

export interface EvaluateOptions {
  /** What one rule may spend on one node; DEFAULT_BUDGET for what is not given. */
  budget?: Partial<EvalBudget>;
  /** Evaluate node rules on these nodes only (--node); cluster rules still see every node. */
  nodes?: ReadonlySet<string>;
  /**
   * Count passes here rather than return them (each rule's pass message is evaluated all the
   * same): for reports that name no pass (ReportInput.passCounts). A 50-node check has 350,000
   * passes, most of the memory a check holds.
   */
  passCounts?: PassCounts;
}

/**
 * One rule in one context under its budget. Over budget, the results the rule produced there are
 * dropped for one error naming the rule file; returns why, so that later nodes skip the rule.
 */
function evaluateMetered(rule: LoadedRule, nodeName: string | null, ctx: Record<string, unknown>, node: NodeModel | undefined, cluster: ClusterModel, sink: Sink, budget: EvalBudget): string | undefined {
  const start = sink.results.length;
  try {
    sink.begin(rule.spec.id);
    metered(budget, () => evaluateIn(rule, nodeName, ctx, node, cluster, sink));
    return undefined;
  } catch (e) {
    if (!(e instanceof OverBudget)) throw e;
    sink.takeBack(start, nodeName, rule.spec.id);
    const where = nodeName === null ? 'on the cluster' : `on node ${nodeName}`;
    sink.results.push(errorResult(rule, nodeName, `${rule.path}: evaluation over budget ${where}: ${e.reason}${e.field ? ` (at ${e.field})` : ''}`));
    return e.reason;
  }
}

function errorResult(rule: LoadedRule, nodeName: string | null, message: string): Result {
  return { rule: rule.spec.id, status: 'error', severity: rule.spec.severity, node: nodeName, subject: '', message, evidence: {}, remediation: '', docs: rule.docs, where: [] };
}

/**
 * Every rule against the snapshot: node rules once per node folder, cluster rules once. Every rule
 * yields at least one result for every node it applies to; silence is never a result. A rule that
 * goes over its budget on one node is not evaluated on the nodes after it.
 *
 * The cluster rules run first, then node by node every node rule; once a node's rules are done, what
 * the node derived when first read is let go (releaseNode), so that a large capture holds one
 * node's indexes at a time, not all of them. Results come out by rule, then node, as if each rule
 * had run on every node in turn (rules are independent: each reads the snapshot, none changes it).
 */
export function evaluate(rules: LoadedRule[], snap: Snapshot, opts: EvaluateOptions = {}): Result[] {
  installMeter();
  const budget: EvalBudget = { ...DEFAULT_BUDGET, ...opts.budget };
  // Per rule, its results in node order; passes counted per node and rule, handed over by rule below.
  const byRule: Result[][] = rules.map(() => []);
  const passes: PassCounts | undefined = opts.passCounts ? new Map() : undefined;
  const sink = new Sink([], passes);
  rules.forEach((rule, i) => {
    if (rule.spec.scope !== 'cluster') return;
    sink.results = byRule[i];
    evaluateMetered(rule, null, { cluster: snap.cluster, nodes: snap.nodes }, undefined, snap.cluster, sink, budget);
  });
  // Per rule, the node it went over its budget on.
  const overOn: (string | undefined)[] = rules.map(() => undefined);
  for (const node of snap.nodes) {
    if (opts.nodes && !opts.nodes.has(node.name)) continue;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (rule.spec.scope === 'cluster') continue;
      if (overOn[i] !== undefined) {
        byRule[i].push(errorResult(rule, node.name, `${rule.path}: not evaluated on node ${node.name}: over budget on node ${overOn[i]}`));
        continue;
      }
      sink.results = byRule[i];
      if (evaluateMetered(rule, node.name, { node, cluster: snap.cluster }, node, snap.cluster, sink, budget) !== undefined) overOn[i] = node.name;
    }
    releaseNode(node);
  }
  if (passes) handOver(passes, opts.passCounts!, rules, snap);
  const out: Result[] = [];
  for (const list of byRule) for (let k = 0; k < list.length; k++) out.push(list[k]);
  return out;
}

/**
 * Passes counted, added to `to` in the order a rule-by-rule evaluation adds them (the order reports
 * list them in), as countPasses adds them: counts `to` already holds are added to. Each count is
 * taken out of `from` as it is handed over, so that a rule listed twice is not counted twice.
 */
function handOver(from: PassCounts, to: PassCounts, rules: LoadedRule[], snap: Snapshot): void {
  for (const rule of rules) {
    const id = rule.spec.id;
    for (const ctx of rule.spec.scope === 'cluster' ? [''] : snap.nodes.map((n) => n.name)) {
      const n = from.get(ctx)?.get(id);
      if (n === undefined) continue;
      from.get(ctx)!.delete(id);
      let perRule = to.get(ctx);
      if (!perRule) to.set(ctx, (perRule = new Map()));
      perRule.set(id, (perRule.get(id) ?? 0) + n);
    }
  }
}

export interface Summary {
  pass: number;
  warn: number;
  fail: number;
  skip: number;
  error: number;
}

export function summarize(results: Result[]): Summary {
  const s: Summary = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const r of results) s[r.status]++;
  return s;
}

export type FailOn = 'fail' | 'warn' | 'none';

/** Exit code from results and --fail-on alone: 1 when any result is at or above the level (error counts as fail). */
export function exitCode(results: Result[], failOn: FailOn): 0 | 1 {
  if (failOn === 'none') return 0;
  const bad = failOn === 'warn' ? new Set(['warn', 'fail', 'error']) : new Set(['fail', 'error']);
  return results.some((r) => bad.has(r.status)) ? 1 : 0;
}
