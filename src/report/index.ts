import { jsonReport } from './json.js';
import { stylishReport } from './stylish.js';
import type { Reporter } from './types.js';

export const REPORTERS: Record<string, Reporter> = {
  stylish: stylishReport,
  json: jsonReport,
};
