import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerClient, dockerTarget } from '../../src/collect/docker.js';
import { ROOT } from '../helpers/fixtures.js';
import { isReadOnly } from '../../src/collect/run.js';

let root: string;
let server: Server;
const savedPath = process.env.PATH;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'md-ssh-'));
  const sock = join(root, 'docker.sock');
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ Name: 'over-ssh', ServerVersion: '27.5.1', Swarm: { LocalNodeState: 'active' } }));
  });
  await new Promise<void>((ok) => server.listen(sock, ok));
  // A stub ssh: records its arguments, then carries stdio to the fake engine, as `docker system dial-stdio` would.
  writeFileSync(
    join(root, 'ssh'),
    `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(join(root, 'args'))}, JSON.stringify(process.argv.slice(2)));\nconst s = require('net').connect(${JSON.stringify(sock)});\nprocess.stdin.pipe(s); s.pipe(process.stdout); s.on('end', () => process.exit(0));\n`,
  );
  chmodSync(join(root, 'ssh'), 0o755);
  process.env.PATH = `${root}:${savedPath}`;
});

afterAll(async () => {
  process.env.PATH = savedPath;
  await new Promise((ok) => server.close(ok));
  rmSync(root, { recursive: true, force: true });
});

describe('engine addresses', () => {
  it('reads unix, tcp and ssh forms, and refuses others with the forms it knows', () => {
    expect(dockerTarget('unix:///run/docker.sock').options).toEqual({ socketPath: '/run/docker.sock' });
    expect(dockerTarget('tcp://10.0.0.5:2375').options).toMatchObject({ host: '10.0.0.5', port: 2375, protocol: 'http' });
    expect(dockerTarget('ssh://ops@node-3:2222').options).toEqual({ ssh: { user: 'ops', host: 'node-3', port: 2222 } });
    expect(() => dockerTarget('ftp://x')).toThrow(/not understood \(unix:\/\/\/path, tcp:\/\/host:port, ssh:\/\/\[user@\]host\[:port\]\)/);
  });

  it('uses TLS with the client certificates of DOCKER_CERT_PATH when DOCKER_TLS_VERIFY=1 or on port 2376', () => {
    const certs = mkdtempSync(join(tmpdir(), 'md-certs-'));
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(certs, f), `--- ${f} ---`);
    const saved = { ...process.env };
    try {
      process.env.DOCKER_CERT_PATH = certs;
      delete process.env.DOCKER_TLS_VERIFY;
      const t = dockerTarget('tcp://node-1:2376').options;
      expect(t).toMatchObject({ host: 'node-1', port: 2376, protocol: 'https' });
      expect([t.ca, t.cert, t.key].map(String)).toEqual(['--- ca.pem ---', '--- cert.pem ---', '--- key.pem ---']);
      expect(dockerTarget('tcp://node-1:2375').options.protocol).toBe('http');
      process.env.DOCKER_TLS_VERIFY = '1';
      expect(dockerTarget('tcp://node-1:2375').options.protocol).toBe('https');
    } finally {
      process.env = saved;
      rmSync(certs, { recursive: true, force: true });
    }
  });

  it('reaches an ssh:// engine through the system ssh and docker system dial-stdio', async () => {
    const { docker } = await dockerClient('ssh://ops@node-3:2222', 5000);
    expect(await docker.info()).toMatchObject({ Name: 'over-ssh' });
    expect(JSON.parse(readFileSync(join(root, 'args'), 'utf8'))).toEqual(['-o', 'BatchMode=yes', '-p', '2222', 'ops@node-3', '--', 'docker', 'system', 'dial-stdio']);
  });

  it('only lets ssh carry dial-stdio', () => {
    expect(isReadOnly('ssh', ['-o', 'BatchMode=yes', 'node-3', '--', 'docker', 'system', 'dial-stdio'])).toBe(true);
    expect(isReadOnly('ssh', ['-o', 'BatchMode=yes', 'node-3', '--', 'iptables', '-F'])).toBe(false);
    expect(isReadOnly('ssh', ['node-3', '--', 'docker', 'system', 'dial-stdio'])).toBe(false);
    expect(isReadOnly('ssh', ['-o', 'BatchMode=yes', '-o', 'ProxyCommand=x', 'node-3', '--', 'docker', 'system', 'dial-stdio'])).toBe(false);
  });
});

