import { writeMeta } from '../capture/write.js';
import { obj as o, type Obj } from '../util/obj.js';
import { UsageError } from '../util/errors.js';
import { dockerClient, dockerError, type DockerLike } from './docker.js';
import { demuxLogs, ingressIdOf, parseProbeLog, probeCommands, probeDefaults, probeScript, PROBE_LABEL, writeCluster, writeNode, type NodeOutcome, type ProbeOptions, type ProbeOutput } from './probe.js';

export interface HostsCaptureOptions extends ProbeOptions {
  /** Docker engines: unix:///path, tcp://host:port (TLS from DOCKER_TLS_VERIFY / DOCKER_CERT_PATH or port 2376), ssh://. */
  hosts: string[];
}

export interface HostsCaptureResult {
  nodes: NodeOutcome[];
  ms: number;
}


/**
 * Capture each engine given with --host: the same read-only probe as --swarm, run as a one-shot
 * container on that engine (host network, the node's root read-only), all engines in parallel. For
 * clusters that forbid services. The first manager among them gives the swarm view.
 */
export async function captureHosts(opts: HostsCaptureOptions): Promise<HostsCaptureResult> {
  const t0 = performance.now();
  if (opts.hosts.length === 0) throw new UsageError('--host: give at least one engine');
  const { timeoutMs, probeTimeoutMs, execRoot, socket, image, step } = probeDefaults(opts);
  let clusterFrom: string | undefined;
  let done = 0;
  const outcomes = await Promise.all(
    opts.hosts.map(async (host): Promise<NodeOutcome> => {
      // The engine's name is its folder; an engine that cannot be reached is named after its address.
      let name = host.replace(/^\w+:\/\//, '').replace(/[^\w.-]+/g, '_');
      let out: ProbeOutput | undefined;
      let why: { outcome: string; detail: string } | undefined;
      let id = '';
      // Until the engine names its ingress network, the overlay files are reported with the engine's problem.
      let commands = probeCommands(execRoot, socket);
      try {
        const { docker, label } = await dockerClient(host, timeoutMs);
        let info: Obj;
        try {
          info = await docker.info();
        } catch (e) {
          throw dockerError(e, label, timeoutMs);
        }
        name = String(info.Name || name);
        id = String(o(info.Swarm).NodeID ?? '');
        if (o(info.Swarm).ControlAvailable === true && !clusterFrom) {
          clusterFrom = name;
          const [nodes, services, tasks, networks] = await Promise.all([docker.listNodes(), docker.listServices(), docker.listTasks(), docker.listNetworks().catch(() => undefined)]);
          writeCluster(opts.outDir, nodes, services, tasks, networks);
        }
        // The engine's own network list names the ingress network, whose overlay namespace the probe reads.
        const ingressId = ingressIdOf(await docker.listNetworks().catch(() => undefined));
        commands = probeCommands(execRoot, socket, ingressId);
        out = await runProbeContainer(docker, { image, script: probeScript(execRoot, socket, ingressId), node: name, nodeId: id, probeTimeoutMs });
        if (!out.complete) why = { outcome: 'failed', detail: `the probe on ${label} stopped before it finished` };
      } catch (e) {
        why = { outcome: e instanceof ProbeTimeout ? 'timed out' : 'failed', detail: (e as Error).message };
      }
      writeNode(opts.outDir, out?.node || name, commands, out, why);
      step(`probed ${++done} of ${opts.hosts.length} engines`);
      return { node: out?.node || name, id, outcome: why?.outcome ?? 'captured', detail: why?.detail ?? '' };
    }),
  );
  writeMeta(opts.outDir, `mesh-doctor capture --host x${opts.hosts.length} (probe image ${image}${clusterFrom ? `; swarm view from ${clusterFrom}` : '; no manager among them: no swarm view'})`);
  outcomes.sort((a, b) => a.node.localeCompare(b.node));
  return { nodes: outcomes, ms: performance.now() - t0 };
}

class ProbeTimeout extends Error {}

/** One probe container: created, started, waited for (with a deadline), its logs read, and always removed. */
async function runProbeContainer(docker: DockerLike, p: { image: string; script: string; node: string; nodeId: string; probeTimeoutMs: number }): Promise<ProbeOutput> {
  let id: string;
  try {
    id = (
      await docker.createContainer({
        Image: p.image,
        Cmd: ['/bin/sh', '-c', p.script],
        Env: [`MD_NODE=${p.node}`, `MD_NODE_ID=${p.nodeId}`],
        Labels: { [PROBE_LABEL]: 'true' },
        HostConfig: { NetworkMode: 'host', CapAdd: ['NET_ADMIN', 'SYS_ADMIN'], Binds: ['/:/host:ro'] },
      })
    ).id;
  } catch (e) {
    const msg = (e as { json?: { message?: string } }).json?.message ?? (e as Error).message;
    throw new Error(/no such image/i.test(msg) ? `probe image ${p.image} is not on this engine (pull it there, or pass --probe-image): ${msg}` : `could not create the probe container: ${msg}`);
  }
  const c = docker.getContainer(id);
  try {
    await c.start();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ProbeTimeout(`the probe did not finish within ${p.probeTimeoutMs / 1000}s`)), p.probeTimeoutMs);
    });
    try {
      await Promise.race([c.wait(), deadline]);
    } finally {
      clearTimeout(timer);
    }
    return parseProbeLog(demuxLogs(Buffer.from(await c.logs({ stdout: true, stderr: true, follow: false }))));
  } finally {
    await c.kill().catch(() => {});
    await c.remove({ force: true }).catch(() => {});
  }
}
