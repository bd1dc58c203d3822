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
  if (process.env.DEBUG) throw e;
  reportUsageError(`internal error: ${(e as Error).message} (run with DEBUG=* for the stack)`);
}

