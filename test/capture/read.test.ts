import { mkdtempSync, mkdirSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../../src/capture/read.js';
import { UsageError } from '../../src/util/errors.js';
import { fixture } from '../helpers/fixtures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'md-capture-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readCapture', () => {
  it('reads the seed capture: meta, cluster files and one entry per node folder', () => {
    const c = readCapture(fixture('seed-cluster'));
    expect(c.meta?.capturedAt).toBe('2025-01-15T09:30:00Z');
    expect([...c.cluster.keys()].sort()).toEqual(['node-ls.txt', 'nodes.json', 'services.json', 'tasks.json']);
    expect(c.nodes.map((n) => n.name)).toEqual(['228', '234', '253']);
    expect(c.nodes[2].files.has('ingress_sbox/ipvs.txt')).toBe(true);
  });

  it('stops with a one-line UsageError for a missing folder, a file, or a folder that is no capture', () => {
    expect(() => readCapture(join(dir, 'nope'))).toThrow(new UsageError(`capture folder not found: ${join(dir, 'nope')}`));
    writeFileSync(join(dir, 'f'), 'x');
    expect(() => readCapture(join(dir, 'f'))).toThrow(/not a folder/);
    expect(() => readCapture(dir)).toThrow(/is not a mesh-doctor capture/);
  });

  it('refuses a capture.json of another format or version', () => {
    writeFileSync(join(dir, 'capture.json'), '{"format":"mesh-doctor-capture","version":2}');
    expect(() => readCapture(dir)).toThrow(/version 2 is not supported/);
    writeFileSync(join(dir, 'capture.json'), '{not json');
    expect(() => readCapture(dir)).toThrow(/capture.json: not valid JSON/);
  });

  it('reads errors.json apart from the files, and reports a broken one', () => {
    mkdirSync(join(dir, 'nodes/a'), { recursive: true });
    writeFileSync(join(dir, 'nodes/a/errors.json'), '[{"file":"ingress_sbox/ipvs.txt","command":"cat /proc/net/ip_vs","error":"No such file or directory"}]');
    mkdirSync(join(dir, 'nodes/b'), { recursive: true });
    writeFileSync(join(dir, 'nodes/b/errors.json'), '{broken');
    const c = readCapture(dir);
    expect(c.nodes[0].errors).toEqual([{ file: 'ingress_sbox/ipvs.txt', command: 'cat /proc/net/ip_vs', error: 'No such file or directory' }]);
    expect(c.nodes[0].files.has('errors.json')).toBe(false);
    expect(c.nodes[1].diagnostics[0]).toMatchObject({ file: 'nodes/b/errors.json', severity: 'error' });
  });

  it('reports an unreadable file as a diagnostic and reads the rest', () => {
    if (process.getuid?.() === 0) return; // root reads everything: nothing to prove here
    mkdirSync(join(dir, 'nodes/a/host'), { recursive: true });
    writeFileSync(join(dir, 'nodes/a/host/sysctl.txt'), 'x = 1\n');
    writeFileSync(join(dir, 'nodes/a/info.json'), '{}');
    chmodSync(join(dir, 'nodes/a/host/sysctl.txt'), 0);
    const c = readCapture(dir);
    expect(c.nodes[0].diagnostics[0]).toMatchObject({ file: 'nodes/a/host/sysctl.txt', severity: 'error' });
    expect(c.nodes[0].files.has('info.json')).toBe(true);
  });
});
