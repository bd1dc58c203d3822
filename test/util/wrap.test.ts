import { displayWidth, stripAnsi, words, wrap } from '../../src/util/wrap.js';

const RED = (s: string) => `\u001b[31m${s}\u001b[0m`;
const widest = (lines: string[]) => Math.max(...lines.map(displayWidth));

describe('displayWidth', () => {
  it('counts ASCII by length and takes no column for colour codes', () => {
    expect(displayWidth('fwmark-has-backend')).toBe(18);
    expect(displayWidth(RED('✖ fail'))).toBe(6);
    expect(displayWidth('\u001b[1m\u001b[2mdim\u001b[0m')).toBe(3);
    expect(stripAnsi(RED('x'))).toBe('x');
  });

  it('gives East Asian wide characters and emoji two columns, combining marks none', () => {
    expect(displayWidth('節点')).toBe(4);
    expect(displayWidth('ｎｏｄｅ')).toBe(8); // fullwidth Latin
    expect(displayWidth('🚀')).toBe(2);
    expect(displayWidth('👍🏽')).toBe(2); // with a skin-tone modifier: one picture
    expect(displayWidth('e\u0301')).toBe(1); // e + combining acute
    expect(displayWidth('✔ ✖ ⚠ ○')).toBe(7); // the report's icons are narrow
  });
});

describe('words', () => {
  it('keeps a backticked command whole, spaces and all, with the punctuation around it', () => {
    expect(words('run (`iptables -t nat -S DOCKER-INGRESS`), then')).toEqual(['run', '(`iptables -t nat -S DOCKER-INGRESS`),', 'then']);
  });

  it('pairs longer fences, and takes an unclosed backtick as a character', () => {
    expect(words('a ``x ` y`` b')).toEqual(['a', '``x ` y``', 'b']);
    expect(words("it's a ` lone tick")).toEqual(["it's", 'a', '`', 'lone', 'tick']);
  });
});

describe('wrap', () => {
  const text = 'On node 253, compare `iptables -t nat -S DOCKER-INGRESS` (nodes/253/host/iptables-nat.txt:12) with `docker network inspect docker_gwbridge` and restart dockerd on this node.';

  it.each([40, 60, 80, 100])('fits %i columns and never splits a backticked command', (width) => {
    const lines = wrap(text, width);
    expect(widest(lines)).toBeLessThanOrEqual(width);
    const joined = lines.join('\n');
    expect(joined).toContain('`iptables -t nat -S DOCKER-INGRESS`');
    expect(joined).toContain('`docker network inspect docker_gwbridge`');
    expect(lines.join(' ')).toBe(text);
    for (const l of lines) expect(l).not.toMatch(/\s$/);
  });

  it('puts a backticked command wider than the line on a line of its own, whole', () => {
    const cmd = '`nsenter --net=/run/docker/netns/ingress_sbox iptables -t mangle -S PREROUTING`';
    const lines = wrap(`On node 228, look at ${cmd}. If marks are missing, check it.`, 40, { prefix: '    ' });
    expect(lines).toContain(`    ${cmd}.`);
    expect(lines[0]).toBe('    On node 228, look at');
    expect(lines.filter((l) => l.includes('`'))).toHaveLength(1);
  });

  it('never breaks a long token (a path) in two', () => {
    const path = 'nodes/node-0000000000000000000042/ingress_sbox/iptables-mangle.txt:1234';
    const lines = wrap(`read at ${path} today`, 30);
    expect(lines).toEqual(['read at', path, 'today']);
  });

  it('starts with the prefix and hangs later lines under it, or at the indent given', () => {
    const lines = wrap('alpha beta gamma delta epsilon zeta eta theta', 20, { prefix: '  ✖ fail  ' });
    expect(lines[0].startsWith('  ✖ fail  alpha')).toBe(true);
    for (const l of lines.slice(1)) expect(l).toMatch(/^ {10}\S/);
    expect(widest(lines)).toBeLessThanOrEqual(20);
    const six = wrap('alpha beta gamma delta epsilon', 14, { prefix: '1. ', indent: 6 });
    expect(six).toEqual(['1. alpha beta', '      gamma', '      delta', '      epsilon']);
  });

  it('does not count colour codes in the width', () => {
    const coloured = ['one', 'two', 'three', 'four', 'five', 'six'].map(RED).join(' ');
    const lines = wrap(coloured, 14);
    // Plain, it would be 'one two three' / 'four five six': the escapes take no column.
    expect(lines.map(stripAnsi)).toEqual(['one two three', 'four five six']);
  });

  it('counts wide characters as two columns', () => {
    const lines = wrap('節点 節点 節点 節点 節点', 10);
    expect(lines).toEqual(['節点 節点', '節点 節点', '節点']);
    expect(widest(lines)).toBeLessThanOrEqual(10);
  });

  it('keeps the spaces between words on one line, and starts a line at each newline', () => {
    expect(wrap('rule-id  tcp/8080: message', 80)).toEqual(['rule-id  tcp/8080: message']);
    expect(wrap('first line\n\nthird line', 80, { prefix: '> ', indent: 2 })).toEqual(['> first line', '', '  third line']);
  });

  it('does not wrap at width 0', () => {
    const long = 'word '.repeat(100).trim();
    expect(wrap(long, 0)).toEqual([long]);
  });
});
