import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck, type CheckOptions } from '../../src/check.js';
import { writeFileAtomic } from '../../src/cli/outputs.js';
import { prometheusFailed, prometheusReport } from '../../src/report/prometheus.js';
import type { ReportInput } from '../../src/report/types.js';
import type { Result } from '../../src/rules/types.js';
import { ROOT, fixture } from '../helpers/fixtures.js';
import { parseWithPrometheusClient, promtoolCheck, type ParsedFamily } from '../helpers/prometheus.js';
import { acceptingConfig } from '../helpers/config.js';

const NOW = new Date('2026-11-25T17:00:00Z');
const opts = (name: string, over: Partial<CheckOptions> = {}): CheckOptions => ({
  dir: fixture(name), format: 'prometheus', failOn: 'fail', color: false, verbose: false, toolVersion: '0.1.0', now: NOW, ...over,
});
// One check per fixture (a check takes seconds on a busy machine); tests copy what they change.
const checked = new Map<string, ReturnType<typeof runCheck>>();
const checkOf = (name: string) => checked.get(name) ?? checked.set(name, runCheck(opts(name))).get(name)!;
const inputOf = (name: string, over: Partial<CheckOptions> = {}): ReportInput => (Object.keys(over).length ? runCheck(opts(name, over)).input : checkOf(name).input);

const family = (fams: ParsedFamily[], name: string) => {
  const f = fams.find((x) => x.name === name);
  if (!f) throw new Error(`no family ${name} in ${fams.map((x) => x.name).join(', ')}`);
  return f;
};
/** mesh_doctor_rule_status by "rule node". */
const statuses = (fams: ParsedFamily[]) => new Map(family(fams, 'mesh_doctor_rule_status').samples.map((s) => [`${s.labels.rule} ${s.labels.node}`, s.value]));

