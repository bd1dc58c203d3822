import type { CollectFlags } from './collect.js';

/**
 * A live capture for a command that reads a capture folder (check, trace): this node, the whole
 * swarm (--swarm) or the engines given (--host), into a new temporary folder, with a spinner on a
 * terminal. Returns the folder; the caller removes it when done (and it is removed here if the
 * capture fails).
 */
export async function captureLive(flags: CollectFlags, toTerminal: string | undefined, warn: (w: string) => void): Promise<string> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { progress, spinnerWanted } = await import('../collect/progress.js');
  const { collect } = await import('./collect.js');
  const remote = flags.swarm || Boolean(flags.host?.length);
  const dir = mkdtempSync(join(tmpdir(), 'mesh-doctor-live-'));
  const spin = await progress(spinnerWanted(toTerminal, process.stdout), remote ? 'probing' : 'capturing this node');
  try {
    const r = await collect(flags, dir, (s) => spin.update(s));
    if (r.warning) warn(r.warning);
    return dir;
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  } finally {
    spin.stop();
  }
}

/** What a report names as the source of a live capture. */
export function liveLabel(flags: CollectFlags): string {
  return flags.swarm ? 'live: the whole swarm' : flags.host?.length ? `live: ${flags.host.join(', ')}` : 'live';
}
