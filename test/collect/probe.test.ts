import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { demuxLogs, ingressIdOf, parseProbeLog, probeCommands, probeInner, probeScript, runs, writeCluster, writeNode } from '../../src/collect/probe.js';
import { isReadOnly } from '../../src/collect/run.js';
import { grepToSysctl } from '../../src/collect/commands.js';
import { readCapture } from '../../src/capture/read.js';
import { buildSnapshot } from '../../src/model/build.js';
import { evaluate } from '../../src/rules/evaluate.js';
import { loadRules } from '../../src/rules/loader.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('the probe script', () => {
  it('runs only commands of the read-only allowlist', () => {
    for (const argv of probeCommands('/run/docker', '/var/run/docker.sock').flatMap(runs)) expect(isReadOnly(argv[0], argv.slice(1))).toBe(true);
  });

  it('is valid POSIX sh, and quotes every argument, also inside the chroot', () => {
    const script = probeScript("/run/it's", '/var/run/docker.sock');
    execFileSync('sh', ['-n', '-c', script]); // parse only
    const inner = probeInner("/run/it's", '/var/run/docker.sock');
    execFileSync('sh', ['-n', '-c', inner]);
    expect(inner).toContain(`'--net=/run/it'\\''s/netns/ingress_sbox'`);
    // The whole inner script is one argument of the node's sh, run once through chroot.
    expect(script.match(/chroot/g)).toHaveLength(1);
  });

  it("runs in the node's shell and carries every output, exit code and stderr intact to the capture", () => {
    // The node's programs, stood in for by scripts: a docker CLI that knows only the ingress
    // network, an nsenter that runs its command here, iptables and ip that print fixed text.
    const bin = mkdtempSync(join(tmpdir(), 'md-probe-bin-'));
    const stub = (name: string, body: string) => writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    stub('docker', [
      'case "$3" in',
      `  info) echo '{"Name":"node2","ServerVersion":"20.10.24"}' ;;`,
      `  network) echo '[{"Name":"ingress","Id":"abc"}]'; echo 'Error: No such network: docker_gwbridge' >&2; exit 1 ;;`,
      'esac',
    ].join('\n'));
    stub('iptables-save', "printf '*nat\\n-A DOCKER-INGRESS -p tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:8080\\nCOMMIT\\n'");
    stub('ip', `echo '[]'`);
    stub('nsenter', 'shift; exec "$@"');
    const out = execFileSync('sh', ['-c', probeInner('/run/docker', '/var/run/docker.sock')], {
      env: { PATH: `${bin}:/usr/bin:/bin`, MD_NODE: 'node2', MD_NODE_ID: 'id2' },
      encoding: 'utf8',
    });
    const parsed = parseProbeLog(out);
    expect(parsed).toMatchObject({ node: 'node2', nodeId: 'id2', complete: true });
    expect(parsed.files.get('host/iptables.txt')).toEqual({ rc: 0, stdout: '*nat\n-A DOCKER-INGRESS -p tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:8080\nCOMMIT\n', stderr: '' });
    expect(parsed.files.get('ingress_sbox/ipvs.txt')?.rc).not.toBe(0); // no /proc/net/ip_vs on this machine
    expect(parsed.files.get('host/iptables-legacy.txt')?.rc).toBe(127); // not installed

    const dir = mkdtempSync(join(tmpdir(), 'md-probe-cap-'));
    writeNode(dir, 'node2', probeCommands('/run/docker', '/var/run/docker.sock'), parsed, undefined);
    const nd = join(dir, 'nodes/node2');
    expect(JSON.parse(readFileSync(join(nd, 'networks/ingress.json'), 'utf8'))).toEqual([{ Name: 'ingress', Id: 'abc' }]);
    expect(existsSync(join(nd, 'networks/docker_gwbridge.json'))).toBe(false);
    const errors = JSON.parse(readFileSync(join(nd, 'errors.json'), 'utf8')) as { file: string; error: string }[];
    expect(errors.find((e) => e.file === 'networks/docker_gwbridge.json')?.error).toBe('Error: No such network: docker_gwbridge');
    expect(errors.find((e) => e.file === 'ingress_sbox/ipvs.txt')?.error).toMatch(/ip_vs/);
    expect(errors.some((e) => e.file === 'host/iptables-legacy.txt')).toBe(false); // an absent tool is no error
    expect(readFileSync(join(nd, 'host/iptables.txt'), 'utf8')).toContain('DNAT --to-destination 172.18.0.2:8080');
    rmSync(bin, { recursive: true });
    rmSync(dir, { recursive: true });
  });

  it("reads the node's /etc/docker/daemon.json, and records a node without one as not found (or unreadable, as such)", () => {
    // The node's cat, stood in for: one node has the file, one has none, one cannot read it.
    const bin = mkdtempSync(join(tmpdir(), 'md-probe-bin-'));
    const dir = mkdtempSync(join(tmpdir(), 'md-probe-cap-'));
    const stub = (body: string) => writeFileSync(join(bin, 'cat'), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    const probe = (node: string) => {
      const out = parseProbeLog(execFileSync('sh', ['-c', probeInner('/run/docker', '/var/run/docker.sock')], { env: { PATH: `${bin}:/usr/bin:/bin`, MD_NODE: node, MD_NODE_ID: 'id' }, encoding: 'utf8' }));
      writeNode(dir, node, probeCommands('/run/docker', '/var/run/docker.sock'), out, undefined);
      return JSON.parse(readFileSync(join(dir, 'nodes', node, 'errors.json'), 'utf8')) as { file: string; command: string; error: string }[];
    };
    expect(probeCommands('/run/docker', '/var/run/docker.sock').find((c) => c.file === 'host/daemon.json')?.argv).toEqual(['cat', '/etc/docker/daemon.json']);
    stub(`[ "$1" = /etc/docker/daemon.json ] && printf '{ "iptables": false,\\n  "registry-mirrors": ["https://ci:tok3n@mirror.corp"] }\\n' && exit 0; exit 1`);
    expect(probe('n1').some((e) => e.file === 'host/daemon.json')).toBe(false);
    // As the node has it, but for the credentials in a URL: a capture is made to be attached to tickets.
    expect(readFileSync(join(dir, 'nodes/n1/host/daemon.json'), 'utf8')).toBe('{ "iptables": false,\n  "registry-mirrors": ["https://<redacted>@mirror.corp"] }\n');
    stub(`echo "cat: can't open '$1': No such file or directory" >&2; exit 1`);
    expect(probe('n2').find((e) => e.file === 'host/daemon.json')).toEqual({ file: 'host/daemon.json', command: 'cat /etc/docker/daemon.json', error: "cat: can't open '/etc/docker/daemon.json': No such file or directory" });
    expect(existsSync(join(dir, 'nodes/n2/host/daemon.json'))).toBe(false);
    stub(`echo "cat: $1: Permission denied" >&2; exit 1`);
    expect(probe('n3').find((e) => e.file === 'host/daemon.json')?.error).toBe('cat: /etc/docker/daemon.json: Permission denied');
    // What the rule makes of each (the other inputs of these stand-in nodes do not matter to it).
    const snap = buildSnapshot(readCapture(dir));
    const rs = evaluate(loadRules().filter((r) => r.spec.id === 'docker-iptables-enabled'), snap);
    expect(rs.map((r) => `${r.node} ${r.subject} ${r.status}`)).toEqual(['n1 daemon.json iptables warn', 'n1 daemon.json ip-forward pass', 'n2 daemon.json iptables pass', 'n2 daemon.json ip-forward pass', 'n3  skip']);
    expect(rs[4].message).toBe('nodes/n3/host/daemon.json was not captured (cat /etc/docker/daemon.json: cat: /etc/docker/daemon.json: Permission denied)');
    rmSync(bin, { recursive: true });
    rmSync(dir, { recursive: true });
  });

  it("carries the sbox's UDP connection entries: grep's lines, an empty file for none, grep's error where the node has no table", () => {
    // The node's grep, stood in for: the real one on a file of the test's (grep exits 1 when no line matches);
    // its nsenter runs the command here.
    const bin = mkdtempSync(join(tmpdir(), 'md-probe-bin-'));
    const dir = mkdtempSync(join(tmpdir(), 'md-probe-cap-'));
    const table = join(bin, 'ip_vs_conn');
    writeFileSync(join(bin, 'nsenter'), '#!/bin/sh\nshift; exec "$@"\n', { mode: 0o755 });
    writeFileSync(join(bin, 'grep'), `#!/bin/sh\n[ "$1" = -m ] || exit 2\n[ -f '${table}' ] || { echo "grep: $4: No such file or directory" >&2; exit 2; }\nexec /bin/grep "$1" "$2" "$3" '${table}'\n`, { mode: 0o755 });
    const probe = (node: string) => {
      const out = parseProbeLog(execFileSync('sh', ['-c', probeInner('/run/docker', '/var/run/docker.sock')], { env: { PATH: `${bin}:/usr/bin:/bin`, MD_NODE: node, MD_NODE_ID: 'id' }, encoding: 'utf8' }));
      writeNode(dir, node, probeCommands('/run/docker', '/var/run/docker.sock'), out, undefined);
      return JSON.parse(readFileSync(join(dir, 'nodes', node, 'errors.json'), 'utf8')) as { file: string; command: string; error: string }[];
    };
    const udp = 'UDP C0A80001 9C41 C0A80002 0202 0A000058 0202 UDP             297';
    const tcp = 'TCP C0A80001 A1B2 C0A80002 1F90 0A000062 1F90 ESTABLISHED     897';
    writeFileSync(table, `Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n${tcp}\n${udp}\n`);
    expect(probe('n1').some((e) => e.file === 'ingress_sbox/ipvs-conn.txt')).toBe(false);
    expect(readFileSync(join(dir, 'nodes/n1/ingress_sbox/ipvs-conn.txt'), 'utf8')).toBe(`${udp}\n`);
    writeFileSync(table, `Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n${tcp}\n`);
    expect(probe('n2').some((e) => e.file === 'ingress_sbox/ipvs-conn.txt')).toBe(false);
    expect(readFileSync(join(dir, 'nodes/n2/ingress_sbox/ipvs-conn.txt'), 'utf8')).toBe('');
    rmSync(table);
    expect(probe('n3').find((e) => e.file === 'ingress_sbox/ipvs-conn.txt')).toEqual({
      file: 'ingress_sbox/ipvs-conn.txt',
      command: 'nsenter --net=/run/docker/netns/ingress_sbox grep -m 2001 ^UDP /proc/net/ip_vs_conn',
      error: 'grep: /proc/net/ip_vs_conn: No such file or directory',
    });
    expect(existsSync(join(dir, 'nodes/n3/ingress_sbox/ipvs-conn.txt'))).toBe(false);
    rmSync(bin, { recursive: true });
    rmSync(dir, { recursive: true });
  });

  it("reads the kernel modules: /proc/modules, and the mesh's lines of modules.builtin and modules.dep of the node's own release", () => {
    // The node's uname, cat and grep, stood in for: its modules folder is a temporary one, read by the
    // real grep with the pattern the probe passed through its quoting.
    const bin = mkdtempSync(join(tmpdir(), 'md-probe-bin-'));
    const lib = mkdtempSync(join(tmpdir(), 'md-probe-lib-'));
    const dir = mkdtempSync(join(tmpdir(), 'md-probe-cap-'));
    const stub = (name: string, body: string) => writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    stub('cat', `[ "$1" = /proc/modules ] && printf 'ip_vs 177152 6 ip_vs_rr,xt_ipvs, Live 0x0000000000000000\\n' && exit 0; echo "cat: $1: No such file or directory" >&2; exit 1`);
    stub('grep', `case "$3" in /lib/modules/6.1.0-13-amd64/modules.*) f='${lib}'/"\${3##*/}"; [ -f "$f" ] && exec /bin/grep "$1" "$2" "$f";; esac; echo "grep: $3: No such file or directory" >&2; exit 2`);
    writeFileSync(join(lib, 'modules.builtin'), 'kernel/net/bridge/bridge.ko\nkernel/fs/ext4/ext4.ko\n');
    writeFileSync(join(lib, 'modules.dep'), 'kernel/net/netfilter/ipvs/ip_vs_rr.ko.xz: kernel/net/netfilter/ipvs/ip_vs.ko.xz\nkernel/net/netfilter/ipvs/ip_vs_wrr.ko.xz: kernel/net/netfilter/ipvs/ip_vs.ko.xz\n');
    const probe = (node: string, release: string) => {
      stub('uname', `[ "$*" = -r ] && echo '${release}'`);
      const out = parseProbeLog(execFileSync('sh', ['-c', probeInner('/run/docker', '/var/run/docker.sock')], { env: { PATH: `${bin}:/usr/bin:/bin`, MD_NODE: node, MD_NODE_ID: 'id' }, encoding: 'utf8' }));
      writeNode(dir, node, probeCommands('/run/docker', '/var/run/docker.sock'), out, undefined);
      return JSON.parse(readFileSync(join(dir, 'nodes', node, 'errors.json'), 'utf8')) as { file: string; command: string; error: string }[];
    };
    expect(probe('n1', '6.1.0-13-amd64').filter((e) => e.file.startsWith('host/modules'))).toEqual([]);
    const host = join(dir, 'nodes/n1/host');
    expect(readFileSync(join(host, 'modules.txt'), 'utf8')).toBe('ip_vs 177152 6 ip_vs_rr,xt_ipvs, Live 0x0000000000000000\n');
    expect(readFileSync(join(host, 'modules-builtin.txt'), 'utf8')).toBe('kernel/net/bridge/bridge.ko\n');
    expect(readFileSync(join(host, 'modules-dep.txt'), 'utf8')).toBe('kernel/net/netfilter/ipvs/ip_vs_rr.ko.xz: kernel/net/netfilter/ipvs/ip_vs.ko.xz\n');
    // No line of the mesh's modules in modules.builtin (grep exits 1): an empty file, not an error.
    writeFileSync(join(lib, 'modules.builtin'), 'kernel/fs/ext4/ext4.ko\n');
    expect(probe('n2', '6.1.0-13-amd64').filter((e) => e.file.startsWith('host/modules'))).toEqual([]);
    expect(readFileSync(join(dir, 'nodes/n2/host/modules-builtin.txt'), 'utf8')).toBe('');
    // A release the folder does not have: grep's error, with the command as the probe ran it.
    const errors = probe('n3', '6.9.0-other');
    expect(errors.filter((e) => e.file.startsWith('host/modules-'))).toEqual(['builtin', 'dep'].map((f) => ({
      file: `host/modules-${f}.txt`,
      command: `grep -E ${probeCommands('/run/docker', '/var/run/docker.sock').find((c) => c.file === 'host/modules-dep.txt')!.argv[2]} /lib/modules/$(uname -r)/modules.${f}`,
      error: `grep: /lib/modules/6.9.0-other/modules.${f}: No such file or directory`,
    })));
    // A release that is no plain path part is not put into one.
    expect(probe('n4', '../../etc').filter((e) => e.file.startsWith('host/modules-')).map((e) => e.error)).toEqual([
      'uname -r printed no kernel release that a path may hold: the modules folder was not read',
      'uname -r printed no kernel release that a path may hold: the modules folder was not read',
    ]);
    rmSync(bin, { recursive: true });
    rmSync(lib, { recursive: true });
    rmSync(dir, { recursive: true });
  });

  it("records a kernel without loadable modules as such: this machine's has no /proc/modules and no /lib/modules", () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-probe-cap-'));
    const out = parseProbeLog(execFileSync('sh', ['-c', probeInner('/run/docker', '/var/run/docker.sock')], { env: { PATH: '/usr/bin:/bin', MD_NODE: 'here', MD_NODE_ID: 'id' }, encoding: 'utf8' }));
    writeNode(dir, 'here', probeCommands('/run/docker', '/var/run/docker.sock'), out, undefined);
    const errors = JSON.parse(readFileSync(join(dir, 'nodes/here/errors.json'), 'utf8')) as { file: string; command: string; error: string }[];
    const release = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
    const has = (p: string) => existsSync(p);
    if (!has('/proc/modules')) expect(errors.find((e) => e.file === 'host/modules.txt')).toEqual({ file: 'host/modules.txt', command: 'cat /proc/modules', error: 'cat: /proc/modules: No such file or directory' });
    if (!has(`/lib/modules/${release}/modules.dep`)) expect(errors.find((e) => e.file === 'host/modules-dep.txt')?.error).toBe(`grep: /lib/modules/${release}/modules.dep: No such file or directory`);
    rmSync(dir, { recursive: true });
  });

  it('refuses to build a script around a command that is not read-only', () => {
    expect(() => probeScript('/run/docker', '/var/run/docker.sock; rm -rf /')).toThrow(/not known to be read-only/);
  });
});

