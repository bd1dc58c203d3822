import { Command, Flags } from '@oclif/core';
import { swarmFlags } from '../cli/swarm-flags.js';

export default class Capture extends Command {
  static override summary = 'Capture this swarm node into a capture folder (read-only)';

  static override description = `Run on a swarm node, as root. Reads the Docker API (and the swarm's nodes, services and tasks on a manager), host iptables, sysctls, addresses and routes, and inside ingress_sbox its iptables, IPVS (/proc/net/ip_vs), neighbours, addresses and IPVS sysctls. Nothing on the node is changed. What cannot be read is listed in nodes/<NODE>/errors.json.

Capture several nodes into the same folder (the manager adds cluster/) and check it once to see the whole swarm.`;

  static override examples = [
    '<%= config.bin %> capture -o /tmp/mesh-capture',
    '<%= config.bin %> capture --swarm -o /tmp/swarm-capture     # on a manager: every node, through a global job',
    'DOCKER_HOST=unix:///run/docker.sock <%= config.bin %> capture -o ./capture && <%= config.bin %> check ./capture',
  ];

  static override flags = {
    output: Flags.string({ char: 'o', description: 'capture folder to write (created; an existing capture gets this node added)', default: './mesh-capture' }),
    'exec-root': Flags.string({ description: "dockerd's exec-root, where the netns files live", default: '/run/docker' }),
    timeout: Flags.integer({ description: 'seconds allowed to each command and API call', default: 10, min: 1 }),
    quiet: Flags.boolean({ char: 'q', description: 'print nothing but errors', default: false }),
    ...swarmFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Capture);
    const { reportError } = await import('../util/errors.js');
    const { captureLocal } = await import('../collect/local.js');
    const { progress } = await import('../collect/progress.js');
    const spin = await progress(!flags.quiet, 'capturing');
    try {
      if (flags.swarm) {
        const { captureSwarm } = await import('../collect/swarm.js');
        const r = await captureSwarm({ outDir: flags.output, execRoot: flags['exec-root'], timeoutMs: flags.timeout * 1000, probeImage: flags['probe-image'], probeSocket: flags['probe-socket'], probeTimeoutMs: flags['probe-timeout'] * 1000, onStep: (s) => spin.update(s) });
        spin.stop();
        if (!flags.quiet) {
          process.stderr.write(`captured ${r.nodes.filter((n) => n.outcome === 'captured').length} of ${r.nodes.length} nodes into ${flags.output} in ${(r.ms / 1000).toFixed(1)}s; probe job ${r.service} ${r.removed ? 'removed' : 'NOT removed: docker service rm ' + r.service}\n`);
          for (const n of r.nodes) if (n.outcome !== 'captured') process.stderr.write(`  ${n.node}: ${n.outcome}: ${n.detail}\n`);
        }
        return;
      }
      const r = await captureLocal({ outDir: flags.output, execRoot: flags['exec-root'], timeoutMs: flags.timeout * 1000, onStep: (s) => spin.update(`capturing: ${s}`) });
      spin.stop();
      if (!flags.quiet) {
        process.stderr.write(`captured ${r.node}${r.isManager ? ' (manager: with the swarm view)' : ''} into ${r.dir}\n`);
        for (const e of r.errors) process.stderr.write(`  not captured: ${e.file}: ${e.command}: ${e.error}\n`);
      }
    } catch (e) {
      spin.stop();
      reportError(e);
    }
  }
}
