import { Args, Command, Flags } from '@oclif/core';

export default class RulesShow extends Command {
  static override summary = 'Show one rule: what it checks, what it reads, what to do when it fails';

  static override examples = ['<%= config.bin %> rules show dnat-target-is-sbox'];

  static override args = {
    id: Args.string({ description: 'rule id (see: rules list)', required: true }),
  };

  static override flags = {
    format: Flags.string({ char: 'f', options: ['text', 'json'], default: 'text', description: 'output format' }),
    rules: Flags.string({ description: 'folder of rule files to use instead of the bundled rules/' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RulesShow);
    const { loadRules, BUNDLED_RULES_DIR } = await import('../../rules/loader.js');
    const { UsageError, reportError } = await import('../../util/errors.js');
    const { safe, safeJson } = await import('../../util/text.js');
    try {
      const rules = loadRules(flags.rules ?? BUNDLED_RULES_DIR);
      const rule = rules.find((r) => r.spec.id === args.id);
      if (!rule) throw new UsageError(`unknown rule id '${args.id}' (known: ${rules.map((r) => r.spec.id).join(', ')})`);
      const s = rule.spec;
      if (flags.format === 'json') {
        process.stdout.write(safeJson(JSON.stringify({ ...s, docs: rule.docs }, null, 2)) + '\n');
        return;
      }
      const block = (title: string, body: string | undefined) => (body ? [`${title}:`, ...body.trim().split('\n').map((l) => `  ${l}`), ''] : []);
      const lines = [
        `${s.id} — ${s.title}`,
        `severity: ${s.severity}   scope: ${s.scope}   file: ${rule.docs}`,
        '',
        ...block('What it checks', s.description),
        ...block('Reads', (s.requires ?? []).map((r) => (r.endsWith('?') ? `${r.slice(0, -1)} (optional)` : r)).join('\n') || '(the snapshot only)'),
        ...block('Applies when', s.when),
        ...block('For each', s.forEach),
        ...block('Checks', s.checks.map((c, i) => `${i + 1}. [${c.severity ?? s.severity}] ${c.assert.trim()}`).join('\n')),
        ...block('What to do when it fails', s.remediation),
        ...block('References', s.references.join('\n')),
      ];
      process.stdout.write(safe(lines.join('\n'), true));
    } catch (e) {
      reportError(e);
    }
  }
}