describe('reading probe logs', () => {
  it('decodes each file (the format of earlier probes), its exit code and stderr, ignoring lines outside the markers', () => {
    const log = [
      'Error response from daemon: pull access denied', // a failed pull before the run
      '@@mesh-doctor node node2 abc123',
      '@@mesh-doctor file host/iptables.txt 0',
      ...b64('*nat\nCOMMIT\n'.repeat(20)).match(/.{1,76}/g)!,
      '@@mesh-doctor stderr host/iptables.txt',
      '@@mesh-doctor end host/iptables.txt',
      '@@mesh-doctor file ingress_sbox/ipvs.txt 1',
      '@@mesh-doctor stderr ingress_sbox/ipvs.txt',
      b64('cat: /proc/net/ip_vs: No such file or directory\n'),
      '@@mesh-doctor end ingress_sbox/ipvs.txt',
      '@@mesh-doctor done',
    ].join('\n');
    const out = parseProbeLog(log);
    expect(out).toMatchObject({ node: 'node2', nodeId: 'abc123', complete: true });
    expect(out.files.get('host/iptables.txt')).toEqual({ rc: 0, stdout: '*nat\nCOMMIT\n'.repeat(20), stderr: '' });
    expect(out.files.get('ingress_sbox/ipvs.txt')).toEqual({ rc: 1, stdout: '', stderr: 'cat: /proc/net/ip_vs: No such file or directory\n' });
  });

  it('knows a probe that stopped half way', () => {
    const out = parseProbeLog('@@mesh-doctor node n1 x\n@@mesh-doctor file info.json 0\neyJ9\n');
    expect(out.complete).toBe(false);
    expect(out.files.size).toBe(0);
  });

  it("demuxes Docker's multiplexed log frames, and passes a TTY stream through", () => {
    const frame = (stream: number, s: string) => {
      const h = Buffer.alloc(8);
      h[0] = stream;
      h.writeUInt32BE(Buffer.byteLength(s), 4);
      return Buffer.concat([h, Buffer.from(s)]);
    };
    expect(demuxLogs(Buffer.concat([frame(1, 'line one\n'), frame(2, 'err\n'), frame(1, 'line two\n')]))).toBe('line one\nerr\nline two\n');
    expect(demuxLogs(Buffer.from('plain text\n'))).toBe('plain text\n');
  });
});

