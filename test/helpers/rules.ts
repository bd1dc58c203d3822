import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRuleFile } from '../../src/rules/loader.js';
import type { LoadedRule } from '../../src/rules/types.js';

/** The seven lines every test rule starts with (a rule file's required fields but its checks). */
export const ruleHead = (id: string, what: string) => `id: ${id}
title: A rule made by the tests
severity: fail
scope: node
description: Made by the ${what} tests to prove one behaviour.
remediation: Nothing to do, this is a test rule of the suite.
references: [test]
`;

/** YAML's single-quoted form of a CEL expression. */
const quoted = (cel: string) => `'${cel.replace(/'/g, "''")}'`;

/** The body of a rule over the CEL list `items`: subject string(item), one check (message "no"), and its pass message. */
export const itemsRule = (items: string, assert: string, pass = '"fine"') => `forEach: ${quoted(items)}
subject: string(item)
checks:
  - assert: ${quoted(assert)}
    message: '"no"'
pass: ${quoted(pass)}
`;

/**
 * Rule files a test file writes: a temporary folder made before its tests and removed after them;
 * `write` gives the path of a rule (its head, then `body`), `load` the rule loaded as rules/<id>.yaml.
 */
export function testRules(what: string): { dir: () => string; write: (id: string, body: string) => string; load: (id: string, body: string) => LoadedRule } {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'md-rules-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (id: string, body: string) => {
    const p = join(dir, `${id}.yaml`);
    // A body with its own remediation replaces the head's.
    const head = /^remediation:/m.test(body) ? ruleHead(id, what).replace(/^remediation:.*\n/m, '') : ruleHead(id, what);
    writeFileSync(p, head + body);
    return p;
  };
  return { dir: () => dir, write, load: (id, body) => loadRuleFile(write(id, body), `rules/${id}.yaml`) };
}
