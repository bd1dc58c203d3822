import { githubReport } from './github.js';
import { htmlReport } from './html.js';
import { jsonReport, jsonReportChunks } from './json.js';
import { nagiosReport } from './nagios.js';
import { prometheusReport } from './prometheus.js';
import { junitReport } from './junit.js';
import { sarifReport } from './sarif.js';
import { stylishReport } from './stylish.js';
import type { Reporter } from './types.js';

/** Every name of FORMATS (src/report/formats.ts) has its reporter here (a test holds them to that). */
export const REPORTERS: Record<string, Reporter> = {
  stylish: stylishReport,
  json: jsonReport,
  prometheus: prometheusReport,
  nagios: nagiosReport,
  junit: junitReport,
  sarif: sarifReport,
  github: githubReport,
  html: htmlReport,
};

/**
 * Formats that can be written in pieces (the same text as their reporter's): a report of every
 * result of a large swarm is not held whole in memory.
 */
export const CHUNKED: Partial<Record<string, (r: Parameters<Reporter>[0]) => Iterable<string>>> = {
  json: jsonReportChunks,
};
