import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../../src/capture/read.js';
import { buildSnapshot, type NodeModel } from '../../src/model/build.js';
import { toJson } from '../../src/model/classes.js';
import { ethtoolInterfaces, hostVxlanDevices, hostVxlanLinks, isDockerDevice, vnisOf } from '../../src/model/host.js';
import { parseEthtool } from '../../src/parse/ethtool.js';
import { parseAddr, parseVxlanLinks } from '../../src/parse/net.js';
import type { SwarmNetwork } from '../../src/parse/networks.js';
import { fixture, snapshotOf } from '../helpers/fixtures.js';

type Vx = { ifname: string; vni: bigint; networkPrefix: string; state: string; hostMode: string; file: string; line: bigint };

const ipAddr = (names: string[]) =>
  names.map((n, i) => `${i + 1}: ${n}: <BROADCAST,MULTICAST> mtu 1450 qdisc noop state DOWN group default qlen 1000\n    link/ether 02:42:00:00:00:0${i} brd ff:ff:ff:ff:ff:ff\n`).join('');

describe("libnetwork's VXLAN devices in the host's namespace", () => {
  it('lists each vx-<VNI>-<network id> device with its VNI, network id prefix, state, file and line', () => {
    const addr = parseAddr(ipAddr(['lo', 'eth0', 'vx-001fff-q7k2m', 'docker_gwbridge']), 'nodes/n2/host/addr.txt').data;
    expect(hostVxlanDevices(addr, 'nodes/n2/host/addr.txt') as Vx[]).toEqual([
      expect.objectContaining({ ifname: 'vx-001fff-q7k2m', vni: 8191n, networkPrefix: 'q7k2m', state: 'DOWN', hostMode: '', file: 'nodes/n2/host/addr.txt', line: 5n }),
    ]);
  });

  it('names the host-mode bridge beside a device of the same VNI and network (the driver in host mode), and only that one', () => {
    const addr = parseAddr(ipAddr(['ov-001000-n3dex', 'vx-001000-n3dex', 'vx-001001-abcde', 'ov-001002-abcde']), 'addr.txt').data;
    expect((hostVxlanDevices(addr, 'addr.txt') as Vx[]).map((d) => [d.ifname, d.vni, d.hostMode])).toEqual([
      ['vx-001000-n3dex', 4096n, 'ov-001000-n3dex'],
      ['vx-001001-abcde', 4097n, ''],
    ]);
  });

  it('leaves out what libnetwork does not name so: other VXLAN devices, Docker bridges and veths, names that only look alike', () => {
    const names = ['vxlan0', 'flannel.1', 'vx-1fff-q7k2m', 'vx-00zzzz-q7k2m', 'vx-001fff-Q7K2M', 'vx-001fff-q7k2m0', 'vx-001fff-', 'xvx-001fff-q7k2m', 'veth12ab', 'br-0123456789ab', 'docker0'];
    expect(hostVxlanDevices(parseAddr(ipAddr(names), 'addr.txt').data, 'addr.txt')).toEqual([]);
    expect(hostVxlanDevices(undefined, 'addr.txt')).toEqual([]);
  });

  it('reads the same from ip -j addr, with no line', () => {
    const addr = parseAddr(JSON.stringify([{ ifname: 'vx-000101-x9' , mtu: 1450, operstate: 'UNKNOWN', addr_info: [] }]), 'addr.json').data;
    expect(hostVxlanDevices(addr, 'addr.json')).toEqual([expect.objectContaining({ ifname: 'vx-000101-x9', vni: 257n, networkPrefix: 'x9', line: 0n })]);
  });
});

