/**
 * The load generator's rejection chains (what `npm run bench` measures `rejections` on): one chain
 * per chain room, every rejected event in it, found by `rejections` — on both engines.
 */
import { describe, expect, it } from 'vitest';
import { findRejections } from '../../src/rejections/index.js';
import { generateLoad } from '../../src/simulator/load.js';
import { ENGINES, freshSynapseDatabase, rawEngine } from '../support/engines.js';

for (const kind of ENGINES) {
  describe(`${kind}: rejections on generated chains`, () => {
    it('finds one chain per chain room holding every rejected event there', async () => {
      const fresh = await freshSynapseDatabase(kind, 94);
      try {
        const r = await generateLoad(rawEngine(fresh.db), 94, { events: 3000, rooms: 3, chainRooms: 2, batchSize: 700 });
        expect(r.rejected).toBeGreaterThan(1000);
        const report = await findRejections(fresh.db);
        expect(report.totals.rejected).toBe(r.rejected);
        expect(report.totals.looks_wrong).toBe(2);
        expect(report.rooms.map((x) => x.chains.length)).toEqual([1, 1]);
        const deps = report.rooms.reduce((n, x) => n + x.chains[0]!.dependents.count, 0);
        expect(deps).toBe(r.rejected - 2);
        for (const room of report.rooms) expect(room.by_class).toMatchObject({ 'own-merit': 0, undecided: 0, unexplained: 1 });
      } finally {
        await fresh.cleanup();
      }
    });
  });
}
