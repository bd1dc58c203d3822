import { githubReport } from './github.js';
import { htmlReport } from './html.js';
import { jsonReport } from './json.js';
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
