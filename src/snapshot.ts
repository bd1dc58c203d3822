import { openCapture, type CaptureFiles } from './capture/read.js';
import { buildSnapshot, type Snapshot } from './model/build.js';
import { UsageError } from './util/errors.js';

/*
 * A capture folder read into the snapshot the rules and the walk see, and the nodes --node names:
 * what `check` and `trace` share, apart from the rules and the reports (which `trace` does not load).
 */

/**
 * A capture folder read and modelled, for check and trace: a folder the capture reader refuses, or one
 * without a node, is a usage error (exit 2) naming it (`sourceLabel` for a live capture's temporary folder).
 * The files themselves are not kept: what the rules and the walk read of them is in the snapshot.
 */
export function loadSnapshot(dir: string, o: { maxFileBytes?: number; sourceLabel?: string } = {}): { meta: CaptureFiles['meta']; snapshot: Snapshot } {
  const capture = openCapture(dir, { maxFileBytes: o.maxFileBytes });
  // A gate must never pass on nothing: a capture without a node has nothing to check.
  if (capture.nodeNames.length === 0) throw new UsageError(`${o.sourceLabel ?? dir}: the capture has no node (no folder under nodes/): nothing to check`);
  // Node by node: each node's files are read when it is modelled, and let go after.
  return { meta: capture.meta, snapshot: buildSnapshot({ ...capture, nodes: capture.readNodes() }) };
}

/** The nodes --node names, each one the capture has; a name it does not have stops the run (exit 2). */
export function selectNodes(names: string[], known: string[]): Set<string> {
  const have = new Set(known);
  const unknown = [...new Set(names)].filter((n) => !have.has(n));
  if (unknown.length) {
    const list = known.length > 30 ? `${known.slice(0, 30).join(', ')}, ... (${known.length} in all)` : known.join(', ');
    throw new UsageError(`--node: the capture has no node ${unknown.map((u) => `'${u}'`).join(', ')} (its nodes: ${list})`);
  }
  return new Set(names);
}
