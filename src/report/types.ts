import type { Diagnostic } from '../parse/types.js';
import type { LoadedRule, Result } from '../rules/types.js';
import type { Summary } from '../rules/evaluate.js';

/** All a reporter gets: the results and what describes the run. Nothing else. */
export interface ReportInput {
  source: string;
  capturedAt: string;
  captureSource: string;
  generatedAt: string;
  nodes: string[];
  rules: LoadedRule[];
  results: Result[];
  summary: Summary;
  diagnostics: Diagnostic[];
  toolVersion: string;
  color: boolean;
  verbose: boolean;
}

export type Reporter = (input: ReportInput) => string;
