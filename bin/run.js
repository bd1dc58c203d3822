#!/usr/bin/env node
import { execute } from '@oclif/core';

// A closed pipe (`mesh-doctor check | head`) ends the run quietly, with the exit code the run had
// come to; any other failure to write (a full disk, >/dev/full) is one line on stderr and exit 2.
// (@oclif/core, when imported, adds a listener that rethrows all but EPIPE: a stack trace. It goes.)
process.stdout.removeAllListeners('error');
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  try {
    process.stderr.write(`mesh-doctor: error: cannot write the output: ${e.code ?? e.message}\n`);
  } catch {
    // stderr is gone too: the exit code says it
  }
  process.exit(2);
});
process.stderr.on('error', (e) => process.exit(e.code === 'EPIPE' ? (process.exitCode ?? 0) : 2));

await execute({ dir: import.meta.url });
