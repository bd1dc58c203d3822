import { lstatSync, readdirSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Document, LineCounter } from 'yaml';
import { validateRuleSpec } from './validate.js';
import { baseEnvironment } from './cel.js';
import { literalPatterns, regexProblem } from './regex.js';
import { meteredProgram } from './budget.js';
import { compiledProgram } from './compile.js';
import { rulePageLink } from './docs.js';
import type { LoadedRule, Program, RuleSpec } from './types.js';
import { UsageError } from '../util/errors.js';
import { readRegularFile } from '../util/file.js';

/** The rules shipped with mesh-doctor. */
export const BUNDLED_RULES_DIR = fileURLToPath(new URL('../../rules/', import.meta.url));
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A rule file that cannot be used: stops the run before anything is checked (exit 2). */
export class RuleLoadError extends UsageError {
  constructor(file: string, line: number, field: string, message: string) {
    super(`${file}${line ? ':' + line : ''}: ${field ? field + ': ' : ''}${message}`);
    this.name = 'RuleLoadError';
  }
}

/** The largest rule file read: rules are a few kilobytes; anything near this is a mistake or hostile. */
export const MAX_RULE_FILE_BYTES = 1024 * 1024;
/** YAML alias expansions allowed in one rule file: enough for shared text, refuses an alias bomb. */
export const MAX_YAML_ALIASES = 100;

const require = createRequire(import.meta.url);
type YamlModule = typeof import('yaml');
let yamlModule: YamlModule | undefined;
/** yaml costs ~35 ms to import and parse: loaded only when a rule file is not in the build's cache. */
const yaml = (): YamlModule => (yamlModule ??= require('yaml') as YamlModule);

/** The line of the YAML node at `path` in a document (or of its nearest ancestor that has one); 0 if none. */
export function lineOf(doc: Document, lc: LineCounter, path: (string | number)[]): number {
  for (let p = path; p.length >= 0; p = p.slice(0, -1)) {
    const node = p.length ? doc.getIn(p, true) : doc.contents;
    if (yaml().isNode(node) && node.range) return lc.linePos(node.range[0]).line;
    if (p.length === 0) break;
  }
  return 0;
}

/**
 * Bundled rules as `npm run build` validated them (scripts/build-rules-cache.js): the exact text of
 * each file and its parsed spec. A file whose text is unchanged skips YAML parsing and the schema
 * check; its CEL is still type-checked. Anything else is loaded in full.
 */
interface CacheEntry {
  text: string;
  spec: RuleSpec;
}
let ruleCache: Map<string, CacheEntry> | undefined;
function cached(path: string, text: string): RuleSpec | undefined {
  if (!ruleCache) {
    ruleCache = new Map();
    try {
      const raw = JSON.parse(readFileSync(new URL('../rules-cache.json', import.meta.url), 'utf8')) as Record<string, CacheEntry>;
      for (const [name, entry] of Object.entries(raw)) ruleCache.set(join(BUNDLED_RULES_DIR, name), entry);
    } catch {
      // No cache (running from source, or not built): every file is loaded in full.
    }
  }
  const hit = ruleCache.get(path);
  return hit && hit.text === text ? structuredClone(hit.spec) : undefined;
}

/** A path into a document as the messages name it: `checks[0].assert`. */
export function fieldName(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join('');
}

function elementType(listType: string): string {
  const m = /^list<(.+)>$/.exec(listType);
  return m ? m[1] : 'dyn';
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a directory';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The text of a rule file, read without trusting what the name points at: only a regular file (a
 * symbolic link only when it leads to one), at most MAX_RULE_FILE_BYTES. The open is non-blocking
 * and checked again on the descriptor, so a FIFO or device put in place meanwhile cannot hang the load.
 * `kind` names the file in messages (the config and cases files are read the same way).
 */
function readRuleText(path: string, file: string, kind = 'rule file'): string {
  const refuse = (why: string): never => {
    throw new RuleLoadError(file, 0, '', why);
  };
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    return refuse(`cannot read ${kind}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (st.isSymbolicLink()) {
    try {
      st = statSync(path);
    } catch (e) {
      return refuse(`a symbolic link that leads nowhere readable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (!st.isFile()) refuse(`a symbolic link to ${kindOf(st)}, not to a regular file: refused`);
  }
  const r = readRegularFile(path, MAX_RULE_FILE_BYTES, false, (bytes) => bytes.toString('utf8'));
  if ('error' in r) return refuse(`cannot read ${kind}: ${r.error}`);
  if ('notRegular' in r) return refuse(`${kindOf(r.notRegular)}, not a regular file: refused`);
  if ('tooBig' in r) return refuse(`${r.tooBig} bytes, more than the ${MAX_RULE_FILE_BYTES} bytes (1 MB) a ${kind} may have: refused`);
  return r.data;
}

