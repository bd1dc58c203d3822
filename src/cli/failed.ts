import { FORMAT_HOOKS } from '../report/hooks.js';
import { UsageError } from '../util/errors.js';
import { outputTargets, writeFileAtomic, type OutputTarget } from './outputs.js';

/** The error as the one line on stderr says it (src/util/errors.ts reportError). */
export function failureMessage(e: unknown): string {
  if (e instanceof UsageError) return e.message;
  const err = e as Error & { oclif?: unknown };
  // oclif's own errors (a flag it could not parse) are the user's, not internal.
  if (err?.oclif) return err.message;
  return `internal error: ${err?.message ?? String(e)} (run with DEBUG=* for the stack)`;
}

/**
 * A `check` that could not check (what is exit 2): the formats that report that (FORMAT_HOOKS
 * `failed`: nagios says UNKNOWN, prometheus writes mesh_doctor_check_completed 0) write their report
 * of it where theirs was to go: to its file (with `files`: false once the check ran, its files being
 * written or failed already) or to stdout. Returns the exit code the format on stdout gives such a
 * run (nagios: 3), if it gives one. A file that cannot be written here is left as it was: the error
 * that stopped the run is the one to report.
 */
export function writeFailureReports(argv: string[], e: unknown, o: { startedAt: number; files: boolean }): number | undefined {
  let targets: OutputTarget[];
  try {
    targets = outputTargets(argv, 'stylish');
  } catch {
    return undefined; // which report goes where is itself the error
  }
  const message = failureMessage(e);
  const at = new Date();
  const durationMs = performance.now() - o.startedAt;
  let code: number | undefined;
  for (const t of targets) {
    const failed = FORMAT_HOOKS[t.format]?.failed?.(message, at, durationMs);
    if (!failed) continue;
    if (t.file === undefined) {
      process.stdout.write(failed.text);
      code = failed.exitCode;
    } else if (o.files) {
      try {
        writeFileAtomic(t.file, failed.text);
      } catch {
        // left as it was
      }
    }
  }
  return code;
}
