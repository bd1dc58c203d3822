import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, findConfig, loadConfig, resolveConfig } from '../../src/config/load.js';
import { UsageError } from '../../src/util/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'md-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Write a config into the temporary folder; returns its path. */
function write(text: string, name = '.mesh-doctor.yaml'): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** The message loading a config gives, shown as `c.yaml` (a UsageError, exit 2); 'loaded' if none. */
function problem(text: string): string {
  try {
    loadConfig(write(text), 'c.yaml');
    return 'loaded';
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
}

describe('finding the config', () => {
  it.each(['.mesh-doctor.yaml', '.mesh-doctor.yml', 'mesh-doctor.yaml'])('finds %s in the folder', (name) => {
    write('rules: {}\n', name);
    expect(findConfig(dir)).toBe(name);
    expect(resolveConfig({ cwd: dir })?.file).toBe(name);
  });

  it('finds nothing in a folder without one, and refuses two (which one would apply?)', () => {
    expect(findConfig(dir)).toBeUndefined();
    expect(resolveConfig({ cwd: dir })).toBeUndefined();
    write('{}\n', '.mesh-doctor.yaml');
    write('{}\n', 'mesh-doctor.yaml');
    expect(() => findConfig(dir)).toThrow(/two config files in .*: \.mesh-doctor\.yaml and mesh-doctor\.yaml: keep one/);
  });

  it('--no-config ignores the one found; --config names another; both at once is a usage error', () => {
    write('rules: {x: off}\n');
    const other = write('rules: {y: warn}\n', 'other.yaml');
    expect(resolveConfig({ cwd: dir, noConfig: true })).toBeUndefined();
    expect([...resolveConfig({ cwd: dir, config: other })!.rules.keys()]).toEqual(['y']);
    expect(() => resolveConfig({ cwd: dir, config: other, noConfig: true })).toThrow('--config and --no-config: choose one');
    expect(() => resolveConfig({ config: join(dir, 'none.yaml') })).toThrow(/^--config: file not found: .*none\.yaml$/);
  });
});

describe('reading the config', () => {
  it('reads every key, with the line of each setting, folders relative to the config', () => {
    mkdirSync(join(dir, 'ops'));
    const p = join(dir, 'ops', 'mesh.yaml');
    writeFileSync(
      p,
      `# the team's settings
rules:
  ipvs-available: off
  backend-in-arp: warn
ruleFolders: [../team-rules, /abs/rules]
accepted:
  - rule: published-port-has-dnat
    node: 253
    subject: tcp/8080
    reason: node 253 is being rebuilt
    expires: 2027-03-31
  - rule: peer-engine-versions
    node: null
    reason: rolling upgrade
    expires: 2027-01-01
  - {rule: backend-in-arp, reason: any node, expires: 2027-01-01}
`,
    );
    const c = loadConfig(p, 'ops/mesh.yaml');
    expect(c.file).toBe('ops/mesh.yaml');
    expect([...c.rules]).toEqual([
      ['ipvs-available', { state: 'off', where: 'ops/mesh.yaml:3', line: 3 }],
      ['backend-in-arp', { state: 'warn', where: 'ops/mesh.yaml:4', line: 4 }],
    ]);
    expect(c.ruleFolders.map((f) => [f.dir, f.line])).toEqual([
      [join(dir, 'team-rules'), 5],
      ['/abs/rules', 5],
    ]);
    // A node name YAML reads as a number is still the node's name; null is the cluster; absent is any.
    expect(c.accepted.map((a) => [a.rule, a.node, a.subject, a.expires, a.where])).toEqual([
      ['published-port-has-dnat', '253', 'tcp/8080', '2027-03-31', 'ops/mesh.yaml:7'],
      ['peer-engine-versions', null, undefined, '2027-01-01', 'ops/mesh.yaml:12'],
      ['backend-in-arp', undefined, undefined, '2027-01-01', 'ops/mesh.yaml:16'],
    ]);
  });

  it('takes an empty file as no settings', () => {
    const c = loadConfig(write(''), 'c.yaml');
    expect([c.rules.size, c.ruleFolders.length, c.accepted.length]).toEqual([0, 0, 0]);
  });

  it('names file, line and field of every schema problem', () => {
    expect(problem('rules:\n  ipvs-available: on\n')).toBe('c.yaml:2: rules.ipvs-available: must be off, warn or fail (got "on")');
    expect(problem('rules: {}\nruleFolder: [x]\n')).toBe("c.yaml:2: ruleFolder: unknown field 'ruleFolder'");
    expect(problem('ruleFolders: x\n')).toBe('c.yaml:1: ruleFolders: must be array');
    expect(problem('accepted:\n  - rule: x\n    reason: r\n')).toBe("c.yaml:2: accepted[0]: missing required field 'expires'");
    expect(problem('accepted:\n  - rule: x\n    expires: 2027-01-01\n')).toBe("c.yaml:2: accepted[0]: missing required field 'reason'");
    expect(problem('accepted:\n  - rule: x\n    reason: r\n    expires: next week\n')).toBe('c.yaml:4: accepted[0].expires: expected a date YYYY-MM-DD');
    expect(problem('accepted:\n  - rule: x\n    reason: r\n    expires: 2027-02-30\n')).toBe("c.yaml:4: accepted[0].expires: '2027-02-30' is not a date");
    expect(problem('accepted:\n  - rule: x\n    reason: r\n    expires: 2027-01-01\n    nod: a\n')).toBe("c.yaml:5: accepted[0].nod: unknown field 'nod'");
    expect(problem('- rules\n')).toBe('c.yaml:1: (top level): must be object');
  });

  it('reads YAML as safely as a rule file: syntax errors, alias bombs and non-regular files name the file', () => {
    expect(problem('rules: [off\n')).toMatch(/^c\.yaml:\d+: invalid YAML: /);
    // Each level repeats the previous one ten times: 10^8 copies from eight lines.
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) bomb.push(`${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(10).fill(`*${'abcdefgh'[i - 1]}`).join(', ')}]`);
    expect(problem(bomb.join('\n'))).toMatch(/^c\.yaml:2: invalid YAML: its aliases expand to more than 100 copies/);
    expect(problem('x'.repeat(1024 * 1024 + 1))).toMatch(/^c\.yaml: \d+ bytes, more than the 1048576 bytes \(1 MB\) a config file may have: refused$/);
    const fifo = join(dir, 'fifo.yaml');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(() => loadConfig(fifo, 'fifo.yaml')).toThrow(new ConfigError('fifo.yaml', 0, '', 'a FIFO (named pipe), not a regular file: refused').message);
  });
});
