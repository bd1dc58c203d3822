import { writeMeta } from '../capture/write.js';
import { obj as o, type Obj } from '../util/obj.js';
import { UsageError } from '../util/errors.js';
import { dockerClient, dockerError } from './docker.js';
import { demuxLogs, ingressIdOf, parseProbeLog, probeCommands, probeDefaults, probeScript, PROBE_LABEL, PROBE_TASK_LABEL, writeCluster, writeNode, type NodeOutcome, type ProbeOptions, type ProbeOutput } from './probe.js';

export type SwarmCaptureOptions = ProbeOptions;

export interface SwarmCaptureResult {
  service: string;
  nodes: NodeOutcome[];
  /** The probe job was removed (always attempted; false only if the removal itself failed). */
  removed: boolean;
  ms: number;
}

const MIN_API = [1, 41];
const TERMINAL = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove']);
/** For this long after the probe job starts, its tasks are listed every 100 ms; then every 300 ms. */
const FAST_POLL_MS = 3000;


function apiAtLeast(v: string | undefined): boolean {
  const [a, b] = String(v ?? '0.0').split('.').map(Number);
  return a > MIN_API[0] || (a === MIN_API[0] && b >= MIN_API[1]);
}

/**
 * Capture every node of the swarm from a manager: a one-shot read-only probe runs on each node as
 * a global job; its logs are the node's capture. The job service is removed whatever happens.
 */
