import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCapture } from '../../src/capture/read.js';
import { buildSnapshot, type Snapshot } from '../../src/model/build.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = join(ROOT, 'fixtures');

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

export function snapshotOf(name: string): Snapshot {
  return buildSnapshot(readCapture(fixture(name)));
}

export function schema(name: string): object {
  return JSON.parse(readFileSync(join(ROOT, 'schemas', name), 'utf8'));
}

import { createRequire } from 'node:module';

type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };
const require = createRequire(import.meta.url);

/** A compiled JSON Schema validator (ajv is CommonJS: loaded through require). */
export function validator(schemaFile: string, draft2020 = false): Validate {
  const Ajv = (draft2020 ? require('ajv/dist/2020') : require('ajv')).default as new (o: object) => { compile: (s: object) => Validate };
  const ajv = new Ajv({ strict: false, allErrors: true });
  if (!draft2020) (require('ajv-formats').default as (a: unknown) => void)(ajv);
  return ajv.compile(schema(schemaFile));
}
