import { cutIpvsConn, emptyMatch, fileText, HOST_COMMANDS, IPVS_CONN_COMMAND, IPVS_CONN_MAX, ipvsConnCutLine, SBOX_COMMANDS, inNetns, isNetworkId, netnsDir, OVERLAY_COMMANDS, overlayNetnsName, overlayNetnsPath, redactUrlCredentials } from '../../src/collect/commands.js';
import { isReadOnly } from '../../src/collect/run.js';

const ID = 'n3dex97iv1gs5ugdluoc34dxi';

describe("the ingress network's overlay namespace", () => {
  it('is named as libnetwork names it: <epoch>- and the id, cut to 12 characters', () => {
    expect(overlayNetnsName(['ingress_sbox', '1-n3dex97iv1', 'c0ffee123456'], ID)).toBe('1-n3dex97iv1');
    expect(overlayNetnsPath('/run/docker/', ID)).toBe('/run/docker/netns/1-n3dex97iv1');
    expect(netnsDir('/var/snap/docker/run/docker')).toBe('/var/snap/docker/run/docker/netns');
  });

  it('takes the highest epoch when the namespace was made again (10- keeps 9 characters of the id)', () => {
    expect(overlayNetnsName(['1-n3dex97iv1', '2-n3dex97iv1'], ID)).toBe('2-n3dex97iv1');
    expect(overlayNetnsName(['9-n3dex97iv1', '10-n3dex97iv', '2-n3dex97iv1'], ID)).toBe('10-n3dex97iv');
  });

  it("finds none for another network's namespace, a name that only starts like it, or no epoch", () => {
    expect(overlayNetnsName(['1-x3dex97iv1', '1-n3dex97iv', 'n3dex97iv1gs', '0-n3dex97iv1', '-n3dex97iv1g', '1-n3dex97iv1.bak'], ID)).toBeUndefined();
    expect(overlayNetnsName([], ID)).toBeUndefined();
  });

  it('is read with read-only commands only: ip -j neigh and bridge -j fdb show, inside it', () => {
    expect(OVERLAY_COMMANDS.map((c) => [c.file, c.argv.join(' ')])).toEqual([
      ['ingress_overlay/neigh.json', 'ip -j neigh'],
      ['ingress_overlay/fdb.json', 'bridge -j fdb show'],
    ]);
    for (const c of OVERLAY_COMMANDS.map((x) => inNetns(overlayNetnsPath('/run/docker', ID), x))) expect(isReadOnly(c.argv[0], c.argv.slice(1))).toBe(true);
  });

  it('takes only a plain network id into a path or the probe script', () => {
    expect(isNetworkId(ID)).toBe(true);
    for (const bad of ['', '../../etc', 'abc def', "a'b", 'a*', `${ID};reboot`]) expect(isNetworkId(bad)).toBe(false);
  });
});

describe('the network managers (network-manager-leaves-docker)', () => {
  it('are read on the host by both collectors with read-only commands of the allowlist', () => {
    const nm = HOST_COMMANDS.filter((c) => c.file === 'host/nmcli.txt' || c.file === 'host/networkctl.txt');
    expect(nm.map((c) => c.argv)).toEqual([
      ['nmcli', '-t', '-f', 'DEVICE,TYPE,STATE,CONNECTION', 'device'],
      ['networkctl', 'list', '--no-pager', '--no-legend'],
    ]);
    for (const c of nm) expect(isReadOnly(c.argv[0], c.argv.slice(1))).toBe(true);
  });
});

