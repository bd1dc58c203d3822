import { Command, Flags } from '@oclif/core';

export default class RulesList extends Command {
  static override summary = 'List the rules: id, severity, scope and title';

  static override examples = ['<%= config.bin %> rules list', '<%= config.bin %> rules list --format json'];

  static override flags = {
    format: Flags.string({ char: 'f', options: ['table', 'json'], default: 'table', description: 'output format' }),
    rules: Flags.string({ description: 'folder of rule files to use instead of the bundled rules/' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(RulesList);
    const { loadRules, BUNDLED_RULES_DIR } = await import('../../rules/loader.js');
    const { reportError } = await import('../../util/errors.js');
    const { safe, safeJson } = await import('../../util/text.js');
    try {
      const rules = loadRules(flags.rules ?? BUNDLED_RULES_DIR);
      if (flags.format === 'json') {
        const list = rules.map((r) => ({ id: r.spec.id, title: r.spec.title, severity: r.spec.severity, scope: r.spec.scope, docs: r.docs }));
        process.stdout.write(safeJson(JSON.stringify(list, null, 2)) + '\n');
        return;
      }
      const w = Math.max(2, ...rules.map((r) => r.spec.id.length));
      const lines = [`${'ID'.padEnd(w)}  SEVERITY  SCOPE    TITLE`];
      for (const r of rules) lines.push(`${safe(r.spec.id).padEnd(w)}  ${r.spec.severity.padEnd(8)}  ${r.spec.scope.padEnd(7)}  ${safe(r.spec.title)}`);
      process.stdout.write(lines.join('\n') + '\n');
    } catch (e) {
      reportError(e);
    }
  }
}
