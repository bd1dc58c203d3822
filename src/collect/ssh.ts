import { Agent } from 'node:http';
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { isReadOnly, searchPath } from './run.js';

/**
 * ssh:// engines the way the Docker CLI reaches them: each connection is the system's
 * `ssh HOST -- docker system dial-stdio`, so the user's ssh config, keys, agent and known_hosts
 * (host key checking) apply. BatchMode: never a password prompt under cron.
 */
export class SshDialAgent extends Agent {
  constructor(private target: { user?: string; host: string; port?: number }) {
    super({ keepAlive: false });
  }

  sshArgs(): string[] {
    const { user, host, port } = this.target;
    return ['-o', 'BatchMode=yes', ...(port ? ['-p', String(port)] : []), user ? `${user}@${host}` : host, '--', 'docker', 'system', 'dial-stdio'];
  }

  override createConnection(): Socket {
    const args = this.sshArgs();
    if (!isReadOnly('ssh', args)) throw new Error(`refused: ssh ${args.join(' ')}`);
    const child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PATH: searchPath() } });
    const stream = Duplex.from({ readable: child.stdout, writable: child.stdin }) as Duplex & Record<string, unknown>;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const fail = (e: Error) => {
      if (!stream.destroyed) stream.destroy(e);
    };
    child.on('error', (e: NodeJS.ErrnoException) => fail(Object.assign(new Error(e.code === 'ENOENT' ? 'ssh: command not found (install openssh-client)' : e.message), { code: e.code })));
    child.on('exit', (code) => {
      if (code) fail(new Error(`ssh ${this.target.host} exited ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
    });
    stream.on('close', () => child.kill());
    // What http expects of a socket. The timeout fires once, after `ms` without a reply.
    let timer: NodeJS.Timeout | undefined;
    stream.setTimeout = (ms: number, cb?: () => void) => {
      clearTimeout(timer);
      if (ms) timer = setTimeout(() => stream.emit('timeout'), ms).unref();
      if (cb) stream.once('timeout', cb);
      return stream;
    };
    stream.on('data', () => clearTimeout(timer));
    stream.setNoDelay = () => stream;
    stream.setKeepAlive = () => stream;
    stream.ref = () => stream;
    stream.unref = () => stream;
    return stream as unknown as Socket;
  }
}
