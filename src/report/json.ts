import type { ReportInput } from './types.js';
import { safeJson } from '../util/text.js';

/** The JSON report of spec/report-format.md, version 1. Fields may be added, never renamed or dropped. */
export function jsonReport(r: ReportInput): string {
  return safeJson(
    JSON.stringify(
      {
        format: 'mesh-doctor-report',
        version: 1,
        tool: { name: 'mesh-doctor', version: r.toolVersion },
        source: r.source,
        generatedAt: r.generatedAt,
        capture: { capturedAt: r.capturedAt || null, source: r.captureSource || null, nodes: r.nodes },
        summary: r.summary,
        results: r.results,
        diagnostics: r.diagnostics,
      },
      null,
      2,
    ) + '\n'
  );
}
