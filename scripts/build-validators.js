#!/usr/bin/env node
// Precompile the rule, config and cases schemas into standalone validation code
// (dist/validators/<name>.cjs), so that loading a rule file or the config does not compile JSON
// Schemas with ajv at run time.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

const root = new URL('../', import.meta.url);
const out = new URL('dist/validators/', root);
mkdirSync(out, { recursive: true });
for (const name of ['rule', 'config', 'cases']) {
  const schema = JSON.parse(readFileSync(new URL(`schemas/${name}.schema.json`, root), 'utf8'));
  const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true, code: { source: true } });
  writeFileSync(new URL(`${name}.cjs`, out), standaloneCode(ajv, ajv.compile(schema)));
}
