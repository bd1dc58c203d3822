import { parseInfo, parseNetwork, parseNodeLs, parseNodes, parseServices, parseTasks } from '../../src/parse/docker.js';

const NETWORK = {
  Name: 'docker_gwbridge',
  Id: 'e8fd',
  Driver: 'bridge',
  Scope: 'local',
  IPAM: { Config: [{ Subnet: '192.168.0.0/20', Gateway: '192.168.0.1' }] },
  Containers: { 'ingress-sbox': { Name: 'gateway_ingress-sbox', MacAddress: '02:42:c0:a8:00:02', IPv4Address: '192.168.0.2/20' } },
};

describe('docker network inspect', () => {
  it('reads an object and a one-element array alike', () => {
    const a = parseNetwork(JSON.stringify(NETWORK), 'n.json');
    const b = parseNetwork(JSON.stringify([NETWORK], null, 2), 'n.json');
    expect(a.diagnostics).toEqual([]);
    expect(b.data).toEqual(a.data);
    expect(a.data).toMatchObject({ name: 'docker_gwbridge', subnets: ['192.168.0.0/20'] });
    expect(a.data!.containers[0]).toMatchObject({ key: 'ingress-sbox', ipv4: '192.168.0.2', prefixLen: 20 });
  });

  it('accepts a pasted prompt line before the JSON, keeping line numbers', () => {
    const text = `[root@253 ~]# docker network inspect docker_gwbridge\n${JSON.stringify([NETWORK], null, 2)}`;
    expect(parseNetwork(text, 'n.json').diagnostics).toEqual([]);
    const broken = '[root@253 ~]# docker network inspect x\n[\n  {\n    "Name": "x",\n    "Id": oops\n  }\n]';
    expect(parseNetwork(broken, 'n.json').diagnostics[0]).toMatchObject({ line: 5, severity: 'error', file: 'n.json' });
  });

  it('is an error for JSON that is not a network', () => {
    expect(parseNetwork('{"foo": 1}', 'n.json').diagnostics[0].message).toMatch(/not `docker network inspect`/);
  });
});

describe('swarm objects', () => {
  it('reads nodes: hostname, role, state, engine version, leader', () => {
    const p = parseNodes(JSON.stringify([{ ID: 'abc123', Spec: { Role: 'manager', Availability: 'active' }, Description: { Hostname: '253', Engine: { EngineVersion: '20.10.12' } }, Status: { State: 'ready', Addr: '192.168.100.253' }, ManagerStatus: { Leader: true } }]), 'nodes.json');
    expect(p.data[0]).toMatchObject({ id: 'abc123', hostname: '253', role: 'manager', state: 'ready', engineVersion: '20.10.12', leader: true });
  });

  it('reads services: the ports really published, with their mode, and VIPs', () => {
    const p = parseServices(JSON.stringify([{ ID: 's1', Spec: { Name: 'whoami', Mode: { Replicated: { Replicas: 1 } }, EndpointSpec: { Mode: 'vip' } }, Endpoint: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }, { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'host' }], VirtualIPs: [{ NetworkID: 'n1', Addr: '10.0.0.97/24' }] } }]), 'services.json');
    expect(p.diagnostics).toEqual([]);
    expect(p.data[0]).toMatchObject({ name: 'whoami', mode: 'replicated', endpointMode: 'vip' });
    expect(p.data[0].ports).toEqual([
      { protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'ingress' },
      { protocol: 'udp', targetPort: 53, publishedPort: 53, publishMode: 'host' },
    ]);
    expect(p.data[0].virtualIPs[0]).toEqual({ networkId: 'n1', address: '10.0.0.97', prefixLen: 24, line: 1 });
  });

  it('reads tasks with their network attachments', () => {
    const p = parseTasks(JSON.stringify([{ ID: 't1', ServiceID: 's1', NodeID: 'n', DesiredState: 'running', Status: { State: 'running' }, NetworksAttachments: [{ Network: { ID: 'ing', Spec: { Name: 'ingress', Ingress: true } }, Addresses: ['10.0.0.98/24'] }] }]), 'tasks.json');
    expect(p.data[0].attachments[0]).toEqual({ networkId: 'ing', networkName: 'ingress', ingress: true, addresses: ['10.0.0.98'] });
  });

  it('names the entry that is not a swarm object', () => {
    expect(parseServices('[{"ID":"x","Spec":{}}, {"nope":1}]', 's.json').diagnostics[0].message).toMatch(/service entry 1/);
  });

  it('reads docker info', () => {
    const p = parseInfo(JSON.stringify({ Name: '253', ServerVersion: '20.10.12', Swarm: { NodeID: 'n1', NodeAddr: '192.168.100.253', LocalNodeState: 'active', ControlAvailable: true, Cluster: { DataPathPort: 4789 } } }), 'info.json');
    expect(p.data).toMatchObject({ name: '253', serverVersion: '20.10.12', swarmState: 'active', isManager: true, dataPathPort: 4789 });
    expect(parseInfo('{"x":1}', 'info.json').diagnostics[0].severity).toBe('error');
  });
});

