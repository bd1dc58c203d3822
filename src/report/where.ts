import type { Result, Status } from '../rules/types.js';
import type { ReportInput } from './types.js';

/** A place in the capture: a file relative to the capture folder, and its line when known. */
export interface Place {
  file: string;
  line?: number;
}

/** `nodes/253/host/iptables-nat.txt:30` -> file and line; `cluster/nodes.json` -> file only. Line 0 is no line. */
export function parseWhere(where: string): Place {
  const m = /^([\s\S]*):(\d+)$/.exec(where);
  if (!m || m[1] === '') return { file: where };
  const line = Number(m[2]);
  return line >= 1 && Number.isSafeInteger(line) ? { file: m[1], line } : { file: m[1] };
}

// A path of the capture layout named in a message: `cannot check: nodes/253/host/iptables-nat.txt:29: ...`.
const CAPTURE_PATH = /(?:^|[\s(`'"])((?:nodes|cluster)\/[^\s:'"`,;()]+)(?::(\d+))?/;

/**
 * Where a result shows in the capture: its first `where` (warn and fail results have one), or, for
 * a result without one (an `error`, whose message names the file it could not read, and the line),
 * the first capture path its message names. Undefined when nothing names a file.
 */
export function placeOf(r: Result): Place | undefined {
  if (r.where.length) return parseWhere(r.where[0]);
  const m = CAPTURE_PATH.exec(r.message);
  if (!m) return undefined;
  const line = m[2] === undefined ? 0 : Number(m[2]);
  return line >= 1 && Number.isSafeInteger(line) ? { file: m[1], line } : { file: m[1] };
}

/**
 * A capture-relative path (or `file:line`) as the pipeline formats give it: from the repository root
 * when the capture is in one (`fixtures/seed-cluster/nodes/253/...`), else as it is.
 */
export function repoFile(r: ReportInput, file: string): string {
  return r.capturePath ? `${r.capturePath}/${file}` : file;
}

/** `node 253`, or `cluster` for a cluster rule's result: how every report names where a result belongs. */
export const nodeLabel = (node: string | null): string => (node === null ? 'cluster' : `node ${node}`);

/** The problems of a run, as the pipeline formats list them: fail and error first, then warn; accepted ones last. */
export function problems(results: Result[]): Result[] {
  const order: Record<Status, number> = { error: 0, fail: 0, warn: 1, skip: 2, pass: 2 };
  const open = results.filter((x) => !x.accepted && (x.status === 'fail' || x.status === 'error' || x.status === 'warn'));
  // A stable sort: within a level, the order of evaluation (node by node, rule by rule).
  open.sort((a, b) => order[a.status] - order[b.status]);
  return [...open, ...results.filter((x) => x.accepted)];
}
