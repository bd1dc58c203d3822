import { existsSync, lstatSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fieldName, lineOf, readYamlFile } from '../rules/loader.js';
import { validateAgainst } from '../rules/validate.js';
import { UsageError } from '../util/errors.js';

/** The names a config file is found under in the current folder, in this order of preference. */
export const CONFIG_NAMES = ['.mesh-doctor.yaml', '.mesh-doctor.yml', 'mesh-doctor.yaml'];

/** `rules: {<id>: off | warn | fail}`: a rule turned off, or its severity changed. */
export interface RuleSetting {
  state: 'off' | 'warn' | 'fail';
  /** `file:line` of the setting. */
  where: string;
  line: number;
}

/** One entry of `accepted:`. */
export interface Acceptance {
  rule: string;
  /** undefined: any node; null: the cluster (a cluster rule's results). */
  node: string | null | undefined;
  /** undefined: any subject; else matched exactly. */
  subject: string | undefined;
  reason: string;
  /** YYYY-MM-DD, the last day (UTC) it applies. */
  expires: string;
  /** `file:line` of the entry. */
  where: string;
  line: number;
  /** The line of its `node` (for problems with it). */
  nodeLine: number;
}

export interface MeshConfig {
  /** The file as messages name it (as given, or the name found in the current folder). */
  file: string;
  /** Its folder: `ruleFolders` are relative to it. */
  dir: string;
  rules: Map<string, RuleSetting>;
  ruleFolders: { dir: string; given: string; where: string; line: number }[];
  accepted: Acceptance[];
}

/** A problem with the config file: one line naming the file and the line, exit 2. */
export class ConfigError extends UsageError {
  constructor(file: string, line: number, field: string, message: string) {
    super(`${file}${line ? ':' + line : ''}: ${field ? field + ': ' : ''}${message}`);
    this.name = 'ConfigError';
  }
}

/** The config file of the current folder, if there is one; two of them is a mistake (exit 2). */
export function findConfig(cwd: string = process.cwd()): string | undefined {
  const found = CONFIG_NAMES.filter((n) => {
    try {
      lstatSync(join(cwd, n));
      return true;
    } catch {
      return false;
    }
  });
  if (found.length > 1) throw new UsageError(`two config files in ${cwd}: ${found.join(' and ')}: keep one (or choose with --config FILE)`);
  return found[0];
}

/** Which config applies: --config FILE, else the one found in the current folder, none with --no-config. */
export function resolveConfig(o: { config?: string; noConfig?: boolean; cwd?: string }): MeshConfig | undefined {
  if (o.config !== undefined && o.noConfig) throw new UsageError('--config and --no-config: choose one');
  if (o.noConfig) return undefined;
  if (o.config !== undefined) {
    if (!existsSync(o.config)) throw new UsageError(`--config: file not found: ${o.config}`);
    return loadConfig(o.config);
  }
  const cwd = o.cwd ?? process.cwd();
  const name = findConfig(cwd);
  return name === undefined ? undefined : loadConfig(join(cwd, name), name);
}

export function isRealDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/**
 * Read and validate a config file: the same safe read as a rule file (a regular file, at most 1 MB,
 * aliases limited), then schemas/config.schema.json. Every problem names the file and the line.
 * Rule ids are checked later, against the rules loaded (checkConfigIds).
 */
export function loadConfig(path: string, display: string = path): MeshConfig {
  const file = display;
  const { doc, lc, raw } = readYamlFile(path, file, 'config file');
  const at = (p: (string | number)[]) => lineOf(doc, lc, p);
  const data = raw ?? {}; // an empty file: no settings
  const problem = validateAgainst('config', data);
  if (problem) {
    const field = fieldName(problem.path);
    let message = problem.message;
    if (problem.path.at(-1) === 'expires' && /pattern/.test(message)) message = 'expected a date YYYY-MM-DD';
    if (problem.path[0] === 'rules' && problem.path.length === 2 && /one of/.test(message)) message = `must be off, warn or fail (got ${JSON.stringify((data as { rules: Record<string, unknown> }).rules[problem.path[1] as string])})`;
    throw new ConfigError(file, at(problem.path), field || '(top level)', message);
  }
  const spec = data as {
    rules?: Record<string, 'off' | 'warn' | 'fail'>;
    ruleFolders?: string[];
    accepted?: { rule: string; node?: string | number | null; subject?: string | number; reason: string; expires: string }[];
  };
  const dir = dirname(resolve(path));
  const where = (line: number) => `${file}:${line}`;
  const rules = new Map<string, RuleSetting>();
  for (const [id, state] of Object.entries(spec.rules ?? {})) {
    const line = at(['rules', id]);
    rules.set(id, { state, where: where(line), line });
  }
  const ruleFolders = (spec.ruleFolders ?? []).map((given, i) => {
    const line = at(['ruleFolders', i]);
    return { dir: resolve(dir, given), given, where: where(line), line };
  });
  const accepted = (spec.accepted ?? []).map((a, i): Acceptance => {
    if (!isRealDate(a.expires)) throw new ConfigError(file, at(['accepted', i, 'expires']), `accepted[${i}].expires`, `'${a.expires}' is not a date`);
    const line = at(['accepted', i]);
    return {
      rule: a.rule,
      node: a.node === undefined ? undefined : a.node === null ? null : String(a.node),
      subject: a.subject === undefined ? undefined : String(a.subject),
      reason: a.reason.trim(),
      expires: a.expires,
      where: where(line),
      line,
      nodeLine: a.node === undefined ? line : at(['accepted', i, 'node']),
    };
  });
  return { file, dir, rules, ruleFolders, accepted };
}
