/**
 * The fast canonical JSON path fsck hashes stored events with (src/matrix/canonical-fast.ts): equal
 * to the exact encoder wherever it answers, and it declines (undefined) whatever it cannot encode
 * exactly. Its event hashes equal the exact ones on every event of a simulated room.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/matrix/canonical-json.js';
import { canonicalJsonIfSimple, fastEventHashes } from '../../src/matrix/canonical-fast.js';
import { computeEventId } from '../../src/matrix/event-id.js';
import { computeContentHash } from '../../src/matrix/hashes.js';
import { simulateHealthy } from '../../src/simulator/scenarios/healthy.js';

describe('canonical JSON fast path', () => {
  it('equals canonicalJson where it answers', () => {
    const values: unknown[] = [
      { b: 1, a: [3, { z: null, y: true }], 'é': 'ü', '\u00ff': 'x', emoji: '😀', ctl: '\u0001\n"\\' },
      { '': 0, big: Number.MAX_SAFE_INTEGER, neg: -Number.MAX_SAFE_INTEGER, 'a0': 1 },
      [],
      'plain',
    ];
    for (const v of values) expect(canonicalJsonIfSimple(v)).toBe(canonicalJson(v));
  });

  it('declines what it cannot encode exactly', () => {
    for (const v of [{ a: 1.5 }, { a: 2 ** 53 }, { a: 10n }, { a: '\ud800' }, { '\ue000': 1, '\ud83d\ude00': 2 }, { a: -0 }, { '': 0, '0': 1 }, { b: { '10': 1, '9': 2 } }, new Map()]) {
      expect(canonicalJsonIfSimple(v)).toBeUndefined();
    }
  });

  it("gives every simulated event its exact content hash and event id", () => {
    const sim = simulateHealthy('10');
    const rules = sim.room.rules;
    let n = 0;
    for (const ev of sim.room.view(sim.servers[0]).events.values()) {
      const raw = ev.ev.pdu.raw;
      const fast = fastEventHashes(raw, rules);
      expect(fast).toBeDefined();
      expect(fast!.contentHash).toBe(computeContentHash(raw, { strictIntegers: false }));
      expect(fast!.eventId).toBe(computeEventId(raw, rules));
      n++;
    }
    expect(n).toBeGreaterThan(20);
  });
});
