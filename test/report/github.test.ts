import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck, type CheckOptions, type CheckOutcome } from '../../src/check.js';
import { loadConfig } from '../../src/config/load.js';
import { ANNOTATIONS_PER_KIND, escapeData, escapeProperty, githubReport, githubReportChunks, githubStepSummary } from '../../src/report/github.js';
import type { ReportInput } from '../../src/report/types.js';
import type { Result } from '../../src/rules/types.js';
import { fixture } from '../helpers/fixtures.js';
import { HOSTILE_NODE, hostileCapture, joinedPieces, manyFailures } from '../helpers/pipeline.js';

const opts = (name: string, over: Partial<CheckOptions> = {}): CheckOptions => ({
  dir: fixture(name), format: 'github', failOn: 'fail', color: false, verbose: false, toolVersion: '0.1.0', now: new Date('2026-11-25T17:00:00Z'), ...over,
});
const cache = new Map<string, CheckOutcome>();
function check(name: string): CheckOutcome {
  if (!cache.has(name)) cache.set(name, runCheck(opts(name)));
  return cache.get(name)!;
}

/**
 * A workflow command read back as the Actions runner reads it: `::name key=value,...::data`, the
 * properties split at `,` and `=`, then each part unescaped (%0D, %0A, %3A, %2C, %25, as the runner's
 * ActionCommand does). Null for a line that is not a command.
 */
function parseCommand(line: string): { name: string; props: Record<string, string>; data: string } | null {
  const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
  if (!m) return null;
  const unescape = (s: string, prop: boolean) => {
    let t = s.replace(/%0D/g, '\r').replace(/%0A/g, '\n');
    if (prop) t = t.replace(/%3A/g, ':').replace(/%2C/g, ',');
    return t.replace(/%25/g, '%');
  };
  const props: Record<string, string> = {};
  for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
    const i = kv.indexOf('=');
    props[kv.slice(0, i)] = unescape(kv.slice(i + 1), true);
  }
  return { name: m[1], props, data: unescape(m[3], false) };
}

const commands = (text: string) => text.trimEnd().split('\n').map(parseCommand).filter((c) => c !== null);

