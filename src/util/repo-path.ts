import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';

/**
 * The capture folder as a path from the root of the repository that holds it, for the pipeline
 * formats (SARIF, annotations, JUnit), whose viewers resolve paths from the repository root:
 * `fixtures/seed-cluster`, or `''` when the capture is the root itself. The root is the CI's
 * checkout when the environment names one (GITHUB_WORKSPACE on GitHub Actions, CI_PROJECT_DIR on
 * GitLab CI), else the nearest folder at or above the capture that has a `.git`. Undefined when the
 * capture is in no repository (or outside the CI's checkout): paths then stay relative to the
 * capture folder. Symbolic links are resolved first, as GitHub asks of SARIF producers.
 */
export function repoPathOf(dir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const real = realOrUndefined(dir);
  if (real === undefined) return undefined;
  const ciRoot = env.GITHUB_WORKSPACE || env.CI_PROJECT_DIR;
  if (ciRoot) {
    const root = realOrUndefined(ciRoot);
    return root === undefined ? undefined : inside(root, real);
  }
  for (let d = real; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return inside(d, real);
    if (dirname(d) === d) return undefined;
  }
}

function realOrUndefined(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/** `path` relative to `root` with `/` separators, or undefined when it is not under `root`. */
function inside(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}
