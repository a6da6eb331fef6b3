/**
 * The full collections an import asks for between batches (src/threads/collect-garbage.ts): one
 * runs when the heap holds more than the limit, and gives the garbage back.
 */
import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { collectAbove } from '../../src/threads/collect-garbage.js';

describe('collectAbove', () => {
  it('collects the garbage once the heap holds more than the limit', () => {
    (() => {
      const garbage: { i: number }[] = [];
      for (let i = 0; i < 1_000_000; i++) garbage.push({ i });
    })();
    const before = getHeapStatistics().used_heap_size;
    collectAbove(0);
    expect(getHeapStatistics().used_heap_size).toBeLessThan(before - (16 << 20));
  });
});