describe('docker node ls', () => {
  it('reads aligned columns, the * of the current node and an empty MANAGER STATUS', () => {
    const text = `ID                            HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION
wll4l9u5sj9xyon5u1bvq8wth     228        Ready     Active                          20.10.12
pkv93oel5hesk9bn22uyit9rz *   253        Ready     Active         Leader           20.10.12
`;
    const p = parseNodeLs(text, 'node-ls.txt');
    expect(p.diagnostics).toEqual([]);
    expect(p.data.map((n) => [n.id, n.hostname, n.state, n.role, n.leader, n.engineVersion, n.self])).toEqual([
      ['wll4l9u5sj9xyon5u1bvq8wth', '228', 'ready', 'worker', false, '20.10.12', false],
      ['pkv93oel5hesk9bn22uyit9rz', '253', 'ready', 'manager', true, '20.10.12', true],
    ]);
  });

  it('reads pasted output with collapsed spacing', () => {
    const p = parseNodeLs('ID HOSTNAME STATUS AVAILABILITY MANAGER STATUS ENGINE VERSION\nabc123def * 253 Ready Active Leader 24.0.7\nxyz987abc 228 Down Active 24.0.7\n', 'node-ls.txt');
    expect(p.diagnostics).toEqual([]);
    expect(p.data.map((n) => [n.hostname, n.state, n.leader, n.engineVersion])).toEqual([
      ['253', 'ready', true, '24.0.7'],
      ['228', 'down', false, '24.0.7'],
    ]);
  });

  it('is an error without the header', () => {
    expect(parseNodeLs('hello\n', 'node-ls.txt').diagnostics[0]).toMatchObject({ severity: 'error', line: 1 });
  });
});

describe('batch C: lines, manager reachability and the data-path port', () => {
  it('keeps the line of each service, VIP, task and node, and the managers\' reachability', () => {
    const services = [
      { ID: 's1', Spec: { Name: 'a' }, Endpoint: { VirtualIPs: [{ NetworkID: 'ing', Addr: '10.0.0.2/24' }] } },
      { ID: 's2', Spec: { Name: 'b' } },
    ];
    const s = parseServices(JSON.stringify(services, null, 2), 'services.json');
    expect(s.diagnostics).toEqual([]);
    const text = JSON.stringify(services, null, 2).split('\n');
    expect(text[s.data[0].line - 1].trim()).toBe('{');
    expect(text[s.data[1].line - 1].trim()).toBe('{');
    expect(s.data[1].line).toBeGreaterThan(s.data[0].line);
    expect(text[s.data[0].virtualIPs[0].line - 1].trim()).toBe('{');
    expect(s.data[0].virtualIPs[0].line).toBeGreaterThan(s.data[0].line);

    const t = parseTasks(JSON.stringify([{ ID: 't1', ServiceID: 's1' }, { ID: 't2', ServiceID: 's1' }], null, 2), 'tasks.json');
    expect(t.data.map((x) => x.line)).toEqual([2, 6]);

    const nodes = [
      { ID: 'm1', Description: { Hostname: 'a' }, Spec: { Role: 'manager' }, Status: { State: 'ready' }, ManagerStatus: { Leader: true, Reachability: 'reachable' } },
      { ID: 'm2', Description: { Hostname: 'b' }, Spec: { Role: 'manager' }, Status: { State: 'down' }, ManagerStatus: { Reachability: 'unreachable' } },
      { ID: 'w1', Description: { Hostname: 'c' }, Spec: { Role: 'worker' }, Status: { State: 'ready' } },
    ];
    const n = parseNodes(JSON.stringify(nodes), 'nodes.json');
    expect(n.data.map((x) => [x.reachability, x.line])).toEqual([['reachable', 1], ['unreachable', 1], ['', 1]]);
  });

  it('reads MANAGER STATUS of `docker node ls` as reachability, with the row\'s line', () => {
    const p = parseNodeLs('ID HOSTNAME STATUS AVAILABILITY MANAGER STATUS ENGINE VERSION\nabc123def * 253 Ready Active Leader 24.0.7\nxyz987abc 228 Down Active Unreachable 24.0.7\nqqq987abc 229 Ready Active Reachable 24.0.7\nwww987abc 230 Ready Active 24.0.7\n', 'node-ls.txt');
    expect(p.data.map((x) => [x.hostname, x.role, x.reachability, x.line])).toEqual([
      ['253', 'manager', 'reachable', 2],
      ['228', 'manager', 'unreachable', 3],
      ['229', 'manager', 'reachable', 4],
      ['230', 'worker', '', 5],
    ]);
  });

  it('says whether docker info printed the data-path port (workers print no Swarm.Cluster) and where', () => {
    const manager = parseInfo(JSON.stringify({ ServerVersion: '24.0.7', Swarm: { NodeID: 'm1', Cluster: { ID: 'c', DataPathPort: 7789 } } }, null, 2), 'info.json');
    expect(manager.data).toMatchObject({ dataPathPort: 7789, dataPathPortSet: true, dataPathPortLine: 7 });
    const worker = parseInfo(JSON.stringify({ ServerVersion: '24.0.7', Swarm: { NodeID: 'w1' } }), 'info.json');
    expect(worker.data).toMatchObject({ dataPathPort: 4789, dataPathPortSet: false, dataPathPortLine: 0 });
  });
});