/** The line of the first alias (`*name`) of a document: where an alias bomb is. */
function firstAliasLine(doc: Document, lc: LineCounter): number {
  let line = 0;
  yaml().visit(doc, {
    Alias(_key, node) {
      if (node.range) line = lc.linePos(node.range[0]).line;
      return yaml().visit.BREAK;
    },
  });
  return line;
}

/** Parse the YAML of a rule file; anything the yaml package throws or reports names the file. */
function parseRuleYaml(text: string, file: string): { doc: Document; lc: LineCounter; raw: unknown } {
  const { LineCounter, parseDocument } = yaml();
  const lc = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lc, prettyErrors: true });
  } catch (e) {
    throw new RuleLoadError(file, 0, '', `invalid YAML: ${firstLine(e)}`);
  }
  if (doc.errors.length) {
    const err = doc.errors[0];
    throw new RuleLoadError(file, err.linePos?.[0]?.line ?? 0, '', `invalid YAML: ${err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  try {
    return { doc, lc, raw: doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) };
  } catch (e) {
    if (/alias count/i.test(firstLine(e))) {
      throw new RuleLoadError(file, firstAliasLine(doc, lc), '', `invalid YAML: its aliases expand to more than ${MAX_YAML_ALIASES} copies (an alias bomb?): refused`);
    }
    throw new RuleLoadError(file, 0, '', `invalid YAML: ${firstLine(e)}`);
  }
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

/**
 * Any other YAML file mesh-doctor reads (the config, a rule's cases), read and parsed exactly as a
 * rule file is: a regular file of at most 1 MB, aliases limited. Every problem names `file` (and the
 * line where there is one). `lineOf(doc, lc, path)` then locates any value of `raw`.
 */
export function readYamlFile(path: string, file: string, kind: string): { doc: Document; lc: LineCounter; raw: unknown } {
  return parseRuleYaml(readRuleText(path, file, kind), file);
}

/** Load, validate and type-check one rule file. */
export function loadRuleFile(path: string, displayName?: string): LoadedRule {
  const file = displayName ?? relative(process.cwd(), path) ?? path;
  baseEnvironment(); // outside the try: a cel-js it cannot hook into is not this file's fault
  try {
    return loadRuleText(readRuleText(path, file), path, file);
  } catch (e) {
    if (e instanceof RuleLoadError) throw e;
    // Whatever else a hostile or broken file provokes still names the file (exit 2, one line).
    throw new RuleLoadError(file, 0, '', `cannot load: ${firstLine(e)}`);
  }
}

function loadRuleText(text: string, path: string, file: string): LoadedRule {
  const fromCache = cached(path, text);
  if (fromCache) {
    try {
      // The build checked this exact text (its patterns with RE2: re2js, ~20 ms, loads only if a rule
      // runs matches()), and loaded every expression of it: those only a finding needs wait for one.
      return compileRule(fromCache, path, file, () => 0, true);
    } catch (e) {
      if (!(e instanceof RuleLoadError)) throw e;
      // Fall through: the full load names the line.
    }
  }
  const { doc, lc, raw } = parseRuleYaml(text, file);
  const problem = validateRuleSpec(raw);
  if (problem) throw new RuleLoadError(file, lineOf(doc, lc, problem.path), fieldName(problem.path) || '(top level)', problem.message);
  return compileRule(raw as RuleSpec, path, file, (p) => lineOf(doc, lc, p));
}

/**
 * Type-check and compile the CEL of a schema-valid rule. `locate` gives the line of a field.
 * `checked`: the build loaded this exact text (a bundled rule from the cache): its patterns are not
 * checked again, and the expressions only a finding reads (the checks' messages, evidence, where,
 * remediation, skipMessage, empty: two thirds of the rules' CEL) are parsed when first run, not at
 * every start.
 */
function compileRule(spec: RuleSpec, path: string, file: string, locate: (path: (string | number)[]) => number, checked = false): LoadedRule {
  const stem = basename(path).replace(/\.ya?ml$/, '');
  if (spec.id !== stem) throw new RuleLoadError(file, locate(['id']), 'id', `'${spec.id}' differs from the file name '${stem}'`);

  const env = baseEnvironment().clone();
  if (spec.scope === 'node') {
    env.registerVariable('node', 'Node');
    env.registerVariable('cluster', 'Cluster');
  } else {
    env.registerVariable('cluster', 'Cluster');
    env.registerVariable('nodes', 'list<Node>');
  }
  const compile = (path: (string | number)[], expr: string, want: 'bool' | 'string' | 'list' | 'map' | 'any'): { program: Program; type: string } => {
    const where = () => [locate(path), fieldName(path)] as const;
    // Parsed once and checked in place: the check leaves its types and chosen handlers on the tree,
    // which the first evaluation would otherwise work out again (and compile.ts reads).
    let result: { valid: boolean; type?: string; error?: Error };
    let program: (Program & { ast?: { op?: unknown }; check?: () => typeof result }) | undefined;
    try {
      program = env.parse(expr) as unknown as typeof program;
      result = program!.check!();
    } catch (e) {
      result = { valid: false, error: e as Error };
    }
    if (!result.valid) {
      const [line, field] = where();
      const msg = (result.error?.message ?? 'invalid expression').split('\n')[0];
      throw new RuleLoadError(file, line, field, `CEL: ${msg}`);
    }
    const type = result.type ?? 'dyn';
    const ok =
      want === 'any' || type === 'dyn' ||
      (want === 'bool' && type === 'bool') ||
      (want === 'string' && type === 'string') ||
      (want === 'list' && type.startsWith('list<')) ||
      (want === 'map' && type.startsWith('map<'));
    if (!ok) {
      const [line, field] = where();
      throw new RuleLoadError(file, line, field, `CEL: expected ${want === 'list' ? 'a list' : want === 'map' ? 'a map' : want}, the expression gives ${type}`);
    }
    if (!program) throw new RuleLoadError(file, where()[0], where()[1], 'CEL: invalid expression');
    for (const pattern of checked ? [] : literalPatterns(program.ast)) {
      const problem = regexProblem(pattern);
      if (problem) {
        const [line, field] = where();
        throw new RuleLoadError(file, line, field, `CEL: matches() takes RE2 syntax (no backreferences, no lookaround): ${problem}`);
      }
    }
    return { program: compiledProgram(env, program, meteredProgram(program)), type };
  };
  /** An expression only a finding reads: compiled now, or for a checked rule when first run (see above). */
  const later = (path: (string | number)[], expr: string, want: 'bool' | 'string' | 'list' | 'map' | 'any'): Program => {
    if (!checked) return compile(path, expr, want).program;
    let program: Program | undefined;
    return (ctx) => (program ??= compile(path, expr, want).program)(ctx);
  };

  const names = new Set<string>();
  for (const [i, v] of [...(spec.variables ?? []), ...(spec.let ?? [])].entries()) {
    if (names.has(v.name)) throw new RuleLoadError(file, locate(i < (spec.variables ?? []).length ? ['variables', i] : ['let', i - (spec.variables ?? []).length]), 'name', `'${v.name}' is defined twice`);
    names.add(v.name);
  }
  const variables = (spec.variables ?? []).map((v, i) => {
    const c = compile(['variables', i, 'expression'], v.expression, 'any');
    env.registerVariable(v.name, c.type);
    return { name: v.name, program: c.program };
  });
  const when = spec.when ? compile(['when'], spec.when, 'bool').program : undefined;
  const skipMessage = spec.skipMessage ? later(['skipMessage'], spec.skipMessage, 'string') : undefined;
  let forEach: Program | undefined;
  if (spec.forEach) {
    const c = compile(['forEach'], spec.forEach, 'list');
    forEach = c.program;
    env.registerVariable('item', elementType(c.type));
  }
  const lets = (spec.let ?? []).map((v, i) => {
    const c = compile(['let', i, 'expression'], v.expression, 'any');
    env.registerVariable(v.name, c.type);
    return { name: v.name, program: c.program };
  });
  if (lets.length && !forEach) throw new RuleLoadError(file, locate(['let']), 'let', 'needs forEach');
  const shown = path.startsWith(PACKAGE_ROOT) ? relative(PACKAGE_ROOT, path) : file;
  const rule: LoadedRule = {
    spec,
    file: path,
    path: shown,
    // A bundled rule's page (docs/rules/<id>.md); a team's rule has its file.
    docs: isBundled(path) ? rulePageLink(spec.id, packageRepository()) : shown,
    requires: (spec.requires ?? []).map((r) => ({ input: r.replace(/\?$/, ''), optional: r.endsWith('?') })),
    variables,
    when,
    skipMessage,
    forEach,
    lets,
    subject: spec.subject ? compile(['subject'], spec.subject, 'string').program : undefined,
    checks: spec.checks.map((c, i) => {
      const sev = c.severity ?? spec.severity;
      if (spec.severity === 'warn' && sev === 'fail') throw new RuleLoadError(file, locate(['checks', i, 'severity']), `checks[${i}].severity`, "'fail' is above the rule's severity 'warn'");
      return {
        assert: compile(['checks', i, 'assert'], c.assert, 'bool').program,
        message: later(['checks', i, 'message'], c.message, 'string'),
        severity: sev,
        field: `checks[${i}]`,
      };
    }),
    pass: compile(['pass'], spec.pass, 'string').program,
    empty: spec.empty ? later(['empty'], spec.empty, 'string') : undefined,
    evidence: spec.evidence ? later(['evidence'], spec.evidence, 'map') : undefined,
    where: spec.where ? later(['where'], spec.where, 'any') : undefined,
    remediation: templateParts(spec.remediation, (expr) => later(['remediation'], expr, 'any'), () => locate(['remediation']), file),
  };
  if (rule.empty && !rule.forEach) throw new RuleLoadError(file, locate(['empty']), 'empty', 'needs forEach');
  return rule;
}

/**
 * A remediation text with `${{ expr }}` holes (the `${{ }}` of CI files; plain `{{ }}` stays text, as
 * in `docker inspect -f '{{.Id}}'`): literal text and compiled CEL, in order. An unclosed `${{` is a
 * load error naming the file and line.
 */
function templateParts(text: string, compileHole: (expr: string) => Program, line: () => number, file: string): (string | Program)[] {
  const parts: (string | Program)[] = [];
  let rest = text.trim();
  for (;;) {
    const open = rest.indexOf('${{');
    if (open === -1) break;
    const close = rest.indexOf('}}', open + 3);
    if (close === -1) throw new RuleLoadError(file, line(), 'remediation', "'${{' without '}}'");
    const expr = rest.slice(open + 3, close).trim();
    if (!expr) throw new RuleLoadError(file, line(), 'remediation', "empty '${{ }}'");
    if (open > 0) parts.push(rest.slice(0, open));
    parts.push(compileHole(expr));
    rest = rest.slice(close + 2);
  }
  if (rest) parts.push(rest);
  return parts;
}

/** A path as messages show it: relative to the current folder when inside it, else absolute. */
export function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : resolve(p);
}

/** A rule's cases file (`foo.cases.yaml`, see `rules test`) lives beside the rules: it is not a rule. */
export const CASES_FILE = /\.cases\.ya?ml$/;

/** Load every *.yaml / *.yml rule of a folder (not its `*.cases.yaml`), sorted by id. Any broken file stops the load. */
export function loadRules(dir: string = BUNDLED_RULES_DIR): LoadedRule[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n) && !CASES_FILE.test(n)).sort();
  } catch (e) {
    throw new UsageError(`cannot read rules folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (names.length === 0) throw new UsageError(`no rule files (*.yaml) in ${dir}`);
  const rules = names.map((n) => {
    const p = join(dir, n);
    return loadRuleFile(p, p.startsWith(PACKAGE_ROOT) ? relative(PACKAGE_ROOT, p) : displayPath(p));
  });
  return noDuplicateIds(rules);
}

/** Rules sorted by id; two files with one id stop the load, naming both. */
function noDuplicateIds(rules: LoadedRule[]): LoadedRule[] {
  const byId = new Map<string, LoadedRule>();
  for (const r of rules) {
    const first = byId.get(r.spec.id);
    if (first) throw new RuleLoadError(r.path, 0, 'id', `duplicate rule id '${r.spec.id}', also in ${first.path}`);
    byId.set(r.spec.id, r);
  }
  return [...rules].sort((a, b) => (a.spec.id < b.spec.id ? -1 : a.spec.id > b.spec.id ? 1 : 0));
}

/**
 * The rules of several folders as one set, sorted by id: a folder named twice (by another path, or a
 * link to it) is read once; one id in two folders stops the load, naming both files. `onFolderError`
 * may say where a folder was named (the config's line) when it cannot be read.
 */
export function loadRuleFolders(dirs: string[], onFolderError?: (dir: string, e: UsageError) => never): LoadedRule[] {
  const seen = new Set<string>();
  const all: LoadedRule[] = [];
  for (const dir of dirs) {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      real = dir; // loadRules names what is wrong with it
    }
    if (seen.has(real)) continue;
    seen.add(real);
    try {
      all.push(...loadRules(dir));
    } catch (e) {
      if (onFolderError && e instanceof UsageError && !(e instanceof RuleLoadError)) onFolderError(dir, e);
      throw e;
    }
  }
  return noDuplicateIds(all);
}

/** Where a rule comes from, as `rules list` and `rules show` say it: `bundled`, or its file. */
export function ruleSource(rule: LoadedRule): string {
  return isBundled(rule.file) ? 'bundled' : rule.path;
}

function isBundled(path: string): boolean {
  return path.startsWith(BUNDLED_RULES_DIR.endsWith(sep) ? BUNDLED_RULES_DIR : BUNDLED_RULES_DIR + sep);
}

let repository: { value: unknown } | undefined;
/** package.json's `repository` (read once): where the bundled rules' pages link to. */
function packageRepository(): unknown {
  if (!repository) {
    try {
      repository = { value: (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { repository?: unknown }).repository };
    } catch {
      repository = { value: undefined };
    }
  }
  return repository.value;
}