describe('the swarm view a probe writes', () => {
  it("leaves out mesh-doctor's own probe jobs and their tasks, also the tasks of jobs already removed", () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-cluster-'));
    const web = { ID: 'web1', Spec: { Name: 'web' } };
    const probe = { ID: 'p2', Spec: { Name: 'mesh-doctor-probe-x', Labels: { 'org.mesh-doctor.probe': 'true' } } };
    const tasks = [
      { ID: 't1', ServiceID: 'web1', Spec: { ContainerSpec: { Image: 'web' } } },
      { ID: 't2', ServiceID: 'p2', Spec: { ContainerSpec: { Image: 'busybox' } } },
      // A probe removed earlier: its service is gone, its tasks are still listed for a while.
      { ID: 't3', ServiceID: 'gone', Spec: { ContainerSpec: { Labels: { 'org.mesh-doctor.probe-task': 'true' } } } },
      { ID: 't4', ServiceID: 'gone2', Spec: { ContainerSpec: { Command: ['/bin/sh', '-c', probeScript('/run/docker', '/var/run/docker.sock')] } } },
      // Someone else's task of a removed service stays: it is not mesh-doctor's to hide.
      { ID: 't5', ServiceID: 'gone3', Spec: { ContainerSpec: { Image: 'other' } } },
    ];
    writeCluster(dir, [], [web, probe], tasks);
    expect(JSON.parse(readFileSync(join(dir, 'cluster/services.json'), 'utf8')).map((x: { ID: string }) => x.ID)).toEqual(['web1']);
    expect(JSON.parse(readFileSync(join(dir, 'cluster/tasks.json'), 'utf8')).map((x: { ID: string }) => x.ID)).toEqual(['t1', 't5']);
    rmSync(dir, { recursive: true });
  });
});

