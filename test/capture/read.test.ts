import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, writeFileSync, chmodSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCapture, readCapture } from '../../src/capture/read.js';
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

/** A capture of one node (a copy of the seed's node 253 and its cluster) in the test's folder. */
function seedCopy(): string {
  const c = join(dir, 'c');
  cpSync(fixture('seed-cluster'), c, { recursive: true });
  return c;
}

describe('openCapture: a node\'s files read when the snapshot gets to it', () => {
  it('names the nodes at once and reads each node only as readNodes is iterated, as readCapture reads it', () => {
    cpSync(fixture('seed-cluster'), dir, { recursive: true });
    const opened = openCapture(dir);
    expect(opened.nodeNames).toEqual(['228', '234', '253']);
    expect(opened.cluster).toEqual(readCapture(dir).cluster);
    const it = opened.readNodes()[Symbol.iterator]();
    expect(it.next().value?.files.get('ingress_sbox/ipvs.txt')).toBe(readCapture(dir).nodes[0].files.get('ingress_sbox/ipvs.txt'));
    // Changed after the folder was opened, before its node was read: read as it is now.
    writeFileSync(join(dir, 'nodes/234/ingress_sbox/ipvs.txt'), 'changed\n');
    expect(it.next().value?.files.get('ingress_sbox/ipvs.txt')).toBe('changed\n');
    const last = it.next().value!;
    expect(last).toEqual(readCapture(dir).nodes[2]);
    expect(it.next().done).toBe(true);
  });
});

