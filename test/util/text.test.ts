import { safe, safeJson } from '../../src/util/text.js';

describe('safe: strings from captures and rule files on a terminal', () => {
  it('escapes ESC, BEL, C1 controls, DEL and bidi overrides, and leaves ordinary text and tabs alone', () => {
    expect(safe('a\u001b[2Jb\u0007c\u009bd\u007fe\u202ef\tg')).toBe('a\\e[2Jb\\x07c\\x9bd\\x7fe\\u{202e}f\tg');
    expect(safe('tcp/8080: ingress_sbox at 172.18.0.2 — ✔')).toBe('tcp/8080: ingress_sbox at 172.18.0.2 — ✔');
  });

  it('keeps newlines only when asked', () => {
    expect(safe('a\nb\rc')).toBe('a\\nb\\rc');
    expect(safe('a\nb\rc', true)).toBe('a\nb\\rc');
  });

  it('safeJson escapes what JSON.stringify leaves raw, and the value is unchanged', () => {
    const v = { name: 'x\u009b31m\u202ey\u001b' };
    const text = safeJson(JSON.stringify(v));
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(JSON.parse(text)).toEqual(v);
  });

  it.each([
    ['DEL alone in ASCII text', 'a\u007fb', 'a\\u007fb'],
    ['a C1 control', 'a\u0085b', 'a\\u0085b'],
    ['a bidi override next to other non-ASCII text', 'é\u2066x', 'é\\u2066x'],
    ['ASCII text', 'plain "quoted" text', 'plain "quoted" text'],
    ['non-ASCII text without anything to escape', 'café — ✔', 'café — ✔'],
  ])('safeJson: %s', (_what, raw, want) => {
    expect(safeJson(raw)).toBe(want);
  });
});
