import { parseDaemonJson } from '../../src/parse/daemon-json.js';

const FILE = 'nodes/234/host/daemon.json';
const errors = (text: string) => parseDaemonJson(text, FILE).diagnostics.filter((d) => d.severity === 'error');

describe('parseDaemonJson (/etc/docker/daemon.json)', () => {
  it('reads the file of moby/moby#28241: { "iptables": false } on one line', () => {
    const r = parseDaemonJson('{ "iptables": false }\n', FILE);
    expect(r).toEqual({ format: 'daemon-json', data: { keys: ['iptables'], iptables: false, iptablesLine: 1, ipForward: null, ipForwardLine: 0 }, diagnostics: [] });
  });

  it('gives the line of each setting in a pretty-printed file with other settings, nested objects and lists', () => {
    const text = [
      '{',
      '  "log-driver": "json-file",',
      '  "log-opts": { "max-size": "10m", "max-file": "3", "iptables": "nested: not this one" },',
      '  "exec-opts": ["native.cgroupdriver=systemd"],',
      '  "storage-driver": "overlay2",',
      '  "ip-forward": false,',
      '  "insecure-registries": [],',
      '  "iptables": false',
      '}',
      '',
    ].join('\n');
    const r = parseDaemonJson(text, FILE);
    expect(r.diagnostics).toEqual([]);
    expect(r.data).toEqual({ keys: ['log-driver', 'log-opts', 'exec-opts', 'storage-driver', 'ip-forward', 'insecure-registries', 'iptables'], iptables: false, iptablesLine: 8, ipForward: false, ipForwardLine: 6 });
  });

  it('reads true as true, and a file without the keys as not setting them (dockerd\'s default)', () => {
    expect(parseDaemonJson('{"iptables": true, "ip-forward": true}', FILE).data).toMatchObject({ iptables: true, iptablesLine: 1, ipForward: true, ipForwardLine: 1 });
    expect(parseDaemonJson('{\n  "log-driver": "journald"\n}\n', FILE).data).toEqual({ keys: ['log-driver'], iptables: null, iptablesLine: 0, ipForward: null, ipForwardLine: 0 });
    expect(parseDaemonJson('{}', FILE).data).toMatchObject({ keys: [], iptables: null });
  });

  it('takes the last of a key given twice, as Go does, with its line', () => {
    const r = parseDaemonJson('{\n  "iptables": true,\n  "debug": true,\n  "iptables": false\n}\n', FILE);
    expect(r.data).toMatchObject({ iptables: false, iptablesLine: 4 });
  });

  it('reads an empty or blank file as no settings (dockerd starts with its defaults), a BOM, CRLF lines and a pasted prompt as the file', () => {
    for (const blank of ['', '\n', '  \r\n\t\n', '\ufeff']) expect(parseDaemonJson(blank, FILE)).toEqual({ format: 'daemon-json', data: { keys: [], iptables: null, iptablesLine: 0, ipForward: null, ipForwardLine: 0 }, diagnostics: [] });
    expect(parseDaemonJson('\ufeff{\r\n  "log-level": "warn",\r\n  "iptables": false\r\n}\r\n', FILE).data).toMatchObject({ iptables: false, iptablesLine: 3 });
    expect(parseDaemonJson('root@node234:~# cat /etc/docker/daemon.json\n{\n  "iptables": false\n}\n', FILE).data).toMatchObject({ iptables: false, iptablesLine: 3 });
  });

  it.each([
    ['a comment (dockerd reads plain JSON)', '{\n  // keep Docker out of ufw\n  "iptables": false\n}\n', 2, /invalid JSON.*dockerd refuses to start/],
    ['a trailing comma', '{\n  "iptables": false,\n}\n', 3, /invalid JSON/],
    ['text that is not JSON', 'iptables=false\n', 1, /invalid JSON/],
    ['a list', '[\n  {"iptables": false}\n]\n', 1, /the document is a list, expected an object of dockerd settings/],
    ['a string', '"iptables"\n', 1, /the document is "iptables", expected an object/],
    ['null', 'null', 1, /the document is null/],
    ['"iptables" as a string', '{\n  "iptables": "false"\n}\n', 2, /"iptables" is "false", expected true or false: dockerd refuses to start/],
    ['"ip-forward" as a number', '{\n  "log-driver": "json-file",\n  "ip-forward": 0\n}\n', 3, /"ip-forward" is 0, expected true or false/],
    ['"iptables" as an object', '{"iptables": {"enabled": false}}', 1, /"iptables" is an object/],
  ])('reports %s as an error naming the file and line, without throwing', (_, text, line, message) => {
    let r: ReturnType<typeof errors> = [];
    expect(() => (r = errors(text))).not.toThrow();
    expect(r).toContainEqual({ file: FILE, line, severity: 'error', message: expect.stringMatching(message) });
  });

  it('takes "iptables": null as not set, with a warning (Go leaves the default)', () => {
    const r = parseDaemonJson('{\n  "iptables": null\n}\n', FILE);
    expect(r.data).toMatchObject({ iptables: null, iptablesLine: 0 });
    expect(r.diagnostics).toEqual([{ file: FILE, line: 2, severity: 'warning', message: expect.stringMatching(/null leaves dockerd's default/) }]);
  });

  it('reads hostile input without throwing: deep nesting, a huge file, odd keys', () => {
    const deep = '{"a":' + '['.repeat(50_000) + ']'.repeat(50_000) + ', "iptables": false}';
    expect(parseDaemonJson(deep, FILE).data).toMatchObject({ iptables: false, iptablesLine: 1 });
    expect(() => parseDaemonJson('{"a":' + '['.repeat(50_000), FILE)).not.toThrow();
    expect(errors('{"a":' + '['.repeat(50_000)).length).toBe(1);
    const keys = Array.from({ length: 100_000 }, (_, i) => `  "label-${i}": "${'x'.repeat(20)}"`);
    const huge = `{\n${keys.join(',\n')},\n  "iptables": false\n}\n`;
    const t = performance.now();
    expect(parseDaemonJson(huge, FILE).data).toMatchObject({ iptables: false, iptablesLine: 100_002 });
    expect(performance.now() - t).toBeLessThan(5000);
    expect(parseDaemonJson('{"__proto__": {"iptables": false}, "constructor": 1}', FILE).data).toMatchObject({ keys: ['__proto__', 'constructor'], iptables: null });
  });
});
