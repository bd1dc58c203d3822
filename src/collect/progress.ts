/** A spinner on stderr when it is a terminal and the output is for a person; otherwise nothing. */
export interface Progress {
  update(text: string): void;
  stop(): void;
}

/**
 * Whether `check` shows a spinner while it captures: only when the report on stdout is the terminal
 * report and stdout is a terminal. Not for a file, a pipe or a pager (the spinner, on stderr, would
 * draw over `| less`), not in cron, not for a format a program reads (json, nagios, prometheus).
 */
export function spinnerWanted(stdoutFormat: string | undefined, stdout: { isTTY?: boolean }): boolean {
  return stdoutFormat === 'stylish' && stdout.isTTY === true;
}

export async function progress(enabled: boolean, first: string): Promise<Progress> {
  // Only on a terminal with a known width: on a 0-column pty ora clears lines without end.
  if (!enabled || !process.stderr.isTTY || !(process.stderr.columns > 0) || process.env.CI) return { update() {}, stop() {} };
  const { default: ora } = await import('ora');
  // discardStdin would put stdin in raw mode and read it: under a pty with no input that spins and
  // keeps the process alive. mesh-doctor never reads stdin.
  const spinner = ora({ text: first, stream: process.stderr, discardStdin: false }).start();
  return {
    update: (text) => {
      spinner.text = text;
    },
    stop: () => spinner.stop(),
  };
}
