import { snapshotSchema } from './schema.js';

/**
 * Set (not enumerable) on every model class's prototype: compiled CEL reads a field of an object
 * that has it as a plain property read, with no check of what else the object might be.
 */
export const MODEL: unique symbol = Symbol('mesh-doctor model object');

/**
 * One class per snapshot type of the JSON Schema. CEL reads instances of these directly (no
 * per-evaluation conversion), and knows their fields from the schema, so a misspelt field in a rule
 * is caught when the rule is loaded.
 */
export type ModelClass = new (fields: Record<string, unknown>) => Record<string, unknown>;

let types: Map<string, ModelClass> | undefined;

/**
 * Fields computed when first read, not when the snapshot is built: derived from what the parsers
 * read, and read only by some rules. `make` takes each as its value or as a function that computes
 * it (called once, on the first read); they read like any other field (the class's prototype holds
 * their getters). A trace of one port reads a node's IPVS service for that port's mark and its
 * neighbour entries, and the backends of one IPVS service: building the rest for every node was
 * about a fifth of its time.
 */
const LAZY_FIELDS: Record<string, readonly string[]> = {
  IpvsService: ['backends'],
  Node: [
    'ipvsBackends', 'ipvsBackendsByAddress', 'marks', 'markByPort', 'ingressDnat', 'ingressDnatByPort',
    'sboxVips', 'sboxVipByAddress', 'sboxIngressIfname', 'marksByValue', 'preroutingMarkValues', 'nodeOverlays',
    'neighbours', 'neighbourByIp', 'netmgrDockerDevices', 'netmgrManaged', 'kernelModules',
  ],
  // The way to a drop: walked in full only when a rule reads it (a failure's evidence).
  Trace: ['hops'],
};

/**
 * The fields in schema order of each class with lazy fields: toJson lists such an object by them,
 * as its own properties leave the lazy ones out.
 */
const LAZY_FIELD_ORDER = new WeakMap<object, string[]>();

/**
 * The getter of a lazy field, kept in its own slot: the value made with, or the function's result,
 * computed once.
 */
function lazyGetter(slot: symbol): () => unknown {
  return function (this: Record<symbol, unknown>) {
    let v = this[slot];
    if (typeof v === 'function') this[slot] = v = (v as () => unknown)();
    return v;
  };
}

/**
 * A constructor per schema type that assigns every field in schema order (one hidden class per
 * type, so CEL's field access stays monomorphic; a lazy field into a slot of its own, read through
 * the prototype's getter) and turns integer fields into BigInt, as CEL's int requires (never
 * throwing: see below). Generated from the schema, which is ours: no outside text reaches the code.
 */
function constructorFor(name: string, props: Record<string, { type?: string }>): ModelClass {
  if (!/^[A-Z]\w*$/.test(name)) throw new Error(`bad snapshot type name ${name}`);
  const lazyKeys = LAZY_FIELDS[name] ?? [];
  const lazy = new Set(lazyKeys);
  for (const k of lazyKeys) if (!/^[a-zA-Z]\w*$/.test(k) || !props[k] || props[k].type === 'integer') throw new Error(`lazy field ${name}.${k} is not a non-integer field of the schema`);
  const body = Object.entries(props)
    .filter(([k]) => !lazy.has(k))
    .map(([k, p]) => assignment(name, k, p, 'f'))
    .concat(lazyKeys.map((k, i) => `this[slots[${i}]] = this[made[${i}]] = f.${k};`))
    .join('\n');
  const slots = lazyKeys.map((k) => Symbol(`${name}.${k}`));
  const made = lazyKeys.map((k) => Symbol(`${name}.${k} as made`));
  const ctor = new Function('int', 'slots', 'made', `return function ${name}(f) {\n${body}\n}`)(int, slots, made) as ModelClass;
  lazyKeys.forEach((k, i) => Object.defineProperty(ctor.prototype, k, { get: lazyGetter(slots[i]), enumerable: true }));
  Object.defineProperty(ctor.prototype, MODEL, { value: true });
  if (lazyKeys.length) {
    LAZY_FIELD_ORDER.set(ctor, Object.keys(props));
    Object.defineProperty(ctor.prototype, LAZY_SLOTS, { value: { slots, made } });
  }
  return ctor;
}

/** On the prototype of a class with lazy fields: each field's slot, and the slot that keeps what it was made with. */
const LAZY_SLOTS: unique symbol = Symbol('mesh-doctor lazy slots');

/**
 * Forget the lazy fields an object has computed (see LAZY_FIELDS): each is computed again when next
 * read, by the function it was made with. A check lets go of a node's derived indexes once every
 * rule has read that node, rather than keep every node's until the end.
 */
