import { obj, pushTo } from '../../src/util/obj.js';

describe('obj: a JSON value read as an object', () => {
  it('gives an object back as it is, and anything else (null, a list, a scalar) as an empty object', () => {
    const o = { a: 1 };
    expect(obj(o)).toBe(o);
    for (const v of [null, undefined, [1, 2], 'text', 3, true]) expect(obj(v)).toEqual({});
  });
});

describe('pushTo: the step of a group-by', () => {
  it('starts a list for a new key and adds to the list of a known one, in order, leaving other keys alone', () => {
    const m = new Map<string, number[]>();
    pushTo(m, 'a', 1);
    pushTo(m, 'b', 2);
    pushTo(m, 'a', 3);
    expect([...m]).toEqual([
      ['a', [1, 3]],
      ['b', [2]],
    ]);
  });

  it('adds to the very list the map holds (a list read before a push sees it)', () => {
    const m = new Map<number, string[]>();
    pushTo(m, 7, 'x');
    const list = m.get(7)!;
    pushTo(m, 7, 'y');
    expect(list).toEqual(['x', 'y']);
  });
});