describe('prometheus report', () => {
  it.each(['seed-cluster', 'broken-dnat-target', 'broken-backend-arp', 'invalid-iptables-line'])('of %s is read by prometheus_client and passes promtool check metrics with no lint', (name) => {
    const text = checkOf(name).report;
    const fams = parseWithPrometheusClient(text);
    expect(fams.map((f) => f.name)).toEqual([
      'mesh_doctor_rule_status',
      'mesh_doctor_results',
      'mesh_doctor_nodes',
      'mesh_doctor_last_run_timestamp_seconds',
      'mesh_doctor_last_run_duration_seconds',
      'mesh_doctor_check_completed',
    ]);
    for (const f of fams) {
      expect(f.type).toBe('gauge');
      expect(f.documentation.length).toBeGreaterThan(20);
      // node_exporter's textfile collector refuses samples with timestamps.
      for (const s of f.samples) expect(s.timestamp).toBeNull();
    }
    expect(promtoolCheck(text)).toEqual({ code: 0, output: '' });
  });

  it('labels series by rule and node only (status for the counts): never a message or a subject', () => {
    const input = inputOf('broken-backend-arp');
    const fams = parseWithPrometheusClient(prometheusReport(input));
    const keys = new Set(fams.flatMap((f) => f.samples.map((s) => Object.keys(s.labels).sort().join(','))));
    expect([...keys].sort()).toEqual(['', 'node,rule', 'status']);
    // One series per (rule, node), however many subjects a rule had there.
    const pairs = new Set(input.results.map((r) => `${r.rule} ${r.node ?? ''}`));
    expect(family(fams, 'mesh_doctor_rule_status').samples).toHaveLength(pairs.size);
    expect(input.results.length).toBeGreaterThan(pairs.size);
  });

  it('gives each rule on each node its worst status: -1 skip, 0 pass, 1 warn, 2 fail, 3 error; a cluster rule has node ""', () => {
    const input = inputOf('broken-backend-arp');
    const st = statuses(parseWithPrometheusClient(prometheusReport(input)));
    expect(st.get('backend-in-arp 234')).toBe(2);
    expect(st.get('backend-in-arp 228')).toBe(1);
    expect(st.get('backend-in-arp 253')).toBe(0);
    expect(st.get('conntrack-not-full 253')).toBe(-1); // the seed has no conntrack counters: skip
    expect(st.get('swarm-nodes-ready ')).toBe(0);
    // Worst over subjects: a pass, a fail and an error of one rule on one node make 3; a pass and a skip make 0.
    const one = (status: Result['status'], subject: string): Result => ({ ...input.results.find((r) => r.rule === 'backend-in-arp' && r.node === '253')!, status, subject });
    const mixed = { ...input, results: [one('pass', 'a'), one('fail', 'b'), one('error', 'c'), { ...one('pass', 'a'), node: '228' }, { ...one('skip', 'b'), node: '228' }] };
    const m = statuses(parseWithPrometheusClient(prometheusReport(mixed)));
    expect(Object.fromEntries(m)).toEqual({ 'backend-in-arp 253': 3, 'backend-in-arp 228': 0 });
  });

  it('counts results by status, and a result the config accepts as accepted, not as its status', () => {
    const plain = inputOf('broken-dnat-target');
    const fams = parseWithPrometheusClient(prometheusReport(plain));
    const counts = Object.fromEntries(family(fams, 'mesh_doctor_results').samples.map((s) => [s.labels.status, s.value]));
    expect(counts).toEqual({ ...plain.summary });
    expect(counts).toMatchObject({ fail: 1, accepted: 0 });
    expect(statuses(fams).get('dnat-target-is-sbox 253')).toBe(2);

    const acc = inputOf('broken-dnat-target', { config: acceptingConfig('moving node 253') });
    const a = parseWithPrometheusClient(prometheusReport(acc));
    expect(Object.fromEntries(family(a, 'mesh_doctor_results').samples.map((s) => [s.labels.status, s.value]))).toMatchObject({ fail: 0, accepted: 1 });
    expect(statuses(a).get('dnat-target-is-sbox 253')).toBe(0);
    expect(Math.max(...statuses(a).values())).toBe(0);
  });

  it('gives the run: nodes, the last-run timestamp (generatedAt), its duration in seconds, completed 1', () => {
    const input = { ...inputOf('seed-cluster'), durationMs: 1234.5 };
    const fams = parseWithPrometheusClient(prometheusReport(input));
    const value = (name: string) => family(fams, name).samples[0].value;
    expect(value('mesh_doctor_nodes')).toBe(3);
    expect(value('mesh_doctor_last_run_timestamp_seconds')).toBe(NOW.getTime() / 1000);
    expect(value('mesh_doctor_last_run_duration_seconds')).toBe(1.235);
    expect(value('mesh_doctor_check_completed')).toBe(1);
  });

  it('escapes hostile label values (quote, backslash, newline) so the parser reads them back; other controls are shown as escapes', () => {
    const input = inputOf('broken-backend-arp');
    const node = 'n"1\\2\n3 }{,="x"';
    const rule = 'rule"\\\nid';
    const hostile = {
      ...input,
      results: input.results.map((r) => (r.node === '234' ? { ...r, node } : r.rule === 'swarm-nodes-ready' ? { ...r, rule, node: 'esc\u001b[2J\u202e' } : r)),
    };
    const text = prometheusReport(hostile);
    // Every line is a comment or one sample: no newline got through raw, no control character at all.
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) |mesh_doctor_[a-z_]+(\{.*\})? -?[0-9.]+$)/);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    const st = statuses(parseWithPrometheusClient(text));
    expect(st.get(`backend-in-arp ${node}`)).toBe(2);
    expect(st.get(`${rule} esc\\e[2J\\u{202e}`)).toBe(0);
    expect(promtoolCheck(text)).toEqual({ code: 0, output: '' });
  });

  it('reports a run that could not check: completed 0, the time and duration, no rule series (valid to both parsers)', () => {
    const text = prometheusFailed(NOW, 2500);
    const fams = parseWithPrometheusClient(text);
    expect(fams.map((f) => [f.name, f.samples.map((s) => s.value)])).toEqual([
      ['mesh_doctor_last_run_timestamp_seconds', [NOW.getTime() / 1000]],
      ['mesh_doctor_last_run_duration_seconds', [2.5]],
      ['mesh_doctor_check_completed', [0]],
    ]);
    expect(promtoolCheck(text)).toEqual({ code: 0, output: '' });
  });

  it('the parsers used here do refuse a broken exposition (so the checks above can fail)', () => {
    expect(() => parseWithPrometheusClient('mesh_doctor_x{node="a"b"} 1\n')).toThrow(/prometheus_client refused/);
    expect(promtoolCheck('mesh_doctor_x{node="a\nb"} 1\n').code).not.toBe(0);
  });
});

describe('the .prom file, written for the textfile collector', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'md-textfile-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is written under a temporary name the collector never reads (it reads only *.prom), then renamed', async () => {
    const file = join(dir, 'mesh_doctor.prom');
    const seen = new Set<string>();
    const watcher = watch(dir, (_event, name) => {
      if (name) seen.add(name.toString());
    });
    try {
      writeFileAtomic(file, prometheusReport(inputOf('seed-cluster')));
      writeFileAtomic(file, prometheusReport(inputOf('broken-dnat-target')));
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      watcher.close();
    }
    const temps = [...seen].filter((n) => n !== 'mesh_doctor.prom');
    expect(temps.length).toBeGreaterThan(0); // the watcher saw the temporary file
    // node_exporter's collector: `if !strings.HasSuffix(f.Name(), ".prom") { continue }`
    for (const t of temps) expect(t.endsWith('.prom')).toBe(false);
    expect(readdirSync(dir)).toEqual(['mesh_doctor.prom']);
    expect(statuses(parseWithPrometheusClient(readFileSync(file, 'utf8'))).get('dnat-target-is-sbox 253')).toBe(2);
  });
});

