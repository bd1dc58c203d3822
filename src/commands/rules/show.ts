import { Args, Command, Flags } from '@oclif/core';
import { ruleSourceFlags } from '../../cli/rules.js';

export default class RulesShow extends Command {
  static override summary = 'Show one rule: what it checks, what it reads, what to do when it fails';

  static override description = 'Also where it comes from (bundled, or its file), its state under the config, and the findings the config accepts for it.';

  static override examples = ['<%= config.bin %> rules show dnat-target-is-sbox', '<%= config.bin %> rules show no-privileged-published-port --rules examples/team-rules'];

  static override args = {
    id: Args.string({ description: 'rule id (see: rules list)', required: true }),
  };

  static override flags = {
    format: Flags.string({ char: 'f', options: ['text', 'json'], default: 'text', description: 'output format' }),
    ...ruleSourceFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RulesShow);
    const { resolveConfig } = await import('../../config/load.js');
    const { loadRuleSet } = await import('../../config/rules.js');
    const { ruleState, stateText, isExpired, acceptanceScope } = await import('../../config/apply.js');
    const { ruleSource } = await import('../../rules/loader.js');
    const { UsageError, reportError } = await import('../../util/errors.js');
    const { safe, safeJson } = await import('../../util/text.js');
    try {
      const config = resolveConfig({ config: flags.config, noConfig: flags['no-config'] });
      const rules = loadRuleSet({ rulesDirs: flags.rules, bundled: !flags['no-bundled-rules'], config });
      const rule = rules.find((r) => r.spec.id === args.id);
      if (!rule) throw new UsageError(`unknown rule id '${args.id}' (known: ${rules.map((r) => r.spec.id).join(', ')})`);
      const s = rule.spec;
      const state = ruleState(rule, config);
      const now = new Date();
      const acceptances = (config?.accepted ?? []).filter((a) => a.rule === s.id);
      if (flags.format === 'json') {
        const accepted = acceptances.map((a) => ({ node: a.node ?? null, anyNode: a.node === undefined, subject: a.subject ?? null, reason: a.reason, expires: a.expires, expired: isExpired(a, now), config: a.where }));
        process.stdout.write(safeJson(JSON.stringify({ ...s, docs: rule.docs, source: ruleSource(rule), state: state.state, config: state.where ?? null, accepted }, null, 2)) + '\n');
        return;
      }
      const block = (title: string, body: string | undefined) => (body ? [`${title}:`, ...body.trim().split('\n').map((l) => `  ${l}`), ''] : []);
      const accepted = acceptances.map((a) => `${a.where}: ${acceptanceScope(a)}, until ${a.expires}${isExpired(a, now) ? ' (EXPIRED: no longer applies)' : ''}: ${a.reason.replace(/\s+/g, ' ')}`);
      const lines = [
        `${s.id} — ${s.title}`,
        `severity: ${s.severity}   scope: ${s.scope}   file: ${rule.docs}`,
        `source: ${ruleSource(rule)}   state: ${stateText(state)}${state.where ? ` (${state.where})` : config ? ` (${config.file} does not set it)` : ''}`,
        '',
        ...block('What it checks', s.description),
        ...block('Reads', (s.requires ?? []).map((r) => (r.endsWith('?') ? `${r.slice(0, -1)} (optional)` : r)).join('\n') || '(the snapshot only)'),
        ...block('Applies when', s.when),
        ...block('For each', s.forEach),
        ...block('Checks', s.checks.map((c, i) => `${i + 1}. [${c.severity ?? s.severity}] ${c.assert.trim()}`).join('\n')),
        ...block('What to do when it fails', s.remediation),
        ...block('References', s.references.join('\n')),
        ...block('Accepted by the config', accepted.join('\n')),
      ];
      process.stdout.write(safe(lines.join('\n'), true));
    } catch (e) {
      reportError(e);
    }
  }
}
