import { parseCounter, parseMark, protocolName } from '../../src/parse/numbers.js';

describe('fwmark spellings', () => {
  it('reads 0x205a, 8282 and 0000205A as one number', () => {
    expect(parseMark('0x205a')).toBe(8282);
    expect(parseMark('8282')).toBe(8282);
    expect(parseMark('0000205A', true)).toBe(8282);
    expect(parseMark('0x205a/0xffffffff')).toBe(8282);
  });
  it('refuses what is not a number', () => {
    expect(parseMark('abc')).toBeUndefined();
    expect(parseMark('0000205A')).toBeUndefined(); // hex without 0x only where the format is hex
  });
});

describe('counters and protocols', () => {
  it('reads K, M, G suffixes as powers of 1000', () => {
    expect(parseCounter('1542K')).toBe(1_542_000);
    expect(parseCounter('93M')).toBe(93_000_000);
    expect(parseCounter('21G')).toBe(21_000_000_000);
    expect(parseCounter('12')).toBe(12);
    expect(parseCounter('x')).toBeUndefined();
  });
  it('names numeric protocols', () => {
    expect(['0', '6', '17', 'TCP'].map(protocolName)).toEqual(['all', 'tcp', 'udp', 'tcp']);
  });
});
