import { parseSize } from '../../src/cli/size.js';
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
