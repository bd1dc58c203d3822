import { snapshotSchema } from './schema.js';

/**
 * One class per snapshot type of the JSON Schema. CEL reads instances of these directly (no
 * per-evaluation conversion), and knows their fields from the schema, so a misspelt field in a rule
 * is caught when the rule is loaded.
 */
export type ModelClass = new () => Record<string, unknown>;

interface TypeInfo {
  cls: ModelClass;
  intFields: string[];
}

let types: Map<string, TypeInfo> | undefined;

function load(): Map<string, TypeInfo> {
  if (types) return types;
  types = new Map();
  for (const [name, def] of Object.entries(snapshotSchema().$defs ?? {})) {
    const cls = { [name]: class {} }[name] as unknown as ModelClass;
    const intFields = Object.entries(def.properties ?? {})
      .filter(([, p]) => p.type === 'integer')
      .map(([k]) => k);
    types.set(name, { cls, intFields });
  }
  return types;
}

export function modelClass(name: string): ModelClass {
  const t = load().get(name);
  if (!t) throw new Error(`no snapshot type ${name}`);
  return t.cls;
}

export function modelTypeNames(): string[] {
  return [...load().keys()];
}

/** An instance of snapshot type `name` with the fields of `fields`; integer fields become BigInt. */
export function make<T = Record<string, unknown>>(name: string, fields: Record<string, unknown>): T {
  const t = load().get(name);
  if (!t) throw new Error(`no snapshot type ${name}`);
  const o = Object.assign(new t.cls(), fields);
  for (const f of t.intFields) {
    const v = o[f];
    if (typeof v === 'number') o[f] = BigInt(v);
  }
  return o as T;
}

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
    for (const [k, v] of Object.entries(value)) o[k] = toJson(v);
    return o;
  }
  return value;
}
