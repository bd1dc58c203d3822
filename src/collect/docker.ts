import { existsSync, readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../util/errors.js';

/** The parts of dockerode mesh-doctor uses: all reads, plus creating and removing the probe job. */
export interface DockerLike {
  info(): Promise<Record<string, unknown>>;
  listNetworks(): Promise<{ Name: string; Id: string; Driver: string }[]>;
  getNetwork(id: string): { inspect(): Promise<unknown> };
  listNodes(): Promise<unknown[]>;
  listServices(): Promise<unknown[]>;
  listTasks(opts?: { filters?: Record<string, string[]> }): Promise<unknown[]>;
  version(): Promise<{ ApiVersion?: string; Version?: string }>;
  createService(spec: object): Promise<{ id: string }>;
  getService(id: string): { remove(): Promise<unknown> };
  getTask(id: string): { logs(opts: object): Promise<Buffer | string> };
  createContainer(spec: object): Promise<{ id: string }>;
  getContainer(id: string): {
    start(): Promise<unknown>;
    wait(): Promise<{ StatusCode?: number }>;
    logs(opts: object): Promise<Buffer | string>;
    kill(): Promise<unknown>;
    remove(opts: object): Promise<unknown>;
  };
}

export function dockerTarget(host: string | undefined): { label: string; options: Record<string, unknown> } {
  const h = host ?? process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (h.startsWith('unix://')) return { label: h, options: { socketPath: h.slice(7) } };
  if (h.startsWith('/')) return { label: `unix://${h}`, options: { socketPath: h } };
  const m = /^(tcp|http|https):\/\/([^:/]+)(?::(\d+))?/.exec(h);
  if (m) {
    const port = Number(m[3] ?? 2375);
    const tls = process.env.DOCKER_TLS_VERIFY === '1' || port === 2376 || m[1] === 'https';
    // As the Docker CLI: DOCKER_CERT_PATH, else ~/.docker.
    const certs = process.env.DOCKER_CERT_PATH ?? join(homedir(), '.docker');
    const options: Record<string, unknown> = { host: m[2], port, protocol: tls ? 'https' : 'http' };
    if (tls && existsSync(join(certs, 'ca.pem'))) {
      options.ca = readFileSync(join(certs, 'ca.pem'));
      options.cert = readFileSync(join(certs, 'cert.pem'));
      options.key = readFileSync(join(certs, 'key.pem'));
    }
    return { label: h, options };
  }
  const ssh = /^ssh:\/\/(?:([^@/]+)@)?([^:/]+)(?::(\d+))?\/?$/.exec(h);
  if (ssh) return { label: h, options: { ssh: { user: ssh[1], host: ssh[2], port: ssh[3] ? Number(ssh[3]) : undefined } } };
  throw new UsageError(`engine address '${h}' is not understood (unix:///path, tcp://host:port, ssh://[user@]host[:port])`);
}

/** A Docker API failure as the one line a person needs. */
export function dockerError(e: unknown, label: string, timeoutMs: number): UsageError {
  const err = e as NodeJS.ErrnoException & { statusCode?: number; json?: { message?: string } };
  switch (err.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new UsageError(`Docker is not reachable at ${label} (${err.code}): is dockerd running? Set DOCKER_HOST to reach another engine`);
    case 'EACCES':
    case 'EPERM':
      return new UsageError(`permission denied on ${label}: run as root or as a member of the docker group`);
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return new UsageError(`Docker at ${label} did not answer within ${timeoutMs / 1000}s`);
  }
  if (/timeout/i.test(String(err.message))) return new UsageError(`Docker at ${label} did not answer within ${timeoutMs / 1000}s`);
  return new UsageError(`Docker API error from ${label}: ${err.json?.message ?? err.message}`);
}


/**
 * dockerode, without loading up front two parts of it that mesh-doctor never calls: its BuildKit
 * session (`lib/session.js`, which loads gRPC and protobuf) and docker-modem's ssh transport
 * (`lib/ssh.js`, which loads ssh2; an ssh:// engine is reached through the system's ssh, see
 * SshDialAgent). They took 130–150 ms of each live capture's 170–200 ms of importing dockerode,
 * whatever the call. Each exports one function, and stands in require's cache as a function that
 * loads the real module when first called (see lazyModule). A dockerode whose files are elsewhere
 * is loaded as it is.
 */
export function loadDockerode(): new (options?: object) => unknown {
  const main = createRequire(import.meta.url).resolve('dockerode');
  const fromDockerode = createRequire(main);
  lazyModule(fromDockerode, './session');
  try {
    lazyModule(createRequire(fromDockerode.resolve('docker-modem')), './ssh');
  } catch {
    // no docker-modem where dockerode would find it: dockerode will say so itself
  }
  return fromDockerode(main);
}

/**
 * Put a CommonJS module that exports one function in require's cache as a function that loads the
 * module when first called and hands every call on to it (its `this`, arguments and value): those
 * who require it meanwhile load nothing. Nothing is done when the module is not found or is loaded
 * already.
 */
export function lazyModule(req: NodeRequire, specifier: string): void {
  let file: string;
  try {
    file = req.resolve(specifier);
  } catch {
    return;
  }
  if (req.cache[file]) return;
  const m = new Module(file);
  m.filename = file;
  m.loaded = true;
  let real: ((...args: unknown[]) => unknown) | undefined;
  m.exports = function (this: unknown, ...args: unknown[]): unknown {
    if (!real) {
      if (req.cache[file] === m) delete req.cache[file];
      real = req(file) as (...args: unknown[]) => unknown;
    }
    return real.apply(this, args);
  };
  req.cache[file] = m;
}

/** A dockerode client for DOCKER_HOST (or the given host), with a timeout per call. */
export async function dockerClient(host: string | undefined, timeoutMs: number): Promise<{ docker: DockerLike; label: string }> {
  const target = dockerTarget(host);
  const Docker = loadDockerode();
  let options = target.options;
  if (options.ssh) {
    const { SshDialAgent } = await import('./ssh.js');
    options = { protocol: 'http', host: 'docker', port: 80, agent: new SshDialAgent(options.ssh as { user?: string; host: string; port?: number }) };
  }
  return { docker: new Docker({ ...options, timeout: timeoutMs } as never) as unknown as DockerLike, label: target.label };
}