describe('batch B (host) capture growth', () => {
  it('writes the manager\'s overlay networks to cluster/networks.json when given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-cluster-'));
    writeCluster(dir, [], [], [], [{ Name: 'ingress', Driver: 'overlay' }, { Name: 'bridge', Driver: 'bridge' }, { Name: 'secure', Driver: 'overlay', Options: { encrypted: '' } }]);
    expect(JSON.parse(readFileSync(join(dir, 'cluster/networks.json'), 'utf8')).map((x: { Name: string }) => x.Name)).toEqual(['ingress', 'secure']);
    rmSync(dir, { recursive: true });
  });

  it("reads every interface's rp_filter in the host sysctl grep, keeping only rp_filter and route_localnet, not Docker's veths, each key once", () => {
    const sysctl = probeCommands('/run/docker', '/var/run/docker.sock').find((c) => c.file === 'host/sysctl.txt')!;
    expect(sysctl.argv).toContain('/proc/sys/net/ipv4/conf');
    const out = grepToSysctl([
      '/proc/sys/net/ipv4/ip_forward:1',
      '/proc/sys/net/ipv4/conf/all/rp_filter:0',
      '/proc/sys/net/ipv4/conf/all/rp_filter:0',
      '/proc/sys/net/ipv4/conf/eth1/rp_filter:1',
      '/proc/sys/net/ipv4/conf/eth1/forwarding:1',
      '/proc/sys/net/ipv4/conf/veth12ab/rp_filter:0',
      '/proc/sys/net/ipv4/conf/docker_gwbridge/route_localnet:1',
    ].join('\n'));
    expect(out).toBe('net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.rp_filter = 0\nnet.ipv4.conf.eth1.rp_filter = 1\nnet.ipv4.conf.docker_gwbridge.route_localnet = 1\n');
  });
});

