import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLED_RULES_DIR, loadRuleFile, loadRules, MAX_RULE_FILE_BYTES, RuleLoadError } from '../../src/rules/loader.js';
import { ROOT } from '../helpers/fixtures.js';

const GOOD = readFileSync(join(BUNDLED_RULES_DIR, 'ip-forward-enabled.yaml'), 'utf8');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'md-hostile-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Load one path as a rule file; the RuleLoadError message (the test fails on anything else). */
function refusal(p: string, name = 'x.yaml'): string {
  try {
    loadRuleFile(p, `rules/${name}`);
  } catch (e) {
    expect(e).toBeInstanceOf(RuleLoadError);
    return (e as Error).message;
  }
  throw new Error(`${p} loaded`);
}

function mkfifo(p: string): void {
  const r = spawnSync('mkfifo', [p]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
}

/** A billion laughs: nine levels of nine aliases each, 9^9 strings once expanded. */
function aliasBomb(): string {
  const names = 'abcdefghi';
  const lines = [`${names[0]}: &${names[0]} ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]`];
  for (let i = 1; i < names.length; i++) lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(', ')}]`);
  return lines.join('\n') + '\n';
}

describe('rule files are read without trusting what the name points at', () => {
  it('refuses a FIFO named *.yaml without waiting for a writer', () => {
    const p = join(dir, 'x.yaml');
    mkfifo(p);
    expect(refusal(p)).toBe('rules/x.yaml: a FIFO (named pipe), not a regular file: refused');
  });

  it('refuses a symbolic link to /dev/zero (a device that never ends) without reading it', () => {
    const p = join(dir, 'x.yaml');
    symlinkSync('/dev/zero', p);
    expect(refusal(p)).toBe('rules/x.yaml: a symbolic link to a character device, not to a regular file: refused');
  });

  it('refuses a directory and a socket named *.yaml, and a link that leads nowhere', () => {
    mkdirSync(join(dir, 'd.yaml'));
    expect(refusal(join(dir, 'd.yaml'))).toBe('rules/x.yaml: a directory, not a regular file: refused');
    symlinkSync(join(dir, 'missing'), join(dir, 'dangling.yaml'));
    expect(refusal(join(dir, 'dangling.yaml'))).toBe('rules/x.yaml: a symbolic link that leads nowhere readable (ENOENT)');
  });

  it('refuses a socket named *.yaml', async () => {
    const p = join(dir, 's.yaml');
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(p, resolve));
    try {
      expect(refusal(p)).toBe('rules/x.yaml: a socket, not a regular file: refused');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('follows a symbolic link that leads to a regular rule file', () => {
    writeFileSync(join(dir, 'target.txt'), GOOD);
    symlinkSync(join(dir, 'target.txt'), join(dir, 'ip-forward-enabled.yaml'));
    expect(loadRuleFile(join(dir, 'ip-forward-enabled.yaml'), 'rules/ip-forward-enabled.yaml').spec.id).toBe('ip-forward-enabled');
  });

  it(`refuses a file over ${MAX_RULE_FILE_BYTES} bytes (1 MB), naming it`, () => {
    const p = join(dir, 'x.yaml');
    writeFileSync(p, GOOD + '#'.repeat(MAX_RULE_FILE_BYTES));
    expect(refusal(p)).toBe(`rules/x.yaml: ${GOOD.length + MAX_RULE_FILE_BYTES} bytes, more than the 1048576 bytes (1 MB) a rule file may have: refused`);
  });
});

describe('rule YAML is parsed with limits', () => {
  it('refuses an alias bomb quickly, naming the file and the line of its first alias', () => {
    const p = join(dir, 'x.yaml');
    writeFileSync(p, aliasBomb());
    const t0 = performance.now();
    expect(refusal(p)).toBe('rules/x.yaml:2: invalid YAML: its aliases expand to more than 100 copies (an alias bomb?): refused');
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('still reads the few aliases a rule may use to share text', () => {
    const p = join(dir, 'ip-forward-enabled.yaml');
    writeFileSync(p, GOOD.replace(/^title: (.*)$/m, 'title: &t $1').replace(/^description: >-\n(?:  .*\n)+/m, 'description: *t\n'));
    expect(loadRuleFile(p).spec.description).toBe(loadRuleFile(p).spec.title);
  });

  it('names the file of a YAML syntax error', () => {
    const p = join(dir, 'x.yaml');
    writeFileSync(p, GOOD.replace('severity: fail', 'severity: [fail'));
    expect(refusal(p)).toMatch(/^rules\/x\.yaml:\d+: invalid YAML: /);
  });

  it('stops the whole folder load on one hostile file', () => {
    writeFileSync(join(dir, 'ip-forward-enabled.yaml'), GOOD);
    mkfifo(join(dir, 'zz.yaml'));
    expect(() => loadRules(dir)).toThrow(/zz\.yaml: a FIFO \(named pipe\), not a regular file: refused/);
  });
});

describe('the CLI on a hostile rules folder', () => {
  /** bin/run.js on the built dist/, with a timeout: a hang is a failure, not a stuck suite. */
  function check(rulesDir: string) {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), 'check', 'fixtures/seed-cluster', '--no-bundled-rules', '--rules', rulesDir], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: '1', DEBUG: '' },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
  }

  it.each([
    ['a FIFO', (p: string) => mkfifo(p), /a FIFO \(named pipe\), not a regular file: refused/],
    ['a link to /dev/zero', (p: string) => symlinkSync('/dev/zero', p), /a symbolic link to a character device/],
    ['an alias bomb', (p: string) => writeFileSync(p, aliasBomb()), /:2: invalid YAML: its aliases expand to more than 100 copies/],
    ['an unsupported regular expression', (p: string) => writeFileSync(p, GOOD.replace(/^when: .*$/m, `when: 'node.name.matches("(a)\\\\1")'`).replace(/^id: .*$/m, 'id: bad')), /:\d+: when: CEL: matches\(\) takes RE2 syntax/],
  ])('exits 2 with one line naming the file for %s', (_what, make, why) => {
    writeFileSync(join(dir, 'ip-forward-enabled.yaml'), GOOD);
    make(join(dir, 'bad.yaml'));
    const r = check(dir);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mesh-doctor: error: \S*bad\.yaml/);
    expect(lines[0]).toMatch(why);
    expect(lines[0]).not.toMatch(/internal error|\n\s+at /);
  });
});
