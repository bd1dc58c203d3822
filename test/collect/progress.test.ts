import { jest } from '@jest/globals';
import { progress } from '../../src/collect/progress.js';

describe('progress', () => {
  const original = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
  afterEach(() => {
    if (original) Object.defineProperty(process.stderr, 'isTTY', original);
    else delete (process.stderr as { isTTY?: boolean }).isTTY;
  });

  it('writes nothing when stderr is not a terminal, even when asked for a spinner', async () => {
    Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
    const writes: unknown[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(((chunk: unknown) => {
      writes.push(chunk);
      return true;
    }) as never);
    try {
      const p = await progress(true, 'capturing this node');
      p.update('probing node2');
      p.stop();
    } finally {
      spy.mockRestore();
    }
    expect(writes).toEqual([]);
  });
});
