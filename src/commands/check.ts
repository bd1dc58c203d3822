import { Args, Command, Flags } from '@oclif/core';
import { collectFlags } from '../cli/collect.js';
import { ruleSourceFlags } from '../cli/rules.js';
import { widthFlag } from '../cli/terminal.js';
import { FORMATS } from '../report/formats.js';

export default class Check extends Command {
  static override summary = 'Check a capture of a swarm: where does the ingress routing mesh break?';

  static override description = `Reads a capture folder (one folder per node of raw command outputs, see the capture format in the README), evaluates every rule (the bundled rules/, --rules folders, and the config's ruleFolders) against it and prints a report. A config file (.mesh-doctor.yaml in the current folder, or --config) can turn rules off, change their severity and accept findings until a date.

The terminal report prints problems in full and counts passes (-v: every result; -q: only problems); above 10 nodes each finding is one line naming its nodes. It is wrapped to --width, else $COLUMNS, else the terminal's width, else 80 columns, never inside a backticked command. Colour: --color or --no-color; else none when NO_COLOR is set; else colour when FORCE_COLOR is set (and not 0), even into a pipe; else colour only when stdout is a terminal.

--node NAME checks only those nodes: node rules run on them alone, cluster rules still run on the whole swarm's view and their results are kept; the summary and the exit code count only what is reported.

Exit codes: 0 no result at or above --fail-on; 1 at least one (an error result counts as fail); 2 the check could not run (bad usage, an invalid rule file, an unreadable capture). With --format nagios on stdout, the Nagios state instead: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also when the check could not run).`;

  static override examples = [
    '<%= config.bin %> check                      # this node, live (as root on a swarm node)',
    '<%= config.bin %> check --swarm              # every node, from a manager, through a global job',
    '<%= config.bin %> check --host unix:///run/n1.sock --host tcp://n2:2376   # these engines, one probe container each',
    '<%= config.bin %> check fixtures/seed-cluster',
    '<%= config.bin %> check ./capture --format json > report.json',
    '<%= config.bin %> check ./capture -f stylish -f json -o report.json   # the terminal report, and JSON to a file',
    '<%= config.bin %> check ./capture -f junit -o mesh.xml -f sarif -o mesh.sarif -f github   # a pipeline gate: JUnit, SARIF, annotations',
    '<%= config.bin %> check ./capture --fail-on warn',
    '<%= config.bin %> check --swarm -f prometheus -o /var/lib/node_exporter/textfile_collector/mesh_doctor.prom   # from cron',
    '<%= config.bin %> check --swarm -f nagios     # a Nagios/Icinga plugin: one status line, exit code 0-3',
    '<%= config.bin %> check ./capture --rule dnat-target-is-sbox,fwmark-has-backend',
    '<%= config.bin %> check ./capture --node node03 --node node17   # only these nodes (cluster rules still see every node)',
    '<%= config.bin %> check ./capture -q         # only the problems and the totals (cron)',
    '<%= config.bin %> check ./capture --rules ./team-rules          # the bundled rules and the team\'s',
    '<%= config.bin %> check ./capture --config ops/mesh-doctor.yaml # rules off, severities, accepted findings',
  ];

  static override args = {
    dir: Args.string({ description: 'capture folder (capture.json, cluster/, nodes/<NODE>/...); none: capture this node live' }),
  };

