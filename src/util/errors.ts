import { safe } from './text.js';

/** An error that stops the run before anything is checked: one line for the person, exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Print an error as one line on stderr (no wrapping, no stack) and set exit code 2. */
export function reportUsageError(message: string): void {
  process.stderr.write(`mesh-doctor: error: ${safe(message.replace(/\s*\n\s*/g, ' '))}\n`);
  process.exitCode = 2;
}

/** How every command ends on an exception: a UsageError as itself, anything else as an internal error; exit 2. */
export function reportError(e: unknown): void {
  if (e instanceof UsageError) return reportUsageError(e.message);
  if (e instanceof OutputError) return;
  if (writeFailure(e)) return;
  if (process.env.DEBUG) throw e;
  reportUsageError(`internal error: ${(e as Error).message} (run with DEBUG=* for the stack)`);
}

/** A failure to write the output: a closed pipe ends the run quietly, anything else is one line and exit 2. */
function writeFailure(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException;
  if (err?.syscall !== 'write') return false;
  if (err.code === 'EPIPE') return true;
  reportUsageError(`cannot write the output: ${err.code ?? err.message}`);
  return true;
}

/** Write the report to stdout (a full disk or a closed pipe handled as writeFailure says). */
export function writeOut(text: string): void {
  try {
    process.stdout.write(text);
  } catch (e) {
    if (!writeFailure(e)) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw new OutputError();
  }
}

/** Thrown after a write failure was reported: the run stops, nothing more is said. */
export class OutputError extends Error {}
