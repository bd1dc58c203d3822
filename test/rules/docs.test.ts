import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inputFiles, remediationText, repositoryUrl, rulePage, rulePageLink, rulesIndexPage, RULE_DOCS_DIR } from '../../src/rules/docs.js';
import { loadRules, loadRuleFolders } from '../../src/rules/loader.js';
import { evaluate } from '../../src/rules/evaluate.js';
import { ROOT, snapshotOf } from '../helpers/fixtures.js';

const DIR = join(ROOT, RULE_DOCS_DIR);

describe('the pages of the bundled rules (docs/rules)', () => {
  const rules = loadRules();

  it.each(rules.map((r) => [r.spec.id, r] as const))('%s: the committed page is what its rule file makes (else: npm run docs:rules)', (id, rule) => {
    const file = join(DIR, `${id}.md`);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(rulePage(rule.spec, rule.path));
  });

  it('has an index of every rule and no page of a rule that is gone', () => {
    expect(readFileSync(join(DIR, 'README.md'), 'utf8')).toBe(rulesIndexPage(rules.map((r) => r.spec)));
    expect(readdirSync(DIR).filter((n) => n !== 'README.md').sort()).toEqual(rules.map((r) => `${r.spec.id}.md`).sort());
  });

  it('says on each page what the rule reads, how it decides, what to do, and links its rule file', () => {
    const page = readFileSync(join(DIR, 'dnat-target-is-sbox.md'), 'utf8');
    for (const heading of ['# dnat-target-is-sbox', '## What it checks', '## What it reads', '## How it decides', '## What to do when it fails', '## References']) expect(page).toContain(`\n${heading}\n`);
    expect(page).toContain('| rule file | [rules/dnat-target-is-sbox.yaml](../../rules/dnat-target-is-sbox.yaml) |');
    expect(page).toContain('`nodes/<NODE>/host/iptables-nat.txt`');
    expect(page).toContain('On node ‹node.name›, compare `iptables -t nat -S DOCKER-INGRESS`');
    expect(page).toContain('- <https://docs.docker.com/engine/swarm/ingress/>');
    // Every link to a file of the repository resolves.
    for (const p of readdirSync(DIR)) {
      for (const m of readFileSync(join(DIR, p), 'utf8').matchAll(/\]\((?!https?:)([^)]+)\)/g)) expect(existsSync(join(DIR, m[1]))).toBe(true);
    }
  });

  it('gives each result of a bundled rule its page as docs, and a team rule its file', () => {
    const results = evaluate(rules, snapshotOf('broken-dnat-target'));
    for (const r of results) expect(r.docs).toBe(`docs/rules/${r.rule}.md`);
    const team = loadRuleFolders([join(ROOT, 'examples/team-rules')]);
    expect(team.map((r) => [r.docs, r.path])).toEqual([['examples/team-rules/no-privileged-published-port.yaml', 'examples/team-rules/no-privileged-published-port.yaml']]);
  });
});

describe('rulePageLink', () => {
  it('is the path in the repository without a repository URL', () => {
    expect(rulePageLink('ipvs-available', undefined)).toBe('docs/rules/ipvs-available.md');
    expect(rulePageLink('ipvs-available', { type: 'git' })).toBe('docs/rules/ipvs-available.md');
    expect(rulePageLink('ipvs-available', 'not a url')).toBe('docs/rules/ipvs-available.md');
  });

  it.each([
    [{ type: 'git', url: 'git+https://github.com/acme/mesh-doctor.git' }, 'https://github.com/acme/mesh-doctor'],
    ['https://github.com/acme/mesh-doctor', 'https://github.com/acme/mesh-doctor'],
    ['github:acme/mesh-doctor', 'https://github.com/acme/mesh-doctor'],
    ['gitlab:acme/mesh-doctor', 'https://gitlab.com/acme/mesh-doctor'],
    ['acme/mesh-doctor', 'https://github.com/acme/mesh-doctor'],
    ['git@github.com:acme/mesh-doctor.git', 'https://github.com/acme/mesh-doctor'],
    ['git+ssh://git@gitlab.example.com/ops/mesh-doctor.git', 'https://gitlab.example.com/ops/mesh-doctor'],
  ])('links into the repository of package.json: %j', (repository, base) => {
    expect(repositoryUrl(repository)).toBe(base);
    expect(rulePageLink('ipvs-available', repository)).toBe(`${base}/blob/main/docs/rules/ipvs-available.md`);
  });
});

describe('rule page parts', () => {
  it('names the capture files of every input a bundled rule reads, and refuses an input it does not know', () => {
    for (const r of loadRules()) for (const req of r.requires) expect(inputFiles(req.input)).toMatch(/`[^`]+`/);
    expect(inputFiles('network.docker_gwbridge')).toContain('`nodes/<NODE>/networks/docker_gwbridge.json`');
    expect(() => inputFiles('sbox.bogus')).toThrow(/no capture file is known for input 'sbox.bogus'/);
  });

  it('shows a remediation\'s plain holes as ‹name› and lists the longer ones', () => {
    expect(remediationText('On node ${{ node.name }}, run `x ${{ item.port }}`. ${{ a == null ? "A" : "B" }}')).toEqual({
      text: 'On node ‹node.name›, run `x ‹item.port›`. ‹1›',
      holes: ['a == null ? "A" : "B"'],
    });
  });

  it('escapes what Markdown would read as HTML in prose, not in code', () => {
    const page = rulePage({ id: 'x', title: 'a <b> & c', severity: 'warn', scope: 'cluster', description: 'less than <1024, `a <b>`', checks: [{ assert: 'true', message: '"m"' }], pass: '"p"', remediation: 'do <it>', references: ['see <this>'] }, 'rules/x.yaml');
    expect(page).toContain('**a &lt;b> &amp; c**');
    expect(page).toContain('less than &lt;1024, `a <b>`');
    expect(page).toContain('do &lt;it>');
    expect(page).toContain('- see &lt;this>');
  });
});
