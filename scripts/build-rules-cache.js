#!/usr/bin/env node
// Load every bundled rule the full way (YAML, schema, CEL type check) and write what was validated
// to dist/rules-cache.json: the exact text of each file and its parsed spec. At run time a rule file
// whose text is unchanged skips YAML parsing and the schema check (~35 ms of start-up). A rule that
// does not load fails the build here.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'yaml';

// The cache of the previous build goes first: the loader would otherwise trust it, and a rule file
// it lists unchanged would skip the YAML and schema checks this build is there to run.
const CACHE = new URL('../dist/rules-cache.json', import.meta.url);
rmSync(CACHE, { force: true });
const { loadRules, BUNDLED_RULES_DIR } = await import('../dist/rules/loader.js');

const cache = {};
for (const rule of loadRules(BUNDLED_RULES_DIR)) {
  const text = readFileSync(rule.file, 'utf8');
  cache[basename(rule.file)] = { text, spec: parse(text) };
}
writeFileSync(CACHE, JSON.stringify(cache));
