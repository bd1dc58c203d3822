import { moduleName, parseModuleFiles, parseProcModules } from '../../src/parse/modules.js';

/** The head of the `lsmod` posted in moby/libnetwork#2227 (a Rock64 node, kernel 4.4.126-rockchip-ayufan-239). */
const LSMOD_2227 = `Module                  Size  Used by
ip_vs_rr               16384  2
xt_ipvs                16384  2
ip_vs                 110592  5 ip_vs_rr,xt_ipvs
xt_REDIRECT            16384  1
nf_nat_redirect        16384  1 xt_REDIRECT
xt_nat                 16384  13
`;

describe('parseProcModules', () => {
  it('reads /proc/modules: the name of each module loaded, and its line', () => {
    const r = parseProcModules('ip_vs_rr 16384 2 - Live 0x0000000000000000\nip_vs 177152 6 ip_vs_rr,xt_ipvs, Live 0x0000000000000000\nnvidia 35237888 65 nvidia_modeset,nvidia_uvm, Live 0x0000000000000000 (POE)\n', 'nodes/n1/host/modules.txt');
    expect(r.diagnostics).toEqual([]);
    expect(r.format).toBe('proc-modules');
    expect([...r.data.modules.values()]).toEqual([
      { name: 'ip_vs_rr', path: '', line: 1 },
      { name: 'ip_vs', path: '', line: 2 },
      { name: 'nvidia', path: '', line: 3 },
    ]);
  });

  it("reads a pasted lsmod, its header and prompt too (moby/libnetwork#2227's)", () => {
    const r = parseProcModules(`[root@rock64 ~]# lsmod\n${LSMOD_2227}`, 'f');
    expect(r.diagnostics).toEqual([]);
    expect(r.format).toBe('lsmod');
    expect([...r.data.modules.keys()]).toEqual(['ip_vs_rr', 'xt_ipvs', 'ip_vs', 'xt_REDIRECT', 'nf_nat_redirect', 'xt_nat']);
    expect(r.data.modules.get('ip_vs')?.line).toBe(5); // the prompt is line 1, the header 2
  });

  it('takes an empty file as no module loaded, and CRLF as LF', () => {
    expect(parseProcModules('', 'f').data.modules.size).toBe(0);
    expect(parseProcModules('veth 16384 0 - Live 0xffffffffc0a1b000\r\nvxlan 73728 0 - Live 0xffffffffc09f0000\r\n', 'f').data.modules.has('vxlan')).toBe(true);
  });

  it('names the line of anything else, and never throws', () => {
    const r = parseProcModules('ip_vs 177152 6 ip_vs_rr, Live 0x0\nthis is not lsmod\nip_vs\n\u0000\u0001garbage 1 2\n', 'nodes/n1/host/modules.txt');
    expect(r.diagnostics.map((d) => [d.line, d.severity])).toEqual([
      [2, 'error'],
      [3, 'error'],
      [4, 'error'],
    ]);
    expect(r.diagnostics[0].message).toBe("not a line of /proc/modules ('ip_vs 177152 6 ip_vs_rr,xt_ipvs, Live 0x0000000000000000') or lsmod ('ip_vs  177152  6 ip_vs_rr,xt_ipvs'): 'this is not lsmod'");
    expect([...r.data.modules.keys()]).toEqual(['ip_vs']);
  });
});

describe('parseModuleFiles', () => {
  it("reads modules.dep lines as the collectors keep them: each module's own path, not those it needs", () => {
    const r = parseModuleFiles(
      [
        'kernel/net/netfilter/ipvs/ip_vs.ko.zst: kernel/net/netfilter/nf_conntrack.ko.zst kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko.zst',
        'kernel/net/netfilter/ipvs/ip_vs_rr.ko.zst: kernel/net/netfilter/ipvs/ip_vs.ko.zst',
        'kernel/net/netfilter/xt_REDIRECT.ko:',
        'kernel/drivers/net/vxlan/vxlan.ko.xz: kernel/net/ipv4/udp_tunnel.ko.xz kernel/net/ipv6/ip6_udp_tunnel.ko.xz',
        '',
      ].join('\n'),
      'nodes/n1/host/modules-dep.txt',
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.format).toBe('modules.dep');
    expect([...r.data.modules.values()]).toEqual([
      { name: 'ip_vs', path: 'kernel/net/netfilter/ipvs/ip_vs.ko.zst', line: 1 },
      { name: 'ip_vs_rr', path: 'kernel/net/netfilter/ipvs/ip_vs_rr.ko.zst', line: 2 },
      { name: 'xt_REDIRECT', path: 'kernel/net/netfilter/xt_REDIRECT.ko', line: 3 },
      { name: 'vxlan', path: 'kernel/drivers/net/vxlan/vxlan.ko.xz', line: 4 },
    ]);
  });

  it('reads modules.builtin lines, a file name with - as the kernel names it (_), and an empty file as none there', () => {
    const r = parseModuleFiles('kernel/net/bridge/bridge.ko\nkernel/net/bridge/br_netfilter.ko\nkernel/drivers/md/dm-mod.ko\n', 'f');
    expect(r.diagnostics).toEqual([]);
    expect(r.format).toBe('modules.builtin');
    expect([...r.data.modules.keys()]).toEqual(['bridge', 'br_netfilter', 'dm_mod']);
    expect(parseModuleFiles('', 'f')).toMatchObject({ data: { modules: new Map() }, diagnostics: [] });
    expect(moduleName('nf-nat')).toBe('nf_nat');
  });

  it('names the line of anything else (a path that is no module, grep -H output, text), and never throws', () => {
    const r = parseModuleFiles('kernel/net/bridge/bridge.ko\n/lib/modules/6.1.0/modules.dep:kernel/net/netfilter/xt_mark.ko:\nkernel/net/bridge\ngrep: /lib/modules/x/modules.dep: No such file or directory\n', 'nodes/n1/host/modules-dep.txt');
    expect(r.diagnostics.map((d) => d.line)).toEqual([2, 3, 4]);
    expect(r.diagnostics[1].message).toBe("not a line of modules.builtin ('kernel/net/bridge/br_netfilter.ko') or modules.dep ('kernel/net/netfilter/xt_ipvs.ko: kernel/net/netfilter/ipvs/ip_vs.ko'): 'kernel/net/bridge'");
    expect([...r.data.modules.keys()]).toEqual(['bridge']);
  });
});
