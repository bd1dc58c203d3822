import type { Diagnostic } from '../parse/types.js';
import type { LoadedRule, Result } from '../rules/types.js';
import type { PassCounts, Summary } from '../rules/evaluate.js';

/** All a reporter gets: the results and what describes the run. Nothing else. */
export interface ReportInput {
  source: string;
  capturedAt: string;
  captureSource: string;
  generatedAt: string;
  nodes: string[];
  rules: LoadedRule[];
  results: Result[];
  /**
   * Present when the run counted its passes rather than kept them (no report of the run names a
   * pass: see passesCounted in hooks.ts): `results` then holds no pass, and this says how many each
   * rule had on each node ('' for the cluster). `summary` counts them.
   */
  passCounts?: PassCounts;
  /** Results by status, accepted ones left out and counted in `accepted`. */
  summary: ReportSummary;
  diagnostics: Diagnostic[];
  toolVersion: string;
  /**
   * The capture folder as a path from the root of the repository holding it ('' at the root), for
   * the pipeline formats (junit, sarif, github), whose viewers resolve paths from there; absent when
   * it is in no repository (a live capture): their paths are then relative to the capture folder.
   */
  capturePath?: string;
  /** How long the run took up to the report, in ms (a live check's capture included). */
  durationMs: number;
  /** --fail-on: the lowest status the run's exit code counts (default fail); nagios takes it for its state. */
  failOn?: 'fail' | 'warn' | 'none';
  color: boolean;
  verbose: boolean;
  /** The terminal report: only problems and the totals (--quiet). */
  quiet?: boolean;
  /** Columns the terminal report is wrapped to; 0: not wrapped. Default 80. */
  width?: number;
  /** The capture's node count, when --node checked only some (`nodes`) of them. */
  captureNodeCount?: number;
}

/** The summary of a report: results by status, accepted ones left out and counted apart. */
export interface ReportSummary extends Summary {
  accepted: number;
}

export type Reporter = (input: ReportInput) => string;
