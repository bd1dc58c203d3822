/** A spinner on stderr when it is a terminal and the output is for a person; otherwise nothing. */
export interface Progress {
  update(text: string): void;
  stop(): void;
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
