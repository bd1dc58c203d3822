import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../../src/capture/read.js';
import { buildSnapshot } from '../../src/model/build.js';
import { loadRules } from '../../src/rules/loader.js';
import { evaluate } from '../../src/rules/evaluate.js';
import { fixture } from '../helpers/fixtures.js';

/*
 * vxlan-checksum-offload-safe on variants of broken-host-vxlan-csum-offload (node 228: ens192,
 * vmxnet3, tx-checksum-ip-generic on, port 4789): one thing changed at a time.
 */
const rule = loadRules().filter((r) => r.spec.id === 'vxlan-checksum-offload-safe');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'md-csum-'));
  cpSync(fixture('broken-host-vxlan-csum-offload'), dir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ETHTOOL = 'nodes/228/host/ethtool.txt';
const edit = (file: string, fn: (t: string) => string) => writeFileSync(join(dir, file), fn(readFileSync(join(dir, file), 'utf8')));
const on228 = () => evaluate(rule, buildSnapshot(readCapture(dir))).find((r) => r.node === '228')!;

describe('vxlan-checksum-offload-safe', () => {
  it('fails as captured: vmxnet3, on, port 4789', () => {
    expect(on228()).toMatchObject({ status: 'fail', evidence: { driver: 'vmxnet3', dataPathPort: 4789 } });
  });

  it('passes with the offload off, also off [fixed] and off [requested on]', () => {
    for (const v of ['off', 'off [fixed]', 'off [requested on]']) {
      edit(ETHTOOL, (t) => t.replace(/tx-checksum-ip-generic: .*/, `tx-checksum-ip-generic: ${v}`));
      expect(on228()).toMatchObject({ status: 'pass', message: `ens192 (vmxnet3) has \`tx-checksum-ip-generic: ${v}\`: the kernel computes VXLAN's UDP checksums itself` });
    }
  });

  it('fails on [fixed] too, and then does not tell the user to run ethtool -K', () => {
    edit(ETHTOOL, (t) => t.replace('tx-checksum-ip-generic: on', 'tx-checksum-ip-generic: on [fixed]'));
    const r = on228();
    expect(r).toMatchObject({ status: 'fail', evidence: { fixed: true } });
    expect(r.remediation).toMatch(/`\[fixed\]` there \(ethtool cannot change it\)/);
    expect(r.remediation).not.toContain('ethtool -K');
  });

  it('passes for another driver, the bug being vmxnet3\'s', () => {
    edit(ETHTOOL, (t) => t.replace('driver vmxnet3', 'driver virtio_net'));
    expect(on228()).toMatchObject({ status: 'pass', message: "ens192 is a virtio_net NIC, not vmxnet3: the known VXLAN checksum offload bug is vmxnet3's (tx-checksum-ip-generic: on)" });
  });

  it('passes on another data-path port, naming it', () => {
    edit('nodes/228/info.json', (t) => t.replace('"DataPathPort": 4789', '"DataPathPort": 4790'));
    expect(on228()).toMatchObject({ status: 'pass', message: expect.stringContaining("the swarm's data-path port is 4790, not 4789") });
  });

  it('reads only the underlay: another NIC with the offload on does not fail', () => {
    edit(ETHTOOL, (t) => t.replace('# interface ens192', '# interface ens224 driver vmxnet3\nFeatures for ens224:\ntx-checksum-ip-generic: on\n# interface ens192').replace(/tx-checksum-ip-generic: on\n(\ttx-checksum-ipv6)/, 'tx-checksum-ip-generic: off\n$1'));
    expect(on228()).toMatchObject({ status: 'pass', subject: 'underlay ens192', message: expect.stringContaining('ens192 (vmxnet3) has `tx-checksum-ip-generic: off`') });
  });

  it('skips, saying why, where the underlay has no entry, no driver, or no tx-checksum-ip-generic line', () => {
    edit(ETHTOOL, (t) => t.replace(/ens192/g, 'ens224'));
    expect(on228()).toMatchObject({ status: 'skip', message: 'the underlay ens192 (192.168.100.228) has no entry in nodes/228/host/ethtool.txt (it lists ens224)' });
    edit(ETHTOOL, (t) => t.replace(/ens224/g, 'ens192').replace('# interface ens192 driver vmxnet3\n', ''));
    expect(on228()).toMatchObject({ status: 'skip', message: expect.stringMatching(/^nodes\/228\/host\/ethtool.txt does not say ens192's driver: add `ethtool -i ens192`/) });
    writeFileSync(join(dir, ETHTOOL), '# interface ens192 driver vmxnet3\nFeatures for ens192:\nrx-checksumming: on\n');
    expect(on228()).toMatchObject({ status: 'skip', message: expect.stringMatching(/^ens192 \(vmxnet3\) has no tx-checksum-ip-generic line/) });
  });

  it('skips as not captured where errors.json says ethtool was missing', () => {
    rmSync(join(dir, ETHTOOL));
    writeFileSync(join(dir, 'nodes/228/errors.json'), JSON.stringify([{ file: 'host/ethtool.txt', command: 'ethtool -k <IF>', error: 'ethtool: command not found on the node' }]));
    expect(on228()).toMatchObject({ status: 'skip', message: 'nodes/228/host/ethtool.txt was not captured (ethtool -k <IF>: ethtool: command not found on the node)' });
  });

  it('is an error naming file and line for a line it cannot read', () => {
    edit(ETHTOOL, (t) => t.replace('scatter-gather: on\n', 'scatter-gather: on\nSegmentation fault\n'));
    expect(on228()).toMatchObject({ status: 'error', message: expect.stringMatching(/^cannot check: nodes\/228\/host\/ethtool.txt:11: not a line of 'ethtool -k'/) });
  });
});
