#!/usr/bin/env node
// mesh-doctor benchmark: start-up of `check` on the seed fixture next to `node -e 0`, and the
// phases of a check (read, parse + snapshot, rules, report) on generated captures of growing size,
// to show that time grows linearly, the whole CLI on the 50-node capture as a multiple of `node -e 0`
// beside the floor (scripts/bench-floor.js: read and parse only) with its peak memory, and on one node
// whose state is large (20,000 IPVS backends; a 20 MB iptables-save). Needs a build (`npm run build`,
// done by `npm ci`) and GNU time (/usr/bin/time) for peak memory.
// Usage: node scripts/bench.js [--runs N] [--quick]
//        node scripts/bench.js --live [--probe-image IMG [--probe-socket PATH]]
//            on a swarm node, as root: live capture next to its raw commands, and with a probe image
//            (on a manager) the whole-swarm check next to this node's; scripts/bench-live.sh runs it
//            inside the lab's manager
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const runs = Number(args[args.indexOf('--runs') + 1]) || (quick ? 5 : 15);
const bin = join(root, 'bin/run.js');

/** Median wall time of n runs; `seen` is given each run's spawnSync result. */
function wall(cmd, argv, n, { after = () => {}, anyExit = false, seen = () => {} } = {}) {
  const times = [];
  for (let i = 0; i < n; i++) {
    after();
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, argv, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (!anyExit && r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
    seen(r);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const ms = (x) => `${x.toFixed(0)} ms`;
console.log(`mesh-doctor benchmark (node ${process.version}, median of ${runs} runs)\n`);

if (args.includes('--live')) {
  await live();
  process.exit(0);
}
if (args.includes('--hosts')) {
  hosts();
  process.exit(0);
}

/** check --host with one engine, then with all: the probes run in parallel, so the time should barely grow. */
function hosts() {
  const list = args[args.indexOf('--hosts') + 1].split(',');
  const extra = ['--probe-image', args[args.indexOf('--probe-image') + 1], '--probe-socket', args[args.indexOf('--probe-socket') + 1]];
  const one = wall(process.execPath, [bin, 'check', '--host', list[0], ...extra], runs);
  const all = wall(process.execPath, [bin, 'check', ...list.flatMap((h) => ['--host', h]), ...extra], runs);
  console.log('check --host (one probe container per engine, in parallel)');
  console.log(`  1 engine                                       ${ms(one)}`);
  console.log(`  ${list.length} engines                                      ${ms(all)}   (${(all / one).toFixed(2)}x; the sum would be ${list.length}x)`);
}

/** Live capture of this node next to the raw commands it runs, run directly. */
async function live() {
  const { captureLocal } = await import('../dist/collect/local.js');
  const dir = mkdtempSync(join(tmpdir(), 'mesh-doctor-bench-live-'));
  try {
    const r = await captureLocal({ outDir: join(dir, 'probe') });
    const commands = r.timings.filter((t) => !t.what.startsWith('docker') && !t.what.startsWith('GET') && t.what !== 'host sysctls');
    const api = r.timings.filter((t) => t.what.startsWith('docker') || t.what.startsWith('GET'));
    // The same commands, each spawned directly (no node, no mesh-doctor), median of runs.
    let raw = 0;
    for (const c of commands) {
      const [cmd, ...argv] = c.what.split(' ');
      raw += wall(cmd, argv, runs, { anyExit: true }); // some fail on a kernel without IPVS, as in the capture
    }
    const capture = wall(process.execPath, [bin, 'capture', '-q', '-o', join(dir, 'cli')], runs, { after: () => rmSync(join(dir, 'cli'), { recursive: true, force: true }) });
    const checkLive = wall(process.execPath, [bin, 'check', '--live'], runs);
    const node0 = wall(process.execPath, ['-e', '0'], runs);
    console.log(`live capture of ${r.node} (${r.isManager ? 'manager' : 'worker'})`);
    console.log(`  the ${commands.length} commands it runs, spawned directly     ${ms(raw)}   (${commands.map((c) => c.what.replace(/^nsenter --net=\S+ /, 'sbox: ')).join(', ')})`);
    console.log(`  its Docker API calls (in process)              ${ms(api.reduce((a, t) => a + t.ms, 0))}`);
    console.log(`  mesh-doctor capture (whole CLI)                ${ms(capture)}`);
    console.log(`  mesh-doctor check --live (capture + check)     ${ms(checkLive)}   (${(checkLive / node0).toFixed(1)}x node -e 0, ${ms(node0)}; goal <= 4x)`);
    // The whole swarm from this manager, next to this one node (needs a probe image on every node).
    const image = args[args.indexOf('--probe-image') + 1];
    if (args.includes('--probe-image') && image) {
      const socket = args.includes('--probe-socket') ? args[args.indexOf('--probe-socket') + 1] : '/var/run/docker.sock';
      const swarm = wall(process.execPath, [bin, 'check', '--swarm', '--probe-image', image, '--probe-socket', socket], Math.max(3, Math.floor(runs / 2)));
      console.log(`  mesh-doctor check --swarm (every node)          ${ms(swarm)}   (${(swarm / checkLive).toFixed(1)}x this node's check --live)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// 1. Start-up: the whole CLI on the bundled seed capture.
const base = wall(process.execPath, ['-e', '0'], runs);
const seed = wall(process.execPath, [bin, 'check', 'fixtures/seed-cluster'], runs);
console.log('start-up');
console.log(`  node -e 0                                   ${ms(base)}`);
console.log(`  mesh-doctor check fixtures/seed-cluster     ${ms(seed)}   (${(seed / base).toFixed(2)}x node -e 0; goal < 4x)`);

// 2. Phases on generated captures, in process, and the whole CLI.
const { readCapture } = await import('../dist/capture/read.js');
const { buildSnapshot } = await import('../dist/model/build.js');
const { loadRules } = await import('../dist/rules/loader.js');
const { evaluate, summarize } = await import('../dist/rules/evaluate.js');
const { stylishReport } = await import('../dist/report/stylish.js');
const { jsonReport } = await import('../dist/report/json.js');

const sizes = quick ? [[10, 500, 2000], [50, 500, 2000]] : [[10, 500, 2000], [25, 500, 2000], [50, 500, 2000]];
console.log('\ncheck of generated captures (nodes x services x tasks): phases in process, then the whole CLI');
console.log('  size              read    parse+snapshot   rules    stylish   json      CLI total   results');
const rows = [];
for (const [n, s, t] of sizes) {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-doctor-bench-'));
  try {
    const gen = spawnSync(process.execPath, [join(root, 'scripts/gen-capture.js'), dir, String(n), String(s), String(t)], { stdio: 'inherit' });
    if (gen.status !== 0) throw new Error('gen-capture failed');
    const rules = loadRules();
    let t0 = performance.now();
    const cap = readCapture(dir);
    const tRead = performance.now() - t0;
    t0 = performance.now();
    const snap = buildSnapshot(cap);
    const tSnap = performance.now() - t0;
    t0 = performance.now();
    const results = evaluate(rules, snap);
    const tEval = performance.now() - t0;
    const input = { source: dir, capturedAt: '', captureSource: '', generatedAt: '', nodes: snap.nodes.map((x) => x.name), rules, results, summary: summarize(results), diagnostics: snap.diagnostics, toolVersion: '', durationMs: 0, color: false, verbose: false };
    t0 = performance.now();
    stylishReport(input);
    const tSty = performance.now() - t0;
    t0 = performance.now();
    jsonReport(input);
    const tJson = performance.now() - t0;
    const cli = wall(process.execPath, [bin, 'check', dir], Math.max(3, Math.floor(runs / 5)));
    rows.push({ n, cli });
    console.log(`  ${`${n} x ${s} x ${t}`.padEnd(16)}  ${ms(tRead).padStart(6)}  ${ms(tSnap).padStart(10)}      ${ms(tEval).padStart(7)}  ${ms(tSty).padStart(7)}  ${ms(tJson).padStart(7)}   ${ms(cli).padStart(8)}    ${results.length}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (rows.length >= 2) {
  const [a, b] = [rows[0], rows[rows.length - 1]];
  const slope = (b.cli - a.cli) / (b.n - a.n);
  console.log(`\n  growth: ${slope.toFixed(1)} ms per node (500 services each); fixed part ${ms(a.cli - slope * a.n)}`);
  const big = rows.find((r) => r.n === 50);
  if (big) console.log(`  50-node check: ${ms(big.cli)} (goal < 2000 ms)`);
}

// 3. Issue 12's ratios: the whole CLI on the 50-node capture (and growth on both axes) as a
// multiple of `node -e 0` measured just before, beside the floor (read + parse only, as a process of
// its own: scripts/bench-floor.js), with peak memory as a multiple of the capture's size on disk.
function sizeOnDisk(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? sizeOnDisk(p) : e.isFile() ? statSync(p).size : 0;
  }
  return n;
}
/** Median wall time and the peak resident memory (KB, GNU time's %M) of the largest run. */
function measured(argv, n) {
  const peak = peakOf();
  return { ms: wall('/usr/bin/time', ['-f', '%M', process.execPath, ...argv], n, { seen: peak.seen }), peakKB: peak.kb };
}
/** The largest peak GNU time's %M (the last number on stderr) reports over the runs it sees. */
function peakOf() {
  const p = { kb: 0, seen: (r) => (p.kb = Math.max(p.kb, Number(/(\d+)\s*$/.exec(String(r.stderr))?.[1] ?? 0))) };
  return p;
}
/** The same, with stdout a pipe to cat (which writes to /dev/null): GNU time measures node alone. */
function measuredPiped(argv, n) {
  const peak = peakOf();
  const line = ['/usr/bin/time', '-f', '%M', process.execPath, ...argv].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return { ms: wall('/bin/sh', ['-c', `${line} | cat >/dev/null`], n, { seen: peak.seen }), peakKB: peak.kb };
}
const x = (v, b) => `${(v / b).toFixed(1)}x`;
// The generated nodes' sbox files are alike, as an idle swarm's are; `busy` nodes carry traffic, so
// that half their IPVS lines and their neighbour states differ from node to node (gen-capture.js --busy).
const BUSY = ['--busy', '50'];
// A swarm in trouble: every sbox neighbour entry FAILED, 100,000 failures with their evidence and
// remediation, and every port's walk stopping at its backends.
const FAILED = ['--failed', '100'];
// A swarm whose engines have all restarted since its services were made (an upgrade, a reboot):
// libnetwork counts fwmarks per engine and inserts DOCKER-INGRESS rules as the engine meets the
// services, so every node marks the ports with marks of its own, and no two nodes' sbox mangle
// tables, IPVS listings or DOCKER-INGRESS chains are alike.
const RESTARTED = ['--restarted', '100'];
// Both: nodes that carry traffic and whose engines restarted, the most like a real swarm of the rows.
const REAL = [...BUSY, ...RESTARTED];
const ratioSizes = quick ? [[50, 500, 2000], [50, 500, 2000, BUSY], [50, 500, 2000, RESTARTED], [50, 500, 2000, REAL], [50, 500, 2000, FAILED]] : [[50, 500, 2000], [50, 500, 2000, BUSY], [50, 500, 2000, RESTARTED], [50, 500, 2000, REAL], [50, 500, 2000, FAILED], [200, 500, 2000], [50, 2000, 8000]];
const ratioRuns = quick ? 3 : 5;
console.log('\nthe whole CLI as a multiple of node -e 0 (measured before each size): the floor is reading every file and parsing every JSON document and line');
console.log('  size                            node -e 0   floor          check (terminal)   check --format json   peak memory: terminal, json (x capture size)');
for (const [n, s, t, extra = []] of ratioSizes) {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-doctor-bench-'));
  try {
    const gen = spawnSync(process.execPath, [join(root, 'scripts/gen-capture.js'), dir, String(n), String(s), String(t), ...extra], { stdio: 'inherit' });
    if (gen.status !== 0) throw new Error('gen-capture failed');
    const disk = sizeOnDisk(dir);
    const node0 = wall(process.execPath, ['-e', '0'], runs);
    const floor = measured([join(root, 'scripts/bench-floor.js'), dir], ratioRuns);
    const sty = measured([bin, 'check', dir], ratioRuns);
    const json = measured([bin, 'check', '--format', 'json', dir], ratioRuns);
    // As a pipeline reads it (`check --format json | jq`): a pipe takes what its reader has taken,
    // and a report written faster than that waits in memory.
    const piped = measuredPiped([bin, 'check', '--format', 'json', dir], ratioRuns);
    const mb = (kb) => `${((kb * 1024) / 1e6).toFixed(0)} MB (${x(kb * 1024, disk)})`;
    const kind = extra.filter((a) => a.startsWith('--')).map((a) => a.slice(2)).join('+');
    console.log(`  ${`${n} x ${s} x ${t}${kind ? ` ${kind}` : ''}`.padEnd(30)}  ${ms(node0).padStart(7)}   ${ms(floor.ms).padStart(7)} ${x(floor.ms, node0).padStart(5)}   ${ms(sty.ms).padStart(8)} ${x(sty.ms, node0).padStart(6)}   ${ms(json.ms).padStart(8)} ${x(json.ms, node0).padStart(6)}       ${mb(sty.peakKB)}, ${mb(json.peakKB)} of ${(disk / 1e6).toFixed(0)} MB`);
    console.log(`  ${''.padEnd(30)}  check --format json into a pipe (| cat): ${ms(piped.ms)} ${x(piped.ms, node0)}, peak memory ${mb(piped.peakKB)}`);
    if (n >= 200) {
      // V8 limits its heap to a quarter of the machine's memory: 1 GB on a 4 GB manager.
      const fits = (argv) => (spawnSync(process.execPath, ['--max-old-space-size=1024', bin, 'check', ...argv, dir], { stdio: 'ignore' }).status ?? 9) <= 1 ? 'fits' : 'out of memory';
      console.log(`  ${''.padEnd(30)}  in a 1 GB heap (V8's limit on a 4 GB machine): terminal ${fits([])}, json ${fits(['--format', 'json'])}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log('  goals (issue 12): terminal <= 10x, json <= 14x, peak memory <= 8x the capture');

// 4. One node's state grown large: no rule or parser may grow worse than linearly in it.
console.log('\none node, large state: the whole CLI (goal < 2000 ms each)');
for (const [label, genArgs] of [
  ['one node, 20,000 IPVS backends', ['--ipvs-backends', '20000']],
  ['one node, 20 MB iptables-save', ['3', '50', '200', '--iptables-mb', '20']],
]) {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-doctor-bench-'));
  try {
    const gen = spawnSync(process.execPath, [join(root, 'scripts/gen-capture.js'), dir, ...genArgs], { stdio: 'inherit' });
    if (gen.status !== 0) throw new Error('gen-capture failed');
    const cli = wall(process.execPath, [bin, 'check', dir], Math.max(3, Math.floor(runs / 5)));
    console.log(`  ${(label + ':').padEnd(36)}  ${ms(cli).padStart(8)}   (gen-capture.js ${genArgs.join(' ')})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
