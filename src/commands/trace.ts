import { Args, Command, Flags } from '@oclif/core';
import { collectFlags } from '../cli/collect.js';
import { widthFlag } from '../cli/terminal.js';

export default class Trace extends Command {
  static override summary = 'Follow one new connection to a published port through the captured rules, hop by hop';

  static override description = `Simulates a new connection from --src (default 203.0.113.10, an address outside every local network) to each node's address on PORT, and walks it through what the capture holds: host raw, mangle and nat PREROUTING (the DNAT to ingress_sbox), the conntrack table, the routing decision (ip_forward, the route to the sbox), host FORWARD (DOCKER-USER, DOCKER-INGRESS, isolation chains, the policy) and POSTROUTING; inside ingress_sbox mangle PREROUTING (the MARK), the IPVS fwmark service and each backend in turn (Masq, weight), the sbox's nat POSTROUTING SNAT, its neighbour entry for the backend, the task behind it and the node that runs it, and VXLAN on the data-path port both ways.

iptables is evaluated as the kernel does for what it supports (tables and hooks in order, first match wins, jump / goto / RETURN / policy); a match it does not understand is never guessed: the hop says "cannot decide", both outcomes are followed, and the verdict is "uncertain" with that line.

Without --node: a table of every node, its verdict and where the walk ended; with --node (or -v): every hop, one line each, naming the table, chain and rule (file:line) that decided it.

Verdicts: delivered (to a task on a node), dropped (at a hop, by a rule or a state), partial (some backends reached, others not), uncertain. Exit codes: 0 every node walked delivers; 1 at least one does not; 2 the trace could not run (bad usage, an unreadable capture).`;

  static override examples = [
    '<%= config.bin %> trace 8080 fixtures/seed-cluster',
    '<%= config.bin %> trace 8080 fixtures/lab-fault-09-docker-user-drop --node node2',
    '<%= config.bin %> trace udp/53 ./capture --src 10.1.2.3',
    '<%= config.bin %> trace tcp/443 ./capture --format json > trace.json',
    '<%= config.bin %> trace 8080                     # this node, live (as root on a swarm node)',
    '<%= config.bin %> trace 8080 --swarm             # every node, from a manager, through a global job',
  ];

  static override args = {
    port: Args.string({ description: 'the published port: 8080 (TCP), tcp/8080, udp/53', required: true }),
    dir: Args.string({ description: 'capture folder (capture.json, cluster/, nodes/<NODE>/...); none: capture this node live' }),
  };

  static override flags = {
    node: Flags.string({ description: 'walk only these nodes, hop by hop (repeatable, or a comma list); default: every node, as a table', multiple: true, multipleNonGreedy: true, delimiter: ',', helpValue: 'NAME' }),
    src: Flags.string({ description: 'the client address the connection comes from', default: '203.0.113.10', helpValue: 'ADDRESS' }),
    format: Flags.string({ char: 'f', description: 'text (the terminal) or json (docs/trace-format.md)', options: ['text', 'json'], default: 'text' }),
    verbose: Flags.boolean({ char: 'v', description: 'every node hop by hop, not only the table', default: false }),
    color: Flags.boolean({ description: 'colour the report; default: no with NO_COLOR set, else yes with FORCE_COLOR set (not 0), else when stdout is a terminal', allowNo: true }),
    width: widthFlag,
    'max-file-size': Flags.string({ description: 'largest capture file read, in bytes or with K, M, G (a larger one is refused, an error naming it)', default: '128M' }),
    live: Flags.boolean({ description: 'capture this node now (to a temporary folder) and trace it; the default without DIR', default: false }),
    ...collectFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Trace);
    const { UsageError, reportError } = await import('../util/errors.js');
    const { safe } = await import('../util/text.js');
    let liveDir: string | undefined;
    const warn = (w: string) => process.stderr.write(`mesh-doctor: warning: ${safe(w)}\n`);
    try {
      const { parsePort, parseAddress } = await import('../trace/args.js');
      const { protocol, port } = parsePort(args.port);
      const src = parseAddress(flags.src, '--src');
      const remote = flags.swarm || Boolean(flags.host?.length);
      if (args.dir && (flags.live || remote)) throw new UsageError('give a capture folder, or capture now (--live, --swarm, --host): not both');
      if (flags.live && remote) throw new UsageError('--live traces this node; --swarm and --host probe others: choose one');
      const { parseSize } = await import('../cli/size.js');
      const maxFileBytes = parseSize(flags['max-file-size'], '--max-file-size');
      const { useColor, reportWidth } = await import('../cli/terminal.js');
      const width = reportWidth(flags.width);
      let dir = args.dir;
      if (!dir) {
        const { captureLive } = await import('../cli/live.js');
        dir = liveDir = await captureLive(flags, flags.format === 'text' ? 'stylish' : flags.format, warn);
      }
      const { loadSnapshot, selectNodes } = await import('../snapshot.js');
      const { liveLabel } = await import('../cli/live.js');
      const source = liveDir ? liveLabel(flags) : dir;
      const { snapshot } = loadSnapshot(dir, { maxFileBytes, sourceLabel: liveDir ? source : undefined });
      const names = flags.node?.map((n) => n.trim()).filter(Boolean);
      const only = names?.length ? selectNodes(names, snapshot.nodes.map((n) => n.name)) : undefined;
      const key = `${protocol}/${port}`;
      const published = (snapshot.cluster.ingressPortByKey as Map<string, { service: string }>).get(key);
      if (!published && (snapshot.cluster.ingressPorts as unknown[]).length > 0) {
        const list = (snapshot.cluster.ingressPorts as { key: string }[]).map((p) => p.key);
        warn(`no service publishes ${key} in ingress mode (published: ${[...new Set(list)].slice(0, 20).join(', ')}): walking it anyway`);
      }
      const { traceNodes } = await import('../trace/path.js');
      const nodes = traceNodes(snapshot, protocol, port, src, only ? [...only] : undefined);
      const { traceJson, traceText } = await import('../report/trace.js');
      const report = { source, port: key, protocol, portNumber: port, src, service: published?.service ?? '', nodes, detailed: Boolean(only) || flags.verbose, color: useColor(flags.color), width, toolVersion: this.config.version };
      process.stdout.write(flags.format === 'json' ? traceJson(report) : traceText(report));
      process.exitCode = nodes.every((n) => n.verdict === 'delivered') ? 0 : 1;
    } catch (e) {
      reportError(e);
    } finally {
      if (liveDir) {
        const { rmSync } = await import('node:fs');
        rmSync(liveDir, { recursive: true, force: true });
      }
    }
  }
}
