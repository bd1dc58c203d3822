import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isReadOnly, runReadOnly, RefusedCommand } from '../../src/collect/run.js';
import { MODULES_PATTERN } from '../../src/collect/commands.js';

const PAT = MODULES_PATTERN;

describe('the read-only command allowlist', () => {
  it.each([
    ['iptables-save', []],
    ['iptables-save', ['-t', 'nat']],
    ['iptables-legacy-save', []],
    ['ip', ['-j', 'addr']],
    ['ip', ['-j', 'neigh', 'show']],
    ['ip', ['-j', '-d', 'link', 'show', 'type', 'vxlan']],
    ['cat', ['/proc/net/ip_vs']],
    ['cat', ['/etc/docker/daemon.json']],
    ['grep', ['-r', '.', '/proc/sys/net/ipv4/vs']],
    ['nsenter', ['--net=/run/docker/netns/ingress_sbox', 'iptables-save']],
    ['nsenter', ['--net=/run/docker/netns/ingress_sbox', 'cat', '/proc/net/ip_vs']],
    ['ipvsadm', ['-l', '--timeout']],
    ['nsenter', ['--net=/run/docker/netns/ingress_sbox', 'ipvsadm', '-l', '--timeout']],
    ['bridge', ['-j', 'fdb', 'show']],
    ['bridge', ['-j', 'fdb', 'show', 'dev', 'vxlan0']],
    ['nsenter', ['--net=/run/docker/netns/1-n3dex97iv1', 'bridge', '-j', 'fdb', 'show']],
    ['nsenter', ['--net=/run/docker/netns/1-n3dex97iv1', 'ip', '-j', 'neigh']],
    ['nmcli', ['-t', '-f', 'DEVICE,TYPE,STATE,CONNECTION', 'device']],
    ['nmcli', ['-t', '-f', 'DEVICE,TYPE,STATE', 'device']],
    ['networkctl', ['list', '--no-pager', '--no-legend']],
    ['networkctl', ['list']],
    ['ethtool', ['-k', 'ens192']],
    ['ethtool', ['-i', 'eth0.100']],
    ['readlink', ['/sys/class/net/ens192/device/driver']],
    // IPVS's connection table: its UDP lines, at most 2001 (IPVS_CONN_COMMAND), also inside the sbox.
    ['grep', ['-m', '2001', '^UDP', '/proc/net/ip_vs_conn']],
    ['nsenter', ['--net=/run/docker/netns/ingress_sbox', 'grep', '-m', '2001', '^UDP', '/proc/net/ip_vs_conn']],
    // The kernel's modules: loaded, and the mesh's lines of one release's modules.builtin and modules.dep.
    ['cat', ['/proc/modules']],
    ['uname', ['-r']],
    ['grep', ['-E', PAT, '/lib/modules/6.1.0-13-amd64/modules.dep']],
    ['grep', ['-E', PAT, '/lib/modules/6.6.31+rpt-rpi-v8/modules.builtin']],
  ])('allows %s %j', (program, args) => {
    expect(isReadOnly(program, args as string[])).toBe(true);
  });

  it.each([
    ['iptables', ['-t', 'nat', '-F']],
    ['iptables-restore', []],
    ['iptables-save', ['-t', 'nat', '-F']],
    ['ip', ['neigh', 'flush', 'all']],
    ['ip', ['-j', 'addr', 'add', '10.0.0.1/24', 'dev', 'eth0']],
    ['ip', ['-j', 'link', 'set', 'eth0', 'down']],
    // Details (-d) change what is printed, not what is done: still a listing only.
    ['ip', ['-j', '-d', 'link', 'set', 'eth0', 'down']],
    ['ip', ['-j', '-d', 'link', 'add', 'vx0', 'type', 'vxlan', 'id', '1']],
    ['ip', ['-j', '-d', 'link', 'delete', 'vxlan.calico']],
    ['ip', ['-d', '-j', 'link', 'show']],
    ['ip', ['-j', '-d']],
    ['ip', ['-j', '-d', '-batch', '/tmp/x']],
    ['cat', ['/etc/shadow']],
    // dockerd's configuration file by that path only: not its folder, nor a path that leaves it.
    ['cat', ['/etc/docker/key.json']],
    ['cat', ['/etc/docker/daemon.json/../key.json']],
    ['cat', ['/etc/docker/daemon.json', '/etc/shadow']],
    ['cat', ['/etc/docker/daemon.json.bak']],
    ['grep', ['-r', '.', '/etc']],
    // Under /proc only as the path says: not one that climbs out of it, nor one with parts that hide where it goes.
    ['cat', ['/proc/../etc/shadow']],
    ['cat', ['/proc/net/../../etc/shadow']],
    ['cat', ['/proc/./../etc/shadow']],
    ['cat', ['/proc//../etc/shadow']],
    ['grep', ['-r', '.', '/proc/sys/../../etc']],
    ['nsenter', ['--net=/run/docker/netns/ingress_sbox', 'cat', '/proc/../root/.ssh/id_rsa']],
    ['sysctl', ['-w', 'net.ipv4.ip_forward=0']],
    ['ipvsadm', ['-C']],
    ['ipvsadm', ['--set', '7200', '120', '300']],
    ['ipvsadm', ['-l', '--timeout', '-C']],
    ['nsenter', ['--net=/run/docker/netns/ingress_sbox', 'iptables', '-F']],
    ['nsenter', ['--net=/x', 'nsenter', '--net=/y', 'iptables-save']],
    ['nsenter', ['--mount=/proc/1/ns/mnt', 'iptables-save']],
    ['sh', ['-c', 'iptables-save']],
    // bridge: listing the FDB only, never changing it (nor links, VLANs, MDB).
    ['bridge', ['fdb', 'show']],
    ['bridge', ['-j', 'fdb', 'add', '02:42:0a:00:00:62', 'dev', 'vxlan0', 'dst', '10.0.0.3', 'self', 'permanent']],
    ['bridge', ['-j', 'fdb', 'del', '02:42:0a:00:00:62', 'dev', 'vxlan0', 'dst', '10.0.0.3', 'self']],
    ['bridge', ['fdb', 'del', '02:42:0a:00:00:62', 'dev', 'vxlan0']],
    ['bridge', ['-j', 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vxlan0', 'dst', '10.0.0.3']],
    ['bridge', ['-j', 'fdb', 'replace', '02:42:0a:00:00:62', 'dev', 'vxlan0']],
    ['bridge', ['-j', 'fdb', 'flush', 'dev', 'vxlan0']],
    ['bridge', ['-j', 'fdb', 'show', 'dev', 'vxlan0', 'self']],
    ['bridge', ['-j', 'fdb', 'show', 'dev', 'vxlan0;reboot']],
    ['bridge', ['-j', 'fdb', 'show', 'br', 'br0']],
    ['bridge', ['-j', 'link', 'set', 'dev', 'veth0', 'learning', 'off']],
    ['bridge', ['-j', 'vlan', 'del', 'dev', 'veth0', 'vid', '1']],
    ['bridge', ['-batch', '/tmp/cmds']],
    ['nsenter', ['--net=/run/docker/netns/1-n3dex97iv1', 'bridge', 'fdb', 'del', '02:42:0a:00:00:62', 'dev', 'vxlan0']],
    // The network managers: listing only, never changing a device or a link.
    ['nmcli', ['device', 'set', 'docker0', 'managed', 'no']],
    ['nmcli', ['-t', '-f', 'DEVICE', 'device', 'disconnect', 'docker0']],
    ['nmcli', ['-t', '-f', 'DEVICE,TYPE', 'connection', 'delete', 'docker0']],
    ['nmcli', ['-t', '-f', 'DEVICE;reboot', 'device']],
    ['nmcli', ['general', 'reload']],
    ['networkctl', ['reload']],
    ['networkctl', ['down', 'docker0']],
    ['networkctl', ['list', 'reconfigure']],
    ['networkctl', ['reconfigure', 'docker0']],
    // ethtool: show features or the driver of one interface, never set (-K, -s, -A, -G ...) or flash.
    ['ethtool', ['-K', 'ens192', 'tx-checksum-ip-generic', 'off']],
    ['ethtool', ['-K', 'ens192']],
    ['ethtool', ['-r', 'ens192']],
    ['ethtool', ['-k', 'ens192', 'tx-checksum-ip-generic', 'off']],
    ['ethtool', ['-s', 'ens192', 'speed', '100']],
    ['ethtool', ['-f', 'ens192', 'fw.bin']],
    ['ethtool', ['-k']],
    ['ethtool', ['-k', '--help']],
    ['ethtool', ['-k', 'ens192;reboot']],
    ['ethtool', ['-k', 'a-name-longer-than-15']],
    ['readlink', ['-f', '/sys/class/net/ens192/device/driver']],
    ['readlink', ['/etc/shadow']],
    ['readlink', ['/sys/class/net/../../etc/device/driver']],
    ['readlink', ['/sys/class/net/../device/driver']],
    // Only the driver link of one interface: not another link of its folder, nor a path of that depth elsewhere.
    ['readlink', ['/proc/self/root/etc']],
    ['readlink', ['/sys/class/net/ens192/device']],
    ['readlink', ['/sys/class/net/ens192/device/driver/module']],
    ['readlink', ['/sys/class/net/ens192/master']],
    ['ethtool', ['-k', '..']],
    // grep of IPVS's connection table as the collectors run it, and nothing near it: not another file, pattern
    // (nor one read from a file, -f), bound or option, nor a second file, nor a path that climbs out of /proc.
    ['grep', ['-m', '2001', '^UDP', '/etc/shadow']],
    ['grep', ['-m', '2001', '^UDP', '/proc/net/ip_vs_conn', '/etc/shadow']],
    ['grep', ['-m', '2001', '^UDP', '/proc/net/../../etc/shadow']],
    ['grep', ['-m', '2001', '.', '/proc/net/ip_vs_conn']],
    ['grep', ['-m', '2001', '-f', '/etc/shadow', '/proc/net/ip_vs_conn']],
    ['grep', ['-m', '99999999', '^UDP', '/proc/net/ip_vs_conn']],
    ['grep', ['-r', '^UDP', '/proc/net/ip_vs_conn']],
    ['grep', ['^UDP', '/proc/net/ip_vs_conn']],
    ['grep', ['-m', '2001', '^UDP']],
    ['nsenter', ['--net=/run/docker/netns/ingress_sbox', 'grep', '-m', '2001', '^UDP', '/root/.ssh/id_rsa']],
    // The modules folder: that pattern only, modules.builtin or modules.dep of one release, by a plain path.
    ['grep', ['-E', '.', '/lib/modules/6.1.0-13-amd64/modules.dep']],
    ['grep', ['-E', PAT + '|root', '/lib/modules/6.1.0-13-amd64/modules.dep']],
    ['grep', ['-E', PAT, '/etc/shadow']],
    ['grep', ['-E', PAT, '/lib/modules/../../etc/modules.dep']],
    ['grep', ['-E', PAT, '/lib/modules/./modules.dep']],
    ['grep', ['-E', PAT, '/lib/modules/../modules.dep']],
    ['grep', ['-E', PAT, '/lib/modules//modules.dep']],
    ['grep', ['-E', PAT, '/lib/modules/6.1.0-13-amd64/../../../etc/shadow']],
    ['grep', ['-E', PAT, '/lib/modules/6.1.0-13-amd64/kernel/modules.dep']],
    ['grep', ['-E', PAT, '/lib/modules/6.1.0-13-amd64/modules.dep.bin']],
    ['grep', ['-E', PAT, '/lib/modules/6.1.0;reboot/modules.dep']],
    ['grep', ['-E', PAT, '/lib/modules/6.1.0-13-amd64/modules.dep', '/etc/shadow']],
    ['grep', ['-rE', PAT, '/lib/modules/6.1.0-13-amd64/modules.dep']],
    ['grep', ['-E', PAT, '-f', '/lib/modules/6.1.0-13-amd64/modules.dep']],
    ['grep', ['-r', '.', '/lib/modules/6.1.0-13-amd64/modules.dep']],
    // uname: the release only.
    ['uname', []],
    ['uname', ['-a']],
    ['uname', ['-r', '-n']],
    ['uname', ['--help']],
  ])('refuses %s %j, before running anything', async (program, args) => {
    expect(isReadOnly(program, args as string[])).toBe(false);
    await expect(runReadOnly(program, args as string[], 1000)).rejects.toBeInstanceOf(RefusedCommand);
  });
});

describe('running a command', () => {
  let bin: string;
  const savedPath = process.env.PATH;
  beforeAll(() => {
    bin = mkdtempSync(join(tmpdir(), 'md-bin-'));
    const stub = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    stub('iptables-save', 'if [ "$1" = "-t" ]; then exec sleep 30; fi; echo "*nat"; echo COMMIT');
    stub('iptables-legacy-save', 'echo "iptables-legacy-save: permission denied (you must be root)" >&2; exit 4');
    process.env.PATH = `${bin}:${savedPath}`;
  });
  afterAll(() => {
    process.env.PATH = savedPath;
    rmSync(bin, { recursive: true, force: true });
  });

  it('returns the output of a command that works', async () => {
    const r = await runReadOnly('iptables-save', [], 5000);
    expect(r).toMatchObject({ ok: true, stdout: '*nat\nCOMMIT\n', error: '' });
  });

  it('cuts off a command that hangs, and says so', async () => {
    const t = Date.now();
    const r = await runReadOnly('iptables-save', ['-t', 'nat'], 300);
    expect(Date.now() - t).toBeLessThan(5000);
    expect(r).toMatchObject({ ok: false, timedOut: true, error: 'timed out after 0.3s and was stopped' });
  });

  it('stops a command when its caller no longer wants it, and says so', async () => {
    const stop = new AbortController();
    const t = Date.now();
    const running = runReadOnly('iptables-save', ['-t', 'nat'], 25_000, undefined, stop.signal);
    setTimeout(() => stop.abort(), 200);
    const r = await running;
    expect(Date.now() - t).toBeLessThan(10_000);
    expect(r).toMatchObject({ ok: false, timedOut: false, missing: false, error: 'stopped: it was no longer wanted' });
  });

  it('reports the last stderr line of a failing command', async () => {
    const r = await runReadOnly('iptables-legacy-save', [], 5000);
    expect(r).toMatchObject({ ok: false, missing: false, error: 'iptables-legacy-save: permission denied (you must be root)' });
  });

  it('tells a missing program apart', async () => {
    const r = await runReadOnly('ip', ['-j', 'addr'], 5000, bin); // only the stub folder: no `ip` there
    expect(r).toMatchObject({ ok: false, missing: true, error: 'ip: command not found' });
  });
});