describe("a URL's credentials in a file the capture keeps (daemon.json)", () => {
  it('replaces user and password with <redacted>, and nothing else, line for line', () => {
    const text = '{\n "proxies": {"http-proxy": "http://u:p@proxy:3128", "https-proxy": "https://token@proxy", "no-proxy": "*.corp"},\n "registry-mirrors": ["https://mirror.corp", "socks5://a%40b:c@s:1080/x"],\n "hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"], "note": "mail me@corp"\n}\n';
    expect(redactUrlCredentials(text)).toBe('{\n "proxies": {"http-proxy": "http://<redacted>@proxy:3128", "https-proxy": "https://<redacted>@proxy", "no-proxy": "*.corp"},\n "registry-mirrors": ["https://mirror.corp", "socks5://<redacted>@s:1080/x"],\n "hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"], "note": "mail me@corp"\n}\n');
    expect(fileText(HOST_COMMANDS.find((c) => c.file === 'host/daemon.json')!, 'http://u:p@h')).toBe('http://<redacted>@h');
    expect(fileText(HOST_COMMANDS.find((c) => c.file === 'host/iptables.txt')!, 'http://u:p@h')).toBe('http://u:p@h');
  });
});

describe("IPVS's connection table (ingress_sbox/ipvs-conn.txt)", () => {
  const line = (i: number) => `UDP C0A80001 ${(40000 + i).toString(16).toUpperCase()} C0A80002 0202 0A000058 0202 UDP             297`;
  it('is read in the sbox by one grep of the allowlist: the UDP lines, one more than it keeps', () => {
    expect(SBOX_COMMANDS).toContain(IPVS_CONN_COMMAND);
    expect(IPVS_CONN_COMMAND.argv).toEqual(['grep', '-m', String(IPVS_CONN_MAX + 1), '^UDP', '/proc/net/ip_vs_conn']);
    expect(isReadOnly(IPVS_CONN_COMMAND.argv[0], IPVS_CONN_COMMAND.argv.slice(1))).toBe(true);
  });

  it('keeps at most IPVS_CONN_MAX lines, and says so in a last line when grep found more', () => {
    const all = (n: number) => Array.from({ length: n }, (_, i) => line(i)).join('\n') + '\n';
    expect(cutIpvsConn(all(3))).toBe(all(3));
    expect(cutIpvsConn(all(IPVS_CONN_MAX))).toBe(all(IPVS_CONN_MAX));
    const cut = cutIpvsConn(all(IPVS_CONN_MAX + 1)).split('\n');
    expect(cut).toHaveLength(IPVS_CONN_MAX + 2);
    expect(cut[IPVS_CONN_MAX - 1]).toBe(line(IPVS_CONN_MAX - 1));
    expect(cut[IPVS_CONN_MAX]).toBe(ipvsConnCutLine());
    expect(ipvsConnCutLine()).toBe(`# cut at ${IPVS_CONN_MAX} UDP entries: ingress_sbox has more; the first ${IPVS_CONN_MAX} in the kernel's order are kept`);
    // What the collectors write: the same, through fileText; no UDP entry is an empty file.
    expect(fileText(IPVS_CONN_COMMAND, all(IPVS_CONN_MAX + 1))).toBe(cut.join('\n'));
    expect(cutIpvsConn('')).toBe('');
    expect(cutIpvsConn(`${line(1)}\n${line(2)}`)).toBe(`${line(1)}\n${line(2)}\n`);
    expect(cutIpvsConn(all(4), 2)).toBe(`${line(0)}\n${line(1)}\n${ipvsConnCutLine(2)}\n`);
  });

  it("takes grep's exit 1 with nothing printed as an empty table, and nothing else", () => {
    expect(emptyMatch(IPVS_CONN_COMMAND, 1, '', '')).toBe(true);
    expect(emptyMatch(IPVS_CONN_COMMAND, 1, '', '\n')).toBe(true);
    // grep's error (no /proc/net/ip_vs_conn without IPVS in the kernel), or any other command's exit 1.
    expect(emptyMatch(IPVS_CONN_COMMAND, 2, '', 'grep: /proc/net/ip_vs_conn: No such file or directory')).toBe(false);
    expect(emptyMatch(IPVS_CONN_COMMAND, 1, '', 'grep: /proc/net/ip_vs_conn: Permission denied')).toBe(false);
    expect(emptyMatch(IPVS_CONN_COMMAND, 1, 'x', '')).toBe(false);
    expect(emptyMatch(HOST_COMMANDS.find((c) => c.file === 'host/daemon.json')!, 1, '', '')).toBe(false);
  });
});
