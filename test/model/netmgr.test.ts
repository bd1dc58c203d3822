import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../../src/capture/read.js';
import { buildSnapshot, type NodeModel } from '../../src/model/build.js';
import { toJson } from '../../src/model/classes.js';
import { isDockerInterface } from '../../src/model/host.js';
import { fixture, snapshotOf } from '../helpers/fixtures.js';

const node = (fx: string, name: string) => snapshotOf(fx).nodes.find((n) => n.name === name)! as NodeModel & Record<string, unknown>;
const devices = (n: NodeModel, field: string) => (toJson(n[field]) as { manager: string; ifname: string; state: string; managed: boolean; at: string }[]).map((d) => `${d.manager} ${d.ifname} ${d.state} ${d.managed} ${d.at}`);

describe("Docker's interfaces as the network managers list them", () => {
  it.each([
    ['docker0', true],
    ['docker_gwbridge', true],
    ['veth2d74e02', true],
    ['br-6829e80f8c88', true],
    ['vx-001000-jytwr', true],
    ['ov-001000-jytwr', true],
    ['br0', false],
    ['br-lan', false],
    ['eth0', false],
    ['docker1', false],
    ['virbr0', false],
  ])('%s is one of Docker\'s: %j', (ifname, docker) => {
    expect(isDockerInterface(ifname)).toBe(docker);
  });

  it('lists those nmcli shows, with state, file and line; managed are the ones NetworkManager holds (not connected (externally))', () => {
    const n = node('broken-host-netmgr-nm', '234');
    expect(devices(n, 'netmgrDockerDevices')).toEqual([
      'NetworkManager docker_gwbridge connected true nodes/234/host/nmcli.txt:2',
      'NetworkManager docker0 connected (externally) false nodes/234/host/nmcli.txt:3',
      'NetworkManager vethcb80f06 connected (externally) false nodes/234/host/nmcli.txt:4',
      'NetworkManager veth2d74e02 connecting (getting IP configuration) true nodes/234/host/nmcli.txt:5',
    ]);
    expect(devices(n, 'netmgrManaged')).toEqual([
      'NetworkManager docker_gwbridge connected true nodes/234/host/nmcli.txt:2',
      'NetworkManager veth2d74e02 connecting (getting IP configuration) true nodes/234/host/nmcli.txt:5',
    ]);
    expect(n.nmcliRunning).toBe(true);
    expect(n.networkdRunning).toBe(false); // networkctl: command not found (errors.json)
    expect(n.inputs.get('host.networkctl')).toMatchObject({ status: 'uncaptured', error: 'networkctl: command not found' });
  });

  it("lists those networkctl shows; with systemd-networkd not running nothing is managed", () => {
    expect(devices(node('broken-host-netmgr-networkd', '253'), 'netmgrManaged')).toEqual([
      'systemd-networkd docker0 configured true nodes/253/host/networkctl.txt:3',
      'systemd-networkd docker_gwbridge configuring true nodes/253/host/networkctl.txt:4',
      'systemd-networkd veth5d497dc configured true nodes/253/host/networkctl.txt:5',
    ]);
    const off = node('ok-host-netmgr-unmanaged', '234');
    expect(off.networkdRunning).toBe(false);
    expect(devices(off, 'netmgrManaged')).toEqual([]);
    expect(devices(off, 'netmgrDockerDevices')).toEqual([
      'systemd-networkd docker0 unmanaged false nodes/234/host/networkctl.txt:6',
      'systemd-networkd docker_gwbridge unmanaged false nodes/234/host/networkctl.txt:7',
    ]);
  });

  it('has none, and neither manager running, on a capture without the files (the seed)', () => {
    const n = node('seed-cluster', '228');
    expect(devices(n, 'netmgrDockerDevices')).toEqual([]);
    expect([n.nmcliRunning, n.networkdRunning]).toEqual([false, false]);
    expect(n.inputs.get('host.nmcli')).toMatchObject({ status: 'missing', file: 'nodes/228/host/nmcli.txt' });
  });

  it('makes an unreadable nmcli.txt an invalid input naming the file and line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-netmgr-'));
    try {
      cpSync(fixture('seed-cluster'), dir, { recursive: true });
      writeFileSync(join(dir, 'nodes/228/host/nmcli.txt'), 'docker0:bridge:unmanaged:\nthis is no nmcli line\n');
      const s = buildSnapshot(readCapture(dir));
      const n = s.nodes.find((x) => x.name === '228')!;
      expect(n.inputs.get('host.nmcli')).toMatchObject({ status: 'invalid', line: 2n });
      expect(n.inputs.get('host.nmcli')!.message).toMatch(/^nodes\/228\/host\/nmcli\.txt:2: not an 'nmcli -t device' line/);
      expect(s.diagnostics.some((d) => d.file === 'nodes/228/host/nmcli.txt' && d.line === 2)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
