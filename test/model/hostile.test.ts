import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture, type CaptureFiles } from '../../src/capture/read.js';
import { buildSnapshot, type Snapshot } from '../../src/model/build.js';
import { toJson } from '../../src/model/classes.js';
import { parseInfo, parseNetwork, parseNodes, parseServices, parseTasks } from '../../src/parse/docker.js';
import { parseAddr, parseNeigh, parseRoutes } from '../../src/parse/net.js';
import type { Parsed } from '../../src/parse/types.js';
import { loadRules } from '../../src/rules/loader.js';
import { evaluate } from '../../src/rules/evaluate.js';
import type { LoadedRule, Result } from '../../src/rules/types.js';
import { fixture, validator } from '../helpers/fixtures.js';

/*
 * Captures from someone else, mutated every way this test can think of: a value of every wrong
 * type at every JSON path of the seed capture, every file cut at every line, numbers in text
 * replaced by words, floats and huge values. Whatever the damage, building the snapshot never
 * throws; a file that reads differently from the original says so with an error naming it, and
 * the inputs read from it are 'invalid' (so rules needing them report error, not pass or fail).
 */

let dir: string;
let base: CaptureFiles;
let rules: LoadedRule[];
const validate = validator('snapshot.schema.json', true);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'md-hostile-'));
  cpSync(fixture('seed-cluster'), dir, { recursive: true });
  // The seed has no ip -j neigh nor ip -j route: give node 253 both, so their parsers are fuzzed too.
  unlinkSync(join(dir, 'nodes/253/ingress_sbox/neigh.txt'));
  writeFileSync(
    join(dir, 'nodes/253/ingress_sbox/neigh.json'),
    JSON.stringify(
      [
        { dst: '10.0.0.98', dev: 'eth0', lladdr: '02:42:0a:00:00:62', state: ['REACHABLE'] },
        { dst: '10.0.0.99', dev: 'eth0', state: ['INCOMPLETE'] },
      ],
      null,
      2,
    ),
  );
  writeFileSync(
    join(dir, 'nodes/253/host/routes.json'),
    JSON.stringify(
      [
        { dst: 'default', gateway: '192.168.100.1', dev: 'eth0', flags: [] },
        { dst: '192.168.0.0/20', dev: 'docker_gwbridge', protocol: 'kernel', scope: 'link', prefsrc: '192.168.0.1', flags: [] },
      ],
      null,
      2,
    ),
  );
  base = readCapture(dir);
  rules = loadRules();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every file of the capture: its label in diagnostics, its content, and where it sits. */
function files(cap: CaptureFiles): { label: string; rel: string; node: string | null; content: string }[] {
  const out = [...cap.cluster].map(([rel, content]) => ({ label: `cluster/${rel}`, rel, node: null as string | null, content }));
  for (const n of cap.nodes) for (const [rel, content] of n.files) out.push({ label: `nodes/${n.name}/${rel}`, rel, node: n.name, content });
  return out;
}

/** The capture with one file's content replaced; only that file's node is kept (the cluster view needs one). */
function withFile(file: { rel: string; node: string | null }, content: string): CaptureFiles {
  if (file.node === null) {
    const cluster = new Map(base.cluster);
    cluster.set(file.rel, content);
    return { ...base, cluster, nodes: base.nodes.slice(0, 1) };
  }
  const nf = base.nodes.find((n) => n.name === file.node)!;
  const nodeFiles = new Map(nf.files);
  nodeFiles.set(file.rel, content);
  return { ...base, nodes: [{ ...nf, files: nodeFiles }] };
}

/** The parser the snapshot uses for a JSON file of the capture. */
function jsonParser(label: string): ((content: string, file: string) => Parsed<unknown>) | undefined {
  if (label === 'cluster/services.json') return parseServices;
  if (label === 'cluster/tasks.json') return parseTasks;
  if (label === 'cluster/nodes.json') return parseNodes;
  if (/^nodes\/[^/]+\/info\.json$/.test(label)) return parseInfo;
  if (/\/networks\/[^/]+\.json$/.test(label)) return parseNetwork;
  if (label.endsWith('/addr.json')) return parseAddr;
  if (label.endsWith('/neigh.json')) return parseNeigh;
  if (label.endsWith('/routes.json')) return parseRoutes;
  return undefined;
}

/**
 * Build without throwing. A snapshot that uses the mutated file (none of its errors) must still
 * match the published schema: integers are integers, strings strings.
 */
