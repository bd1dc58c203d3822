import { BUNDLED_RULES_DIR, loadRuleFolders } from '../rules/loader.js';
import type { LoadedRule } from '../rules/types.js';
import { UsageError } from '../util/errors.js';
import { ConfigError, type MeshConfig } from './load.js';

/** Where the rules of a run come from. */
export interface RuleSources {
  /** --rules: folders added to the bundled rules, in this order. */
  rulesDirs?: string[];
  /** false with --no-bundled-rules: only the folders given (and the config's ruleFolders). */
  bundled?: boolean;
  config?: MeshConfig;
}

/**
 * The rules of a run: the bundled ones (unless `bundled: false`), then each --rules folder, then the
 * config's ruleFolders; one id in two files stops the run naming both. Then every rule id the config
 * names must be among them.
 */
export function loadRuleSet(o: RuleSources = {}): LoadedRule[] {
  const dirs: string[] = [];
  if (o.bundled !== false) dirs.push(BUNDLED_RULES_DIR);
  dirs.push(...(o.rulesDirs ?? []));
  const config = o.config;
  const fromConfig = new Map((config?.ruleFolders ?? []).map((f, i) => [f.dir, { ...f, i }]));
  dirs.push(...fromConfig.keys());
  if (dirs.length === 0) throw new UsageError('--no-bundled-rules leaves no rules: give --rules DIR, or ruleFolders in the config');
  const rules = loadRuleFolders(dirs, (dir, e) => {
    const f = fromConfig.get(dir);
    if (f && config) throw new ConfigError(config.file, f.line, `ruleFolders[${f.i}]`, `'${f.given}' (from the config's folder): ${e.message}`);
    throw e;
  });
  if (config) checkConfigIds(config, rules);
  return rules;
}

/**
 * Every id the config names is a rule of this run, and every acceptance's node fits its rule's
 * scope: a cluster rule's results have no node, a node rule's always have one.
 */
export function checkConfigIds(config: MeshConfig, rules: LoadedRule[]): void {
  const byId = new Map(rules.map((r) => [r.spec.id, r]));
  const unknown = (id: string) => `unknown rule id '${id}' (see: mesh-doctor rules list)`;
  for (const [id, s] of config.rules) {
    if (!byId.has(id)) throw new ConfigError(config.file, s.line, `rules.${id}`, unknown(id));
  }
  config.accepted.forEach((a, i) => {
    const rule = byId.get(a.rule);
    if (!rule) throw new ConfigError(config.file, a.line, `accepted[${i}].rule`, unknown(a.rule));
    if (rule.spec.scope === 'cluster' && a.node !== undefined && a.node !== null && a.node !== 'cluster') {
      throw new ConfigError(config.file, a.nodeLine, `accepted[${i}].node`, `'${a.rule}' is a cluster rule: its results have no node (write node: null, or leave node out; the subject may name the node)`);
    }
    if (rule.spec.scope === 'node' && a.node === null) {
      throw new ConfigError(config.file, a.nodeLine, `accepted[${i}].node`, `'${a.rule}' is a node rule: its results always name a node (name it, or leave node out for any node)`);
    }
  });
}
