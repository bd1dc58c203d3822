import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../src/capture/read.js';
import { buildSnapshot } from '../src/model/build.js';
import { toJson } from '../src/model/classes.js';
import { loadSnapshot, selectNodes } from '../src/snapshot.js';
import { UsageError } from '../src/util/errors.js';
import { fixture } from './helpers/fixtures.js';

describe('loading a capture folder (check and trace)', () => {
  it('reads and models every node of the folder, and gives the capture\'s own record of when and where', () => {
    const { meta, snapshot } = loadSnapshot(fixture('seed-cluster'));
    expect(snapshot.nodes.map((n) => n.name)).toEqual(['228', '234', '253']);
    expect(meta?.capturedAt).toBe('2025-01-15T09:30:00Z');
    expect(meta?.source).toMatch(/^hand-assembled: node 253/);
  });

  it('models node by node the same snapshot as a capture read whole', () => {
    const { snapshot } = loadSnapshot(fixture('broken-backend-arp'));
    const whole = buildSnapshot(readCapture(fixture('broken-backend-arp')));
    expect(toJson({ nodes: snapshot.nodes, cluster: snapshot.cluster })).toEqual(toJson({ nodes: whole.nodes, cluster: whole.cluster }));
    expect(snapshot.diagnostics).toEqual(whole.diagnostics);
  });

  it('refuses a folder without a node, naming it (or the live capture it stands for)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-snap-'));
    try {
      mkdirSync(join(dir, 'cluster'));
      writeFileSync(join(dir, 'capture.json'), JSON.stringify({ format: 'mesh-doctor-capture', version: 1 }));
      expect(() => loadSnapshot(dir)).toThrow(UsageError);
      expect(() => loadSnapshot(dir)).toThrow(`${dir}: the capture has no node (no folder under nodes/): nothing to check`);
      expect(() => loadSnapshot(dir, { sourceLabel: 'this node (live)' })).toThrow('this node (live): the capture has no node');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--node', () => {
  it('keeps the nodes named, once each', () => {
    expect([...selectNodes(['253', '228', '253'], ['228', '234', '253'])]).toEqual(['253', '228']);
  });

  it('stops at a name the capture does not have, listing those it has (the first 30 of many)', () => {
    expect(() => selectNodes(['nope'], ['a', 'b'])).toThrow("--node: the capture has no node 'nope' (its nodes: a, b)");
    const many = Array.from({ length: 40 }, (_, i) => `n${i}`);
    expect(() => selectNodes(['x'], many)).toThrow(`(its nodes: ${many.slice(0, 30).join(', ')}, ... (40 in all))`);
  });
});