export function releaseLazy(obj: object): void {
  const l = (obj as { [LAZY_SLOTS]?: { slots: symbol[]; made: symbol[] } })[LAZY_SLOTS];
  if (!l) return;
  const o = obj as Record<symbol, unknown>;
  for (let i = 0; i < l.slots.length; i++) if (typeof o[l.made[i]] === 'function') o[l.slots[i]] = o[l.made[i]];
}

/** The constructor line that assigns field `k` from the object named `from` (integers through int). */
function assignment(name: string, k: string, p: { type?: string }, from: 'f' | 'e'): string {
  if (!/^[a-zA-Z]\w*$/.test(k)) throw new Error(`bad field name ${name}.${k}`);
  // Parsers hand over integers only; a number that is not one would make BigInt throw and lose the
  // whole run, so it is kept as is (a rule reading it then fails alone, as a type error).
  return p.type === 'integer' ? `this.${k} = int(${from}.${k});` : `this.${k} = ${from}.${k};`;
}

/**
 * The BigInts of 0 to 65535, each made once, when first needed: nearly every integer of a snapshot
 * is a port, a line, a weight or a count, and a BigInt is an object of its own (a 50-node capture
 * has about a million). Made as needed, not all 65,536 at once (1.5 MB, most never used).
 */
const SMALL: (bigint | undefined)[] = new Array(65536);

/** A field's integer as CEL's int; a value that is none stays as it is (a rule reading it then fails alone, as a type error). */
function int(v: unknown): unknown {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) return v;
  if (v >= 0 && v < 65536) return (SMALL[v] ??= BigInt(v));
  return BigInt(v);
}

function load(): Map<string, ModelClass> {
  if (types) return types;
  types = new Map();
  for (const [name, def] of Object.entries(snapshotSchema().$defs ?? {})) types.set(name, constructorFor(name, def.properties ?? {}));
  return types;
}

export function modelClass(name: string): ModelClass {
  const t = load().get(name);
  if (!t) throw new Error(`no snapshot type ${name}`);
  return t;
}

/**
 * An instance of snapshot type `name` from `fields` (extra keys are ignored; integers become BigInt;
 * a lazy field, see LAZY_FIELDS, may be given as a function that computes it when first read).
 */
export function make<T = Record<string, unknown>>(name: string, fields: object): T {
  return new (modelClass(name))(fields as Record<string, unknown>) as T;
}

/**
 * Instances of snapshot type `name`, one per parsed item, each with the fields of `extra` besides
 * (a backend's service and mark, a neighbour's file): a constructor of the type's own (its class's
 * prototype, fields in schema order) that reads those fields from `extra` and the rest from the
 * item, so that nothing is copied first. Made once per type and set of extra fields.
 */
export function modelsOf(name: string, parsed: readonly object[], extra: Record<string, unknown>): unknown[] {
  const keys = Object.keys(extra);
  const id = `${name} ${keys.join(' ')}`;
  let ctor = withExtras.get(id);
  if (!ctor) {
    const base = modelClass(name);
    const props = snapshotSchema().$defs?.[name]?.properties ?? {};
    if (LAZY_FIELDS[name] || keys.some((k) => !props[k])) throw new Error(`modelsOf: ${name} has lazy fields, or no field among ${keys.join(', ')}`);
    const extras = new Set(keys);
    const body = Object.entries(props)
      .map(([k, p]) => assignment(name, k, p, extras.has(k) ? 'e' : 'f'))
      .join('\n');
    ctor = new Function('int', `return function ${name}(f, e) {\n${body}\n}`)(int) as ModelWithExtras;
    ctor.prototype = base.prototype;
    withExtras.set(id, ctor);
  }
  const out: unknown[] = new Array(parsed.length);
  for (let i = 0; i < parsed.length; i++) out[i] = new ctor(parsed[i], extra);
  return out;
}

type ModelWithExtras = new (fields: object, extra: object) => Record<string, unknown>;
const withExtras = new Map<string, ModelWithExtras>();

/** The snapshot as plain JSON: BigInt -> number, Map -> object. */
export function toJson(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, v] of value) o[String(k)] = toJson(v);
    return o;
  }
  if (value && typeof value === 'object') {
    const o: Record<string, unknown> = {};
    // A type with lazy fields: every field in schema order, as the others list their own.
    const lazy = LAZY_FIELD_ORDER.get(value.constructor);
    if (lazy) for (const k of lazy) o[k] = toJson((value as Record<string, unknown>)[k]);
    else for (const [k, v] of Object.entries(value)) o[k] = toJson(v);
    return o;
  }
  return value;
}
