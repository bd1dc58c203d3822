import { Args, Command, Flags } from '@oclif/core';
import { configFlags } from '../../cli/rules.js';

export default class RulesTest extends Command {
  static override summary = "Run the cases of a folder's rules: does each rule say what its cases expect?";

  static override description = `For each rule file foo.yaml of DIR, the cases beside it (foo.cases.yaml, or every *.yaml in foo.cases/): a list of {capture: FOLDER, expect: [{node, subject, status}]}. A case passes when every expected entry is matched by a result of the rule on that capture and every result that is not a pass is expected. Prints one line per case (a diff for a failed one) and what the cases miss: a rule with no cases, no case that expects a problem, or no case that expects a pass.

Rules are evaluated as their files say: the config's severities and acceptances do not apply (the config is still read: a rule id it names must exist).

Exit codes: 0 every case passes and every rule has a passing and a failing case; 1 otherwise; 2 a rule or cases file cannot be used (named with its line).`;

  static override examples = ['<%= config.bin %> rules test examples/team-rules', '<%= config.bin %> rules test ./team-rules --no-bundled-rules'];

  static override args = {
    dir: Args.string({ description: 'folder of rule files, with their cases', required: true }),
  };

  static override flags = {
    'no-bundled-rules': Flags.boolean({ description: "load DIR's rules without the bundled ones (for a folder that replaces them)", default: false }),
    ...configFlags(),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RulesTest);
    const { resolveConfig } = await import('../../config/load.js');
    const { runRuleTests } = await import('../../cases/run.js');
    const { reportError } = await import('../../util/errors.js');
    try {
      const config = resolveConfig({ config: flags.config, noConfig: flags['no-config'] });
      const outcome = runRuleTests({ dir: args.dir, bundledRules: !flags['no-bundled-rules'], config });
      process.stdout.write(outcome.text);
      process.exitCode = outcome.exitCode;
    } catch (e) {
      reportError(e);
    }
  }
}
