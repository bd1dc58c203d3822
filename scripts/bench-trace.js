#!/usr/bin/env node
// mesh-doctor trace benchmark, on the large generated capture (scripts/gen-capture.js: 50 nodes,
// 500 services each publishing one ingress port, 2000 tasks):
//   - `check` with and without the walk-based rule published-port-reaches-task (25,000 walks:
//     every published port from every node), the whole CLI;
//   - `trace PORT` of one port on all 50 nodes, the whole CLI, on that capture and on one whose
//     nodes carry traffic (gen-capture.js --busy 50: their files differ as a real swarm's do);
//   - in process: reading and modelling the capture, then the walk of one port on 50 nodes (the
//     first port reads each chain rule by rule, the second indexes it), then of the next ports.
// Needs a build (`npm run build`). Usage: node scripts/bench-trace.js [--runs N] [--nodes N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const runs = opt('--runs', 3);
const nodes = opt('--nodes', 50);
const bin = join(root, 'bin/run.js');
const ms = (x) => `${x.toFixed(0)} ms`;

function wall(argv) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [bin, ...argv], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0 && r.status !== 1) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const dir = mkdtempSync(join(tmpdir(), 'mesh-bench-trace-'));
try {
  const cap = join(dir, 'capture');
  const gen = spawnSync(process.execPath, [join(root, 'scripts/gen-capture.js'), cap, String(nodes), '500', '2000'], { stdio: 'inherit' });
  if (gen.status !== 0) throw new Error('gen-capture failed');
  const off = join(dir, 'off.yaml');
  const on = join(dir, 'on.yaml');
  writeFileSync(off, 'rules:\n  published-port-reaches-task: off\n');
  writeFileSync(on, 'rules: {}\n');
  console.log(`mesh-doctor trace benchmark (node ${process.version}, ${nodes} nodes, 500 ports, median of ${runs} runs)\n`);
  const before = wall(['check', cap, '--config', off, '-q']);
  const after = wall(['check', cap, '--config', on, '-q']);
  console.log(`check without published-port-reaches-task   ${ms(before).padStart(9)}`);
  console.log(`check with it (${nodes * 500} walks)              ${ms(after).padStart(9)}   (+${ms(after - before)}, ${((after / before - 1) * 100).toFixed(0)}%)`);
  const trace = wall(['trace', '30000', cap]);
  console.log(`trace 30000 on ${nodes} nodes (whole CLI)        ${ms(trace).padStart(9)}   (goal < 1000 ms)`);
  // Nodes that carry traffic: half their IPVS lines and their neighbour states differ from node to
  // node, where the generated ones are alike (gen-capture.js --busy).
  const busy = join(dir, 'busy');
  if (spawnSync(process.execPath, [join(root, 'scripts/gen-capture.js'), busy, String(nodes), '500', '2000', '--busy', '50'], { stdio: 'inherit' }).status !== 0) throw new Error('gen-capture failed');
  console.log(`... on busy nodes (--busy 50)                ${ms(wall(['trace', '30000', busy])).padStart(9)}`);

  const { readCapture } = await import(join(root, 'dist/capture/read.js'));
  const { buildSnapshot } = await import(join(root, 'dist/model/build.js'));
  const { traceNodes } = await import(join(root, 'dist/trace/path.js'));
  let t = performance.now();
  const snap = buildSnapshot(readCapture(cap));
  const build = performance.now() - t;
  t = performance.now();
  traceNodes(snap, 'tcp', 30000);
  const first = performance.now() - t;
  t = performance.now();
  traceNodes(snap, 'tcp', 30001);
  const second = performance.now() - t;
  t = performance.now();
  for (let p = 30002; p <= 30011; p++) traceNodes(snap, 'tcp', p);
  const next = (performance.now() - t) / 10;
  console.log(`\nin process: read + model the capture ${ms(build)}; walk one port on ${nodes} nodes: first ${ms(first)} (each chain read rule by rule), second ${ms(second)} (indexes the chains), next ones ${ms(next)} each`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
