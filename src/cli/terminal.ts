import { Flags } from '@oclif/core';
import { UsageError } from '../util/errors.js';

/** The width a report is wrapped to when nothing says otherwise (not a terminal, no COLUMNS). */
export const DEFAULT_WIDTH = 80;
/** Narrower than this, wrapping makes a report harder to read than long lines do. */
export const MIN_WIDTH = 40;

export const widthFlag = Flags.string({
  description: `wrap the report to N columns (0: do not wrap; default: $COLUMNS, else the terminal's width, else ${DEFAULT_WIDTH})`,
  helpValue: 'N',
});

interface Stream {
  isTTY?: boolean;
  columns?: number;
}

/**
 * Whether the report for a terminal is coloured. In order, the first that says: the --color or
 * --no-color flag; NO_COLOR set and not empty: no colour (https://no-color.org); FORCE_COLOR set and
 * not empty: colour, even into a pipe, unless it is '0' (https://force-color.org); else colour only
 * when stdout is a terminal.
 */
export function useColor(flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env, stdout: Stream = process.stdout): boolean {
  if (flag !== undefined) return flag;
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR) return env.FORCE_COLOR !== '0';
  return Boolean(stdout.isTTY);
}

/**
 * The width the terminal report is wrapped to: --width N (0: not wrapped), else COLUMNS when it is a
 * number (as Python's and coreutils' tools read it), else the terminal's width when stdout is one,
 * else 80. A COLUMNS or terminal narrower than MIN_WIDTH gets MIN_WIDTH.
 */
export function reportWidth(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, stdout: Stream = process.stdout): number {
  if (flag !== undefined) {
    const n = /^\d+$/.test(flag.trim()) ? Number(flag.trim()) : NaN;
    if (!(n === 0 || (n >= MIN_WIDTH && n <= 10000))) throw new UsageError(`--width: expected 0 (no wrapping) or a number of columns from ${MIN_WIDTH} to 10000, got '${flag}'`);
    return n;
  }
  const cols = env.COLUMNS?.trim();
  if (cols && /^\d+$/.test(cols) && Number(cols) > 0) return Math.max(MIN_WIDTH, Math.min(10000, Number(cols)));
  if (stdout.isTTY && stdout.columns && stdout.columns > 0) return Math.max(MIN_WIDTH, stdout.columns);
  return DEFAULT_WIDTH;
}