describe('readCapture on hostile captures: reads stay inside the capture', () => {
  it('refuses a symbolic link to a file outside the capture, and never reads it', () => {
    const c = seedCopy();
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'root:$6$very-secret\n');
    rmSync(join(c, 'nodes/253/host/sysctl.txt'));
    symlinkSync(secret, join(c, 'nodes/253/host/sysctl.txt'));
    const n = readCapture(c).nodes.find((x) => x.name === '253')!;
    expect(n.files.has('host/sysctl.txt')).toBe(false);
    expect(n.refused.get('host/sysctl.txt')).toBe(`not read: a symbolic link to ${secret}, outside the capture`);
    expect(n.diagnostics).toContainEqual({ file: 'nodes/253/host/sysctl.txt', line: 0, severity: 'error', message: `not read: a symbolic link to ${secret}, outside the capture` });
    expect(JSON.stringify([...n.files.values()])).not.toContain('very-secret');
  });

  it('refuses a symlinked folder that leads outside (cluster/ -> /etc), naming it, and refuses its files', () => {
    const c = seedCopy();
    const outside = join(dir, 'etc');
    mkdirSync(outside);
    writeFileSync(join(outside, 'nodes.json'), '[]');
    rmSync(join(c, 'cluster'), { recursive: true });
    symlinkSync(outside, join(c, 'cluster'));
    const cap = readCapture(c);
    expect(cap.cluster.size).toBe(0);
    expect(cap.clusterRefused.get('nodes.json')).toMatch(/^not read: cluster\/ is a symbolic link to .*etc, outside the capture$/);
    expect(cap.diagnostics[0]).toMatchObject({ file: 'cluster/', severity: 'error' });
  });

  it('follows a symbolic link that stays inside the capture', () => {
    const c = seedCopy();
    rmSync(join(c, 'nodes/253/host/sysctl.txt'));
    writeFileSync(join(c, 'sysctl-shared.txt'), 'net.ipv4.ip_forward = 1\n');
    symlinkSync('../../../sysctl-shared.txt', join(c, 'nodes/253/host/sysctl.txt'));
    expect(readCapture(c).nodes.find((x) => x.name === '253')!.files.get('host/sysctl.txt')).toBe('net.ipv4.ip_forward = 1\n');
  });

  it('refuses a FIFO, a folder and /dev/zero where a file should be, without hanging', () => {
    const c = seedCopy();
    const host = join(c, 'nodes/253/host');
    rmSync(join(host, 'sysctl.txt'));
    execFileSync('mkfifo', [join(host, 'sysctl.txt')]);
    rmSync(join(host, 'iptables-nat.txt'));
    mkdirSync(join(host, 'iptables-nat.txt'));
    rmSync(join(c, 'nodes/253/ingress_sbox/ipvs.txt'));
    symlinkSync('/dev/zero', join(c, 'nodes/253/ingress_sbox/ipvs.txt'));
    const n = readCapture(c).nodes.find((x) => x.name === '253')!;
    expect(n.refused.get('host/sysctl.txt')).toBe('not read: a FIFO, not a regular file');
    expect(n.refused.get('host/iptables-nat.txt')).toBe('not read: a folder, not a regular file');
    expect(n.refused.get('ingress_sbox/ipvs.txt')).toBe('not read: a symbolic link to /dev/zero, outside the capture');
  });

  it('refuses a file over the size cap without reading it, and reads one at the cap', () => {
    const c = seedCopy();
    writeFileSync(join(c, 'nodes/253/host/sysctl.txt'), 'net.ipv4.ip_forward = 1\n'.padEnd(4096, '#'));
    expect(readCapture(c, { maxFileBytes: 4095 }).nodes.find((x) => x.name === '253')!.refused.get('host/sysctl.txt')).toBe(
      'not read: 4 KiB, more than the 4095 bytes a file may have (--max-file-size)',
    );
    expect(readCapture(c, { maxFileBytes: 4096 }).nodes.find((x) => x.name === '253')!.files.has('host/sysctl.txt')).toBe(true);
  });

  it('opens only the files the capture format names', () => {
    const c = seedCopy();
    execFileSync('mkfifo', [join(c, 'nodes/253/host/notes.txt')]);
    symlinkSync('/etc/passwd', join(c, 'nodes/253/passwd'));
    writeFileSync(join(c, 'nodes/253/ingress_sbox/extra.json'), '{}');
    const n = readCapture(c).nodes.find((x) => x.name === '253')!;
    expect([...n.files.keys()].filter((k) => /notes|passwd|extra/.test(k))).toEqual([]);
    expect(n.refused.size).toBe(0);
    expect(n.diagnostics).toEqual([]);
  });

  it("reads the ingress overlay namespace's neigh and fdb files, and nothing else there", () => {
    const c = seedCopy();
    mkdirSync(join(c, 'nodes/253/ingress_overlay'));
    writeFileSync(join(c, 'nodes/253/ingress_overlay/neigh.json'), '[]');
    writeFileSync(join(c, 'nodes/253/ingress_overlay/fdb.txt'), '');
    writeFileSync(join(c, 'nodes/253/ingress_overlay/links.json'), '[]');
    symlinkSync('/etc/shadow', join(c, 'nodes/253/ingress_overlay/shadow'));
    execFileSync('mkfifo', [join(c, 'nodes/253/ingress_overlay/fdb.log')]);
    const n = readCapture(c).nodes.find((x) => x.name === '253')!;
    expect([...n.files.keys()].filter((k) => k.startsWith('ingress_overlay/')).sort()).toEqual(['ingress_overlay/fdb.txt', 'ingress_overlay/neigh.json']);
    expect(n.refused.size).toBe(0);
    expect(n.diagnostics).toEqual([]);
  });

  it('refuses a symbolic link from the ingress overlay folder to outside the capture', () => {
    const c = seedCopy();
    mkdirSync(join(c, 'nodes/253/ingress_overlay'));
    symlinkSync('/etc/passwd', join(c, 'nodes/253/ingress_overlay/fdb.txt'));
    const n = readCapture(c).nodes.find((x) => x.name === '253')!;
    expect(n.files.has('ingress_overlay/fdb.txt')).toBe(false);
    expect(n.refused.get('ingress_overlay/fdb.txt')).toMatch(/^not read: a symbolic link to \/etc\/passwd, outside the capture$/);
  });

  it('reads UTF-16 (a Windows paste) and drops a UTF-8 byte-order mark, saying so with the file', () => {
    const c = seedCopy();
    const text = 'net.ipv4.ip_forward = 1\n';
    writeFileSync(join(c, 'nodes/253/host/sysctl.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    writeFileSync(join(c, 'nodes/234/host/sysctl.txt'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    writeFileSync(join(c, 'nodes/228/host/sysctl.txt'), Buffer.from(text, 'utf16le'));
    const cap = readCapture(c);
    for (const name of ['253', '234', '228']) expect(cap.nodes.find((x) => x.name === name)!.files.get('host/sysctl.txt')).toBe(text);
    expect(cap.nodes.find((x) => x.name === '253')!.diagnostics).toContainEqual({ file: 'nodes/253/host/sysctl.txt', line: 0, severity: 'warning', message: 'UTF-16LE text (a Windows paste?), read as such' });
    expect(cap.nodes.find((x) => x.name === '234')!.diagnostics[0]).toMatchObject({ file: 'nodes/234/host/sysctl.txt', severity: 'warning' });
  });

  it('stops with one line for a capture.json that is null, an array or a FIFO', () => {
    const c = seedCopy();
    writeFileSync(join(c, 'capture.json'), 'null');
    expect(() => readCapture(c)).toThrow(new UsageError(`${join(c, 'capture.json')}: expected an object {"format":"mesh-doctor-capture","version":1,...}, found null`));
    writeFileSync(join(c, 'capture.json'), '[1]');
    expect(() => readCapture(c)).toThrow(/found an array/);
    rmSync(join(c, 'capture.json'));
    execFileSync('mkfifo', [join(c, 'capture.json')]);
    expect(() => readCapture(c)).toThrow(/capture.json: not read: a FIFO, not a regular file/);
  });
});
