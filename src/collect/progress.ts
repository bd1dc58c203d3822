/** A spinner on stderr when it is a terminal and the output is for a person; otherwise nothing. */
export interface Progress {
  update(text: string): void;
  stop(): void;
}

export async function progress(enabled: boolean, first: string): Promise<Progress> {
  if (!enabled || !process.stderr.isTTY || process.env.CI) return { update() {}, stop() {} };
  const { default: ora } = await import('ora');
  const spinner = ora({ text: first, stream: process.stderr }).start();
  return {
    update: (text) => {
      spinner.text = text;
    },
    stop: () => spinner.stop(),
  };
}
