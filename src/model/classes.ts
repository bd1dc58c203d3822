import { snapshotSchema } from './schema.js';

/**
 * One class per snapshot type of the JSON Schema. CEL reads instances of these directly (no
 * per-evaluation conversion), and knows their fields from the schema, so a misspelt field in a rule
 * is caught when the rule is loaded.
 */
export type ModelClass = new (fields: Record<string, unknown>) => Record<string, unknown>;

let types: Map<string, ModelClass> | undefined;

/**
 * A constructor per schema type that assigns every field in schema order (one hidden class per
 * type, so CEL's field access stays monomorphic) and turns integer fields into BigInt, as CEL's
 * int requires (never throwing: see below). Generated from the schema, which is ours: no outside text reaches the code.
 */
function constructorFor(name: string, props: Record<string, { type?: string }>): ModelClass {
  if (!/^[A-Z]\w*$/.test(name)) throw new Error(`bad snapshot type name ${name}`);
  const body = Object.entries(props)
    .map(([k, p]) => {
      if (!/^[a-zA-Z]\w*$/.test(k)) throw new Error(`bad field name ${name}.${k}`);
      // Parsers hand over integers only; a number that is not one would make BigInt throw and lose the
      // whole run, so it is kept as is (a rule reading it then fails alone, as a type error).
      return p.type === 'integer' ? `this.${k} = int(f.${k});` : `this.${k} = f.${k};`;
    })
    .join('\n');
  return new Function('int', `return function ${name}(f) {\n${body}\n}`)(int) as ModelClass;
}

/**
 * The BigInts of 0 to 65535, made once: nearly every integer of a snapshot is a port, a line, a
 * weight or a count, and a BigInt is an object of its own (a 50-node capture has about a million).
 */
const SMALL: bigint[] = [];

/** A field's integer as CEL's int; a value that is none stays as it is (a rule reading it then fails alone, as a type error). */
function int(v: unknown): unknown {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) return v;
  if (v >= 0 && v < 65536) {
    if (SMALL.length === 0) for (let i = 0; i < 65536; i++) SMALL.push(BigInt(i));
    return SMALL[v];
  }
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

/** An instance of snapshot type `name` from `fields` (extra keys are ignored; integers become BigInt). */
export function make<T = Record<string, unknown>>(name: string, fields: object): T {
  return new (modelClass(name))(fields as Record<string, unknown>) as T;
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
