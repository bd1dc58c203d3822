#!/usr/bin/env node
// Precompile the rule schema into standalone validation code (dist/validators/rule.cjs), so that
// loading a rule file does not compile JSON Schemas with ajv at run time.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

const root = new URL('../', import.meta.url);
const schema = JSON.parse(readFileSync(new URL('schemas/rule.schema.json', root), 'utf8'));
const ajv = new Ajv({ allErrors: false, strict: true, code: { source: true } });
const out = new URL('dist/validators/', root);
mkdirSync(out, { recursive: true });
writeFileSync(new URL('rule.cjs', out), standaloneCode(ajv, ajv.compile(schema)));
