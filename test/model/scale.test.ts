import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../../src/capture/read.js';
import { buildSnapshot } from '../../src/model/build.js';
import { loadRules } from '../../src/rules/loader.js';
import { evaluate } from '../../src/rules/evaluate.js';
import type { LoadedRule, Result } from '../../src/rules/types.js';
import { ROOT } from '../helpers/fixtures.js';

/*
 * No rule or parser may grow worse than linearly in one node's state. Each case generates one node
 * with a large state at two sizes, 4x apart, checks the verdicts, and compares the CPU time of a
 * whole check (read, snapshot, rules) in this process: linear work costs about 4x, a quadratic step
 * 16x; the bound (under 8x) leaves room for a loaded machine. scripts/bench.js times the CLI.
 */

let work: string;
let rules: LoadedRule[];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'md-scale-'));
  rules = loadRules();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function generate(name: string, args: string[]): string {
  const dir = join(work, name);
  execFileSync(process.execPath, [join(ROOT, 'scripts/gen-capture.js'), dir, ...args], { stdio: 'ignore' });
  return dir;
}

function check(dir: string): Result[] {
  return evaluate(rules, buildSnapshot(readCapture(dir)));
}

/** CPU time (ms) of a whole check of each capture: the least of five rounds, taken in turn (a check of the smaller capture takes about 0.1 s, which one collection more or less moves by half). */
function cpu(dirs: string[]): number[] {
  const best = dirs.map(() => Infinity);
  check(dirs[0]); // warm up the code paths
  for (let round = 0; round < 5; round++) {
    dirs.forEach((d, i) => {
      const t = process.cpuUsage();
      check(d);
      const used = process.cpuUsage(t);
      best[i] = Math.min(best[i], (used.user + used.system) / 1000);
    });
  }
  return best;
}

const ip = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`; // as gen-capture.js numbers tasks
const of = (results: Result[], rule: string) => results.filter((r) => r.rule === rule && r.node === 'node-0');

describe('one node with one IPVS service of many backends', () => {
  it('gives the right verdicts with 10,000 backends: all there, stale ones, missing ones', () => {
    const healthy = check(generate('ipvs-healthy', ['--ipvs-backends', '10000']));
    expect(of(healthy, 'ipvs-backends-match-tasks')).toEqual([expect.objectContaining({ status: 'pass', message: 'IPVS FWM 256 (tcp/30000) balances over the 10000 running task(s) of service svc-0' })]);
    expect(of(healthy, 'backend-in-arp').map((r) => r.status)).toEqual(Array(10_000).fill('pass'));

    const stale = check(generate('ipvs-stale', ['--ipvs-backends', '10000', '--stale', '3']));
    expect(of(stale, 'ipvs-backends-match-tasks')).toEqual([
      expect.objectContaining({ status: 'fail', message: 'IPVS FWM 256 (tcp/30000) has stale backends 10.192.0.0, 10.192.0.1, 10.192.0.2: no running task of service svc-0 has them' }),
    ]);

    const missing = check(generate('ipvs-missing', ['--ipvs-backends', '10000', '--missing', '3']));
    const gone = [9997, 9998, 9999].map((i) => ip(5000 + i)).join(', ');
    expect(of(missing, 'ipvs-backends-match-tasks')).toEqual([
      expect.objectContaining({ status: 'fail', message: `IPVS FWM 256 (tcp/30000) is missing backends ${gone} of running tasks of service svc-0` }),
    ]);
  }, 180_000);

  it('costs about 4x for 4x the backends (2,500 and 10,000, some missing: both checks and a message run)', () => {
    const [small, large] = cpu([generate('ipvs-2500', ['--ipvs-backends', '2500', '--missing', '3']), generate('ipvs-10000', ['--ipvs-backends', '10000', '--missing', '3'])]);
    expect(large / small).toBeLessThan(8);
  }, 180_000);
});

describe('one node with a large iptables-save', () => {
  it('gives the right verdicts with an 8 MB iptables-save, and finds one DROP placed at its very end', () => {
    const dir = generate('ipt-verdicts', ['3', '200', '200', '--iptables-mb', '8']);
    const healthy = check(dir);
    for (const rule of ['forward-path-open', 'published-port-has-dnat', 'dnat-target-is-sbox', 'swarm-ports-open', 'gwbridge-masquerade']) {
      expect([rule, [...new Set(of(healthy, rule).map((r) => r.status))]]).toEqual([rule, ['pass']]);
    }
    expect(of(healthy, 'forward-path-open')).toHaveLength(200);

    // A firewall rule for one published port, after tens of thousands of others in DOCKER-USER.
    const file = join(dir, 'nodes/node-0/host/iptables.txt');
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = lines.indexOf('-A DOCKER-USER -j RETURN');
    lines.splice(at, 0, '-A DOCKER-USER -p tcp -m tcp --dport 30007 -j DROP');
    writeFileSync(file, lines.join('\n'));
    const faulty = of(check(dir), 'forward-path-open');
    expect(faulty.filter((r) => r.status !== 'pass')).toEqual([
      expect.objectContaining({ status: 'fail', subject: 'tcp/30007', message: expect.stringContaining(`dropped in host filter DOCKER-USER at nodes/node-0/host/iptables.txt:${at + 1} `) }),
    ]);
  }, 180_000);

  // Both files over 4 MB, past which the parser keeps no reading of each rule text (a blocklist's
  // lines seldom repeat): 2 MB against 8 MB crossed that line, and measured the two ways of reading a
  // file as much as the growth (4-12x on a noisy machine, against 3-5x for these two).
  it('costs about 4x for 4x the file and 4x the published ports (5 MB with 50 ports, 20 MB with 200)', () => {
    const [small, large] = cpu([generate('ipt-5', ['3', '50', '50', '--iptables-mb', '5']), generate('ipt-20', ['3', '200', '200', '--iptables-mb', '20'])]);
    expect(large / small).toBeLessThan(8);
  }, 180_000);
});
