import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/fixtures.js';
import { sarifValidator, xmllintJunit, xpath } from '../helpers/pipeline.js';

/** The built CLI as a pipeline step runs it: from the repository root, with the CI's environment. */
function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const base: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', GITHUB_STEP_SUMMARY: undefined, GITHUB_WORKSPACE: undefined, CI_PROJECT_DIR: undefined };
  const merged = Object.fromEntries(Object.entries({ ...base, ...env }).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv;
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: merged });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('mesh-doctor check as a pipeline gate: junit, sarif and github in one run', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'md-pipeline-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));
  const validate = sarifValidator();

  it('writes JUnit and SARIF files, annotations on stdout, and appends the step summary, on a failing capture (exit 1)', () => {
    const summary = join(tmp, 'step-summary.md');
    writeFileSync(summary, '## an earlier step\n\n');
    const xml = join(tmp, 'r.xml');
    const sarif = join(tmp, 'r.sarif');
    const r = cli(['check', 'fixtures/broken-dnat-target', '-f', 'junit', '-o', xml, '-f', 'sarif', '-o', sarif, '-f', 'github'], { GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: ROOT });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^::error file=fixtures\/broken-dnat-target\/nodes\/253\/host\/iptables-nat\.txt,line=30,title=dnat-target-is-sbox \(node 253\)::tcp\/8080: DOCKER-INGRESS DNATs/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^mesh-doctor: \d+ pass, 0 warn, 1 fail, \d+ skip, 0 error \(fixtures\/broken-dnat-target\)$/);
    expect(xmllintJunit(xml).ok).toBe(true);
    expect(xpath(xml, 'sum(//testsuite/@failures)')).toBe('1');
    const log = JSON.parse(readFileSync(sarif, 'utf8'));
    expect(validate(log) ? [] : validate.errors).toEqual([]);
    expect(log.runs[0].results.map((x: { ruleId: string }) => x.ruleId)).toEqual(['dnat-target-is-sbox']);
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('fixtures/broken-dnat-target/nodes/253/host/iptables-nat.txt');
    // Appended, never written over: the earlier step's text is still first.
    const md = readFileSync(summary, 'utf8');
    expect(md.startsWith('## an earlier step\n\n### mesh-doctor: fixtures/broken-dnat-target\n')).toBe(true);
    expect(md).toContain('| fail | dnat-target-is-sbox | 253 | tcp/8080 |');
    // A second run (a second capture checked in the same step) adds its own.
    cli(['check', 'fixtures/broken-engine-patch', '-f', 'github'], { GITHUB_STEP_SUMMARY: summary });
    const twice = readFileSync(summary, 'utf8');
    expect(twice.startsWith(md)).toBe(true);
    expect(twice.slice(md.length)).toMatch(/^### mesh-doctor: fixtures\/broken-engine-patch\n[\s\S]*\| warn \| peer-engine-versions \| cluster \|/);
    expect(readdirSync(tmp).sort()).toEqual(['r.sarif', 'r.xml', 'step-summary.md']);
  });

  it('passes a healthy capture (exit 0) in every format: no annotation, no failure, no SARIF result', () => {
    const summary = join(tmp, 'summary.md');
    const xml = join(tmp, 'r.xml');
    const sarif = join(tmp, 'r.sarif');
    const r = cli(['check', 'fixtures/seed-cluster', '-f', 'junit', '-o', xml, '-f', 'sarif', '-o', sarif, '-f', 'github'], { GITHUB_STEP_SUMMARY: summary });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^mesh-doctor: \d+ pass, 0 warn, 0 fail, \d+ skip, 0 error \(fixtures\/seed-cluster\)\n$/);
    expect(xmllintJunit(xml).ok).toBe(true);
    expect(xpath(xml, 'sum(//testsuite/@failures) + sum(//testsuite/@errors)')).toBe('0');
    expect(JSON.parse(readFileSync(sarif, 'utf8')).runs[0].results).toEqual([]);
    expect(readFileSync(summary, 'utf8')).toContain('\nNo problem found.\n');
  });

  it('prints JUnit or SARIF alone on stdout, and --help names the formats', () => {
    const junit = cli(['check', 'fixtures/broken-dnat-target', '--format', 'junit']);
    expect(junit.code).toBe(1);
    expect(junit.stdout.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n')).toBe(true);
    const sarif = cli(['check', 'fixtures/broken-dnat-target', '-f', 'sarif']);
    expect(JSON.parse(sarif.stdout).version).toBe('2.1.0');
    const help = cli(['check', '--help']);
    expect(help.stdout).toMatch(/stylish\|json\|junit\|sarif\|github/);
  });

  it('gives paths from the capture folder when the capture is outside the CI checkout', () => {
    const elsewhere = join(tmp, 'workspace');
    mkdirSync(elsewhere);
    const sarif = join(tmp, 'r.sarif');
    const r = cli(['check', 'fixtures/broken-dnat-target', '-f', 'sarif', '-o', sarif, '-f', 'github'], { GITHUB_WORKSPACE: elsewhere });
    expect(r.stdout.split('\n')[0]).toMatch(/^::error file=nodes\/253\/host\/iptables-nat\.txt,line=30,/);
    const loc = JSON.parse(readFileSync(sarif, 'utf8')).runs[0].results[0].locations[0].physicalLocation.artifactLocation;
    expect(loc).toEqual({ uri: 'nodes/253/host/iptables-nat.txt', uriBaseId: 'CAPTURE' });
  });

  it('warns in one line when the step summary cannot be written, and keeps the reports and the exit code', () => {
    const summary = join(tmp, 'a-folder');
    mkdirSync(summary);
    const xml = join(tmp, 'r.xml');
    const r = cli(['check', 'fixtures/broken-dnat-target', '-f', 'github', '-f', 'junit', '-o', xml], { GITHUB_STEP_SUMMARY: summary });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`mesh-doctor: warning: cannot append to GITHUB_STEP_SUMMARY (${summary}): EISDIR\n`);
    expect(r.stdout).toMatch(/^::error /);
    expect(xmllintJunit(xml).ok).toBe(true);
  });

  it('leaves the step summary alone when the github format is not asked for', () => {
    const summary = join(tmp, 'summary.md');
    writeFileSync(summary, 'before\n');
    cli(['check', 'fixtures/broken-dnat-target', '-f', 'junit', '-o', join(tmp, 'r.xml')], { GITHUB_STEP_SUMMARY: summary });
    expect(readFileSync(summary, 'utf8')).toBe('before\n');
  });
});