describe("the README's alert rules", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes('alert: MeshDoctorRuleFailing'));
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'md-alerts-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const promtool = (...args: string[]) => {
    const r = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
    if (r.error) throw new Error(`promtool: ${r.error.message} (install Debian's prometheus)`);
    return { code: r.status, output: (r.stdout + r.stderr).trim() };
  };
  const selector = (name: string, labels: Record<string, string>) =>
    `${name}{${Object.entries(labels).filter(([, v]) => v !== '').map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;

  it('are valid rules to promtool', () => {
    expect(block).toBeDefined();
    writeFileSync(join(dir, 'rules.yml'), block!);
    expect(promtool('check', 'rules', 'rules.yml')).toMatchObject({ code: 0 });
  });

  it('fire on the series of a real report, for exactly the failing and warning rules, and when the check stops', () => {
    writeFileSync(join(dir, 'rules.yml'), block!);
    const fams = parseWithPrometheusClient(prometheusReport(inputOf('broken-backend-arp')));
    // The report as the collector serves it, for two hours; the last run at time 0, so that one
    // hour later it is an hour old.
    const series = fams.flatMap((f) =>
      f.samples.map((s) => ({ series: selector(s.name, s.labels), values: `${f.name === 'mesh_doctor_last_run_timestamp_seconds' ? 0 : s.value}+0x150` })),
    );
    const rs = family(fams, 'mesh_doctor_rule_status').samples;
    const alerts = (min: number, max: number, alertname: string, severity: string, verb: string, description?: (rule: string) => string) =>
      rs
        .filter((s) => s.value >= min && s.value <= max)
        .map((s) => ({
          exp_labels: { severity, rule: s.labels.rule, node: s.labels.node },
          exp_annotations: { summary: `mesh-doctor: ${s.labels.rule} ${verb} on node ${s.labels.node}`, ...(description ? { description: description(s.labels.rule) } : {}) },
        }));
    const failing = alerts(2, 3, 'MeshDoctorRuleFailing', 'critical', 'fails', (rule) => `See \`mesh-doctor rules show ${rule}\`; \`mesh-doctor check --swarm\` names the subject.`);
    const warning = alerts(1, 1, 'MeshDoctorRuleWarning', 'warning', 'warns');
    expect(failing.map((a) => `${a.exp_labels.rule} ${a.exp_labels.node}`)).toEqual(['backend-in-arp 234']);
    expect(warning.map((a) => `${a.exp_labels.rule} ${a.exp_labels.node}`)).toEqual(['backend-in-arp 228']);
    const stale = [{ exp_labels: { severity: 'warning' }, exp_annotations: { summary: 'mesh-doctor could not check the mesh, or has not run for an hour' } }];
    const failedRun = parseWithPrometheusClient(prometheusFailed(new Date(0), 1000)).flatMap((f) => f.samples.map((s) => ({ series: selector(s.name, s.labels), values: `${s.value}+0x30` })));
    const tests = {
      rule_files: ['rules.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: series,
          alert_rule_test: [
            { eval_time: '10m', alertname: 'MeshDoctorRuleFailing', exp_alerts: failing },
            { eval_time: '10m', alertname: 'MeshDoctorRuleWarning', exp_alerts: [] }, // pending for an hour
            { eval_time: '70m', alertname: 'MeshDoctorRuleWarning', exp_alerts: warning },
            { eval_time: '10m', alertname: 'MeshDoctorNotChecking', exp_alerts: [] },
            { eval_time: '61m', alertname: 'MeshDoctorNotChecking', exp_alerts: stale },
          ],
        },
        {
          interval: '1m',
          input_series: failedRun,
          alert_rule_test: [
            { eval_time: '5m', alertname: 'MeshDoctorNotChecking', exp_alerts: stale },
            { eval_time: '5m', alertname: 'MeshDoctorRuleFailing', exp_alerts: [] },
          ],
        },
      ],
    };
    // JSON is YAML.
    writeFileSync(join(dir, 'tests.yml'), JSON.stringify(tests, null, 2));
    const r = promtool('test', 'rules', 'tests.yml');
    expect(r.output).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });
});
