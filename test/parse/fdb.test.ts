import { parseFdb } from '../../src/parse/fdb.js';

/** Rows as `bridge fdb show` printed them in a namespace set up as libnetwork's overlay one (iproute2 6.1). */
const TEXT = [
  '33:33:00:00:00:01 dev br0 self permanent',
  '16:f3:89:09:1f:2e dev vxlan0 master br0 permanent',
  '02:42:0a:00:00:04 dev veth0 master br0 ',
  '02:42:0A:00:00:05 dev vxlan0 dst 192.168.1.12 self permanent',
  '',
].join('\n');
/** The same rows as `bridge -j fdb show` printed them. */
const JSON_ROWS = [
  { mac: '33:33:00:00:00:01', ifname: 'br0', flags: ['self'], state: 'permanent' },
  { mac: '16:f3:89:09:1f:2e', ifname: 'vxlan0', flags: [], master: 'br0', state: 'permanent' },
  { mac: '02:42:0a:00:00:04', ifname: 'veth0', flags: [], master: 'br0' },
  { mac: '02:42:0a:00:00:05', ifname: 'vxlan0', dst: '192.168.1.12', flags: ['self'], state: 'permanent' },
];
const view = (e: { mac: string; device: string; dst: string; master: string; flags: string[]; state: string }) => [e.mac, e.device, e.dst, e.master, e.flags.join(','), e.state];
const EXPECTED = [
  ['33:33:00:00:00:01', 'br0', '', '', 'self', 'permanent'],
  ['16:f3:89:09:1f:2e', 'vxlan0', '', 'br0', '', 'permanent'],
  ['02:42:0a:00:00:04', 'veth0', '', 'br0', '', ''],
  ['02:42:0a:00:00:05', 'vxlan0', '192.168.1.12', '', 'self', 'permanent'],
];

describe('parseFdb', () => {
  it('reads `bridge fdb show`: device, dst, master, flags, state and the line; MACs lowercase', () => {
    const p = parseFdb(TEXT, 'fdb.txt');
    expect(p.format).toBe('bridge-fdb');
    expect(p.diagnostics).toEqual([]);
    expect(p.data.entries.map(view)).toEqual(EXPECTED);
    expect(p.data.entries.map((e) => e.line)).toEqual([1, 2, 3, 4]);
  });

  it('reads `bridge -j fdb show` as one line (what the collectors write): the same rows, each on line 1', () => {
    const p = parseFdb(JSON.stringify(JSON_ROWS) + '\n', 'fdb.json');
    expect(p.format).toBe('bridge-j-fdb');
    expect(p.diagnostics).toEqual([]);
    expect(p.data.entries.map(view)).toEqual(EXPECTED);
    expect(p.data.entries.map((e) => e.line)).toEqual([1, 1, 1, 1]);
  });

  it('gives each row of pretty-printed JSON (`bridge -j -p`) the line where its object starts', () => {
    const text = JSON.stringify(JSON_ROWS, null, 4);
    const starts = text.split('\n').flatMap((l, i) => (l === '    {' ? [i + 1] : []));
    const p = parseFdb(text, 'fdb.json');
    expect(p.data.entries.map((e) => e.line)).toEqual(starts);
    expect(starts).toHaveLength(4);
  });

  it('reads a listing of one device (`bridge fdb show dev vxlan0` prints no dev): device empty', () => {
    const text = '16:f3:89:09:1f:2e master br0 permanent\n02:42:0a:00:00:05 dst 192.168.1.12 self permanent\n';
    expect(parseFdb(text, 'fdb.txt').data.entries.map(view)).toEqual([
      ['16:f3:89:09:1f:2e', '', '', 'br0', '', 'permanent'],
      ['02:42:0a:00:00:05', '', '192.168.1.12', '', 'self', 'permanent'],
    ]);
    const json = '[{"mac":"02:42:0a:00:00:05","dst":"192.168.1.12","flags":["self"],"state":"permanent"}]';
    expect(parseFdb(json, 'fdb.json').data.entries.map(view)).toEqual([['02:42:0a:00:00:05', '', '192.168.1.12', '', 'self', 'permanent']]);
  });

  it('tells the master flag from a master device, and reads vlan, port and vni', () => {
    const p = parseFdb('aa:bb:cc:dd:ee:ff dev vxlan0 dst 10.1.1.1 port 4789 vni 4096 vlan 10 self master\n', 'fdb.txt');
    expect(p.diagnostics).toEqual([]);
    expect(p.data.entries[0]).toMatchObject({ dst: '10.1.1.1', vlan: 10, master: '', flags: ['self', 'master'] });
  });

  it('drops a pasted shell prompt first', () => {
    const p = parseFdb('[root@node2 ~]# bridge fdb show\n02:42:0a:00:00:05 dev vxlan0 dst 192.168.1.12 self permanent\n', 'fdb.txt');
    expect(p.diagnostics).toEqual([]);
    expect(p.data.entries.map((e) => [e.mac, e.line])).toEqual([['02:42:0a:00:00:05', 2]]);
  });

  it('an empty listing is no rows; an empty .json file is an error (`bridge -j` prints at least [])', () => {
    expect(parseFdb('', 'fdb.txt')).toMatchObject({ data: { entries: [] }, diagnostics: [] });
    expect(parseFdb('[]\n', 'fdb.json')).toMatchObject({ data: { entries: [] }, diagnostics: [] });
    expect(parseFdb('', 'fdb.json').diagnostics).toEqual([expect.objectContaining({ file: 'fdb.json', severity: 'error', message: 'empty file: expected JSON' })]);
  });
});
