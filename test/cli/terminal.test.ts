import { reportWidth, useColor } from '../../src/cli/terminal.js';
import { UsageError } from '../../src/util/errors.js';

const tty = { isTTY: true, columns: 132 };
const pipe = { isTTY: false };

describe('useColor', () => {
  it('colours a terminal and not a pipe when nothing says otherwise', () => {
    expect(useColor(undefined, {}, tty)).toBe(true);
    expect(useColor(undefined, {}, pipe)).toBe(false);
  });

  it('follows NO_COLOR (any value but empty): no colour, even on a terminal', () => {
    expect(useColor(undefined, { NO_COLOR: '1' }, tty)).toBe(false);
    expect(useColor(undefined, { NO_COLOR: 'false' }, tty)).toBe(false);
    expect(useColor(undefined, { NO_COLOR: '' }, tty)).toBe(true);
  });

  it('follows FORCE_COLOR: colour into a pipe, unless it is 0 or empty', () => {
    expect(useColor(undefined, { FORCE_COLOR: '1' }, pipe)).toBe(true);
    expect(useColor(undefined, { FORCE_COLOR: '3' }, pipe)).toBe(true);
    expect(useColor(undefined, { FORCE_COLOR: '0' }, tty)).toBe(false);
    expect(useColor(undefined, { FORCE_COLOR: '' }, pipe)).toBe(false);
  });

  it('puts the flag before NO_COLOR, and NO_COLOR before FORCE_COLOR', () => {
    expect(useColor(true, { NO_COLOR: '1', FORCE_COLOR: '0' }, pipe)).toBe(true);
    expect(useColor(false, { FORCE_COLOR: '1' }, tty)).toBe(false);
    expect(useColor(undefined, { NO_COLOR: '1', FORCE_COLOR: '1' }, tty)).toBe(false);
  });
});

describe('reportWidth', () => {
  it('is 80 into a pipe, and the terminal width on a terminal', () => {
    expect(reportWidth(undefined, {}, pipe)).toBe(80);
    expect(reportWidth(undefined, {}, tty)).toBe(132);
    expect(reportWidth(undefined, {}, { isTTY: true, columns: 0 })).toBe(80);
  });

  it('takes COLUMNS before the terminal, and --width before both; never narrower than 40 unless asked for none', () => {
    expect(reportWidth(undefined, { COLUMNS: '100' }, pipe)).toBe(100);
    expect(reportWidth(undefined, { COLUMNS: '100' }, tty)).toBe(100);
    expect(reportWidth(undefined, { COLUMNS: 'wide' }, pipe)).toBe(80);
    expect(reportWidth(undefined, { COLUMNS: '20' }, pipe)).toBe(40);
    expect(reportWidth(undefined, {}, { isTTY: true, columns: 20 })).toBe(40);
    expect(reportWidth('120', { COLUMNS: '100' }, tty)).toBe(120);
    expect(reportWidth('0', {}, tty)).toBe(0);
  });

  it('refuses a --width that is no number of columns, as a usage error', () => {
    for (const bad of ['10', '-5', 'wide', '80.5', '']) {
      expect(() => reportWidth(bad, {}, pipe)).toThrow(UsageError);
    }
    expect(() => reportWidth('10', {}, pipe)).toThrow("--width: expected 0 (no wrapping) or a number of columns from 40 to 10000, got '10'");
  });
});