function build(cap: CaptureFiles, what: string, label?: string): Snapshot {
  let snap: Snapshot | undefined;
  try {
    snap = buildSnapshot(cap);
  } catch (e) {
    throw new Error(`${what}: buildSnapshot threw ${(e as Error).stack}`);
  }
  if (label && snap.diagnostics.some((d) => d.file === label && d.severity === 'error')) return snap;
  if (!validate(toJson({ nodes: snap.nodes, cluster: snap.cluster }))) throw new Error(`${what}: snapshot breaks the schema: ${JSON.stringify(validate.errors).slice(0, 400)}`);
  return snap;
}

/** Inputs of the snapshot read from `label`. */
function inputsOf(snap: Snapshot, label: string): { id: string; status: string }[] {
  const all = [...snap.cluster.inputs.values(), ...snap.nodes.flatMap((n) => [...n.inputs.values()])];
  return all.filter((i) => i.file === label);
}

function expectRefused(snap: Snapshot, label: string, what: string): void {
  const errs = snap.diagnostics.filter((d) => d.file === label && d.severity === 'error');
  if (errs.length === 0) throw new Error(`${what}: no error diagnostic names ${label}`);
  const used = inputsOf(snap, label).filter((i) => i.status !== 'invalid');
  if (used.length) throw new Error(`${what}: ${label} has errors but inputs ${used.map((i) => `${i.id}=${i.status}`).join(', ')} are not invalid`);
}

/** Rules never fail to evaluate because of what a file holds: a result is a verdict, a skip or "cannot check". */
function expectRulesHold(snap: Snapshot, what: string): void {
  const broken = evaluate(rules, snap).filter((r: Result) => r.status === 'error' && !r.message.startsWith('cannot check: '));
  if (broken.length) throw new Error(`${what}: ${broken.map((r) => `${r.rule}: ${r.message}`).join('; ')}`);
}

