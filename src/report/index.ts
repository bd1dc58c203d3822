import { htmlReport } from './html.js';
import { jsonReport } from './json.js';
import { stylishReport } from './stylish.js';
import type { Reporter } from './types.js';

/** Every name of FORMATS (src/report/formats.ts) has its reporter here (a test holds them to that). */
export const REPORTERS: Record<string, Reporter> = {
  stylish: stylishReport,
  json: jsonReport,
  html: htmlReport,
};
