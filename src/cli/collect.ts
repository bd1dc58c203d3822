import { Flags } from '@oclif/core';

/** Flags of live collection, shared by check and capture. */
export const collectFlags = {
  'exec-root': Flags.string({ description: "dockerd's exec-root on the nodes, where the netns files live", default: '/run/docker' }),
  timeout: Flags.integer({ description: 'seconds allowed to each command and API call', default: 10, min: 1 }),
  swarm: Flags.boolean({ description: 'from a manager: probe every node of the swarm through a one-shot global job (API 1.41), then remove it', default: false }),
  host: Flags.string({ description: 'probe this engine with a one-shot container (repeatable: unix:///path, tcp://host:port with TLS, ssh://[user@]host[:port])', multiple: true, multipleNonGreedy: true }),
  'probe-image': Flags.string({ description: "with --swarm or --host: the probe's image, any image with a POSIX shell and chroot (it runs the node's own tools)", default: 'busybox:stable' }),
  'probe-socket': Flags.string({ description: 'with --swarm or --host: the Docker socket as seen on each node', default: '/var/run/docker.sock' }),
  'probe-timeout': Flags.integer({ description: 'with --swarm or --host: seconds the probes may take; nodes not done by then are reported as timed out', default: 60, min: 5 }),
};

export interface CollectFlags {
  'exec-root': string;
  timeout: number;
  swarm: boolean;
  host?: string[];
  'probe-image': string;
  'probe-socket': string;
  'probe-timeout': number;
}

export interface CollectSummary {
  /** One line for a person: what was captured. */
  headline: string;
  /** Nodes not captured, and why. */
  problems: string[];
  /** A warning to show even in JSON mode (stderr). */
  warning?: string;
}

/** Capture into outDir: the whole swarm (--swarm), the given engines (--host), or this node. */
export async function collect(flags: CollectFlags, outDir: string, onStep: (s: string) => void): Promise<CollectSummary> {
  const common = { outDir, execRoot: flags['exec-root'], timeoutMs: flags.timeout * 1000, onStep };
  const probe = { probeImage: flags['probe-image'], probeSocket: flags['probe-socket'], probeTimeoutMs: flags['probe-timeout'] * 1000 };
  const { UsageError } = await import('../util/errors.js');
  if (flags.swarm && flags.host?.length) throw new UsageError('--swarm probes every node from a manager, --host the engines given: choose one');
  if (flags.swarm || flags.host?.length) {
    let nodes: { node: string; outcome: string; detail: string }[];
    let ms: number;
    let job = '';
    let warning: string | undefined;
    if (flags.swarm) {
      const r = await (await import('../collect/swarm.js')).captureSwarm({ ...common, ...probe });
      ({ nodes, ms } = r);
      job = r.removed ? `; probe job ${r.service} removed` : `; probe job ${r.service} NOT removed`;
      if (!r.removed) warning = `could not remove the probe job: docker service rm ${r.service}`;
    } else {
      ({ nodes, ms } = await (await import('../collect/hosts.js')).captureHosts({ ...common, ...probe, hosts: flags.host! }));
    }
    const problems = nodes.filter((n) => n.outcome !== 'captured').map((n) => `${n.node}: ${n.outcome}: ${n.detail}`);
    // A gate must never pass on nothing: a run that reached no node stops here.
    if (!nodes.some((n) => n.outcome === 'captured')) {
      throw new UsageError(`no node could be ${flags.swarm ? 'probed' : 'reached'}${problems.length ? `: ${problems.join('; ')}` : ' (the swarm listed none)'}${job}`);
    }
    return {
      headline: `captured ${nodes.filter((n) => n.outcome === 'captured').length} of ${nodes.length} nodes into ${outDir} in ${(ms / 1000).toFixed(1)}s${job}`,
      problems,
      warning,
    };
  }
  const { captureLocal } = await import('../collect/local.js');
  const r = await captureLocal(common);
  return {
    headline: `captured ${r.node}${r.isManager ? ' (manager: with the swarm view)' : ''} into ${r.dir}`,
    problems: r.errors.map((e) => `not captured: ${e.file}: ${e.command}: ${e.error}`),
  };
}
