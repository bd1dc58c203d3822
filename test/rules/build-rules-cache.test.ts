import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../helpers/fixtures.js';

/**
 * scripts/build-rules-cache.js in a copy of the built package (dist, rules, schemas), so that the
 * real dist/ is not touched: the build must validate every bundled rule in full, whatever cache a
 * previous build left behind.
 */
describe('build-rules-cache.js', () => {
  let pkg: string;
  beforeEach(() => {
    pkg = mkdtempSync(join(tmpdir(), 'md-cache-'));
    for (const d of ['dist', 'schemas', 'scripts']) cpSync(join(ROOT, d), join(pkg, d), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
  });
  afterEach(() => rmSync(pkg, { recursive: true, force: true }));

  it('validates a rule in full even when the old cache lists its text as already checked', () => {
    const good = readFileSync(join(ROOT, 'rules/ip-forward-enabled.yaml'), 'utf8');
    // A rule file the schema refuses (an unknown field) whose text an old cache holds, with a spec
    // that compiles: trusting that cache would let the build pass with an invalid bundled rule.
    const invalid = good.replace(/^scope: node$/m, 'scope: node\nsevrity: fail');
    cpSync(join(ROOT, 'rules'), join(pkg, 'rules'), { recursive: true });
    writeFileSync(join(pkg, 'rules/ip-forward-enabled.yaml'), invalid);
    writeFileSync(join(pkg, 'dist/rules-cache.json'), JSON.stringify({ 'ip-forward-enabled.yaml': { text: invalid, spec: parse(good) } }));

    const r = spawnSync(process.execPath, [join(pkg, 'scripts/build-rules-cache.js')], { cwd: pkg, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/rules\/ip-forward-enabled\.yaml:\d+: sevrity: unknown field 'sevrity'/);
  });

  it('writes a cache of every bundled rule when they are valid', () => {
    cpSync(join(ROOT, 'rules'), join(pkg, 'rules'), { recursive: true });
    writeFileSync(join(pkg, 'dist/rules-cache.json'), '{"stale.yaml": {"text": "", "spec": {}}}');
    const r = spawnSync(process.execPath, [join(pkg, 'scripts/build-rules-cache.js')], { cwd: pkg, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const cache = JSON.parse(readFileSync(join(pkg, 'dist/rules-cache.json'), 'utf8')) as Record<string, { text: string }>;
    expect(Object.keys(cache)).toContain('ip-forward-enabled.yaml');
    expect(Object.keys(cache)).not.toContain('stale.yaml');
  });
});
