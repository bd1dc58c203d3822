import { Args, Command, Flags } from '@oclif/core';
import { ruleSourceFlags } from '../../cli/rules.js';
import { widthFlag } from '../../cli/terminal.js';

export default class RulesShow extends Command {
  static override summary = 'Show one rule: what it checks, what it reads, what to do when it fails';

  static override description = 'Also where it comes from (bundled, or its file), its page (docs), its state under the config, and the findings the config accepts for it. Wrapped to --width, else $COLUMNS, else the terminal\'s width, else 80 columns.';

  static override examples = ['<%= config.bin %> rules show dnat-target-is-sbox', '<%= config.bin %> rules show no-privileged-published-port --rules examples/team-rules'];

  static override args = {
    id: Args.string({ description: 'rule id (see: rules list)', required: true }),
  };

  static override flags = {
    format: Flags.string({ char: 'f', options: ['text', 'json'], default: 'text', description: 'output format' }),
    width: widthFlag,
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
        process.stdout.write(safeJson(JSON.stringify({ ...s, docs: rule.docs, file: rule.path, source: ruleSource(rule), state: state.state, config: state.where ?? null, accepted }, null, 2)) + '\n');
        return;
      }
      const { wrap } = await import('../../util/wrap.js');
      const { reportWidth } = await import('../../cli/terminal.js');
      const width = reportWidth(flags.width);
      // Prose is wrapped as a paragraph; expressions line by line, each wrapped line hanging under its start.
      const prose = (title: string, body: string | undefined) => (body?.trim() ? [`${title}:`, ...wrap(safe(body.trim(), true), width, { prefix: '  ' }), ''] : []);
      const lines = (title: string, body: string | undefined) =>
        body?.trim()
          ? [
              `${title}:`,
              ...safe(body.trim(), true)
                .split('\n')
                .flatMap((l) => {
                  const lead = /^\s*/.exec(l)![0].length;
                  return wrap(l.trim(), width, { prefix: ' '.repeat(2 + lead), indent: 6 + lead });
                }),
              '',
            ]
          : [];
      const accepted = acceptances.map((a) => `${a.where}: ${acceptanceScope(a)}, until ${a.expires}${isExpired(a, now) ? ' (EXPIRED: no longer applies)' : ''}: ${a.reason.replace(/\s+/g, ' ')}`);
      const { remediationText } = await import('../../rules/docs.js');
      const remedy = remediationText(s.remediation);
      const head = (text: string) => wrap(safe(text), width, { indent: 2 });
      const out = [
        ...head(`${s.id} — ${s.title}`),
        ...head(`severity: ${s.severity}   scope: ${s.scope}   file: ${rule.path}`),
        ...head(`docs: ${rule.docs}`),
        ...head(`source: ${ruleSource(rule)}   state: ${stateText(state)}${state.where ? ` (${state.where})` : config ? ` (${config.file} does not set it)` : ''}`),
        '',
        ...prose('What it checks', s.description),
        ...lines('Reads', (s.requires ?? []).map((r) => (r.endsWith('?') ? `${r.slice(0, -1)} (optional)` : r)).join('\n') || '(the snapshot only)'),
        ...lines('Applies when', s.when),
        ...lines('For each', s.forEach),
        ...lines('Checks', s.checks.map((c, i) => `${i + 1}. [${c.severity ?? s.severity}] ${c.assert.trim()}`).join('\n')),
        ...prose('What to do when it fails', remedy.text),
        ...lines('Filled in for each result', remedy.holes.length ? remedy.holes.map((h, i) => `‹${i + 1}›: ${h}`).join('\n') : undefined),
        ...lines('References', s.references.join('\n')),
        ...accepted.flatMap((a, i) => (i === 0 ? ['Accepted by the config:'] : []).concat(wrap(safe(a), width, { prefix: '  ', indent: 4 }))),
        ...(accepted.length ? [''] : []),
      ];
      process.stdout.write(out.join('\n'));
    } catch (e) {
      reportError(e);
    }
  }
}