export async function captureSwarm(opts: SwarmCaptureOptions): Promise<SwarmCaptureResult> {
  const t0 = performance.now();
  const { timeoutMs, probeTimeoutMs, execRoot, socket, image, step } = probeDefaults(opts);
  const { docker, label } = await dockerClient(opts.dockerHost, timeoutMs);

  step('docker version');
  let version: { ApiVersion?: string; Version?: string };
  let info: Obj;
  try {
    version = await docker.version();
    info = await docker.info();
  } catch (e) {
    throw dockerError(e, label, timeoutMs);
  }
  if (!apiAtLeast(version.ApiVersion)) {
    throw new UsageError(`the engine at ${label} speaks API ${version.ApiVersion} (Docker ${version.Version}); --swarm needs API 1.41 (Docker 20.10) for global jobs: capture each node with \`mesh-doctor capture\` into one folder, or use --host once per engine`);
  }
  const swarm = o(info.Swarm);
  if (swarm.LocalNodeState !== 'active') throw new UsageError(`the engine at ${label} is not in a swarm (Swarm.LocalNodeState: ${String(swarm.LocalNodeState || 'inactive')})`);
  if (swarm.ControlAvailable !== true) throw new UsageError(`the engine at ${label} is not a swarm manager: run --swarm on a manager (docker node ls lists them)`);

  step('swarm nodes, services and tasks');
  const [nodes, services, tasks, networks] = await Promise.all([docker.listNodes(), docker.listServices(), docker.listTasks(), docker.listNetworks().catch(() => undefined)]).catch((e) => {
    throw dockerError(e, label, timeoutMs);
  });
  writeCluster(opts.outDir, nodes, services, tasks, networks);
  // The ingress network's id names its overlay namespace on every node (the same id swarm-wide).
  const ingressId = ingressIdOf(networks);

  const name = `mesh-doctor-probe-${Date.now().toString(36)}`;
  const spec = {
    Name: name,
    Labels: { [PROBE_LABEL]: 'true' },
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Labels: { [PROBE_TASK_LABEL]: 'true' },
        Command: ['/bin/sh', '-c', probeScript(execRoot, socket, ingressId)],
        Env: ['MD_NODE={{.Node.Hostname}}', 'MD_NODE_ID={{.Node.ID}}'],
        Mounts: [{ Type: 'bind', Source: '/', Target: '/host', ReadOnly: true }],
        CapabilityAdd: ['CAP_NET_ADMIN', 'CAP_SYS_ADMIN'],
      },
      Networks: [{ Target: 'host' }],
      RestartPolicy: { Condition: 'none' },
    },
    Mode: { GlobalJob: {} },
  };

  // Removal whatever happens: errors, timeouts, and Ctrl-C or a kill from cron.
  let serviceId: string | undefined;
  let removed = false;
  const remove = async () => {
    if (!serviceId || removed) return;
    try {
      await docker.getService(serviceId).remove();
      removed = true;
    } catch (e) {
      if (/no such service|not found/i.test(String((e as Error).message))) removed = true;
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    void remove().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const outcomes: NodeOutcome[] = [];
  try {
    step(`starting the probe job ${name} (${image})`);
    try {
      serviceId = (await docker.createService(spec)).id;
    } catch (e) {
      throw new UsageError(`could not create the probe job on ${label}: ${(e as Error).message}`);
    }
    // Nodes a global job will run on: ready and active. The others are reported, not waited for.
    const nodeList = nodes.map((n) => ({
      id: String(o(n).ID),
      host: String(o(o(n).Description).Hostname),
      state: String(o(o(n).Status).State),
      availability: String(o(o(n).Spec).Availability),
    }));
    const expected = nodeList.filter((n) => n.state === 'ready' && n.availability === 'active');
    const deadline = Date.now() + probeTimeoutMs;
    const polling = Date.now();
    let latest = new Map<string, Obj>();
    for (;;) {
      const ts = (await docker.listTasks({ filters: { service: [serviceId] } })) as Obj[];
      latest = new Map();
      for (const t of ts) {
        const prev = latest.get(String(t.NodeID));
        if (!prev || String(t.CreatedAt) > String(prev.CreatedAt)) latest.set(String(t.NodeID), t);
      }
      const finished = expected.filter((n) => TERMINAL.has(String(o(latest.get(n.id)?.Status).State))).length;
      step(`probing: ${finished} of ${expected.length} nodes done`);
      if (finished === expected.length || Date.now() > deadline) break;
      // Most probes are done within a few seconds of the job's start: asked often then (the wait
      // after the last task finished is part of every --swarm check), as before after that.
      await new Promise((ok) => setTimeout(ok, Date.now() - polling < FAST_POLL_MS ? 100 : 300));
    }

    // Each node's logs become its folder of the capture.
    const commands = probeCommands(execRoot, socket, ingressId);
    await Promise.all(
      nodeList.map(async (n) => {
        const task = latest.get(n.id);
        const status = o(task?.Status);
        const state = String(status.State ?? '');
        let out: ProbeOutput | undefined;
        let why: { outcome: string; detail: string } | undefined;
        if (!task) {
          why = n.state !== 'ready' ? { outcome: 'down', detail: `node is ${n.state}: the probe cannot run there` } : n.availability !== 'active' ? { outcome: 'not scheduled', detail: `node availability is ${n.availability}: no task runs there` } : { outcome: 'timed out', detail: `no probe task started within ${probeTimeoutMs / 1000}s` };
        } else if (!TERMINAL.has(state)) {
          why = { outcome: 'timed out', detail: `the probe did not finish within ${probeTimeoutMs / 1000}s (task ${state})` };
        } else {
          try {
            out = parseProbeLog(demuxLogs(Buffer.from(await docker.getTask(String(task.ID)).logs({ stdout: true, stderr: true, follow: false }))));
          } catch (e) {
            why = { outcome: 'failed', detail: `could not read the probe's logs: ${(e as Error).message}` };
          }
          if (out && !out.complete) why = { outcome: 'failed', detail: `the probe ${state}${status.Err ? `: ${String(status.Err)}` : ''} before it finished` };
        }
        const host = out?.node || n.host || n.id;
        writeNode(opts.outDir, host, commands, out, why);
        outcomes.push({ node: host, id: n.id, outcome: why?.outcome ?? 'captured', detail: why?.detail ?? '' });
      }),
    );
  } finally {
    step('removing the probe job');
    await remove();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  writeMeta(opts.outDir, `mesh-doctor capture --swarm from ${String(info.Name)} (probe image ${image})`);
  outcomes.sort((a, b) => a.node.localeCompare(b.node));
  return { service: name, nodes: outcomes, removed, ms: performance.now() - t0 };
}
