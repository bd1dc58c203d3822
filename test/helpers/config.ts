import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type MeshConfig } from '../../src/config/load.js';

/** A config (shown as config.yaml) accepting broken-dnat-target's one fail, on node 253, until 2026-12-31. */
export function acceptingConfig(reason = 'moving node 253 to the new subnet'): MeshConfig {
  const dir = mkdtempSync(join(tmpdir(), 'md-report-'));
  try {
    const p = join(dir, 'c.yaml');
    writeFileSync(p, `accepted:\n  - rule: dnat-target-is-sbox\n    node: 253\n    reason: ${JSON.stringify(reason)}\n    expires: 2026-12-31\n`);
    return loadConfig(p, 'config.yaml');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
