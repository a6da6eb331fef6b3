import { describe, expect, it } from 'vitest';
import { batchSizes } from '../../src/import-history/plan-import.js';

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

describe('batchSizes: the import\'s transactions, newest first', () => {
  it('makes no batch when nothing is missing (a rerun after every batch was committed)', () => {
    expect(batchSizes(0, 5000, 100_000, true)).toEqual([]);
    expect(batchSizes(0, 5000, 100_000, false)).toEqual([]);
  });

  it('without a worker: batches of --batch-size', () => {
    expect(batchSizes(250_000, 5000, 100_000, false)).toEqual([100_000, 100_000, 50_000]);
    expect(batchSizes(7, 5, 5, false)).toEqual([5, 2]);
  });

  it('with a worker: one slice first and last, up to six equal batches of whole slices between', () => {
    expect(batchSizes(100_000, 5000, 100_000, true)).toEqual([5000, 15_000, 15_000, 15_000, 15_000, 15_000, 15_000, 5000]);
    expect(batchSizes(10_000, 5000, 100_000, true)).toEqual([5000, 5000]);
    expect(batchSizes(12_000, 5000, 100_000, true)).toEqual([5000, 2000, 5000]);
    expect(batchSizes(100, 5000, 20, true)).toEqual([20, 20, 20, 20, 20]);
    expect(batchSizes(3000, 5000, 100_000, true)).toEqual([3000]);
  });

  it('never exceeds --batch-size and always adds up to the room', () => {
    for (const [total, slice, batch] of [[1_000_000, 5000, 100_000], [142_000, 5000, 100_000], [12, 5, 5], [99_999, 5000, 20_000]] as const) {
      const sizes = batchSizes(total, slice, batch, true);
      expect(sum(sizes)).toBe(total);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(batch);
      expect(sizes.every((n) => n > 0)).toBe(true);
    }
    const big = batchSizes(1_000_000, 5000, 100_000, true);
    expect(big.slice(0, 3)).toEqual([5000, 100_000, 100_000]);
    expect(big.at(-1)).toBe(5000);
  });
});
