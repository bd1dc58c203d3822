#!/usr/bin/env node
import { readFileSync } from 'node:fs';

// @oclif/core, when imported, checks that Node satisfies its own engines (>=18) and loads semver to do
// so: about 25 ms of every run. Ours (package.json) is stricter and is checked here, without semver.
const engine = /^>=(\d+)\.(\d+)$/.exec(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines?.node ?? '');
const [major, minor] = process.versions.node.split('.').map(Number);
if (engine && (major < Number(engine[1]) || (major === Number(engine[1]) && minor < Number(engine[2])))) {
  process.emitWarning(`mesh-doctor needs Node ${engine[0]}; this is Node ${process.versions.node}`);
}
const ownWarning = process.env.OCLIF_DISABLE_ENGINE_WARNING;
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';
const { Config, flush, handle, run } = await import('@oclif/core');
// Not handed on to the commands mesh-doctor runs.
if (ownWarning === undefined) delete process.env.OCLIF_DISABLE_ENGINE_WARNING;

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

// oclif's own way (execute) prints a parse error over several lines and the whole usage after it.
// A wrong command line is one line here, `mesh-doctor: error: ... (see: mesh-doctor check --help)`,
// and exit 2, for every command.
const argv = process.argv.slice(2);
const config = await Config.load(import.meta.url);
try {
  await run(argv, config);
  await flush();
} catch (e) {
  const { commandLineError, reportUsageError } = await import('../dist/util/errors.js');
  const line = commandLineError(e, commandOf(argv));
  if (line === undefined) await handle(e);
  else reportUsageError(line);
}

/** The command a command line names (`rules show`), from its leading words; '' for none. */
function commandOf(args) {
  const words = [];
  for (const a of args) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  for (let n = words.length; n > 0; n--) {
    const id = words.slice(0, n).join(':');
    if (config.findCommand(id)) return words.slice(0, n).join(' ');
  }
  return '';
}
