#!/usr/bin/env node
// Write docs/rules/<id>.md for every bundled rule, and docs/rules/README.md listing them, from
// rules/*.yaml (through dist/rules/docs.js: run `npm run docs:rules`, which builds first). The pages
// are committed so that a result's `docs` link opens in the repository; test/rules/docs.test.ts
// fails when one is out of date. With --check, writes nothing and exits 1 naming the pages that
// differ.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { loadRules, BUNDLED_RULES_DIR } = await import('../dist/rules/loader.js');
const { rulePage, rulesIndexPage, RULE_DOCS_DIR } = await import('../dist/rules/docs.js');

const check = process.argv.includes('--check');
const dir = join(ROOT, RULE_DOCS_DIR);
const rules = loadRules(BUNDLED_RULES_DIR);
const want = new Map(rules.map((r) => [`${r.spec.id}.md`, rulePage(r.spec, r.path)]));
want.set('README.md', rulesIndexPage(rules.map((r) => r.spec)));
const have = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.md')) : [];
const stale = have.filter((n) => !want.has(n));
const differ = [...want].filter(([n, text]) => !existsSync(join(dir, n)) || readFileSync(join(dir, n), 'utf8') !== text).map(([n]) => n);
if (check) {
  if (stale.length || differ.length) {
    console.error(`${RULE_DOCS_DIR}: out of date (run npm run docs:rules): ${[...differ, ...stale.map((n) => `${n} (no such rule)`)].join(', ')}`);
    process.exit(1);
  }
  process.exit(0);
}
mkdirSync(dir, { recursive: true });
for (const n of stale) rmSync(join(dir, n));
for (const n of differ) writeFileSync(join(dir, n), want.get(n));
console.log(`${RULE_DOCS_DIR}: ${want.size} pages, ${differ.length} written, ${stale.length} removed`);
