export type Obj = Record<string, unknown>;

/** A JSON value as an object to read fields from: anything else (null, arrays, scalars) reads as {}. */
export const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

/** Add `v` to the list under `k`, starting the list when there is none: the step of a group-by. */
export function pushTo<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
