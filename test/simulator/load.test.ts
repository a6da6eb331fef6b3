import { afterAll, describe, expect, it } from 'vitest';
import { generateLoad } from '../../src/simulator/load.js';
import { ENGINES, freshSynapseDatabase, rawEngine, type FreshDatabase } from '../support/engines.js';
import { checkCurrentState, checkOrderingsAndTriggers, checkStateGroupChains } from './invariants.js';

const EVENTS = Number(process.env.SIM_LOAD_EVENTS ?? 3000);

for (const kind of ENGINES) {
  for (const version of [72, 94] as const) {
    describe(`${kind}, schema ${version}: generateLoad`, () => {
      const open: FreshDatabase[] = [];
      afterAll(async () => {
        for (const db of open) await db.cleanup();
      });
      it(`writes ${EVENTS} events in batches with consistent state`, async () => {
        const db = await freshSynapseDatabase(kind, version);
        open.push(db);
        const engine = rawEngine(db.db);
        const r = await generateLoad(engine, version, { events: EVENTS, rooms: 3, batchSize: 1000, stateEvery: 10 });
        console.log(`${kind} v${version}: ${r.events} events in ${r.seconds.toFixed(1)}s = ${Math.round(r.eventsPerSecond)} events/s`);
        expect(r.events).toBeGreaterThanOrEqual(EVENTS);
        const row = await engine.queryOne<{ n: number }>('SELECT count(*) AS n FROM events');
        expect(Number(row!.n)).toBe(r.events);
        await checkOrderingsAndTriggers(engine);
        await checkStateGroupChains(engine);
        for (const roomId of r.roomIds) await checkCurrentState(engine, roomId);
        const maxHops = await engine.queryOne<{ n: number }>('SELECT count(*) AS n FROM state_groups');
        expect(Number(maxHops!.n)).toBeGreaterThan(EVENTS / 10);
      }, 600_000);
    });
  }
}