describe("the ingress network's overlay namespace in the probe", () => {
  const ID = 'n3dex97iv1gs5ugdluoc34dxi';
  let tmp: string;
  let bin: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'md-probe-ov-'));
    bin = join(tmp, 'bin');
    mkdirSync(bin);
    const stub = (name: string, body: string) => writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    stub('docker', `echo '[]'`);
    stub('iptables-save', "echo '*nat'; echo COMMIT");
    stub('ip', `echo '[{"dst":"10.0.0.98","dev":"vxlan0","lladdr":"02:42:0a:00:00:62","state":["PERMANENT"]}]'`);
    stub('bridge', `[ "$*" = '-j fdb show' ] && echo '[{"mac":"02:42:0a:00:00:62","ifname":"vxlan0","dst":"10.78.0.13","flags":["self"],"state":"permanent"}]'`);
    // nsenter notes the namespace it was given, then runs the command here.
    stub('nsenter', `echo "$1" >> '${join(tmp, 'nsenter.log')}'; shift; exec "$@"`);
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));
  const run = (execRoot: string, id: string) =>
    parseProbeLog(execFileSync('sh', ['-c', probeInner(execRoot, '/var/run/docker.sock', id)], { env: { PATH: `${bin}:/usr/bin:/bin`, MD_NODE: 'node2', MD_NODE_ID: 'id2' }, encoding: 'utf8' }));
  const nsLog = () => (existsSync(join(tmp, 'nsenter.log')) ? readFileSync(join(tmp, 'nsenter.log'), 'utf8').split('\n').filter((l) => l.includes('/netns/') && !l.endsWith('ingress_sbox')) : []);

  it('lists its commands for the allowlist and errors.json, marked to run in the namespace the node has', () => {
    const overlay = probeCommands('/run/docker', '/var/run/docker.sock', ID).filter((c) => c.file.startsWith('ingress_overlay/'));
    expect(overlay.map((c) => [c.file, c.argv.join(' '), c.netns])).toEqual([
      ['ingress_overlay/neigh.json', 'nsenter --net=/run/docker/netns/1-n3dex97iv1 ip -j neigh', 'ingress-overlay'],
      ['ingress_overlay/fdb.json', 'nsenter --net=/run/docker/netns/1-n3dex97iv1 bridge -j fdb show', 'ingress-overlay'],
    ]);
    for (const argv of [...probeCommands('/run/docker', '/var/run/docker.sock', ID), ...probeCommands('/run/docker', '/var/run/docker.sock')].flatMap(runs)) expect(isReadOnly(argv[0], argv.slice(1))).toBe(true);
  });

  it('reads the namespace of the highest epoch the node has, and writes both files', () => {
    const execRoot = join(tmp, 'exec');
    mkdirSync(join(execRoot, 'netns'), { recursive: true });
    for (const n of ['ingress_sbox', '1-n3dex97iv1', '2-n3dex97iv1', '1-x3dex97iv1']) writeFileSync(join(execRoot, 'netns', n), '');
    const out = run(execRoot, ID);
    expect(out.complete).toBe(true);
    expect(out.files.get('ingress_overlay/fdb.json')).toMatchObject({ rc: 0, stderr: '' });
    expect(nsLog()).toEqual([`--net=${execRoot}/netns/2-n3dex97iv1`, `--net=${execRoot}/netns/2-n3dex97iv1`]);
    const dir = join(tmp, 'cap');
    writeNode(dir, 'node2', probeCommands(execRoot, '/var/run/docker.sock', ID), out, undefined);
    expect(JSON.parse(readFileSync(join(dir, 'nodes/node2/ingress_overlay/fdb.json'), 'utf8'))).toEqual([{ mac: '02:42:0a:00:00:62', ifname: 'vxlan0', dst: '10.78.0.13', flags: ['self'], state: 'permanent' }]);
    expect(JSON.parse(readFileSync(join(dir, 'nodes/node2/ingress_overlay/neigh.json'), 'utf8'))[0].state).toEqual(['PERMANENT']);
  });

  it('without the namespace, records both files as not captured with the reason, running nothing there', () => {
    const execRoot = join(tmp, 'exec');
    mkdirSync(join(execRoot, 'netns'), { recursive: true });
    writeFileSync(join(execRoot, 'netns/ingress_sbox'), '');
    const out = run(execRoot, ID);
    const why = `no overlay namespace of the ingress network (${ID}) in ${execRoot}/netns: this node has no endpoint on ingress`;
    expect(out.files.get('ingress_overlay/neigh.json')).toEqual({ rc: 1, stdout: '', stderr: why });
    expect(nsLog()).toEqual([]);
    const dir = join(tmp, 'cap');
    writeNode(dir, 'node2', probeCommands(execRoot, '/var/run/docker.sock', ID), out, undefined);
    const errors = JSON.parse(readFileSync(join(dir, 'nodes/node2/errors.json'), 'utf8')) as { file: string; command: string; error: string }[];
    expect(errors.filter((e) => e.file.startsWith('ingress_overlay/'))).toEqual([
      { file: 'ingress_overlay/neigh.json', command: `nsenter --net=${execRoot}/netns/1-n3dex97iv1 ip -j neigh`, error: why },
      { file: 'ingress_overlay/fdb.json', command: `nsenter --net=${execRoot}/netns/1-n3dex97iv1 bridge -j fdb show`, error: why },
    ]);
  });

  it('says so when the collector did not know the ingress network id', () => {
    const out = run(join(tmp, 'exec'), '');
    expect(out.files.get('ingress_overlay/fdb.json')?.rc).toBe(1);
    expect(out.files.get('ingress_overlay/fdb.json')?.stderr).toMatch(/^the ingress network's id was unknown to the collector/);
  });

  it('takes the id from the network list (Ingress: true first), and puts nothing but a plain id into the script', () => {
    expect(ingressIdOf([{ Name: 'ingress', Id: 'old1' }, { Name: 'my-ingress', Id: 'new2', Ingress: true }])).toBe('new2');
    expect(ingressIdOf([{ Name: 'ingress', Id: 'abc' }])).toBe('abc');
    expect(ingressIdOf([{ Name: 'ingress', Id: "x'; reboot; '" }])).toBe('');
    expect(ingressIdOf(undefined)).toBe('');
    expect(() => probeScript('/run/docker', '/var/run/docker.sock', "x'; reboot; '")).toThrow(/not a network id/);
    const script = probeScript("/run/it's", '/var/run/docker.sock', ID);
    execFileSync('sh', ['-n', '-c', script]);
  });
});

