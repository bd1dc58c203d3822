import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { displayPath, fieldName, lineOf, readYamlFile, RuleLoadError } from '../rules/loader.js';
import type { LoadedRule, Status } from '../rules/types.js';
import { validateAgainst } from '../rules/validate.js';

/** One expected result of a case: on that node (null: a cluster rule), that subject (or any), that status. */
export interface Expectation {
  node: string | null;
  subject: string | undefined;
  status: Status;
}

/** One case of a rule: a capture, and what the rule must say about it. */
export interface RuleCase {
  name: string;
  /** The capture folder (absolute), and as the file gives it. */
  capture: string;
  captureGiven: string;
  expect: Expectation[];
  /** `file:line` of the case. */
  where: string;
}

/**
 * The cases files of a rule file `DIR/foo.yaml`: `DIR/foo.cases.yaml` (or `.yml`), and every
 * `*.yaml` / `*.yml` directly in `DIR/foo.cases/`, in name order.
 */
export function casesFilesOf(ruleFile: string): string[] {
  const dir = dirname(ruleFile);
  const stem = basename(ruleFile).replace(/\.ya?ml$/, '');
  const files = [`${stem}.cases.yaml`, `${stem}.cases.yml`].map((n) => join(dir, n)).filter((p) => existsSync(p));
  const folder = join(dir, `${stem}.cases`);
  let isFolder = false;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch {
    // no folder of cases
  }
  if (isFolder) {
    files.push(
      ...readdirSync(folder)
        .filter((n) => /\.ya?ml$/.test(n))
        .sort()
        .map((n) => join(folder, n)),
    );
  }
  return files;
}

/** The stems of the rules a folder's cases files are for (`foo.cases.yaml`, `foo.cases/`): to find cases with no rule. */
export function casesStemsIn(dir: string): Map<string, string> {
  const stems = new Map<string, string>();
  for (const n of readdirSync(dir)) {
    const m = /^(.+)\.cases(\.ya?ml)?$/.exec(n);
    if (m) stems.set(m[1], join(dir, n));
  }
  return stems;
}

export { displayPath };

/**
 * Read one cases file (a YAML list, schemas/cases.schema.json), read as safely as a rule file.
 * Every problem names the file and the line, and stops the run (exit 2): a node that cannot fit the
 * rule's scope, a capture folder that is not there.
 */
export function loadCases(path: string, rule: LoadedRule): RuleCase[] {
  const file = displayPath(path);
  const { doc, lc, raw } = readYamlFile(path, file, 'cases file');
  const at = (p: (string | number)[]) => lineOf(doc, lc, p);
  if (raw === null || raw === undefined) throw new RuleLoadError(file, 0, '', 'empty: expected a list of cases');
  const problem = validateAgainst('cases', raw);
  if (problem) throw new RuleLoadError(file, at(problem.path), fieldName(problem.path) || '(top level)', problem.message);
  const list = raw as { name?: string; capture: string; expect: { node: string | number | null; subject?: string | number; status: Status }[] }[];
  const cluster = rule.spec.scope === 'cluster';
  return list.map((c, i) => {
    const capture = resolve(dirname(path), c.capture);
    let isDir = false;
    try {
      isDir = statSync(capture).isDirectory();
    } catch {
      // named below
    }
    if (!isDir) throw new RuleLoadError(file, at([i, 'capture']), `[${i}].capture`, `'${c.capture}' is not a folder (a capture folder, relative to this file)`);
    const expect = c.expect.map((e, j): Expectation => {
      let node = e.node === null ? null : String(e.node);
      if (cluster) {
        if (node !== null && node !== 'cluster') throw new RuleLoadError(file, at([i, 'expect', j, 'node']), `[${i}].expect[${j}].node`, `'${rule.spec.id}' is a cluster rule: its results have no node (write node: null)`);
        node = null;
      } else if (node === null) {
        throw new RuleLoadError(file, at([i, 'expect', j, 'node']), `[${i}].expect[${j}].node`, `'${rule.spec.id}' is a node rule: its results always name a node`);
      }
      return { node, subject: e.subject === undefined ? undefined : String(e.subject), status: e.status };
    });
    return { name: c.name ?? c.capture, capture, captureGiven: c.capture, expect, where: `${file}:${at([i])}` };
  });
}
