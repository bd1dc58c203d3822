import { Command, Flags } from '@oclif/core';
import { ruleSourceFlags } from '../../cli/rules.js';

export default class RulesList extends Command {
  static override summary = 'List the rules: id, severity, scope, state under the config, source and title';

  static override description = `STATE is the rule under the config: on, off, or "as warn" / "as fail" when the config sets its severity. SOURCE is "bundled" or the rule's file.`;

  static override examples = ['<%= config.bin %> rules list', '<%= config.bin %> rules list --rules ./team-rules', '<%= config.bin %> rules list --format json'];

  static override flags = {
    format: Flags.string({ char: 'f', options: ['table', 'json'], default: 'table', description: 'output format' }),
    ...ruleSourceFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(RulesList);
    const { resolveConfig } = await import('../../config/load.js');
    const { loadRuleSet } = await import('../../config/rules.js');
    const { ruleState, stateText } = await import('../../config/apply.js');
    const { ruleSource } = await import('../../rules/loader.js');
    const { reportError } = await import('../../util/errors.js');
    const { safe, safeJson } = await import('../../util/text.js');
    try {
      const config = resolveConfig({ config: flags.config, noConfig: flags['no-config'] });
      const rules = loadRuleSet({ rulesDirs: flags.rules, bundled: !flags['no-bundled-rules'], config });
      const rows = rules.map((r) => ({ rule: r, source: ruleSource(r), state: ruleState(r, config) }));
      if (flags.format === 'json') {
        const list = rows.map(({ rule: r, source, state }) => ({ id: r.spec.id, title: r.spec.title, severity: r.spec.severity, scope: r.spec.scope, docs: r.docs, file: r.path, source, state: state.state, config: state.where ?? null }));
        process.stdout.write(safeJson(JSON.stringify(list, null, 2)) + '\n');
        return;
      }
      const table = [['ID', 'SEVERITY', 'SCOPE', 'STATE', 'SOURCE', 'TITLE'], ...rows.map(({ rule: r, source, state }) => [safe(r.spec.id), r.spec.severity, r.spec.scope, stateText(state), safe(source), safe(r.spec.title)])];
      const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
      const lines = table.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  '));
      const changed = rows.filter((x) => x.state.where);
      if (changed.length) lines.push('', `config: ${safe(config!.file)} (${changed.map((x) => `${safe(x.rule.spec.id)} ${stateText(x.state)}`).join(', ')})`);
      process.stdout.write(lines.join('\n') + '\n');
    } catch (e) {
      reportError(e);
    }
  }
}
