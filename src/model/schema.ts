import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where the published JSON Schemas live (shipped with the package). */
export const SCHEMA_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

export interface JsonSchema {
  type?: string;
  $ref?: string;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  properties?: Record<string, JsonSchema>;
  enum?: unknown[];
  description?: string;
  'x-cel-type'?: string;
  $defs?: Record<string, JsonSchema>;
}

let cached: JsonSchema | undefined;

export function snapshotSchema(): JsonSchema {
  cached ??= JSON.parse(readFileSync(SCHEMA_DIR + 'snapshot.schema.json', 'utf8')) as JsonSchema;
  return cached;
}

/** The CEL type of a schema node: integer -> int, array -> list<T>, map -> map<string, T>, $ref -> type name. */
export function celType(s: JsonSchema): string {
  if (s['x-cel-type']) return s['x-cel-type'];
  if (s.$ref) return s.$ref.replace('#/$defs/', '');
  switch (s.type) {
    case 'string':
      return 'string';
    case 'integer':
      return 'int';
    case 'number':
      return 'double';
    case 'boolean':
      return 'bool';
    case 'array':
      return `list<${s.items ? celType(s.items) : 'dyn'}>`;
    case 'object':
      if (s.additionalProperties && typeof s.additionalProperties === 'object') return `map<string, ${celType(s.additionalProperties)}>`;
      return 'map<string, dyn>';
    default:
      return s.enum ? 'string' : 'dyn';
  }
}
