import { fileText, HOST_COMMANDS, inNetns, isNetworkId, netnsDir, OVERLAY_COMMANDS, overlayNetnsName, overlayNetnsPath, redactUrlCredentials } from '../../src/collect/commands.js';
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
