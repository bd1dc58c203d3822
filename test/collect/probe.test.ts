import { execFileSync } from 'node:child_process';
import { demuxLogs, parseProbeLog, probeCommands, probeScript } from '../../src/collect/probe.js';
import { isReadOnly } from '../../src/collect/run.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('the probe script', () => {
  it('runs only commands of the read-only allowlist', () => {
    for (const c of probeCommands('/run/docker', '/var/run/docker.sock')) expect(isReadOnly(c.argv[0], c.argv.slice(1))).toBe(true);
  });

  it('is valid POSIX sh, and quotes every argument', () => {
    const script = probeScript("/run/it's", '/var/run/docker.sock');
    execFileSync('sh', ['-n', '-c', script]); // parse only
    expect(script).toContain(`'--net=/run/it'\\''s/netns/ingress_sbox'`);
  });

  it('refuses to build a script around a command that is not read-only', () => {
    expect(() => probeScript('/run/docker', '/var/run/docker.sock; rm -rf /')).toThrow(/not known to be read-only/);
  });
});

describe('reading probe logs', () => {
  it('decodes each file, its exit code and stderr, ignoring lines outside the markers', () => {
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
