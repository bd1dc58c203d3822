import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { runCheck, type CheckOptions } from '../../src/check.js';
import { loadConfig } from '../../src/config/load.js';
import { CLIENT_SCRIPT } from '../../src/report/html/client.js';
import { buildView, HOPS, type PortView } from '../../src/report/html/model.js';
import { STYLE } from '../../src/report/html/style.js';
import { esc, htmlReportChunks } from '../../src/report/html.js';
import { fixture, ROOT, unplacedBackendsCapture } from '../helpers/fixtures.js';
import { HOSTILE_NODE, HOSTILE_REFERENCE, HOSTILE_SERVICE, HOSTILE_SERVICE_SHOWN, HOSTILE_TITLE, hostileCapture } from '../helpers/hostile.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'md-html-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const opts = (dir: string, over: Partial<CheckOptions> = {}): CheckOptions => ({
  dir, format: 'html', failOn: 'fail', color: false, verbose: false, toolVersion: '0.1.0', now: new Date('2026-11-25T17:00:00Z'), ...over,
});
const html = (name: string, over: Partial<CheckOptions> = {}) => runCheck(opts(fixture(name), over)).report;
const viewOf = (dir: string, over: Partial<CheckOptions> = {}) => buildView(runCheck(opts(dir, over)).input);

/** The port's path on a node: each hop's status, and which hop is broken. */
function path(port: PortView | undefined, node: string, rows: { label: string }[]) {
  const p = port?.paths.find((x) => rows[x.row].label === node);
  if (!p) throw new Error(`no path on node ${node}`);
  return { hops: Object.fromEntries(p.hops.map((h, i) => [HOPS[i].id, h.status])), broken: p.broken < 0 ? null : HOPS[p.broken].id };
}
const ALL_PASS = { dnat: 'pass', forward: 'pass', mark: 'pass', ipvs: 'pass', backends: 'pass' };

/** The page without its data block: what the browser parses as HTML. */
const markup = (page: string) => page.replace(/<script type="application\/json" id="md-data">[\s\S]*?<\/script>/, '');
const data = (page: string) => JSON.parse(/<script type="application\/json" id="md-data">([\s\S]*?)<\/script>/.exec(page)![1]);

