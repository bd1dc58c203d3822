import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, fixture } from './fixtures.js';
import type { ReportInput } from '../../src/report/types.js';
import type { Result } from '../../src/rules/types.js';

/** The published schemas the pipeline formats are held to (test/schemas/README.md says where each comes from). */
export const JUNIT_XSD = join(ROOT, 'test/schemas/JUnit.xsd');
export const SARIF_SCHEMA = join(ROOT, 'test/schemas/sarif-schema-2.1.0.json');

/** xmllint (libxml2-utils) validating an XML file against the Ant JUnit XSD: its verdict and what it said. */
export function xmllintJunit(file: string): { ok: boolean; output: string } {
  const r = spawnSync('xmllint', ['--noout', '--schema', JUNIT_XSD, file], { encoding: 'utf8' });
  if (r.error) throw new Error(`xmllint could not run (apt-get install libxml2-utils): ${r.error.message}`);
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** An XPath 1.0 expression over an XML file, by xmllint (a real XML parser: entities and references resolved). */
export function xpath(file: string, expr: string): string {
  const r = spawnSync('xmllint', ['--xpath', expr, file], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`xmllint --xpath ${expr}: ${r.stderr}`);
  return r.stdout.replace(/\n$/, '');
}

type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };
const require = createRequire(import.meta.url);

/** The OASIS SARIF 2.1.0 schema (JSON Schema draft-04, so ajv's draft-04 class), with its formats (uri, uri-reference, date-time) checked. */
export function sarifValidator(): Validate {
  const Ajv = require('ajv-draft-04').default as new (o: object) => { compile: (s: object) => Validate };
  const ajv = new Ajv({ strict: false, allErrors: true });
  (require('ajv-formats').default as (a: unknown) => void)(ajv);
  return ajv.compile(JSON.parse(readFileSync(SARIF_SCHEMA, 'utf8')));
}

/** Strings no report may pass through raw: markup, quotes, the workflow-command and table separators, control characters, an injected command. */
export const HOSTILE_NODE = '253<&"\'|,:%\u001b[2J\u0001\r\n::error::injected $x$ `c` *b* <img src=x>';
export const HOSTILE_SERVICE = 'web<&"\'|,:%\u001b]0;title\u0007\u0000\u202e\ufffe\r\n::warning::x';

/**
 * A copy of broken-dnat-target (one fail, on node 253) whose node 253 folder and whose service carry
 * hostile names: the fail's node, where and remediation then hold them. Removed by the caller.
 */
export function hostileCapture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'md-hostile-'));
  cpSync(fixture('broken-dnat-target'), dir, { recursive: true });
  renameSync(join(dir, 'nodes/253'), join(dir, 'nodes', HOSTILE_NODE));
  const services = join(dir, 'cluster/services.json');
  writeFileSync(services, readFileSync(services, 'utf8').replace('"Name": "whoami"', `"Name": ${JSON.stringify(HOSTILE_SERVICE)}`));
  return dir;
}

/**
 * A report's input as a swarm in trouble gives it: `n` copies of its first failure, each with a
 * subject of its own (`tcp/i`), its message ending ` #i` and `suffix`, and a few hundred characters
 * more of remediation.
 */
export function manyFailures(input: ReportInput, n: number, suffix = ''): ReportInput {
  const bad = input.results.find((x) => x.status === 'fail')!;
  const results: Result[] = Array.from({ length: n }, (_, i) => ({ ...bad, subject: `tcp/${i}`, message: `${bad.message} #${i}${suffix}`, remediation: `${bad.remediation} ${'x'.repeat(300)}` }));
  return { ...input, results };
}

/** A report's pieces joined, once each has been checked to be under V8's large-object size (128 KB) and there are more than `min`. */
export function joinedPieces(pieces: string[], min: number): string {
  expect(pieces.length).toBeGreaterThan(min);
  for (const p of pieces) expect(p.length).toBeLessThan(128 * 1024);
  return pieces.join('');
}
