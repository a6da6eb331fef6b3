/**
 * The healthy simulator scenarios, schema 72 and 94, both engines: the whole fsck (every group of
 * checks) finds nothing (the healthy scenario's one soft-failed event is a note).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/engines.js';
import { buildBase, fired, findingsOf, fsck, type Base } from './support.js';

for (const engine of ENGINES) {
  describe.concurrent(`${engine}: fsck of healthy scenarios`, () => {
    const bases: Base[] = [];
    afterAll(async () => {
      for (const b of bases) await b.cleanup();
    });

    for (const version of [72, 94] as const) {
      it(`healthy (v${version}): clean, its soft-failed event listed as a note`, async () => {
        const base = await buildBase(engine, 'healthy', version);
        bases.push(base);
        const run = await fsck(base.urls[0]!, []);
        expect(fired(run)).toEqual([]);
        expect(run.code).toBe(0);
        const soft = findingsOf(run, 'soft-failure.soft-failed');
        expect(soft).toHaveLength(1);
        expect(soft[0]).toMatchObject({ severity: 'info', room_id: base.scenario.roomId, count: 1 });
      });

      it(`history-gap, both servers (v${version}): clean`, async () => {
        const base = await buildBase(engine, 'history-gap', version, 1);
        bases.push(base);
        for (const url of base.urls) {
          const run = await fsck(url, []);
          expect(fired(run, true)).toEqual([]);
          expect(run.code).toBe(0);
        }
      });

      it(`rejection-chain, its healthy twin and the chain rejected on arrival (v${version}): clean`, async () => {
        const base = await buildBase(engine, 'rejection-chain', version, 1);
        bases.push(base);
        for (const url of base.urls) {
          const run = await fsck(url, []);
          expect(fired(run, true)).toEqual([]);
          expect(run.code).toBe(0);
        }
      });
    }
  });
}
