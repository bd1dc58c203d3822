import { progress, spinnerWanted } from '../../src/collect/progress.js';

describe('spinnerWanted: when check shows a spinner while it captures', () => {
  it('only for the terminal report going to a terminal', () => {
    expect(spinnerWanted('stylish', { isTTY: true })).toBe(true);
  });

  it('not when stdout is a file, a pipe or a pager (cron, | less), nor for a format a program reads', () => {
    expect(spinnerWanted('stylish', { isTTY: false })).toBe(false);
    expect(spinnerWanted('stylish', {})).toBe(false);
    for (const f of ['json', 'nagios', 'prometheus']) expect(spinnerWanted(f, { isTTY: true })).toBe(false);
    // Every report goes to a file: nothing on stdout for a person.
    expect(spinnerWanted(undefined, { isTTY: true })).toBe(false);
  });
});

describe('progress', () => {
  const stderr = process.stderr as NodeJS.WriteStream & { isTTY?: boolean };
  let writes: string[];
  let saved: { write: typeof stderr.write; isTTY: boolean | undefined; columns: number; ci: string | undefined };
  beforeEach(() => {
    writes = [];
    saved = { write: stderr.write, isTTY: stderr.isTTY, columns: stderr.columns, ci: process.env.CI };
    stderr.write = ((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    }) as typeof stderr.write;
  });
  afterEach(() => {
    stderr.write = saved.write;
    stderr.isTTY = saved.isTTY as boolean;
    stderr.columns = saved.columns;
    if (saved.ci === undefined) delete process.env.CI;
    else process.env.CI = saved.ci;
  });

  const run = async (enabled: boolean) => {
    const p = await progress(enabled, 'capturing');
    p.update('still capturing');
    p.stop();
  };

  it('draws nothing when not enabled, even on a terminal', async () => {
    stderr.isTTY = true;
    stderr.columns = 80;
    delete process.env.CI;
    await run(false);
    expect(writes).toEqual([]);
  });

  it('draws nothing when stderr is not a terminal, has no width, or CI is set', async () => {
    delete process.env.CI;
    stderr.isTTY = false;
    stderr.columns = 80;
    await run(true);
    stderr.isTTY = true;
    stderr.columns = 0;
    await run(true);
    stderr.columns = 80;
    process.env.CI = 'true';
    await run(true);
    expect(writes).toEqual([]);
  });

  it('draws on a terminal when enabled (so the tests above can fail), and never touches stdin', async () => {
    delete process.env.CI;
    const term = process.env.TERM;
    process.env.TERM = 'xterm';
    stderr.isTTY = true;
    stderr.columns = 80;
    // What ora calls on a terminal stream (jest's stderr is a pipe): cursor moves, as text.
    const tty = stderr as unknown as Record<string, unknown>;
    const added = ['cursorTo', 'clearLine', 'moveCursor'].filter((m) => typeof tty[m] !== 'function');
    for (const m of added) tty[m] = () => true;
    const rawBefore = process.stdin.isRaw;
    try {
      await run(true);
    } finally {
      for (const m of added) delete tty[m];
      if (term === undefined) delete process.env.TERM;
      else process.env.TERM = term;
    }
    expect(writes.join('')).toContain('capturing');
    expect(process.stdin.isRaw).toBe(rawBefore);
  });
});
