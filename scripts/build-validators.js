#!/usr/bin/env node
// Precompile the rule schema into standalone validation code (dist/validators/rule.js), so that
// `mesh-doctor` does not compile JSON Schemas with ajv at every start.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

const root = new URL('../', import.meta.url);
const schema = JSON.parse(readFileSync(new URL('schemas/rule.schema.json', root), 'utf8'));
const ajv = new Ajv({ allErrors: false, strict: true, code: { source: true, esm: true } });
const validate = ajv.compile(schema);
const out = new URL('dist/validators/', root);
mkdirSync(out, { recursive: true });
// ajv emits require() for its runtime helpers even in ESM mode: turn them into imports.
let code = standaloneCode(ajv, validate);
const imports = [];
code = code.replace(/require\("(ajv\/dist\/runtime\/[\w]+)"\)/g, (_, mod) => {
  const name = `runtime${imports.length}`;
  imports.push(`import ${name} from "${mod}.js";`);
  return `{default: ${name}.default ?? ${name}}`;
});
code = code.replace('"use strict";', `"use strict";${imports.join('')}`);
writeFileSync(new URL('rule.js', out), code);
