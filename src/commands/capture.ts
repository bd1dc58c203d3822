import { Command, Flags } from '@oclif/core';
import { collectFlags } from '../cli/collect.js';

export default class Capture extends Command {
  static override summary = 'Capture this swarm node into a capture folder (read-only)';

  static override description = `Run on a swarm node, as root. Reads the Docker API (and the swarm's nodes, services and tasks on a manager), host iptables, sysctls, addresses and routes, and inside ingress_sbox its iptables, IPVS (/proc/net/ip_vs), neighbours, addresses and IPVS sysctls. Nothing on the node is changed. What cannot be read is listed in nodes/<NODE>/errors.json.

Capture several nodes into the same folder (the manager adds cluster/) and check it once to see the whole swarm.`;

  static override examples = [
    '<%= config.bin %> capture -o /tmp/mesh-capture',
    '<%= config.bin %> capture --swarm -o /tmp/swarm-capture     # on a manager: every node, through a global job',
    '<%= config.bin %> capture --host tcp://n1:2376 --host tcp://n2:2376 -o ./capture',
    'DOCKER_HOST=unix:///run/docker.sock <%= config.bin %> capture -o ./capture && <%= config.bin %> check ./capture',
  ];

  static override flags = {
    output: Flags.string({ char: 'o', description: 'capture folder to write (created; an existing capture gets this node added)', default: './mesh-capture' }),
    quiet: Flags.boolean({ char: 'q', description: 'print nothing but errors', default: false }),
    ...collectFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Capture);
    const { reportError } = await import('../util/errors.js');
    const { collect } = await import('../cli/collect.js');
    const { progress } = await import('../collect/progress.js');
    const { safe } = await import('../util/text.js');
    const spin = await progress(!flags.quiet, 'capturing');
    try {
      const r = await collect(flags, flags.output, (s) => spin.update(s));
      spin.stop();
      if (r.warning) process.stderr.write(`mesh-doctor: warning: ${safe(r.warning)}\n`);
      if (!flags.quiet) {
        process.stderr.write(`${safe(r.headline)}\n`);
        for (const p of r.problems) process.stderr.write(`  ${safe(p)}\n`);
      }
    } catch (e) {
      spin.stop();
      reportError(e);
    }
  }
}