describe('the network managers in the probe (network-manager-leaves-docker)', () => {
  const commands = probeCommands('/run/docker', '/var/run/docker.sock');
  const run = (stubs: Record<string, string>) => {
    const bin = mkdtempSync(join(tmpdir(), 'md-probe-nm-'));
    for (const [name, body] of Object.entries(stubs)) writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    const parsed = parseProbeLog(execFileSync('/bin/sh', ['-c', probeInner('/run/docker', '/var/run/docker.sock')], { env: { PATH: bin, MD_NODE: 'node2', MD_NODE_ID: 'id2' }, encoding: 'utf8' }));
    const dir = mkdtempSync(join(tmpdir(), 'md-probe-nm-cap-'));
    writeNode(dir, 'node2', commands, parsed, undefined);
    const nd = join(dir, 'nodes/node2');
    const errors = JSON.parse(readFileSync(join(nd, 'errors.json'), 'utf8')) as { file: string; command: string; error: string }[];
    const file = (f: string) => (existsSync(join(nd, f)) ? readFileSync(join(nd, f), 'utf8') : undefined);
    rmSync(bin, { recursive: true });
    return { errors, file, done: () => rmSync(dir, { recursive: true }) };
  };
  const BASE = { base64: 'exec /usr/bin/base64 "$@"' };

  it('runs nmcli and networkctl on the host, as the local collector does', () => {
    expect(commands.filter((c) => /^host\/(nmcli|networkctl)\.txt$/.test(c.file)).map((c) => [c.file, c.argv.join(' ')])).toEqual([
      ['host/nmcli.txt', 'nmcli -t -f DEVICE,TYPE,STATE,CONNECTION device'],
      ['host/networkctl.txt', 'networkctl list --no-pager --no-legend'],
    ]);
  });

  it('writes what they list, escaped colons and all', () => {
    const r = run({
      ...BASE,
      nmcli: `printf '%s\\n' 'docker_gwbridge:bridge:connected:docker_gwbridge' 'eth0:ethernet:connected:office\\: vlan 10'`,
      networkctl: `printf '%s\\n' '  3 docker0 bridge routable configured'`,
    });
    expect(r.file('host/nmcli.txt')).toBe('docker_gwbridge:bridge:connected:docker_gwbridge\neth0:ethernet:connected:office\\: vlan 10\n');
    expect(r.file('host/networkctl.txt')).toBe('  3 docker0 bridge routable configured\n');
    expect(r.errors.filter((e) => e.file.startsWith('host/n'))).toEqual([]);
    r.done();
  });

  it('records NetworkManager not running, and tools not installed, in errors.json: no file, the reason', () => {
    const r = run({ ...BASE, nmcli: 'echo "Error: NetworkManager is not running." >&2; exit 8' });
    expect(r.file('host/nmcli.txt')).toBeUndefined();
    expect(r.file('host/networkctl.txt')).toBeUndefined();
    expect(r.errors.filter((e) => e.file.startsWith('host/n'))).toEqual([
      { file: 'host/nmcli.txt', command: 'nmcli -t -f DEVICE,TYPE,STATE,CONNECTION device', error: 'Error: NetworkManager is not running.' },
      { file: 'host/networkctl.txt', command: 'networkctl list --no-pager --no-legend', error: 'networkctl: command not found on the node' },
    ]);
    r.done();
  });
});

