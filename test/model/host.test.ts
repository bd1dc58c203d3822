import { hostVxlanDevices, vnisOf } from '../../src/model/host.js';
import { parseAddr } from '../../src/parse/net.js';
import type { SwarmNetwork } from '../../src/parse/networks.js';

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

describe("an overlay's VXLAN ids", () => {
  const net = (list?: string) => ({ options: new Map(list === undefined ? [] : [['com.docker.network.driver.overlay.vxlanid_list', list]]) }) as unknown as SwarmNetwork;
  it('reads vxlanid_list, one id per subnet, and nothing when it is absent or not numbers', () => {
    expect(vnisOf(net('4096'))).toEqual([4096n]);
    expect(vnisOf(net('4097, 4098'))).toEqual([4097n, 4098n]);
    expect(vnisOf(net())).toEqual([]);
    expect(vnisOf(net('x,-1,,123456789'))).toEqual([]);
  });
});
