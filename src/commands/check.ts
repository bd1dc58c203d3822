import { Args, Command, Flags } from '@oclif/core';

export default class Check extends Command {
  static override summary = 'Check a capture of a swarm: where does the ingress routing mesh break?';

  static override description = `Reads a capture folder (one folder per node of raw command outputs, see the capture format in the README), evaluates every rule in rules/ against it and prints a report.

Exit codes: 0 no result at or above --fail-on; 1 at least one (an error result counts as fail); 2 the check could not run (bad usage, an invalid rule file, an unreadable capture).`;

  static override examples = [
    '<%= config.bin %> check fixtures/seed-cluster',
    '<%= config.bin %> check ./capture --format json > report.json',
    '<%= config.bin %> check ./capture --fail-on warn',
    '<%= config.bin %> check ./capture --rule dnat-target-is-sbox --rule fwmark-has-backend',
  ];

  static override args = {
    dir: Args.string({ description: 'capture folder (capture.json, cluster/, nodes/<NODE>/...)', required: true }),
  };

  static override flags = {
    format: Flags.string({ char: 'f', description: 'report format', options: ['stylish', 'json'], default: 'stylish' }),
    'fail-on': Flags.string({ description: 'lowest status that makes the exit code 1', options: ['fail', 'warn', 'none'], default: 'fail' }),
    rules: Flags.string({ description: 'folder of rule files to use instead of the bundled rules/' }),
    rule: Flags.string({ description: 'check only this rule id (repeatable)', multiple: true }),
    verbose: Flags.boolean({ char: 'v', description: 'list every passing subject, not only counts', default: false }),
    color: Flags.boolean({ description: 'colour the terminal report (default: when stdout is a terminal and NO_COLOR is unset)', allowNo: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Check);
    const { runCheck } = await import('../check.js');
    const { UsageError, reportUsageError } = await import('../util/errors.js');
    try {
      const outcome = runCheck({
        dir: args.dir,
        rulesDir: flags.rules,
        ruleIds: flags.rule,
        format: flags.format,
        failOn: flags['fail-on'] as 'fail' | 'warn' | 'none',
        color: flags.color ?? (Boolean(process.stdout.isTTY) && !process.env.NO_COLOR),
        verbose: flags.verbose,
        toolVersion: this.config.version,
      });
      process.stdout.write(outcome.report);
      process.exitCode = outcome.exitCode;
    } catch (e) {
      if (e instanceof UsageError) return reportUsageError(e.message);
      if (process.env.DEBUG) throw e;
      reportUsageError(`internal error: ${(e as Error).message} (run with DEBUG=* for the stack)`);
    }
  }
}