describe('host/ethtool.txt in the probe', () => {
  let tmp: string;
  let bin: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'md-probe-eth-'));
    bin = join(tmp, 'bin');
    mkdirSync(bin);
    const stub = (name: string, body: string) => writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    stub('docker', `echo '[]'`);
    stub('iptables-save', "echo '*nat'; echo COMMIT");
    stub('ip', `echo '[]'`);
    stub('nsenter', 'shift; exec "$@"');
    // Notes what it was asked; anything but -k is refused as the allowlist would.
    stub('readlink', `echo "readlink $*" >> '${join(tmp, 'ran.log')}'; echo ../../../bus/pci/drivers/vmxnet3`);
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));
  const run = (path: string) =>
    parseProbeLog(execFileSync('sh', ['-c', probeInner('/run/docker', '/var/run/docker.sock')], { env: { PATH: path, MD_NODE: 'node2', MD_NODE_ID: 'id2' }, encoding: 'utf8' }));
  /** This machine's interfaces that are devices: the probe reads the real /sys/class/net. */
  const devices = () => (existsSync('/sys/class/net') ? readdirSync('/sys/class/net').filter((i) => existsSync(`/sys/class/net/${i}/device`)).sort() : []);

  it('lists ethtool -k per device, checked by the allowlist with the read of its driver', () => {
    const c = probeCommands('/run/docker', '/var/run/docker.sock').find((x) => x.file === 'host/ethtool.txt')!;
    expect(c).toMatchObject({ argv: ['ethtool', '-k', '<IF>'], perDevice: true });
    expect(runs(c)).toEqual([['ethtool', '-k', 'eth0'], ['readlink', '/sys/class/net/eth0/device/driver']]);
    const inner = probeInner('/run/docker', '/var/run/docker.sock');
    expect(inner).toContain(`'ethtool' '-k' "$i"`);
    expect(inner).not.toContain('-K');
  });

  it('writes a header with the driver and ethtool -k for every device of the node', () => {
    writeFileSync(join(bin, 'ethtool'), `#!/bin/sh\necho "ethtool $*" >> '${join(tmp, 'ran.log')}'\n[ "$1" = -k ] || exit 1\nprintf 'Features for %s:\\ntx-checksumming: on\\n\\ttx-checksum-ip-generic: on\\n' "$2"\n`, { mode: 0o755 });
    const out = run(`${bin}:/usr/bin:/bin`);
    const f = out.files.get('host/ethtool.txt')!;
    expect(f.rc).toBe(0);
    const want = devices().map((i) => `# interface ${i} driver vmxnet3\nFeatures for ${i}:\ntx-checksumming: on\n\ttx-checksum-ip-generic: on\n`).join('') || '# no interface in /sys/class/net is a device\n';
    expect(f.stdout).toBe(want);
    const ran = existsSync(join(tmp, 'ran.log')) ? readFileSync(join(tmp, 'ran.log'), 'utf8').trim().split('\n') : [];
    expect(ran.filter((l) => l.startsWith('ethtool'))).toEqual(devices().map((i) => `ethtool -k ${i}`));
    const dir = join(tmp, 'cap');
    writeNode(dir, 'node2', probeCommands('/run/docker', '/var/run/docker.sock'), out, undefined);
    expect(readFileSync(join(dir, 'nodes/node2/host/ethtool.txt'), 'utf8')).toBe(want);
    expect((JSON.parse(readFileSync(join(dir, 'nodes/node2/errors.json'), 'utf8')) as { file: string }[]).some((e) => e.file === 'host/ethtool.txt')).toBe(false);
  });

  it('records host/ethtool.txt as not captured where the node has no ethtool, so the rule skips', () => {
    const out = run(`${bin}:/usr/bin:/bin`); // no ethtool stub
    expect(out.files.get('host/ethtool.txt')).toMatchObject({ rc: 127, stdout: '' });
    const dir = join(tmp, 'cap');
    writeNode(dir, 'node2', probeCommands('/run/docker', '/var/run/docker.sock'), out, undefined);
    expect(existsSync(join(dir, 'nodes/node2/host/ethtool.txt'))).toBe(false);
    const errors = JSON.parse(readFileSync(join(dir, 'nodes/node2/errors.json'), 'utf8')) as { file: string; command: string; error: string }[];
    expect(errors.filter((e) => e.file === 'host/ethtool.txt')).toEqual([{ file: 'host/ethtool.txt', command: 'ethtool -k <IF>', error: 'ethtool: command not found on the node' }]);
  });
});
