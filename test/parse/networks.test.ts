import { parseNetworkList } from '../../src/parse/networks.js';

const net = (name: string, options: Record<string, unknown> | null, extra: Record<string, unknown> = {}) => ({
  Name: name, Id: `id-${name}`, Driver: 'overlay', Scope: 'swarm', Ingress: name === 'ingress',
  IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1' }] }, Options: options, ...extra,
});

describe('cluster/networks.json', () => {
  it('reads the options the data path depends on, with each network\'s line', () => {
    const text = JSON.stringify([net('ingress', { 'com.docker.network.driver.overlay.vxlanid_list': '4096' }), net('secure', { encrypted: '', 'com.docker.network.driver.mtu': '1400' })], null, 2);
    const p = parseNetworkList(text, 'cluster/networks.json');
    expect(p.diagnostics).toEqual([]);
    expect(p.data.map((n) => [n.name, n.encrypted, n.mtu, n.subnets])).toEqual([['ingress', false, 0, ['10.0.0.0/24']], ['secure', true, 1400, ['10.0.0.0/24']]]);
    expect(p.data[0].line).toBe(2);
    expect(p.data[1].line).toBeGreaterThan(p.data[0].line);
  });

  it('takes encrypted=false as off and null options as none', () => {
    const p = parseNetworkList(JSON.stringify([net('a', { encrypted: 'false' }), net('b', null)]), 'f');
    expect(p.data.map((n) => n.encrypted)).toEqual([false, false]);
  });

  it('reports a bad MTU, a non-string option and a non-network entry with file and line, never throwing', () => {
    const text = JSON.stringify([net('a', { 'com.docker.network.driver.mtu': 'big', x: 5 }), { foo: 1 }], null, 2);
    const p = parseNetworkList(text, 'cluster/networks.json');
    const errors = p.diagnostics.filter((d) => d.severity === 'error');
    const text2 = errors.map((d) => d.message).join('\n');
    for (const re of [/mtu is "big"/, /Options.x is number, expected a string/, /no 'Name' or 'Id'/]) expect(text2).toMatch(re);
    expect(errors.every((d) => d.file === 'cluster/networks.json' && d.line > 0)).toBe(true);
    for (const bad of ['', 'null', '{', '[1, 2]', '"x"']) expect(() => parseNetworkList(bad, 'f')).not.toThrow();
  });
});
