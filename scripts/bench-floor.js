#!/usr/bin/env node
// The floor of a check, for scripts/bench.js: read every file of a capture folder and parse every
// JSON document (JSON.parse) and every text file into lines, and nothing more. No check can take
// less; how far `mesh-doctor check` is above it is what the tool itself costs.
// Usage: node scripts/bench-floor.js CAPTURE
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let files = 0;
let lines = 0;
function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.isFile()) {
      const text = readFileSync(p, 'utf8');
      files++;
      if (e.name.endsWith('.json')) JSON.parse(text);
      else lines += text.split('\n').length;
    }
  }
}
walk(process.argv[2]);
if (process.env.MD_FLOOR_VERBOSE) console.log(`${files} files, ${lines} lines`);
