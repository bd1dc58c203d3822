import { githubReportChunks } from './github.js';
import { htmlReportChunks } from './html.js';
import { jsonReportChunks } from './json.js';
import { junitReportChunks } from './junit.js';
import { STATE_CODE, nagiosFailed, nagiosState } from './nagios.js';
import { prometheusFailed } from './prometheus.js';
import { sarifReportChunks } from './sarif.js';
import type { ReportInput } from './types.js';

/**
 * What a format may add to its reporter, for the programs that run mesh-doctor and read its exit
 * code (a Nagios plugin's exit code is its state) or its file (a textfile collector).
 */
export interface FormatHooks {
  /** The exit code of a run whose report in this format goes to stdout; without it, the check's own (`gate`, from --fail-on). */
  exitCode?(input: ReportInput, gate: 0 | 1): number;
  /**
   * A run that could not check (exit 2: bad usage, an invalid rule or config file, nothing to
   * capture): this format's report of that, written where the report was to go, and the exit code
   * when it goes to stdout (default 2). Without it, nothing is written.
   */
  failed?(error: string, at: Date, durationMs: number): { text: string; exitCode?: number };
  /**
   * When this report goes to stdout, mesh-doctor's warnings go to stderr only after it: Icinga shows
   * a plugin's stderr with its output, and a warning before the status line would take its place.
   */
  stderrLast?: boolean;
  /**
   * The report in pieces, the same text as the reporter's, written as each is made: a report of every
   * result of a large swarm (130 MB of JSON, 43 MB of JUnit XML for 50 nodes; a swarm in trouble's HTML page, 120 MB) is then never held whole in memory.
   */
  chunks?(input: ReportInput): Iterable<string>;
  /**
   * The report names no pass, it only counts them (`verbose`: the terminal's -v): a run whose
   * reports all say so keeps no pass result, only ReportInput.passCounts. Without it, every pass is
   * kept for the report.
   */
  countsPasses?(verbose: boolean): boolean;
}

const COUNTS_PASSES = () => true;

export const FORMAT_HOOKS: Record<string, FormatHooks> = {
  json: { chunks: jsonReportChunks },
  junit: { chunks: junitReportChunks },
  html: { chunks: htmlReportChunks },
  // Problems in full, passes counted per node; with -v every result of every node.
  stylish: { countsPasses: (verbose) => !verbose },
  nagios: {
    exitCode: (input) => STATE_CODE[nagiosState(input)],
    failed: (error) => ({ text: nagiosFailed(error), exitCode: STATE_CODE.UNKNOWN }),
    stderrLast: true,
    countsPasses: COUNTS_PASSES,
  },
  prometheus: {
    failed: (_error, at, durationMs) => ({ text: prometheusFailed(at, durationMs) }),
    countsPasses: COUNTS_PASSES,
  },
  // Annotations and code-scanning alerts are the problems; passes are in their counts only.
  github: { countsPasses: COUNTS_PASSES, chunks: githubReportChunks },
  sarif: { countsPasses: COUNTS_PASSES, chunks: sarifReportChunks },
};

/** Whether the reports of a run in these formats all only count passes (see FormatHooks.countsPasses). */
export function passesCounted(formats: string[], verbose: boolean): boolean {
  return formats.every((f) => FORMAT_HOOKS[f]?.countsPasses?.(verbose) === true);
}
