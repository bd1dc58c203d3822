import { parseCount, parseDuration, parseSize } from '../../src/cli/size.js';
import { UsageError } from '../../src/util/errors.js';

describe('parseSize (--max-file-size)', () => {
  it('reads bytes and K, M, G suffixes as powers of 1024', () => {
    expect(parseSize('500000', '--max-file-size')).toBe(500000);
    expect(parseSize('2K', '--max-file-size')).toBe(2048);
    expect(parseSize('128M', '--max-file-size')).toBe(128 * 1024 * 1024);
    expect(parseSize('1GiB', '--max-file-size')).toBe(1024 ** 3);
  });

  it('refuses anything else with a UsageError naming the flag', () => {
    for (const bad of ['lots', '-1', '0', '1T', '']) expect(() => parseSize(bad, '--max-file-size')).toThrow(UsageError);
    expect(() => parseSize('lots', '--max-file-size')).toThrow("--max-file-size: expected a size such as 128M, 1G or 500000 (bytes), got 'lots'");
  });
});

describe('parseDuration (--rule-timeout)', () => {
  it('reads milliseconds, and ms, s, m suffixes', () => {
    expect(parseDuration('250', '--rule-timeout')).toBe(250);
    expect(parseDuration('500ms', '--rule-timeout')).toBe(500);
    expect(parseDuration('1.5s', '--rule-timeout')).toBe(1500);
    expect(parseDuration('2m', '--rule-timeout')).toBe(120_000);
  });

  it('refuses anything else with a UsageError naming the flag', () => {
    for (const bad of ['soon', '-1', '0', '1h', '', '0.1ms']) expect(() => parseDuration(bad, '--rule-timeout')).toThrow(UsageError);
    expect(() => parseDuration('soon', '--rule-timeout')).toThrow("--rule-timeout: expected a duration such as 10s, 500ms or 2m, got 'soon'");
  });
});

describe('parseCount (--rule-max-values)', () => {
  it('reads whole numbers, with _ separators or an exponent', () => {
    expect(parseCount('1000', '--rule-max-values')).toBe(1000);
    expect(parseCount('20_000_000', '--rule-max-values')).toBe(20_000_000);
    expect(parseCount('2e7', '--rule-max-values')).toBe(20_000_000);
  });

  it('refuses anything else with a UsageError naming the flag', () => {
    for (const bad of ['many', '-5', '0', '1.5', '', '1e400']) expect(() => parseCount(bad, '--rule-max-values')).toThrow(UsageError);
  });
});
