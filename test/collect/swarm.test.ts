import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureSwarm } from '../../src/collect/swarm.js';

/** A fake manager: enough of the Engine API for a global job, with switches for what goes wrong. */
let root: string;
let server: Server;
let sock: string;
const state = { api: '1.41', manager: true, failTasks: false, hang: false, created: 0, removed: [] as string[], spec: undefined as Record<string, unknown> | undefined, runningFor: 0, createdAt: 0, listings: [] as number[] };

const b64 = (s: string) => Buffer.from(s).toString('base64');
function frame(s: string): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 1;
  h.writeUInt32BE(Buffer.byteLength(s), 4);
  return Buffer.concat([h, Buffer.from(s)]);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'md-swarm-'));
  sock = join(root, 'docker.sock');
  server = createServer((req, res) => {
    const url = (req.url ?? '').replace(/^\/v[\d.]+/, '');
    const send = (v: unknown, code = 200) => {
      res.statusCode = code;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(v));
    };
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (url.startsWith('/version')) return send({ ApiVersion: state.api, Version: state.api === '1.41' ? '20.10.24' : '19.03.15' });
      if (url.startsWith('/info')) return send({ Name: 'm1', Swarm: { LocalNodeState: 'active', ControlAvailable: state.manager, NodeID: 'n1' } });
      if (url.startsWith('/nodes')) return send([{ ID: 'n1', Description: { Hostname: 'm1' }, Spec: { Availability: 'active' }, Status: { State: 'ready' } }, { ID: 'n2', Description: { Hostname: 'w2' }, Spec: { Availability: 'active' }, Status: { State: 'down' } }]);
      if (url.startsWith('/services/create')) {
        state.created++;
        state.createdAt = Date.now();
        state.spec = JSON.parse(body);
        return send({ ID: 'svc1' }, 201);
      }
      if (url.startsWith('/services/svc1') && req.method === 'DELETE') {
        state.removed.push('svc1');
        return send({});
      }
      if (url.startsWith('/services')) return send([]);
      if (url.startsWith('/tasks/t1/logs')) {
        res.setHeader('content-type', 'application/vnd.docker.multiplexed-stream');
        const lines = ['@@mesh-doctor node m1 n1', '@@mesh-doctor file host/iptables.txt 0', b64('*nat\nCOMMIT\n'), '@@mesh-doctor stderr host/iptables.txt', '@@mesh-doctor end host/iptables.txt', '@@mesh-doctor done', ''];
        return res.end(frame(lines.join('\n')));
      }
      if (url.startsWith('/tasks')) {
        if (url.includes('svc1')) {
          if (state.failTasks) return send({ message: 'manager lost leadership' }, 500);
          state.listings.push(Date.now() - state.createdAt);
          const running = state.hang || Date.now() - state.createdAt < state.runningFor;
          return send([{ ID: 't1', ServiceID: 'svc1', NodeID: 'n1', CreatedAt: '2026-01-01', Status: { State: running ? 'running' : 'complete' } }]);
        }
        return send([]);
      }
      send({ message: 'not found' }, 404);
    });
  });
  await new Promise<void>((ok) => server.listen(sock, ok));
});

afterAll(async () => {
  await new Promise((ok) => server.close(ok));
  rmSync(root, { recursive: true, force: true });
});

beforeEach(() => Object.assign(state, { api: '1.41', manager: true, failTasks: false, hang: false, created: 0, removed: [], spec: undefined, runningFor: 0, createdAt: 0, listings: [] }));

const run = (out: string, probeTimeoutMs = 5000) => captureSwarm({ outDir: join(root, out), dockerHost: `unix://${sock}`, probeTimeoutMs, probeImage: 'busybox:stable' });

describe('captureSwarm', () => {
  it('runs a global job with the node root read-only and host network, writes each node, reports a down one, removes the job', async () => {
    const r = await run('ok');
    expect(state.spec).toMatchObject({
      Mode: { GlobalJob: {} },
      Labels: { 'org.mesh-doctor.probe': 'true' },
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox:stable', Mounts: [{ Type: 'bind', Source: '/', Target: '/host', ReadOnly: true }], CapabilityAdd: ['CAP_NET_ADMIN', 'CAP_SYS_ADMIN'] },
        Networks: [{ Target: 'host' }],
        RestartPolicy: { Condition: 'none' },
      },
    });
    expect(r.removed).toBe(true);
    expect(state.removed).toEqual(['svc1']);
    expect(r.nodes.map((n) => `${n.node} ${n.outcome}`)).toEqual(['m1 captured', 'w2 down']);
    expect(readFileSync(join(root, 'ok/nodes/m1/host/iptables.txt'), 'utf8')).toBe('*nat\nCOMMIT\n');
    const downErrors = JSON.parse(readFileSync(join(root, 'ok/nodes/w2/errors.json'), 'utf8'));
    expect(downErrors[0].error).toBe('node is down: the probe cannot run there');
    expect(existsSync(join(root, 'ok/cluster/services.json'))).toBe(true);
  });

  it("asks for the job's tasks often while a probe is young, then less often", async () => {
    // A probe that runs 4 s: the listings of its first 3 s come about 100 ms apart, later ones about 300 ms.
    state.runningFor = 4000;
    const r = await run('cadence', 10_000);
    expect(r.nodes.find((n) => n.node === 'm1')).toMatchObject({ outcome: 'captured' });
    const young = state.listings.filter((ms) => ms < 2500);
    const old = state.listings.filter((ms) => ms >= 3300);
    // Generous for a loaded machine: at 100 ms, 2.5 s holds about 25 listings; at 300 ms, 8.
    expect(young.length).toBeGreaterThanOrEqual(12);
    const gaps = old.slice(1).map((ms, i) => ms - old[i]);
    expect(gaps.length).toBeGreaterThan(0);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(250);
  });

  it('removes the job when something fails after it was created', async () => {
    state.failTasks = true;
    await expect(run('fail')).rejects.toThrow(/lost leadership/);
    expect(state.created).toBe(1);
    expect(state.removed).toEqual(['svc1']);
  });

  it('reports a probe that does not finish in time as timed out, and still removes the job', async () => {
    state.hang = true;
    const t = Date.now();
    const r = await run('hang', 1000);
    expect(Date.now() - t).toBeLessThan(4000);
    expect(r.nodes.find((n) => n.node === 'm1')).toMatchObject({ outcome: 'timed out', detail: 'the probe did not finish within 1s (task running)' });
    expect(JSON.parse(readFileSync(join(root, 'hang/nodes/m1/errors.json'), 'utf8'))[0].error).toBe('the probe did not finish within 1s (task running)');
    expect(state.removed).toEqual(['svc1']);
  });

  it('names the fallback on an engine older than API 1.41, and creates nothing', async () => {
    state.api = '1.40';
    await expect(run('old')).rejects.toThrow(/speaks API 1\.40 \(Docker 19\.03\.15\); --swarm needs API 1\.41 .* use --host once per engine/);
    expect(state.created).toBe(0);
  });

  it('runs only on a manager', async () => {
    state.manager = false;
    await expect(run('worker')).rejects.toThrow(/is not a swarm manager: run --swarm on a manager/);
    expect(state.created).toBe(0);
  });
});
