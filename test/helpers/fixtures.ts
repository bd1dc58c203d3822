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

import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';

/**
 * A generated swarm (scripts/gen-capture.js, with `extra` options) whose sbox has lost its neighbours
 * (every backend FAILED, so backend-in-arp fails for each) and the MARK rules of its mangle
 * PREROUTING but those of the first `keepMarks` ports: no mark says which port the other services'
 * backends serve, so their failures hold for every port of their node. The backends of the first
 * `healthy` services keep their entries.
 */
export function unplacedBackendsCapture(dir: string, nodes: number, services: number, tasks: number, { keepMarks = 0, healthy = 0, extra = [] as string[] } = {}): string {
  execFileSync(process.execPath, [join(ROOT, 'scripts/gen-capture.js'), dir, String(nodes), String(services), String(tasks), ...extra], { stdio: 'ignore' });
  for (const n of readdirSync(join(dir, 'nodes'))) {
    const sbox = join(dir, 'nodes', n, 'ingress_sbox');
    // The backends of the first `healthy` FWM services keep their neighbour entries.
    const kept = new Set<string>();
    let fwm = -1;
    for (const line of readFileSync(join(sbox, 'ipvs.txt'), 'utf8').split('\n')) {
      if (line.startsWith('FWM')) fwm++;
      const m = /^ {2}-> ([0-9A-F]{8}):/.exec(line);
      if (m && fwm >= 0 && fwm < healthy) kept.add(m[1].match(/../g)!.map((h) => parseInt(h, 16)).join('.'));
    }
    const neigh = join(sbox, 'neigh.txt');
    writeFileSync(neigh, readFileSync(neigh, 'utf8').replace(/^(\S+) (.*)lladdr \S+ (?:REACHABLE|STALE|DELAY)$/gm, (line, ip: string, mid: string) => (kept.has(ip) ? line : `${ip} ${mid}FAILED`)));
    const ipt = join(sbox, 'iptables.txt');
    let marks = 0;
    writeFileSync(ipt, readFileSync(ipt, 'utf8').replace(/^-A PREROUTING .* -j MARK .*\n/gm, (line) => (marks++ < keepMarks ? line : '')));
  }
  return dir;
}
