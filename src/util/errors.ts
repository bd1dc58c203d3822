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


/** What an error thrown by oclif's command-line parser carries (@oclif/core's parser/errors). */
interface OclifError {
  message?: string;
  flags?: string[];
  args?: (string | { name?: string })[];
  parse?: { input?: { context?: { id?: string } } };
  oclif?: unknown;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * An error of oclif's parser (unknown flag, missing value, a value not among the options, a missing
 * or unexpected argument, flags that exclude each other) or an unknown command, as the one line a
 * person reads: what is wrong, and where to look (`see: mesh-doctor check --help`). Undefined for
 * any other error. `command` is the command's words (`rules show`), empty for none.
 */
export function commandLineError(e: unknown, command: string): string | undefined {
  const err = e as OclifError;
  if (!err || typeof err !== 'object' || typeof err.message !== 'string' || !('oclif' in err)) return undefined;
  const see = `(see: mesh-doctor ${command ? command + ' ' : ''}--help)`;
  const text = err.message.replace(ANSI, '').replace(/\nSee more help with --help$/, '');
  const name = (e as Error).constructor?.name;
  const quote = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');
  let what: string | undefined;
  let m: RegExpExecArray | null;
  if (name === 'NonExistentFlagsError' && err.flags?.length) what = `unknown flag${err.flags.length === 1 ? '' : 's'} ${err.flags.join(', ')}`;
  else if (name === 'UnexpectedArgsError' && err.args?.length) what = `unexpected argument${err.args.length === 1 ? '' : 's'} ${quote(err.args.map(String))}`;
  else if (name === 'RequiredArgsError' && err.args?.length) what = `missing argument${err.args.length === 1 ? '' : 's'} ${err.args.map((a) => (typeof a === 'string' ? a : a.name ?? '?').toUpperCase()).join(', ')}`;
  else if ((m = /^Expected --([\w-]+)=([\s\S]*) to be one of: (.*)$/.exec(text))) what = `--${m[1]}: expected one of ${m[3]}, got '${m[2]}'`;
  else if ((m = /^Expected ([\s\S]*) to be one of: (.*)$/.exec(text))) what = `expected one of ${m[2]}, got '${m[1]}'`;
  else if ((m = /^Flag --([\w-]+) expects one of these values: (.*)$/.exec(text))) what = `--${m[1]}: needs a value, one of ${m[2]}`;
  else if ((m = /^Flag --([\w-]+) expects a value$/.exec(text))) what = `--${m[1]}: needs a value`;
  else if ((m = /^command (\S+) not found$/.exec(text))) return `unknown command '${m[1].replace(/:/g, ' ')}' (see: mesh-doctor --help)`;
  else if ((m = /^The following errors? occurred:\n([\s\S]*)$/.exec(text))) what = m[1]
      .split('\n')
      .map((l) => l.trim().replace(/^--([\w-]+)=\S* cannot also be provided when using --([\w-]+)$/, '--$1 and --$2 cannot be used together'))
      .filter(Boolean)
      .join('; ');
  else what = text.split('\n')[0];
  return `${what} ${see}`;
}
