#!/usr/bin/env node
'use strict';
/*
 * The working-mesh lab's command channel (test/lab/uml): the guests have no ssh and no console we
 * can type into, so each guest's init starts this agent, and the lab (inside its own network
 * namespace) asks it to run commands. It only ever listens on the guest's lab address, which only
 * the lab's namespace reaches.
 *
 *   agent.cjs serve ADDR PORT            in a guest: run what is POSTed to /exec
 *   agent.cjs call HOST[:PORT] [--timeout S] [--stdin-file F] -- ARGV...
 *                                        from the lab namespace: run ARGV in that guest, print its
 *                                        stdout and stderr, exit with its exit code (124: timed out,
 *                                        125: agent unreachable)
 */
const http = require('node:http');
const { spawn } = require('node:child_process');
const fs = require('node:fs');

const PORT = 7070;

function serve(addr, port) {
  // The lab's only way into the guest: it must outlive any one bad request.
  process.on('uncaughtException', (e) => process.stderr.write(`agent: ${e.stack}\n`));
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/ping') return res.end('ok\n');
    if (req.method !== 'POST' || req.url !== '/exec') {
      res.statusCode = 404;
      return res.end();
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let job;
      try {
        job = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.statusCode = 400;
        return res.end('bad json');
      }
      const out = [];
      const err = [];
      let timedOut = false;
      const child = spawn(job.argv[0], job.argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', HOME: '/root', ...(job.env || {}) } });
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, (job.timeout || 60) * 1000);
      child.stdout.on('data', (c) => out.push(c));
      child.stderr.on('data', (c) => err.push(c));
      child.stdin.on('error', () => {});
      child.stdin.end(job.stdin ? Buffer.from(job.stdin, 'base64') : undefined);
      let replied = false;
      const reply = (code, signal) => {
        if (replied) return;
        replied = true;
        clearTimeout(timer);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ code, signal, timedOut, stdout: Buffer.concat(out).toString('base64'), stderr: Buffer.concat(err).toString('base64') }));
      };
      child.on('error', (e) => {
        err.push(Buffer.from(String(e.message) + '\n'));
        reply(127, null);
      });
      child.on('close', reply);
    });
  });
  server.listen(port, addr);
}

function call(target, args) {
  let timeout = 60;
  let stdin;
  while (args.length && args[0] !== '--') {
    const a = args.shift();
    if (a === '--timeout') timeout = Number(args.shift());
    else if (a === '--stdin-file') stdin = fs.readFileSync(args.shift()).toString('base64');
    else throw new Error(`unknown option ${a}`);
  }
  args.shift();
  const [host, port] = target.includes(':') ? target.split(':') : [target, PORT];
  const body = JSON.stringify({ argv: args, timeout, stdin });
  const req = http.request({ host, port: Number(port), method: 'POST', path: '/exec', headers: { 'content-type': 'application/json' }, timeout: (timeout + 30) * 1000 }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => {
      const r = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      process.stdout.write(Buffer.from(r.stdout, 'base64'));
      process.stderr.write(Buffer.from(r.stderr, 'base64'));
      if (r.timedOut) process.stderr.write(`agent: timed out after ${timeout}s\n`);
      process.exitCode = r.timedOut ? 124 : r.code === null ? 128 : r.code;
    });
  });
  req.on('timeout', () => req.destroy(new Error('no answer')));
  req.on('error', (e) => {
    process.stderr.write(`agent on ${host}: ${e.message}\n`);
    process.exitCode = 125;
  });
  req.end(body);
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'serve') serve(rest[0], Number(rest[1] || PORT));
else if (mode === 'call') call(rest[0], rest.slice(1));
else {
  process.stderr.write('usage: agent.cjs serve ADDR PORT | agent.cjs call HOST[:PORT] [--timeout S] -- ARGV...\n');
  process.exitCode = 2;
}
