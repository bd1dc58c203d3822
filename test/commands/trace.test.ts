import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, validator } from '../helpers/fixtures.js';

/** The real CLI (bin/run.js on the built dist/), no colour or width from the environment unless given. */
function cli(env: Record<string, string | undefined>, ...args: string[]) {
  const e: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, COLUMNS: undefined, ...env };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/run.js'), 'trace', ...args], { cwd: ROOT, encoding: 'utf8', env: e as NodeJS.ProcessEnv });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const trace = (...args: string[]) => cli({}, ...args);

describe('mesh-doctor trace', () => {
  it('walks the seed: a table of nodes, every one delivered to the task, exit 0', () => {
    const r = trace('8080', 'fixtures/seed-cluster');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 7)).toEqual([
      'trace tcp/8080 (service whoami) from 203.0.113.10  fixtures/seed-cluster',
      '',
      'NODE  ADDRESS          VERDICT    WHERE',
      '228   192.168.100.228  delivered  whoami.1 on 253',
      '234   192.168.100.234  delivered  whoami.1 on 253',
      '253   192.168.100.253  delivered  whoami.1 on 253',
      '',
    ]);
    expect(r.stdout).toContain('3 nodes: 3 delivered');
    expect(r.stderr).toBe('');
  });

  it('names the hop and the rule that drops the port on a broken node, exit 1', () => {
    const r = trace('tcp/8080', 'fixtures/lab-fault-09-docker-user-drop');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('node2  10.78.0.12  dropped    host filter DOCKER-USER: DROP (nodes/node2/host/iptables.txt:61)');
    expect(r.stdout).toContain('3 nodes: 2 delivered, 1 dropped');
  });

  it('--node: one line per hop with its table, chain and file:line, the rule under the one that decided', () => {
    const r = trace('8080', 'fixtures/lab-fault-09-docker-user-drop', '--node', 'node2');
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('node2 (10.78.0.12): dropped');
    expect(lines).toContain('  ✔ host nat DOCKER-INGRESS      DNAT to 172.18.0.2:8080        nodes/node2/host/iptables.txt:27');
    expect(lines).toContain('  ✔ host filter FORWARD          jump DOCKER-USER               nodes/node2/host/iptables.txt:41');
    expect(lines).toContain('  ✖ host filter DOCKER-USER      DROP                           nodes/node2/host/iptables.txt:61');
    expect(lines).toContain('      -A DOCKER-USER -p tcp -m tcp --dport 8080 -j DROP');
    expect(r.stdout).not.toContain('node1');
  });

  it('-v walks every node; a delivered walk lists its backend, task and VXLAN hops', () => {
    const r = trace('8080', 'fixtures/lab-healthy', '-v');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  backend 10.0.0.6:8080 (Masq, weight 1): task web.1 on node3 - delivered');
    expect(r.stdout).toContain('    ✔ vxlan to node3               udp/4789 accepted              nodes/node3/host/iptables.txt:33');
    expect(r.stdout.match(/^node\d \(/gm)).toEqual(['node1 (', 'node2 (', 'node3 (']);
  });

  it('colours for a terminal as check does: FORCE_COLOR, NO_COLOR, --no-color', () => {
    expect(cli({ NO_COLOR: undefined, FORCE_COLOR: '1' }, '8080', 'fixtures/lab-fault-09-docker-user-drop').stdout).toContain('\x1b[31mdropped  \x1b[0m');
    expect(cli({ NO_COLOR: undefined, FORCE_COLOR: '1' }, '8080', 'fixtures/lab-fault-09-docker-user-drop', '--no-color').stdout).not.toContain('\x1b[');
    expect(trace('8080', 'fixtures/lab-fault-09-docker-user-drop').stdout).not.toContain('\x1b[');
  });

  describe('--format json', () => {
    const validate = validator('trace.schema.json');
    it.each(['seed-cluster', 'lab-healthy', 'lab-fault-09-docker-user-drop', 'lab-fault-20-dockerd-stopped', 'broken-stale-backend', 'broken-sbox-missing'])('of %s follows the trace schema', (name) => {
      const r = trace('8080', `fixtures/${name}`, '--format', 'json');
      expect(r.stderr).toBe('');
      const data = JSON.parse(r.stdout);
      const ok = validate(data);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    });

    it('is the same walk as the text: verdicts, the deciding hop, the counts', () => {
      const data = JSON.parse(trace('8080', 'fixtures/lab-fault-09-docker-user-drop', '-f', 'json').stdout);
      expect(data).toMatchObject({ version: 1, port: 'tcp/8080', protocol: 'tcp', portNumber: 8080, src: '203.0.113.10', service: 'web', summary: { delivered: 2, dropped: 1, partial: 0, uncertain: 0 } });
      const node2 = data.nodes.find((n: { node: string }) => n.node === 'node2');
      expect(node2.decisive).toMatchObject({ stage: 'host', table: 'filter', chain: 'DOCKER-USER', status: 'stop', effect: 'DROP', file: 'nodes/node2/host/iptables.txt', line: 61 });
      const backends = data.nodes.find((n: { node: string }) => n.node === 'node1').backends;
      expect(backends).toMatchObject([{ address: '10.0.0.6', task: 'task web.1', taskNode: 'node3', verdict: 'delivered' }]);
    });

    it('--src: a client inside a range a rule names', () => {
      const data = JSON.parse(trace('8080', 'fixtures/lab-healthy', '--src', '10.78.0.50', '-f', 'json', '--node', 'node1').stdout);
      expect(data.src).toBe('10.78.0.50');
      expect(data.nodes.map((n: { verdict: string }) => n.verdict)).toEqual(['delivered']);
    });
  });

  it('warns when no service publishes the port, and walks it anyway', () => {
    const r = trace('udp/53', 'fixtures/lab-healthy');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('mesh-doctor: warning: no service publishes udp/53 in ingress mode (published: tcp/8080): walking it anyway\n');
    expect(r.stdout).toContain('routing: no DNAT: local');
  });

  it.each([
    [['70000', 'fixtures/seed-cluster'], "mesh-doctor: error: PORT: expected a port from 1 to 65535, optionally with its protocol (8080, tcp/8080, udp/53), got '70000'\n"],
    [['icmp/8', 'fixtures/seed-cluster'], "mesh-doctor: error: PORT: expected a port from 1 to 65535, optionally with its protocol (8080, tcp/8080, udp/53), got 'icmp/8'\n"],
    [['8080', 'fixtures/seed-cluster', '--src', 'outside'], "mesh-doctor: error: --src: expected an IPv4 address (203.0.113.10), got 'outside'\n"],
    [['8080', 'fixtures/seed-cluster', '--node', 'nope'], "mesh-doctor: error: --node: the capture has no node 'nope' (its nodes: 228, 234, 253)\n"],
    [['8080', 'fixtures/seed-cluster', '--swarm'], 'mesh-doctor: error: give a capture folder, or capture now (--live, --swarm, --host): not both\n'],
  ])('bad input %j: one line naming it, exit 2', (args, err) => {
    const r = trace(...args);
    expect([r.code, r.stderr, r.stdout]).toEqual([2, err, '']);
  });

  it('a folder that is no capture: one line naming it, exit 2', () => {
    const r = trace('8080', 'fixtures/nope');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mesh-doctor: error: .*fixtures\/nope.*\n$/);
  });
});
