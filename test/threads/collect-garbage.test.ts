/**
 * The full collections an import asks for between batches (src/threads/collect-garbage.ts): one
 * runs when the heap holds more than the limit, and gives the garbage back.
 */
import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { collectAbove } from '../../src/threads/collect-garbage.js';

describe('collectAbove', () => {
  it('collects the garbage once the heap holds more than the limit', () => {
    let garbage: { i: number }[] | null = [];
    for (let i = 0; i < 1_000_000; i++) garbage.push({ i });
    garbage = null;
    const before = getHeapStatistics().used_heap_size;
    collectAbove(before + (256 << 20)); // under the limit: nothing asked
    collectAbove(0);
    const after = getHeapStatistics().used_heap_size;
    expect(garbage).toBeNull();
    expect(after).toBeLessThan(before - (16 << 20));
  });
});