describe("the host's VXLAN devices with their ports (host/vxlan.*)", () => {
  it("marks libnetwork's own (vx-<VNI>-<id>) and no other, each with VNI, port, device and file:line", () => {
    const text = [
      '7: vxlan.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000',
      '    vxlan id 4096 dev eth0 srcport 0 0 dstport 4789 ttl auto ageing 300',
      '8: vx-001001-abcde: <BROADCAST,MULTICAST> mtu 1450 qdisc noop state DOWN mode DEFAULT group default qlen 1000',
      '    vxlan id 4097 srcport 0 0 dstport 4789 proxy l2miss l3miss ttl auto ageing 300',
      '9: vx-1001-abcde: <BROADCAST,MULTICAST> mtu 1450 qdisc noop state DOWN mode DEFAULT group default qlen 1000',
      '    vxlan id 4098 srcport 0 0 dstport 4789',
    ].join('\n');
    const links = hostVxlanLinks(parseVxlanLinks(text, 'nodes/n2/host/vxlan.txt').data.links, 'nodes/n2/host/vxlan.txt') as { ifname: string; vni: bigint; port: bigint; dev: string; docker: boolean; at: string }[];
    expect(links.map((l) => [l.ifname, l.vni, l.port, l.dev, l.docker, l.at])).toEqual([
      ['vxlan.calico', 4096n, 4789n, 'eth0', false, 'nodes/n2/host/vxlan.txt:1'],
      ['vx-001001-abcde', 4097n, 4789n, '', true, 'nodes/n2/host/vxlan.txt:3'],
      ['vx-1001-abcde', 4098n, 4789n, '', false, 'nodes/n2/host/vxlan.txt:5'],
    ]);
    expect(hostVxlanLinks(undefined, 'x')).toEqual([]);
  });
});

describe("an overlay's VXLAN ids", () => {
  const net = (list?: string) => ({ options: new Map(list === undefined ? [] : [['com.docker.network.driver.overlay.vxlanid_list', list]]) }) as unknown as SwarmNetwork;
  it('reads vxlanid_list, one id per subnet, and nothing when it is absent or not numbers', () => {
    expect(vnisOf(net('4096'))).toEqual([4096n]);
    expect(vnisOf(net('4097, 4098'))).toEqual([4097n, 4098n]);
    expect(vnisOf(net())).toEqual([]);
    expect(vnisOf(net('x,-1,,123456789'))).toEqual([]);
  });
});

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
    expect(isDockerDevice(ifname)).toBe(docker);
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

describe('the node model: ethtoolInterfaces (host/ethtool.txt)', () => {
  it('holds each NIC by name with its driver and features, lines as BigInt and file:line', () => {
    const file = 'nodes/n1/host/ethtool.txt';
    const m = ethtoolInterfaces(parseEthtool('# interface ens192 driver vmxnet3\nFeatures for ens192:\n\ttx-checksum-ip-generic: off [requested on]\n', file).data, file);
    const ens = m.get('ens192') as { ifname: string; driver: string; driverAt: string; line: bigint; at: string; features: Map<string, Record<string, unknown>> };
    expect(ens).toMatchObject({ ifname: 'ens192', driver: 'vmxnet3', driverAt: `${file}:1`, file, line: 1n, at: `${file}:1` });
    expect({ ...ens.features.get('tx-checksum-ip-generic') }).toEqual({ name: 'tx-checksum-ip-generic', on: false, fixed: false, requested: 'on', text: 'tx-checksum-ip-generic: off [requested on]', file, line: 3n, at: `${file}:3` });
    expect(ethtoolInterfaces(undefined, file).size).toBe(0);
  });

  it('is built from a capture: the input host.ethtool present where the file is, missing where not', () => {
    const s = snapshotOf('broken-host-vxlan-csum-offload');
    const n228 = s.nodes.find((n) => n.name === '228')!;
    expect(n228.inputs.get('host.ethtool')).toMatchObject({ status: 'present', file: 'nodes/228/host/ethtool.txt', format: 'ethtool' });
    expect(n228.nodeAddrInterface).toBe('ens192');
    const ens = (n228.ethtoolInterfaces as Map<string, { driver: string; features: Map<string, { on: boolean; at: string }> }>).get('ens192')!;
    expect(ens.driver).toBe('vmxnet3');
    expect(ens.features.get('tx-checksum-ip-generic')).toMatchObject({ on: true, at: 'nodes/228/host/ethtool.txt:6' });
    const n234 = s.nodes.find((n) => n.name === '234')!;
    expect(n234.inputs.get('host.ethtool')).toMatchObject({ status: 'missing' });
    expect((n234.ethtoolInterfaces as Map<string, unknown>).size).toBe(0);
    // The hand-pasted file (ethtool -i, then ethtool -k, with prompts) gives the same model.
    const pasted = snapshotOf('ok-host-vxlan-csum-offload-off').nodes.find((n) => n.name === '234')!;
    expect((pasted.ethtoolInterfaces as Map<string, { driver: string }>).get('ens192')!.driver).toBe('vmxnet3');
  });
});