/**
 * What a fresh node process makes of the built module (jest puts its own registry in place of
 * require's, so that the cache this relies on is only Node's own in a process of its own): the
 * script's last expression, as JSON.
 */
async function inNode(script: string): Promise<unknown> {
  const docker = pathToFileURL(join(ROOT, 'dist/collect/docker.js')).href;
  // Not execFileSync: the fake engine answering the child is served by this process.
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', `import { createRequire } from 'node:module';\nconst m = await import(${JSON.stringify(docker)});\nconst cache = () => createRequire(import.meta.url).cache;\nconsole.log(JSON.stringify(await (async () => { ${script} })()));`], { encoding: 'utf8', env: { ...process.env, PATH: `${root}:${savedPath}` } });
  return JSON.parse(stdout);
}

describe('loading dockerode', () => {
  it('leaves its BuildKit session (gRPC, protobuf) and the ssh2 transport unloaded, and still talks to an engine', async () => {
    const r = await inNode(`
      const heavy = () => Object.keys(cache()).filter((f) => /node_modules\\/(@grpc\\/|protobufjs\\/|ssh2\\/)/.test(f)).length;
      const Docker = m.loadDockerode();
      const { docker } = await m.dockerClient('ssh://ops@node-3:2222', 5000);
      const info = await docker.info();
      const dockerode = Object.keys(cache()).filter((f) => f.includes('node_modules/dockerode/')).length;
      return { constructor: typeof Docker, name: info.Name, heavy: heavy(), dockerode };`);
    expect(r).toEqual({ constructor: 'function', name: 'over-ssh', heavy: 0, dockerode: expect.any(Number) });
    expect((r as { dockerode: number }).dockerode).toBeGreaterThan(5);
  });

  it('stands in only for modules that export one function, as the installed dockerode and docker-modem do', async () => {
    // Loaded for real here (no stand-ins): a dockerode that changed the shape of either fails this.
    const r = await inNode(`
      const fromDockerode = createRequire(createRequire(import.meta.url).resolve('dockerode'));
      const fromModem = createRequire(fromDockerode.resolve('docker-modem'));
      return [typeof fromDockerode('./session'), typeof fromModem('./ssh')];`);
    expect(r).toEqual(['function', 'function']);
  });

  it('stands a one-function module in for itself until first called, then hands every call on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-lazy-'));
    try {
      writeFileSync(join(dir, 'heavy.cjs'), `globalThis.loads = (globalThis.loads ?? 0) + 1;\nmodule.exports = function (a, b) { return [this && this.tag, a + b]; };\n`);
      writeFileSync(join(dir, 'user.cjs'), `const heavy = require('./heavy.cjs');\nmodule.exports = { tag: 'user', heavy };\n`);
      const r = await inNode(`
        const req = createRequire(${JSON.stringify(join(dir, 'user.cjs'))});
        m.lazyModule(req, './heavy.cjs');
        m.lazyModule(req, './missing.cjs');
        const user = req('./user.cjs');
        const before = globalThis.loads ?? 0;
        const alone = user.heavy;
        const plain = alone(2, 3);
        const once = globalThis.loads;
        const bound = user.heavy.call(user, 4, 5);
        const real = req('./heavy.cjs');
        m.lazyModule(req, './heavy.cjs');
        return { before, plain, once, bound, loads: globalThis.loads, kept: req('./heavy.cjs') === real, realIsNotTheStandIn: real !== user.heavy };`);
      expect(r).toEqual({ before: 0, plain: [null, 5], once: 1, bound: ['user', 9], loads: 1, kept: true, realIsNotTheStandIn: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
