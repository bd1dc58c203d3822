#!/usr/bin/env node
// What each bundled rule costs on a large capture, for whoever writes or speeds up a rule: every
// rule's evaluation time in process, measured two ways, beside the results it made.
//   - in the check's order: all rules one after another on one snapshot, as `check` runs them (a
//     rule that first reads a lazy field of the model, or first walks a chain, pays for it there;
//     the rules after it do not);
//   - alone: the rule by itself in a process of its own, on a snapshot of its own (it pays for all
//     it reads, and for its code's warm-up).
// With --memory, the heap a rule leaves behind in the check's order (the model's lazy fields, indexes
// and memos it made), after a full garbage collection (made between rules: the times then carry no
// collection of an earlier rule's garbage).
// The capture is the folder given, or the generated 50 nodes x 500 services x 2,000 tasks
// (scripts/gen-capture.js). Needs a build (`npm run build`).
// Usage: node scripts/bench-rules.js [CAPTURE] [--runs N] [--rule ID[,ID...]] [--memory]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);

/** In a process of its own: load the rules and the capture, evaluate, print one JSON line per rule. */
async function child([mode, cap, only, memory]) {
  const { loadRuleSet } = await import(join(root, 'dist/config/rules.js'));
  const { loadSnapshot } = await import(join(root, 'dist/snapshot.js'));
  const { evaluate } = await import(join(root, 'dist/rules/evaluate.js'));
  const all = loadRuleSet({});
  const rules = mode === 'alone' ? all.filter((r) => r.spec.id === only) : all;
  const { snapshot } = loadSnapshot(cap);
  const heap = () => {
    globalThis.gc();
    globalThis.gc();
    return process.memoryUsage().heapUsed;
  };
  let before = memory === '1' ? heap() : 0;
  for (const rule of rules) {
    const passCounts = new Map();
    const t = performance.now();
    const kept = evaluate([rule], snapshot, { passCounts });
    const ms = performance.now() - t;
    let results = kept.length;
    for (const perRule of passCounts.values()) for (const n of perRule.values()) results += n;
    let retained = 0;
    if (memory === '1') {
      const now = heap();
      retained = now - before;
      before = now;
    }
    process.stdout.write(`${JSON.stringify({ id: rule.spec.id, ms, results, retained, kept: kept.length })}\n`);
  }
}

function fail(message) {
  process.stderr.write(`bench-rules: ${message}\n`);
  process.exit(2);
}

function run(childArgs, memory) {
  const r = spawnSync(process.execPath, [...(memory ? ['--expose-gc'] : []), self, '--child', ...childArgs], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  const what = childArgs[0] === 'alone' ? `rule ${childArgs[2]} alone` : "the rules in the check's order";
  if (r.status !== 0) fail(`evaluating ${what} failed (exit ${r.status}): ${r.stderr.trim().split('\n').pop()}`);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main() {
  const flag = (name) => args.indexOf(name);
  const runsAt = flag('--runs');
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 1;
  if (!Number.isInteger(runs) || runs < 1) fail(`--runs wants a whole number of at least 1, not '${args[runsAt + 1] ?? ''}'`);
  const ruleAt = flag('--rule');
  const wanted = ruleAt >= 0 ? String(args[ruleAt + 1] ?? '').split(',').filter(Boolean) : [];
  if (ruleAt >= 0 && wanted.length === 0) fail('--rule wants one rule id or a comma list');
  const memory = args.includes('--memory');
  const valueOf = (at, i) => at >= 0 && i === at + 1;
  const positional = args.filter((a, i) => !a.startsWith('--') && !valueOf(runsAt, i) && !valueOf(ruleAt, i));
  if (positional.length > 1) fail(`one capture folder at most, not ${positional.map((p) => `'${p}'`).join(' ')}`);
  if (!existsSync(join(root, 'dist/check.js'))) fail('no build: run `npm run build` first');

  let cap = positional[0] ? resolve(positional[0]) : undefined;
  let tmp;
  if (cap && !(existsSync(cap) && statSync(cap).isDirectory())) fail(`${positional[0]}: not a capture folder`);
  if (!cap) {
    tmp = mkdtempSync(join(tmpdir(), 'mesh-bench-rules-'));
    cap = join(tmp, 'capture');
    const gen = spawnSync(process.execPath, [join(root, 'scripts/gen-capture.js'), cap, '50', '500', '2000'], { stdio: 'inherit' });
    if (gen.status !== 0) fail('gen-capture.js failed');
  }
  try {
    // In the check's order: each run a fresh process; per rule the median of the runs.
    const ordered = [];
    for (let i = 0; i < runs; i++) ordered.push(run(['order', cap, '', memory ? '1' : '0'], memory));
    const ids = ordered[0].map((r) => r.id);
    const unknown = wanted.filter((w) => !ids.includes(w));
    if (unknown.length) fail(`--rule: unknown rule id ${unknown.map((u) => `'${u}'`).join(', ')} (see: mesh-doctor rules list)`);
    const rows = ids.map((id, k) => ({
      id,
      order: median(ordered.map((o) => o[k].ms)),
      results: ordered[0][k].results,
      retained: median(ordered.map((o) => o[k].retained)),
    }));
    const total = rows.reduce((s, r) => s + r.order, 0);
    const shown = wanted.length ? rows.filter((r) => wanted.includes(r.id)) : rows;
    for (const r of shown) r.alone = median(Array.from({ length: runs }, () => run(['alone', cap, r.id, '0'], false)[0].ms));
    shown.sort((a, b) => b.order - a.order);

    const ms = (x) => `${x.toFixed(0)} ms`;
    const n = (x) => x.toLocaleString('en-US');
    console.log(`rules on ${positional[0] ?? 'the generated 50 nodes x 500 services x 2,000 tasks'}, in process (median of ${runs} run${runs === 1 ? '' : 's'}): in the check's order, and alone in a process of its own`);
    console.log(`  ${'rule'.padEnd(34)} ${'in order'.padStart(9)} ${'share'.padStart(6)} ${'alone'.padStart(9)} ${'results'.padStart(9)}${memory ? `  ${'retained'.padStart(9)}` : ''}`);
    for (const r of shown) {
      const mem = memory ? `  ${`${(r.retained / 1048576).toFixed(1)} MB`.padStart(9)}` : '';
      console.log(`  ${r.id.padEnd(34)} ${ms(r.order).padStart(9)} ${`${((100 * r.order) / total).toFixed(0)}%`.padStart(6)} ${ms(r.alone).padStart(9)} ${n(r.results).padStart(9)}${mem}`);
    }
    console.log(`  ${`all ${rows.length} rules`.padEnd(34)} ${ms(total).padStart(9)}   100% ${''.padStart(9)} ${n(rows.reduce((s, r) => s + r.results, 0)).padStart(9)}`);
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

if (args[0] === '--child') {
  // One line for the parent to show (a capture the reader refuses, a rule that fails to load), not a stack.
  await child(args.slice(1)).catch((e) => {
    process.stderr.write(`${String(e?.message ?? e).split('\n')[0]}\n`);
    process.exit(1);
  });
} else main();