  static override flags = {
    format: Flags.string({ char: 'f', description: 'report format (repeatable: each with its own --output): stylish (terminal), json, junit (JUnit XML), sarif (SARIF 2.1.0, GitHub code scanning), github (GitHub Actions annotations and step summary), prometheus (node_exporter textfile), nagios (plugin status line and exit code)', options: [...FORMATS], default: ['stylish'], multiple: true, multipleNonGreedy: true }),
    output: Flags.string({ char: 'o', description: 'write the report of the --format before it to FILE (atomically: a temporary file, then renamed), not to stdout; - is stdout', multiple: true, multipleNonGreedy: true }),
    'fail-on': Flags.string({ description: 'lowest status that makes the exit code 1', options: ['fail', 'warn', 'none'], default: 'fail' }),
    rule: Flags.string({ description: 'check only these rule ids (repeatable, or a comma list: --rule a,b)', multiple: true, multipleNonGreedy: true, delimiter: ',', helpValue: 'ID' }),
    node: Flags.string({ description: 'report only these nodes of the capture (repeatable, or a comma list); cluster rules still run on the whole swarm\'s view and their results are kept', multiple: true, multipleNonGreedy: true, delimiter: ',', helpValue: 'NAME' }),
    verbose: Flags.boolean({ char: 'v', description: 'list every result of every node: each passing subject and each skip', default: false, exclusive: ['quiet'] }),
    quiet: Flags.boolean({ char: 'q', description: 'the terminal report: print only the problems (warn, fail, error) and the totals line', default: false }),
    color: Flags.boolean({ description: 'colour the terminal report; default: no with NO_COLOR set, else yes with FORCE_COLOR set (not 0), else when stdout is a terminal', allowNo: true }),
    width: widthFlag,
    'max-file-size': Flags.string({ description: 'largest capture file read, in bytes or with K, M, G (a larger one is refused, an error naming it)', default: '128M' }),
    'rule-timeout': Flags.string({ description: 'time one rule may take on one node (or the cluster) before it is stopped with an error result: ms, s or m', default: '10s' }),
    'rule-max-values': Flags.string({ description: 'values one rule may build on one node before it is stopped with an error result (bounds memory)', default: '2e7' }),
    live: Flags.boolean({ description: 'capture this node now (to a temporary folder) and check it; the default without DIR', default: false }),
    ...ruleSourceFlags,
    ...collectFlags,
  };