describe('github report: workflow commands', () => {
  it('annotates a fail as ::error at the capture file and line (from the repository root), titled with rule and node, with what to do', () => {
    const out = check('broken-dnat-target');
    const lines = out.report.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const c = parseCommand(lines[0])!;
    expect(c.name).toBe('error');
    expect(c.props).toEqual({ file: 'fixtures/broken-dnat-target/nodes/253/host/iptables-nat.txt', line: '30', title: 'dnat-target-is-sbox (node 253)' });
    expect(c.data).toMatch(/^tcp\/8080: DOCKER-INGRESS DNATs tcp\/8080 to 192\.168\.0\.3, but ingress_sbox is 192\.168\.0\.2 on docker_gwbridge\n\nWhat to do: On node 253, compare/);
    const s = out.input.summary;
    expect(lines[1]).toBe(`mesh-doctor: ${s.pass} pass, 0 warn, 1 fail, ${s.skip} skip, 0 error (${fixture('broken-dnat-target')})`);
    // Outside a repository, the path is the capture's own.
    expect(parseCommand(githubReport({ ...out.input, capturePath: undefined }).split('\n')[0])!.props.file).toBe('nodes/253/host/iptables-nat.txt');
  });

  it('annotates a warn as ::warning, an error as ::error at the file its message names, and a healthy capture with no annotation', () => {
    expect(commands(check('broken-engine-patch').report).map((c) => [c.name, c.props.title, c.props.file])).toEqual([['warning', 'peer-engine-versions (cluster)', 'fixtures/broken-engine-patch/cluster/nodes.json']]);
    const errs = commands(check('invalid-iptables-line').report);
    expect(errs.length).toBe(check('invalid-iptables-line').input.summary.error);
    expect(errs[0]).toMatchObject({ name: 'error', props: { file: 'fixtures/invalid-iptables-line/nodes/253/host/iptables-nat.txt', line: '29', title: expect.stringMatching(/^[a-z-]+ \(node 253\): could not be evaluated$/) } });
    expect(commands(check('seed-cluster').report)).toEqual([]);
    expect(check('seed-cluster').report).toMatch(/^mesh-doctor: \d+ pass, 0 warn, 0 fail, \d+ skip, 0 error \(.*seed-cluster\)\n$/);
  });

  it('lists fail and error annotations before warnings (GitHub shows the first few of each kind)', () => {
    const kinds = commands(check('lab-fault-13-nat-flushed').report).map((c) => c.name);
    expect(kinds.length).toBeGreaterThan(2);
    expect(kinds).toEqual([...kinds].sort((a, b) => (a === 'error' ? 0 : 1) - (b === 'error' ? 0 : 1)));
  });

  it('annotates an accepted result as a ::notice with the acceptance, which does not fail the step', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-github-'));
    try {
      const p = join(dir, 'c.yaml');
      writeFileSync(p, 'accepted:\n  - rule: dnat-target-is-sbox\n    node: 253\n    reason: moving node 253\n    expires: 2026-12-31\n');
      const out = runCheck(opts('broken-dnat-target', { config: loadConfig(p, 'config.yaml') }));
      const [c] = commands(out.report);
      expect(c.name).toBe('notice');
      expect(c.props.title).toBe('dnat-target-is-sbox (node 253): fail, accepted until 2026-12-31');
      expect(c.data).toContain('Accepted by the config (config.yaml:2) until 2026-12-31: moving node 253');
      expect(out.report).toContain(', 1 accepted (');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says first when there are more annotations of a kind than GitHub shows', () => {
    const input = check('broken-dnat-target').input;
    const fail = input.results.find((x) => x.status === 'fail')!;
    const many: Result[] = Array.from({ length: ANNOTATIONS_PER_KIND + 2 }, (_, i) => ({ ...fail, subject: `tcp/${9000 + i}` }));
    const cs = commands(githubReport({ ...input, results: many }));
    expect(cs[0]).toMatchObject({ name: 'notice', data: expect.stringMatching(/^12 errors: GitHub shows 10 annotations of each kind per step/) });
    expect(cs.slice(1).map((c) => c.name)).toEqual(Array(12).fill('error'));
    expect(commands(check('broken-dnat-target').report)[0].name).toBe('error');
  });

  it('escapes data and properties as the toolkit does', () => {
    expect(escapeData('100% done\r\nnext')).toBe('100%25 done%0D%0Anext');
    expect(escapeData('a:b,c')).toBe('a:b,c');
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
    expect(escapeProperty('%3A')).toBe('%253A'); // an escape in the input stays text
  });

  it('keeps hostile names on their one line: no injected command, properties and data read back as the text, control characters as escapes', () => {
    const dir = hostileCapture();
    try {
      const text = runCheck(opts('x', { dir })).report;
      const lines = text.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0].startsWith('::error ')).toBe(true);
      expect(lines[1].startsWith('mesh-doctor: ')).toBe(true);
      expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
      const c = parseCommand(lines[0])!;
      const shown = HOSTILE_NODE.replace('\u001b', '\\e').replace('\u0001', '\\x01').replace('\r', '\\r').replace('\n', '\\n');
      // Exactly three properties: a `,` or `:` in a name did not make more, nor end one early.
      expect(Object.keys(c.props)).toEqual(['file', 'line', 'title']);
      expect(c.props.file).toBe(`nodes/${shown}/host/iptables-nat.txt`);
      expect(c.props.line).toBe('30');
      expect(c.props.title).toBe(`dnat-target-is-sbox (node ${shown})`);
      expect(c.data).toContain('web<&"\'|,:%\\e]0;title\\x07\\x00\\u{202e}\ufffe');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A Markdown table row's cells: split at the pipes no backslash escapes. */
const cells = (row: string) => row.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());

describe('github report: the step summary', () => {
  it('gives the counts and a table of the problems: status, rule, node, subject, message, where', () => {
    const out = check('broken-dnat-target');
    const md = githubStepSummary(out.input);
    const s = out.input.summary;
    const lines = md.split('\n');
    expect(lines[0]).toBe(`### mesh-doctor: ${fixture('broken-dnat-target').replace(/[_\\]/g, '\\$&')}`);
    expect(lines[2]).toMatch(new RegExp(`^\\*\\*1 fail, 0 warn, 0 error\\*\\* · ${s.pass} pass, ${s.skip} skip, 0 accepted · 3 nodes, ${out.input.rules.length} rules · \\d+\\.\\d s$`));
    const table = lines.filter((l) => l.startsWith('|'));
    expect(cells(table[0])).toEqual(['status', 'rule', 'node', 'subject', 'message', 'where']);
    expect(table).toHaveLength(3);
    expect(cells(table[2])).toEqual(['fail', 'dnat-target-is-sbox', '253', 'tcp/8080', 'DOCKER-INGRESS DNATs tcp/8080 to 192.168.0.3, but ingress\\_sbox is 192.168.0.2 on docker\\_gwbridge', 'fixtures/broken-dnat-target/nodes/253/host/iptables-nat.txt:30']);
    expect(githubStepSummary(check('seed-cluster').input)).toContain('\nNo problem found.\n');
  });

  it('escapes hostile text for a Markdown table: one row per problem, six cells, no HTML, no code or math', () => {
    const dir = hostileCapture();
    try {
      const out = runCheck(opts('x', { dir }));
      const input: ReportInput = { ...out.input, results: out.input.results.map((x) => (x.status === 'fail' ? { ...x, message: 'a|b\nc <script>x</script> `code` $math$ [link](http://x) **bold** & \\' } : x)) };
      const md = githubStepSummary(input);
      const rows = md.split('\n').filter((l) => l.startsWith('|'));
      expect(rows).toHaveLength(3);
      const row = cells(rows[2]);
      expect(row).toHaveLength(6);
      expect(row[2]).toBe('253&lt;&amp;"\'\\|,:%\\\\e\\[2J\\\\x01\\\\r<br>::error::injected \\$x\\$ \\`c\\` \\*b\\* &lt;img src=x&gt;');
      expect(row[4]).toBe('a\\|b<br>c &lt;script&gt;x&lt;/script&gt; \\`code\\` \\$math\\$ \\[link\\](http://x) \\*\\*bold\\*\\* &amp; \\\\');
      // Only the line breaks the summary makes itself are HTML.
      expect(md.replace(/<br>/g, '')).not.toMatch(/<[a-z/]/i);
      expect(md).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps to a sane size: at most the given rows, then a line counting the rest', () => {
    const input = check('broken-dnat-target').input;
    const fail = input.results.find((x) => x.status === 'fail')!;
    const many: Result[] = Array.from({ length: 30 }, (_, i) => ({ ...fail, subject: `tcp/${9000 + i}`, message: 'x'.repeat(5000) }));
    const md = githubStepSummary({ ...input, results: many }, 25);
    const rows = md.split('\n').filter((l) => l.startsWith('|'));
    expect(rows).toHaveLength(2 + 25);
    expect(md).toContain('\n_5 more not shown here: the SARIF or JSON report lists them all._\n');
    expect(Math.max(...rows.map((r) => cells(r)[4]?.length ?? 0))).toBeLessThanOrEqual(400);
    // The default cap holds a 50-node run's worth of problems to a small page.
    const lots: Result[] = Array.from({ length: 5000 }, (_, i) => ({ ...fail, subject: `tcp/${i}` }));
    expect(githubStepSummary({ ...input, results: lots }).length).toBeLessThan(256 * 1024);
  });
});

describe('github report of a swarm in trouble', () => {
  it('comes in pieces under 128 KB, which together are one annotation per problem and the count line', () => {
    const out = check('broken-dnat-target');
    const big = manyFailures(out.input, 1000);
    const text = joinedPieces([...githubReportChunks(big)], 10);
    expect(text).toBe(githubReport(big));
    const lines = text.split('\n');
    expect(lines.filter((l) => l.startsWith('::error ')).length).toBe(1000);
    expect(new Set(lines.filter((l) => l.startsWith('::error ')).map((l) => /#(\d+)/.exec(l)![1])).size).toBe(1000);
    expect(lines[lines.length - 2]).toMatch(/^mesh-doctor: \d+ pass, 0 warn, 1 fail/);
    expect(lines[lines.length - 1]).toBe('');
  });
});
