import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPathOf } from '../../src/util/repo-path.js';
import { ROOT, fixture } from '../helpers/fixtures.js';

describe('repoPathOf: the capture folder as a path from the repository root', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = realpathSync(mkdtempSync(join(tmpdir(), 'md-repo-')));
    mkdirSync(join(tmp, 'repo/.git'), { recursive: true });
    mkdirSync(join(tmp, 'repo/ops/captures/prod'), { recursive: true });
    mkdirSync(join(tmp, 'loose/capture'), { recursive: true });
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('is the path from the nearest folder with a .git (a folder, or a worktree\'s file)', () => {
    expect(repoPathOf(join(tmp, 'repo/ops/captures/prod'), {})).toBe('ops/captures/prod');
    expect(repoPathOf(join(tmp, 'repo'), {})).toBe('');
    mkdirSync(join(tmp, 'wt/caps'), { recursive: true });
    writeFileSync(join(tmp, 'wt/.git'), 'gitdir: /elsewhere\n');
    expect(repoPathOf(join(tmp, 'wt/caps'), {})).toBe('caps');
    // This project's own fixtures, as CI checks them from a clone.
    expect(repoPathOf(fixture('seed-cluster'), {})).toBe('fixtures/seed-cluster');
    expect(repoPathOf(join(ROOT, 'fixtures/../fixtures/seed-cluster'), {})).toBe('fixtures/seed-cluster');
  });

  it('is undefined for a capture in no repository, or one that does not exist', () => {
    expect(repoPathOf(join(tmp, 'loose/capture'), {})).toBeUndefined();
    expect(repoPathOf(join(tmp, 'nowhere'), {})).toBeUndefined();
  });

  it("follows the CI's checkout when the environment names one (GitHub Actions, GitLab CI), and nothing else", () => {
    expect(repoPathOf(join(tmp, 'repo/ops/captures/prod'), { GITHUB_WORKSPACE: join(tmp, 'repo/ops') })).toBe('captures/prod');
    expect(repoPathOf(join(tmp, 'repo/ops/captures/prod'), { CI_PROJECT_DIR: join(tmp, 'repo') })).toBe('ops/captures/prod');
    // Outside the checkout: not a path GitHub can show, even if another repository holds it.
    expect(repoPathOf(join(tmp, 'repo/ops/captures/prod'), { GITHUB_WORKSPACE: join(tmp, 'loose') })).toBeUndefined();
    expect(repoPathOf(join(tmp, 'loose/capture'), { GITHUB_WORKSPACE: join(tmp, 'loose') })).toBe('capture');
  });

  it('resolves symbolic links first, as GitHub asks of SARIF paths', () => {
    symlinkSync(join(tmp, 'repo/ops/captures/prod'), join(tmp, 'repo/latest'));
    expect(repoPathOf(join(tmp, 'repo/latest'), {})).toBe('ops/captures/prod');
    symlinkSync(join(tmp, 'repo/ops/captures/prod'), join(tmp, 'loose/link'));
    expect(repoPathOf(join(tmp, 'loose/link'), {})).toBe('ops/captures/prod');
  });

  it('keeps a folder whose name starts with two dots inside the repository', () => {
    mkdirSync(join(tmp, 'repo/..hidden'), { recursive: true });
    expect(repoPathOf(join(tmp, 'repo/..hidden'), {})).toBe('..hidden');
  });
});
