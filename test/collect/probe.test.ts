import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demuxLogs, parseProbeLog, probeCommands, probeInner, probeScript, writeCluster, writeNode } from '../../src/collect/probe.js';
import { isReadOnly } from '../../src/collect/run.js';
import { grepToSysctl } from '../../src/collect/commands.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('the probe script', () => {
  it('runs only commands of the read-only allowlist', () => {
    for (const c of probeCommands('/run/docker', '/var/run/docker.sock')) expect(isReadOnly(c.argv[0], c.argv.slice(1))).toBe(true);
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