/** Every path of a JSON value, with the value there. */
function paths(v: unknown, at: (string | number)[] = []): { path: (string | number)[]; value: unknown }[] {
  const out = [{ path: at, value: v }];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

function replaced(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[path[path.length - 1]] = value;
  return copy;
}

const INF = '__1e309__';
/** Values of every JSON kind; and for numbers, those no field takes: a float, negative, out of range, 1e309. */
const WRONG_KINDS: unknown[] = [null, 5, 'x', true, [], {}];
const WRONG_NUMBERS: unknown[] = [8080.5, -1, 70000, INF];
const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
/**
 * A value of the same kind is no wrong type: an empty list, an object without the fields read, an
 * empty string are all things the API may print. Numbers stay in: a float, a negative or 1e309 is
 * never right where mesh-doctor reads a number, while a natural number may be (mtu 70000).
 */
function skipped(value: unknown, wrong: unknown): boolean {
  if (kind(value) === 'number' && kind(wrong) === 'number') return false;
  return kind(value) === kind(wrong === INF ? 0 : wrong);
}
const legitNumber = (value: unknown, wrong: unknown) => typeof value === 'number' && Number.isSafeInteger(wrong) && (wrong as number) >= 0;
/** Drops the line fields (`line`, `...Line`) from a comparison. */
const noLines = (k: string, v: unknown) => (k === 'line' || k.endsWith('Line') ? undefined : v);
const text = (v: unknown) => JSON.stringify(v, null, 2).replaceAll(`"${INF}"`, '1e309');

describe('hostile JSON: a wrong type at every path of every JSON file of the seed capture', () => {
  it('never throws, and a file whose data changed is refused with an error naming it', () => {
    let mutations = 0;
    let refused = 0;
    for (const file of files(base)) {
      const parse = jsonParser(file.label);
      if (!parse) continue;
      const root = JSON.parse(file.content);
      const original = parse(file.content, file.label).data;
      expect(parse(file.content, file.label).diagnostics).toEqual([]);
      for (const { path, value } of paths(root)) {
        for (const wrong of typeof value === 'number' ? [...WRONG_KINDS, ...WRONG_NUMBERS] : WRONG_KINDS) {
          if (JSON.stringify(wrong) === JSON.stringify(value) || skipped(value, wrong)) continue;
          const content = text(replaced(root, path, wrong));
          const what = `${file.label} with ${JSON.stringify(path)} = ${JSON.stringify(wrong)}`;
          mutations++;
          const snap = build(withFile(file, content), what, file.label);
          const parsed = parse(content, file.label);
          if (parsed.diagnostics.some((d) => d.severity === 'error')) {
            expectRefused(snap, file.label, what);
            refused++;
            // Lines: an error about a value stands on a line of the file (0 only for the whole file).
            for (const d of parsed.diagnostics) expect(d.line).toBeLessThanOrEqual(content.split('\n').length);
          } else {
            // Accepted: then it reads exactly as the original, or (null, Go's empty list or map) as
            // the original with that value empty.
            // Lines are where a value stands: text above it that changed moves them, so they are not compared.
            const same = JSON.stringify(parsed.data, noLines) === JSON.stringify(original, noLines);
            const asEmpty =
              wrong === null &&
              [[], {}].some((empty) => JSON.stringify(parse(text(replaced(root, path, empty)), file.label).data, noLines) === JSON.stringify(parsed.data, noLines));
            if (!same && !asEmpty && !legitNumber(value, wrong)) throw new Error(`${what}: accepted without an error, but reads differently`);
          }
          if (mutations % 40 === 0) expectRulesHold(snap, what);
        }
      }
    }
    expect(mutations).toBeGreaterThan(2500);
    expect(refused).toBeGreaterThan(mutations / 2);
  }, 180_000);
});

describe('hostile text: every file cut at every line, and numbers replaced', () => {
  it('never throws; a cut JSON file or iptables-save table is refused with an error naming it', () => {
    let cuts = 0;
    for (const file of files(base)) {
      const lines = file.content.split('\n');
      const isJson = jsonParser(file.label) !== undefined;
      const isSave = /^\*\w+$/m.test(file.content);
      for (let k = 0; k < lines.length; k++) {
        const whole = lines.slice(0, k).join('\n') + (k ? '\n' : '');
        const half = whole + lines[k].slice(0, Math.ceil(lines[k].length / 2));
        for (const content of [whole, half]) {
          if (content === file.content) continue;
          const what = `${file.label} cut to ${content.length} of ${file.content.length} characters`;
          cuts++;
          const snap = build(withFile(file, content), what, file.label);
          const lost = file.content.slice(content.length);
          if (isJson && lost.trim() !== '') expectRefused(snap, file.label, what);
          const tables = (content.match(/^\*\w+$/gm) ?? []).length;
          const commits = (content.match(/^COMMIT$/gm) ?? []).length;
          if (isSave && tables > commits) expectRefused(snap, file.label, what);
        }
      }
    }
    expect(cuts).toBeGreaterThan(500);
  }, 180_000);

  it('never throws when a number in a text file becomes a word, a float, a negative or a huge value', () => {
    let n = 0;
    for (const file of files(base)) {
      if (jsonParser(file.label) || file.rel === 'capture.json' || !/\.txt$/.test(file.rel)) continue;
      const lines = file.content.split('\n');
      lines.forEach((line, k) => {
        for (const m of line.matchAll(/\d+/g)) {
          for (const wrong of ['x', '8080.5', '9'.repeat(400)]) {
            const edited = [...lines];
            edited[k] = line.slice(0, m.index) + wrong + line.slice(m.index! + m[0].length);
            const what = `${file.label}:${k + 1} with ${m[0]} -> ${wrong.slice(0, 12)}`;
            const snap = build(withFile(file, edited.join('\n')), what, file.label);
            if (++n % 100 === 0) expectRulesHold(snap, what);
          }
        }
      });
    }
    expect(n).toBeGreaterThan(1000);
  }, 180_000);

  it('reads every file with a leading byte order mark, NUL characters or a 1 MB line without throwing', () => {
    for (const file of files(base)) {
      for (const content of ['\uFEFF' + file.content, file.content.replace(/ /g, (s, i: number) => (i % 5 ? s : '\0')), file.content + 'x'.repeat(1e6) + '\n']) {
        build(withFile(file, content), `${file.label} (${content.length} characters)`);
      }
      // A byte order mark changes nothing.
      const plain = buildSnapshot(withFile(file, file.content));
      const bom = buildSnapshot(withFile(file, '\uFEFF' + file.content));
      expect(toJson({ nodes: bom.nodes, cluster: bom.cluster })).toEqual(toJson({ nodes: plain.nodes, cluster: plain.cluster }));
    }
  }, 180_000);
});

describe('hostile captures, case by case: the file and line, and the rules that need it report error', () => {
  function check(edit: (d: string) => void): { snap: Snapshot; results: Result[] } {
    const d = mkdtempSync(join(tmpdir(), 'md-hostile-case-'));
    try {
      cpSync(fixture('seed-cluster'), d, { recursive: true });
      edit(d);
      let snap: Snapshot | undefined;
      expect(() => (snap = buildSnapshot(readCapture(d)))).not.toThrow();
      return { snap: snap!, results: evaluate(rules, snap!) };
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  }
  const byRule = (results: Result[], rule: string, node: string | null = null) => results.filter((r) => r.rule === rule && (node === null || r.node === node));

  /** services.json with Endpoint.Ports[0].PublishedPort (the ports really published) written as `raw`; its line. */
  function publishedPort(d: string, raw: string): number {
    const f = join(d, 'cluster/services.json');
    const svc = JSON.parse(readFileSync(f, 'utf8'));
    svc[0].Endpoint.Ports[0].PublishedPort = INF;
    const t = JSON.stringify(svc, null, 2).replace(`"${INF}"`, raw);
    writeFileSync(f, t);
    return t.split('\n').findIndex((l) => l.includes(`"PublishedPort": ${raw}`)) + 1;
  }

  it('services.json with "PublishedPort": 8080.5: cluster.services invalid, port rules error, the rest still checked', () => {
    let line = 0;
    const { snap, results } = check((d) => (line = publishedPort(d, '8080.5')));
    expect(line).toBeGreaterThan(0);
    expect(snap.cluster.inputs.get('cluster.services')).toMatchObject({ status: 'invalid', line: BigInt(line) });
    expect(snap.diagnostics).toContainEqual(expect.objectContaining({ file: 'cluster/services.json', line, severity: 'error' }));
    for (const rule of ['published-port-has-dnat', 'published-port-has-mark', 'forward-path-open', 'ipvs-backends-match-tasks']) {
      const rs = byRule(results, rule);
      expect(rs).toHaveLength(3);
      for (const r of rs) expect(r).toMatchObject({ status: 'error', message: expect.stringMatching(new RegExp(`^cannot check: cluster/services.json:${line}: .*PublishedPort is 8080.5`)) });
    }
    expect(byRule(results, 'ip-forward-enabled').map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
    expect(byRule(results, 'dnat-target-is-sbox').map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
  }, 180_000);

  it.each([
    ['out of range', '70000'],
    ['negative', '-1'],
    ['1e309', '1e309'],
  ])('services.json with a port %s: invalid at its line, never an exception', (_, port) => {
    let line = 0;
    const { snap } = check((d) => (line = publishedPort(d, port)));
    expect(snap.cluster.inputs.get('cluster.services')).toMatchObject({ status: 'invalid', line: BigInt(line) });
  });

  it('services.json with Endpoint.Ports a string, tasks.json with a float Slot: both invalid', () => {
    const { snap } = check((d) => {
      const s = join(d, 'cluster/services.json');
      const svc = JSON.parse(readFileSync(s, 'utf8'));
      svc[0].Endpoint.Ports = '8080:80';
      writeFileSync(s, JSON.stringify(svc, null, 2));
      const t = join(d, 'cluster/tasks.json');
      const tasks = JSON.parse(readFileSync(t, 'utf8'));
      tasks[0].Slot = 1.5;
      writeFileSync(t, JSON.stringify(tasks, null, 2));
    });
    expect(snap.cluster.inputs.get('cluster.services')!.message).toMatch(/^cluster\/services.json:\d+: service entry 0: Endpoint.Ports is "8080:80", expected a list$/);
    expect(snap.cluster.inputs.get('cluster.tasks')!.message).toMatch(/^cluster\/tasks.json:\d+: task entry 0: Slot is 1.5/);
  }, 180_000);

  it('info.json with "Swarm": null is invalid', () => {
    const { snap } = check((d) => {
      const f = join(d, 'nodes/253/info.json');
      writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), Swarm: null }, null, 2));
    });
    expect(snap.nodes.find((n) => n.name === '253')!.inputs.get('info')).toMatchObject({ status: 'invalid', message: expect.stringMatching(/^nodes\/253\/info.json:\d+: docker info Swarm is null, expected an object$/) });
  }, 180_000);

  it('neigh.json as an object with "dst": 5: sbox.neigh invalid, backend-in-arp errors on that node only', () => {
    const { snap, results } = check((d) => {
      unlinkSync(join(d, 'nodes/234/ingress_sbox/neigh.txt'));
      writeFileSync(join(d, 'nodes/234/ingress_sbox/neigh.json'), '{\n  "dst": 5,\n  "state": ["REACHABLE"]\n}\n');
    });
    expect(snap.nodes.find((n) => n.name === '234')!.inputs.get('sbox.neigh')).toMatchObject({ status: 'invalid', line: 2n });
    expect(byRule(results, 'backend-in-arp', '234').map((r) => r.status)).toEqual(['error']);
    expect(byRule(results, 'backend-in-arp', '253').map((r) => r.status)).toEqual(['pass']);
  }, 180_000);

  it('iptables-save with --dport abc, or --to-destination 172.18.0.2:xyz: host nat invalid at that line', () => {
    for (const [from, to] of [['--dport 8080 -j DNAT', '--dport abc -j DNAT'], ['--to-destination 192.168.0.2:8080', '--to-destination 192.168.0.2:xyz']]) {
      const { snap, results } = check((d) => {
        const f = join(d, 'nodes/234/host/iptables.txt');
        writeFileSync(f, readFileSync(f, 'utf8').replace(from, to));
      });
      const input = snap.nodes.find((n) => n.name === '234')!.inputs.get('host.iptables.nat')!;
      expect(input).toMatchObject({ status: 'invalid', line: 18n });
      expect(byRule(results, 'published-port-has-dnat', '234')).toEqual([expect.objectContaining({ status: 'error', message: expect.stringMatching(/^cannot check: nodes\/234\/host\/iptables.txt:18: /) })]);
    }
  }, 180_000);

  it('a pasted iptables-save cut before the nat COMMIT: DNAT rules report error, not a false "no DNAT"', () => {
    const { snap, results } = check((d) => {
      const f = join(d, 'nodes/234/host/iptables.txt');
      const lines = readFileSync(f, 'utf8').split('\n');
      // The paste stops just before the DOCKER-INGRESS DNAT rule.
      writeFileSync(f, lines.slice(0, lines.findIndex((l) => l.includes('-j DNAT'))).join('\n') + '\n');
    });
    const node = snap.nodes.find((n) => n.name === '234')!;
    expect(node.inputs.get('host.iptables.nat')).toMatchObject({ status: 'invalid', line: 2n, message: expect.stringMatching(/^nodes\/234\/host\/iptables.txt:2: table nat \(line 2\) has no COMMIT before the end of the file/) });
    expect(byRule(results, 'published-port-has-dnat', '234').map((r) => r.status)).toEqual(['error']);
    expect(byRule(results, 'dnat-target-is-sbox', '234').map((r) => r.status)).toEqual(['error']);
    expect(byRule(results, 'published-port-has-dnat', '253').map((r) => r.status)).toEqual(['pass']);
  }, 180_000);

  it('a garbage file of 10,000 bad lines lists 50 problems and one line counting the rest', () => {
    const garbage = Array.from({ length: 10_000 }, (_, i) => `-a -f 8282 -r 10.0.0.${i % 250}:port${i} -m -w 1`).join('\n');
    const { snap, results } = check((d) => writeFileSync(join(d, 'nodes/253/ingress_sbox/ipvs.txt'), `-A -f 8282 -s rr\n${garbage}\n`));
    const mine = snap.diagnostics.filter((x) => x.file === 'nodes/253/ingress_sbox/ipvs.txt');
    expect(mine).toHaveLength(51);
    expect(mine[0]).toMatchObject({ line: 2, severity: 'error' });
    expect(mine[50]).toEqual({ file: 'nodes/253/ingress_sbox/ipvs.txt', line: 0, severity: 'error', message: '9950 more problem(s) in this file not listed (9950 error(s)); the first 50 are above' });
    expect(byRule(results, 'fwmark-has-backend', '253').map((r) => r.status)).toEqual(['error']);
  }, 180_000);

  it('ipvsadm -S with a real server port that is no number: sbox.ipvs invalid', () => {
    const { snap, results } = check((d) => writeFileSync(join(d, 'nodes/253/ingress_sbox/ipvs.txt'), '-A -f 8282 -s rr\n-a -f 8282 -r 10.0.0.98:xyz -m -w 1\n'));
    expect(snap.nodes.find((n) => n.name === '253')!.inputs.get('sbox.ipvs')).toMatchObject({ status: 'invalid', line: 2n });
    expect(byRule(results, 'fwmark-has-backend', '253').map((r) => r.status)).toEqual(['error']);
  }, 180_000);
});
