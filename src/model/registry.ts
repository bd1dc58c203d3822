import type { ClusterModel, NodeModel, Snapshot } from './build.js';

/*
 * Which snapshot a node or cluster model belongs to. A rule's CEL function gets one node; a walk of
 * the routing mesh also needs the other nodes (the one that runs the task: its INPUT must take the
 * VXLAN packets). Weak: a snapshot that is gone takes its entries with it.
 */
const owners = new WeakMap<NodeModel | ClusterModel, Snapshot>();

export function registerSnapshot(s: Snapshot): Snapshot {
  owners.set(s.cluster, s);
  for (const n of s.nodes) owners.set(n, s);
  return s;
}

/** The snapshot a node (or the cluster) was built in; undefined for a model built by hand. */
export function snapshotOf(x: NodeModel | ClusterModel): Snapshot | undefined {
  return owners.get(x);
}
