export type Obj = Record<string, unknown>;

/** A JSON value as an object to read fields from: anything else (null, arrays, scalars) reads as {}. */
export const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
