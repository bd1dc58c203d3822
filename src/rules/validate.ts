import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { SCHEMA_DIR } from '../model/schema.js';

/** The first schema violation of a rule file: where (path into the document) and what. */
export interface SchemaProblem {
  path: (string | number)[];
  message: string;
}

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}
type ValidateFn = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

const require = createRequire(import.meta.url);
/** The schemas of what mesh-doctor reads from YAML: schemas/<name>.schema.json. */
export type SchemaName = 'rule' | 'config' | 'cases';
const validators = new Map<SchemaName, ValidateFn>();

/**
 * The standalone code `npm run build` generates (scripts/build-validators.js) when it exists; else
 * (running from source) the schema compiled with ajv. Loaded on first use only.
 */
function getValidator(name: SchemaName = 'rule'): ValidateFn {
  let validator = validators.get(name);
  if (validator) return validator;
  try {
    const mod = require(`../validators/${name}.cjs`) as ValidateFn & { default?: ValidateFn };
    validator = mod.default ?? mod;
  } catch {
    const Ajv = (require('ajv') as { default: new (o: object) => { compile: (s: object) => ValidateFn } }).default;
    validator = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true }).compile(JSON.parse(readFileSync(SCHEMA_DIR + `${name}.schema.json`, 'utf8')));
  }
  validators.set(name, validator);
  return validator;
}

function describe(e: AjvError): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown field '${String(e.params.additionalProperty)}'`;
    case 'required':
      return `missing required field '${String(e.params.missingProperty)}'`;
    case 'enum':
      return `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return e.message ?? e.keyword;
  }
}

export function validateRuleSpec(data: unknown): SchemaProblem | undefined {
  return validateAgainst('rule', data);
}

/** The first violation of schemas/<name>.schema.json by `data`, with its path into the document. */
export function validateAgainst(name: SchemaName, data: unknown): SchemaProblem | undefined {
  const v = getValidator(name);
  if (v(data)) return undefined;
  const e = v.errors![0];
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  if (e.keyword === 'additionalProperties') path.push(String(e.params.additionalProperty));
  return { path, message: describe(e) };
}