  async run(): Promise<void> {
    const startedAt = performance.now();
    const { args, flags } = await this.parse(Check);
    const { runCheck } = await import('../check.js');
    const { resolveConfig } = await import('../config/load.js');
    const { UsageError, reportError } = await import('../util/errors.js');
    const { safe } = await import('../util/text.js');
    let liveDir: string | undefined;
    let checked = false;
    // Warnings for stderr; held until the report is out when a monitor reads stdout (see FormatHooks.stderrLast).
    const held: string[] = [];
    let hold = false;
    const warn = (w: string) => (hold ? held.push(w) : process.stderr.write(`mesh-doctor: warning: ${safe(w)}\n`));
    try {
      const remote = flags.swarm || Boolean(flags.host?.length);
      const { outputTargets, writeChunks, writeFileAtomic } = await import('../cli/outputs.js');
      const targets = outputTargets(this.argv, 'stylish');
      // The terminal's spinner and colour belong to the report that goes to it.
      const toTerminal = targets.find((t) => t.file === undefined)?.format;
      const { FORMAT_HOOKS, passesCounted } = await import('../report/hooks.js');
      hold = Boolean(toTerminal && FORMAT_HOOKS[toTerminal]?.stderrLast);
      const { parseSize, parseDuration, parseCount } = await import('../cli/size.js');
      const maxFileBytes = parseSize(flags['max-file-size'], '--max-file-size');
      const { useColor, reportWidth } = await import('../cli/terminal.js');
      const width = reportWidth(flags.width);
      const budget = { timeMs: parseDuration(flags['rule-timeout'], '--rule-timeout'), values: parseCount(flags['rule-max-values'], '--rule-max-values') };
      // The config is read before anything is captured: a broken one stops the run first.
      const config = resolveConfig({ config: flags.config, noConfig: flags['no-config'] });
      if (args.dir && (flags.live || remote)) throw new UsageError('give a capture folder, or capture now (--live, --swarm, --host): not both');
      if (flags.live && remote) throw new UsageError('--live checks this node; --swarm and --host probe others: choose one');
      let dir = args.dir;
      if (!dir) {
        // Live: capture (this node, the swarm, or the engines given) to a temporary folder, then
        // check that folder like any other.
        const { captureLive } = await import('../cli/live.js');
        dir = liveDir = await captureLive(flags, toTerminal, warn);
      }
      const outcome = runCheck({
        dir,
        rulesDirs: flags.rules,
        bundledRules: !flags['no-bundled-rules'],
        config,
        ruleIds: list(flags.rule),
        format: targets[0].format,
        failOn: flags['fail-on'] as 'fail' | 'warn' | 'none',
        color: useColor(flags.color),
        verbose: flags.verbose,
        quiet: flags.quiet,
        width,
        nodes: list(flags.node),
        toolVersion: this.config.version,
        maxFileBytes,
        budget,
        // A 50-node check has 350,000 passes: kept only when a report names them.
        countPasses: passesCounted(targets.map((t) => t.format), flags.verbose),
        startedAt,
        sourceLabel: liveDir ? (await import('../cli/live.js')).liveLabel(flags) : undefined,
      });
      checked = true;
      for (const w of outcome.warnings) warn(w);
      const { REPORTERS } = await import('../report/index.js');
      // Files first, stdout last: a monitor reading stdout (nagios) hears of a file that could not be written.
      for (const [i, t] of [...targets.entries()].sort(([, a], [, b]) => Number(a.file === undefined) - Number(b.file === undefined))) {
        // Colour only where a person reads it: a file never gets escape codes.
        const input = { ...outcome.input, color: t.file === undefined && outcome.input.color };
        const chunks = FORMAT_HOOKS[t.format]?.chunks;
        const text = chunks ? chunks(input) : i === 0 && (t.file === undefined || !outcome.input.color) ? outcome.report : REPORTERS[t.format](input);
        if (t.file !== undefined) writeFileAtomic(t.file, text);
        else if (typeof text === 'string') process.stdout.write(text);
        else await writeChunks(process.stdout, text);
      }
      // --format github on GitHub Actions: the run's summary is added (never written over: the
      // file is the whole job's) to the step's summary page.
      const summaryFile = process.env.GITHUB_STEP_SUMMARY;
      if (summaryFile && targets.some((t) => t.format === 'github')) {
        const { githubStepSummary } = await import('../report/github.js');
        const { appendFileSync } = await import('node:fs');
        try {
          appendFileSync(summaryFile, githubStepSummary(outcome.input));
        } catch (e) {
          process.stderr.write(`mesh-doctor: warning: cannot append to GITHUB_STEP_SUMMARY (${safe(summaryFile)}): ${safe((e as NodeJS.ErrnoException).code ?? (e as Error).message)}\n`);
        }
      }
      // A format read by a monitor may give the exit code its own meaning (nagios: the state).
      process.exitCode = (toTerminal && FORMAT_HOOKS[toTerminal]?.exitCode?.(outcome.input, outcome.exitCode)) ?? outcome.exitCode;
    } catch (e) {
      // nagios (UNKNOWN, exit 3) and prometheus (mesh_doctor_check_completed 0) report a run that could not check.
      const { writeFailureReports } = await import('../cli/failed.js');
      const code = writeFailureReports(this.argv, e, { startedAt, files: !checked });
      reportError(e);
      if (code !== undefined) process.exitCode = code;
    } finally {
      hold = false;
      for (const w of held) warn(w);
      if (liveDir) {
        const { rmSync } = await import('node:fs');
        rmSync(liveDir, { recursive: true, force: true });
      }
    }
  }

  /** The flags could not be parsed (oclif's error, exit 2): the formats that report a failed run still do (see run). */
  override async catch(e: Error & { exitCode?: number }): Promise<unknown> {
    if (!this.parsed) {
      const { writeFailureReports } = await import('../cli/failed.js');
      const code = writeFailureReports(this.argv, e, { startedAt: 0, files: true }); // 0: since the process began
      if (code !== undefined) {
        const { reportUsageError } = await import('../util/errors.js');
        reportUsageError(e.message);
        process.exitCode = code;
        this.parsed = true; // reported: oclif would otherwise warn that the command never parsed its flags
        return;
      }
    }
    return super.catch(e);
  }
}

/** The values of a repeatable flag that also takes comma lists (`--rule a, b`): trimmed, empty ones left out. */
function list(values: string[] | undefined): string[] | undefined {
  return values?.map((v) => v.trim()).filter(Boolean);
}