describe('html report: one page that loads nothing', () => {
  const page = html('broken-dnat-target');

  it('allows only its own inline script and stylesheet, by hash, and nothing from anywhere', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)![1].replaceAll('&#39;', "'");
    const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
    const scripts = [...markup(page).matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    const styles = [...page.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
    expect(scripts).toEqual([CLIENT_SCRIPT]);
    expect(styles).toEqual([STYLE]);
    expect(csp.split('; ')).toEqual([
      "default-src 'none'", `script-src ${hash(CLIENT_SCRIPT)}`, `style-src ${hash(STYLE)}`,
      "img-src 'none'", "font-src 'none'", "connect-src 'none'", "base-uri 'none'", "form-action 'none'",
    ]);
    // The policy comes before anything it governs.
    expect(page.indexOf('Content-Security-Policy')).toBeLessThan(page.indexOf('<style>'));
  });

  it('names no external resource: no src, link, url() or @import, no address in an attribute', () => {
    const m = markup(page);
    expect(m).not.toMatch(/\ssrc=|<link|<iframe|<object|<embed|<img|url\(|@import/i);
    expect(m).not.toMatch(/(href|action|src)="[^"]*:\/\//i);
  });

  it('keeps the script free of what could break out of a template or the page', () => {
    expect(() => new Script(CLIENT_SCRIPT)).not.toThrow();
    expect(CLIENT_SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function|fetch\(|XMLHttpRequest|setAttribute\('style'/);
  });
});

describe('html report: the matrix', () => {
  it('colours each cell by the worst status of its rule on its node, cluster rules in their own row', () => {
    const page = html('broken-dnat-target');
    expect(page).toMatch(/<td class="c s-fail" data-k="\d+" data-status="fail" tabindex="0" title="node 253 · dnat-target-is-sbox: 1 fail">✖1<\/td>/);
    expect(page).toMatch(/<td class="c s-pass" data-k="\d+" data-status="pass" tabindex="0" title="node 228 · dnat-target-is-sbox: 1 pass">✔1<\/td>/);
    expect(page).toMatch(/<td class="c s-skip" data-k="\d+" data-status="skip" tabindex="0" title="node 228 · conntrack-not-full: 1 skip">○1<\/td>/);
    expect(page).toMatch(/<tr class="cluster" data-row="cluster"><th class="node" scope="row" title="cluster">cluster<\/th><td class="c s-pass"[^>]*title="cluster · data-path-port-agreed: 1 pass">/);
    const view = viewOf(fixture('broken-dnat-target'));
    expect(view.rows.map((r) => r.label)).toEqual(['cluster', '228', '234', '253']);
    // Cluster-scoped rules first, and only in the cluster row.
    const firstNodeRule = view.rules.findIndex((r) => r.scope === 'node');
    expect(view.rules.slice(0, firstNodeRule).every((r) => r.scope === 'cluster')).toBe(true);
    expect(view.rules.slice(firstNodeRule).every((r) => r.scope === 'node')).toBe(true);
    for (const c of view.cells) expect(c.row === 0).toBe(view.rules[c.rule].scope === 'cluster');
  });

  it('marks a cell whose problems the config accepts differently, with the accepted status', () => {
    const dir = mkdtempSync(join(work, 'cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'accepted:\n  - rule: dnat-target-is-sbox\n    node: 253\n    reason: moving node 253\n    expires: 2026-12-31\n');
    const page = html('broken-dnat-target', { config: loadConfig(file, 'config.yaml') });
    expect(page).toMatch(/<td class="c s-fail acc" data-k="\d+" data-status="pass" data-accepted="fail" tabindex="0" title="node 253 · dnat-target-is-sbox: 1 fail \(1 accepted\)">A✖1<\/td>/);
    expect(page).toContain('data-summary="accepted">1 accepted<');
    const accepted = data(page).problems.filter((p: unknown[]) => p[7]);
    expect(accepted).toHaveLength(1);
  });

  it('carries passes as counts and one compact pair per pass, not as elements', () => {
    const page = html('seed-cluster');
    const d = data(page);
    const results = runCheck(opts(fixture('seed-cluster'))).input.results;
    expect(d.passes.length / 2 + d.problems.length).toBe(results.length);
    // One element per cell of the matrix, none per result.
    expect(markup(page).match(/<td /g)!.length).toBe(d.rows.length * d.rules.length);
    expect(markup(page)).not.toContain('ingress_sbox marks tcp/8080');
  });
});

describe('html report: the path of each published port', () => {
  it('marks the DNAT hop broken on the node whose DNAT goes elsewhere, and every hop good on the others', () => {
    const v = viewOf(fixture('broken-dnat-target'));
    expect(v.ports.map((p) => p.key)).toEqual(['tcp/8080']);
    const [port] = v.ports;
    expect(path(port, '253', v.rows)).toEqual({ hops: ALL_PASS_BUT({ dnat: 'fail' }), broken: 'dnat' });
    expect(path(port, '228', v.rows)).toEqual({ hops: ALL_PASS, broken: null });
    expect(path(port, '234', v.rows)).toEqual({ hops: ALL_PASS, broken: null });
    expect(port.brokenNodes).toBe(1);
  });

  it.each([
    ['broken-missing-mark', '228', 'mark'],
    ['lab-fault-09-docker-user-drop', 'node2', 'forward'],
    ['broken-backend-arp', '234', 'backends'],
    ['broken-no-ipvs', '228', 'dnat'],
    ['lab-fault-05-ipvs-service-deleted', 'node2', 'ipvs'],
  ])('in %s, breaks on node %s at the %s hop', (name, node, hop) => {
    const v = viewOf(fixture(name));
    const broken = v.ports.flatMap((p) => p.paths.filter((x) => x.broken >= 0).map((x) => [p.key, v.rows[x.row].label, HOPS[x.broken].id]));
    expect(broken).toContainEqual(['tcp/8080', node, hop]);
  });

  it('shows what could not be checked: a hop with no result, a rule that skipped, IPVS missing on the node', () => {
    const mark = viewOf(fixture('broken-missing-mark'));
    // No mark: no FWM to look up for that port on 228, so no result of fwmark-has-backend names it.
    expect(path(mark.ports[0], '228', mark.rows).hops).toMatchObject({ mark: 'fail', ipvs: null });
    const noIpvs = viewOf(fixture('broken-no-ipvs'));
    expect(path(noIpvs.ports[0], '228', noIpvs.rows).hops).toEqual({ dnat: 'fail', forward: 'pass', mark: 'fail', ipvs: 'fail', backends: 'skip' });
  });

  it('counts a missing neighbour as a warning of that port, not a break', () => {
    const v = viewOf(fixture('broken-backend-arp'));
    expect(path(v.ports[0], '228', v.rows)).toEqual({ hops: ALL_PASS_BUT({ backends: 'warn' }), broken: null });
  });

  it("puts a backend's problem on the port whose IPVS service has it, and on no other", () => {
    const dir = join(work, 'stale');
    execFileSync(process.execPath, [join(ROOT, 'scripts/gen-capture.js'), dir, '2', '3', '6', '--stale', '1'], { stdio: 'ignore' });
    const v = viewOf(dir);
    expect(v.ports.map((p) => p.key)).toEqual(['tcp/30000', 'tcp/30001', 'tcp/30002']);
    const [first, ...rest] = v.ports;
    const hop = first.paths[0].hops[HOPS.findIndex((h) => h.id === 'backends')];
    expect(hop.status).toBe('fail');
    expect(hop.results.map((r) => r.rule).sort()).toEqual(['backend-in-arp', 'ipvs-backends-match-tasks']);
    for (const p of rest) for (const x of p.paths) expect(x.hops.map((h) => h.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
  });

  it('comes in pieces of at most a few hundred KB, its data a slice of each list at a time, which together are the page', () => {
    const dir = unplacedBackendsCapture(join(work, 'pieces'), 3, 60, 240);
    const out = runCheck(opts(dir));
    const pieces = [...htmlReportChunks(out.input)];
    expect(pieces.length).toBeGreaterThan(20);
    for (const p of pieces) expect(p.length).toBeLessThan(300 * 1024);
    const page = pieces.join('');
    expect(page).toBe(out.report);
    const d = data(page);
    expect(d.problems.length).toBeGreaterThan(64);
    expect(d.passes.length).toBeGreaterThan(64);
    expect(d.problems.length + d.passes.length / 2).toBe(out.input.results.length);
  });

  it("puts a backend no port's mark places on every port of its node, as one list per node that every path names, not a copy per port", () => {
    const dir = unplacedBackendsCapture(join(work, 'unplaced'), 2, 20, 40);
    const out = runCheck(opts(dir));
    const v = buildView(out.input);
    const b = HOPS.findIndex((h) => h.id === 'backends');
    expect(v.ports).toHaveLength(20);
    for (const row of [1, 2]) {
      const hops = v.ports.map((p) => p.paths.find((x) => x.row === row)!.hops[b]);
      const failing = hops[0].shared.filter((r) => r.rule === 'backend-in-arp' && r.status === 'fail');
      // Each node balances every service's 2 tasks: 40 backends, each FAILED.
      expect(failing).toHaveLength(40);
      for (const h of hops) {
        expect(h.shared).toBe(hops[0].shared);
        expect(h.status).toBe('fail');
        expect(h.results.some((r) => r.rule === 'backend-in-arp')).toBe(false);
      }
    }
    // The page holds each node's list once: its paths name it by index.
    const d = data(out.report);
    const portIds = d.ports.flatMap((p: [string, number, number, (number | number[])[][]]) => p[3].flatMap((path) => path.slice(2).flatMap((hop) => (hop as number[]).slice(2))));
    expect(d.shared.filter((l: number[]) => l.length >= 40)).toHaveLength(2);
    // The ports' own results: a few per hop, not 40 backends per port and node.
    expect(portIds.length).toBeLessThan(20 * 40);
  });
});

function ALL_PASS_BUT(over: Record<string, string>) {
  return { ...ALL_PASS, ...over };
}

describe('html report: text from a capture or a rule file is text', () => {
  it('escapes markup and shows control characters as escapes, in the page and in its data', () => {
    const h = hostileCapture(mkdtempSync(join(work, 'hostile-')));
    const page = runCheck(opts(h.capture, { rulesDirs: [h.rules] })).report;
    // Nothing hostile reaches the markup as markup; the data block cannot be closed early.
    expect(page).not.toMatch(/<img|<svg|<i>so|<b>not|<textarea|<script>alert/);
    expect(page.match(/<script/g)).toHaveLength(2);
    expect(page.match(/<\/script>/g)).toHaveLength(2);
    // eslint-disable-next-line no-control-regex
    expect(page).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(page).toContain(`<th class="node" scope="row" title="${esc(HOSTILE_NODE)}">&lt;svg onload=alert(2)&gt;</th>`);
    expect(page).toContain(`title="hostile-rule: &lt;/script&gt;&lt;script&gt;alert(3)&lt;/script&gt; &amp; &quot;quotes&quot;"`);
    const d = data(page);
    expect(d.strings).toContain(`tcp/8080`);
    expect(d.strings.some((s: string) => s.includes(HOSTILE_SERVICE_SHOWN))).toBe(true);
    expect(d.strings.some((s: string) => s.includes(HOSTILE_SERVICE))).toBe(false);
    const rule = d.rules.find((r: { id: string }) => r.id === 'hostile-rule');
    expect(rule).toMatchObject({ title: HOSTILE_TITLE, description: '<b>not bold</b>\\x07 and a bell', references: [HOSTILE_REFERENCE, 'https://example.invalid/<x>'] });
    expect(d.rows.map((r: unknown[]) => r[0])).toContain(HOSTILE_NODE);
  });
});

describe('mesh-doctor check -f html', () => {
  it('writes the page to the --output file beside another format on stdout', () => {
    const out = join(work, 'mesh.html');
    const json = execFileSync(process.execPath, [join(ROOT, 'bin/run.js'), 'check', fixture('broken-dnat-target'), '--no-config', '--fail-on', 'none', '-f', 'html', '-o', out, '-f', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    expect(JSON.parse(json).summary.fail).toBe(1);
    const page = readFileSync(out, 'utf8');
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).toContain('title="node 253 · dnat-target-is-sbox: 1 fail"');
  });
});
