#!/usr/bin/env node
// Whether a change made the CLI faster: this checkout's build against a build of another commit,
// the whole CLI run in turns (this, the other, `node -e 0`; the order rotating), medians of each. On
// a machine whose speed drifts by a tenth from hour to hour (and by a quarter from run to run on a
// noisy one), figures taken an hour apart tell the machine, not the change; runs taken in turns do.
// The other commit is checked out in a temporary git worktree (node_modules linked to this one's),
// built with `npm run build`, and removed afterwards.
// Usage: node scripts/bench-ab.js [--base REV] [--runs N] [-- CLI ARGS...]
//   --base REV  the commit to compare with (default HEAD: the working tree's changes against it)
//   --runs N    runs of each (default 9)
//   CLI ARGS    what mesh-doctor is given (default: check of the generated 50 nodes x 500 services
//               x 2,000 tasks, scripts/gen-capture.js)
// Needs a build of this checkout (`npm run build`); GNU time (/usr/bin/time) for CPU and peak memory.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);

/** A problem to report in one line (exit 2), once the worktree and the capture are removed. */
class Stop extends Error {}
function fail(message) {
  throw new Stop(message);
}

function main() {
  const dash = args.indexOf('--');
  const own = dash >= 0 ? args.slice(0, dash) : args;
  let cli = dash >= 0 ? args.slice(dash + 1) : [];
  const valueAfter = (name, fallback) => {
    const i = own.indexOf(name);
    if (i < 0) return fallback;
    const v = own[i + 1];
    if (v === undefined || v.startsWith('--')) fail(`${name} wants a value`);
    return v;
  };
  const known = new Set(['--base', '--runs']);
  for (let i = 0; i < own.length; i++) {
    if (!known.has(own[i])) fail(`unknown argument '${own[i]}' (usage: bench-ab.js [--base REV] [--runs N] [-- CLI ARGS...])`);
    i++;
  }
  const base = valueAfter('--base', 'HEAD');
  const runs = Number(valueAfter('--runs', '9'));
  if (!Number.isInteger(runs) || runs < 1) fail(`--runs wants a whole number of at least 1, not '${valueAfter('--runs', '')}'`);
  if (!existsSync(join(root, 'dist/check.js'))) fail('no build of this checkout: run `npm run build` first');
  const git = (...a) => spawnSync('git', a, { cwd: root, encoding: 'utf8' });
  const rev = git('rev-parse', '--verify', '--quiet', `${base}^{commit}`);
  if (rev.status !== 0) fail(`--base: '${base}' is no commit of this repository`);
  const commit = rev.stdout.trim();
  const gnuTime = existsSync('/usr/bin/time');

  const tmp = mkdtempSync(join(tmpdir(), 'mesh-bench-ab-'));
  const tree = join(tmp, 'base');
  let added = false;
  try {
    if (cli.length === 0) {
      const cap = join(tmp, 'capture');
      const gen = spawnSync(process.execPath, [join(root, 'scripts/gen-capture.js'), cap, '50', '500', '2000'], { stdio: ['ignore', 'ignore', 'inherit'] });
      if (gen.status !== 0) fail('gen-capture.js failed');
      cli = ['check', cap];
    }
    const add = git('worktree', 'add', '--detach', tree, commit);
    if (add.status !== 0) fail(`git worktree add failed: ${add.stderr.trim().split('\n').pop()}`);
    added = true;
    symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'));
    const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: tree, encoding: 'utf8' });
    if (build.status !== 0) fail(`the build of ${commit.slice(0, 7)} failed: ${(build.stderr || build.stdout).trim().split('\n').pop()}`);

    const variants = [
      { name: `this checkout`, argv: [join(root, 'bin/run.js'), ...cli] },
      { name: `${base} (${commit.slice(0, 7)})`, argv: [join(tree, 'bin/run.js'), ...cli] },
      { name: 'node -e 0', argv: ['-e', '0'] },
    ];
    const seen = variants.map(() => []);
    for (let i = 0; i < runs; i++) {
      for (let j = 0; j < variants.length; j++) {
        const k = (i + j) % variants.length; // each takes each place in turn
        const v = variants[k];
        const t = process.hrtime.bigint();
        const r = gnuTime
          ? spawnSync('/usr/bin/time', ['-f', '%U %S %M', process.execPath, ...v.argv], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
          : spawnSync(process.execPath, v.argv, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
        const wall = Number(process.hrtime.bigint() - t) / 1e6;
        // check exits 1 when it finds a failure: a run that could not check exits 2 (or dies).
        if (r.status !== 0 && r.status !== 1) fail(`${v.name}: mesh-doctor ${cli.join(' ')} exited ${r.status}: ${String(r.stderr).trim().split('\n').slice(-2, -1)[0] ?? ''}`);
        const m = gnuTime ? /(\d+\.\d+) (\d+\.\d+) (\d+)\s*$/.exec(r.stderr) : null;
        seen[k].push({ wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN, peakMB: m ? Number(m[3]) / 1024 : NaN });
      }
    }
    const median = (xs) => {
      const s = [...xs].sort((a, b) => a - b);
      const h = Math.floor(s.length / 2);
      return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
    };
    const stat = seen.map((s) => ({ wall: median(s.map((x) => x.wall)), min: Math.min(...s.map((x) => x.wall)), cpu: median(s.map((x) => x.cpu)), peakMB: median(s.map((x) => x.peakMB)) }));
    const node0 = stat[2].wall;
    const ms = (x) => (Number.isNaN(x) ? '-' : `${x.toFixed(0)} ms`);
    console.log(`mesh-doctor ${cli.join(' ')}: ${runs} run${runs === 1 ? '' : 's'} of each, in turns; medians (node ${process.version})`);
    console.log(`  ${''.padEnd(28)} ${'wall'.padStart(9)} ${'x node -e 0'.padStart(12)} ${'fastest'.padStart(9)} ${'CPU'.padStart(9)} ${'peak'.padStart(8)}`);
    variants.forEach((v, k) => {
      const s = stat[k];
      const peak = Number.isNaN(s.peakMB) ? '-' : `${s.peakMB.toFixed(0)} MB`;
      console.log(`  ${v.name.padEnd(28)} ${ms(s.wall).padStart(9)} ${`${(s.wall / node0).toFixed(1)}x`.padStart(12)} ${ms(s.min).padStart(9)} ${ms(s.cpu).padStart(9)} ${peak.padStart(8)}`);
    });
    const change = (a, b) => `${a > b ? '+' : ''}${(((a - b) / b) * 100).toFixed(1)}%`;
    console.log(`  this checkout against ${base}: wall ${change(stat[0].wall, stat[1].wall)}, CPU ${Number.isNaN(stat[0].cpu) ? '-' : change(stat[0].cpu, stat[1].cpu)}`);
  } finally {
    if (added) {
      git('worktree', 'remove', '--force', tree);
      git('worktree', 'prune');
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  if (!(e instanceof Stop)) throw e;
  process.stderr.write(`bench-ab: ${e.message}\n`);
  process.exitCode = 2;
}
