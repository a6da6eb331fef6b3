import { afterAll, describe, expect, it } from 'vitest';
import { buildScenario } from '../../src/simulator/scenarios/index.js';
import { triggers } from '../../src/store/introspect.js';
import type { Engine } from '../../src/store/engine/engine.js';
import { ENGINES, freshSynapseDatabase, type FreshDatabase } from '../support/engines.js';
import {
  checkCurrentState,
  checkEventIntegrity,
  checkOrderingsAndTriggers,
  checkRowSets,
  checkStateGroupChains,
  collapseGroup,
  readEvents,
} from './invariants.js';

const VERSIONS = [72, 94] as const;

for (const kind of ENGINES) {
  for (const version of VERSIONS) {
    describe(`${kind}, schema ${version}: simulated scenarios`, () => {
      const open: FreshDatabase[] = [];
      const fresh = async (): Promise<Engine> => {
        const db = await freshSynapseDatabase(kind, version);
        open.push(db);
        return db.db.main;
      };
      afterAll(async () => {
        for (const db of open) await db.cleanup();
      });

      async function commonInvariants(engine: Engine, roomId: string, own: Parameters<typeof checkEventIntegrity>[1]): Promise<void> {
        expect(await checkEventIntegrity(engine, own)).toBeGreaterThan(10);
        await checkRowSets(engine);
        await checkStateGroupChains(engine);
        await checkCurrentState(engine, roomId);
        await checkOrderingsAndTriggers(engine);
        // The stream-ordering triggers (schema 74+) ran on every insert above.
        const names = (await triggers(engine)).map((t) => t.name).join(' ');
        if (version >= 74) expect(names).toMatch(/event_stream_ordering/);
      }

      it('healthy: three servers, edits, reactions, redaction, power levels, joins and a leave', async () => {
        const engine = await fresh();
        const r = await buildScenario('healthy', { engine, version, roomVersion: '10' });
        await commonInvariants(engine, r.roomId, r.servers[0]!);
        const rejected = (await readEvents(engine)).filter((e) => e.rejection_reason !== null);
        expect(rejected).toEqual([]);
        const rel = await engine.queryOne<{ relation_type: string; aggregation_key: string }>(
          'SELECT relation_type, aggregation_key FROM event_relations WHERE event_id = ?',
          [r.labels.reaction as string],
        );
        expect(rel).toEqual({ relation_type: 'm.annotation', aggregation_key: '👍' });
        const red = await engine.queryOne<{ redacts: string }>('SELECT redacts FROM redactions WHERE event_id = ?', [r.labels.redaction as string]);
        expect(red?.redacts).toBe(r.labels.redacted);
        const chains = await engine.queryOne<{ n: number }>('SELECT count(*) AS n FROM event_auth_chains');
        const stateEvents = await engine.queryOne<{ n: number }>('SELECT count(*) AS n FROM state_events');
        expect(Number(chains!.n)).toBe(Number(stateEvents!.n));
      });

      for (const roomVersion of ['11', '12']) {
        it(`healthy in room version ${roomVersion}`, async () => {
          const engine = await fresh();
          const r = await buildScenario('healthy', { engine, version, roomVersion });
          await commonInvariants(engine, r.roomId, r.servers[0]!);
        });
      }

      for (const roomVersion of ['10', '12']) {
        it(`rejection-chain in room version ${roomVersion}: root force-rejected, cascade by the auth-events rule, genuine by power, old-PL accepted`, async () => {
          const engine = await fresh();
          const twin = await fresh();
          const r = await buildScenario('rejection-chain', { engine, version, roomVersion, otherEngines: [twin] });
          await commonInvariants(engine, r.roomId, r.servers[0]!);
          await commonInvariants(twin, r.roomId, r.servers[1]!);
          const reason = async (e: Engine, id: string): Promise<string | null> =>
            (await e.queryOne<{ r: string | null }>('SELECT rejection_reason AS r FROM events WHERE event_id = ?', [id]))!.r;
          const rejection = async (e: Engine, id: string): Promise<string | undefined> =>
            (await e.queryOne<{ reason: string }>('SELECT reason FROM rejections WHERE event_id = ?', [id]))?.reason;
          const root = r.labels.root as string;
          expect(await reason(engine, root)).toBe('auth_error');
          expect(await rejection(engine, root)).toBe('auth_error');
          expect(await reason(twin, root)).toBeNull();
          const view = r.room.view(r.servers[0]!);
          expect(view.events.get(root)!.forced).toBe(true);
          for (const id of r.labels.cascade as string[]) {
            expect(await rejection(engine, id)).toBe('auth_error');
            expect(view.events.get(id)!.rejectedBy?.rule).toBe('auth-events.rejected');
            expect(await reason(twin, id)).toBeNull();
          }
          const genuine = r.labels.genuine as string;
          expect(await rejection(engine, genuine)).toBe('auth_error');
          expect(await rejection(twin, genuine)).toBe('auth_error');
          expect(view.events.get(genuine)!.rejectedBy?.rule).toMatch(/power/);
          for (const id of r.labels.oldPlEvents as string[]) expect(await reason(engine, id)).toBeNull();
          // A rejected event's state group is the state before it (that of its single prev event).
          let compared = 0;
          for (const id of [root, ...(r.labels.cascade as string[])]) {
            const prev = view.events.get(id)!.ev.pdu.prev_events;
            if (prev.length !== 1) continue;
            compared++;
            const g = async (ev: string): Promise<number> =>
              Number((await engine.queryOne<{ s: number }>('SELECT state_group AS s FROM event_to_state_groups WHERE event_id = ?', [ev]))!.s);
            expect(await collapseGroup(engine, await g(id))).toEqual(await collapseGroup(engine, await g(prev[0]!)));
          }
          expect(compared).toBeGreaterThanOrEqual(4);
        });

        it(`history-gap in room version ${roomVersion}: the new server has the join state as outliers and lacks the old history`, async () => {
          const oldDb = await fresh();
          const newDb = await fresh();
          const r = await buildScenario('history-gap', { engine: oldDb, version, roomVersion, otherEngines: [newDb] });
          await commonInvariants(oldDb, r.roomId, r.servers[0]!);
          await commonInvariants(newDb, r.roomId, r.servers[1]!);
          const newEvents = new Map((await readEvents(newDb)).map((e) => [e.event_id, e]));
          const oldEvents = new Map((await readEvents(oldDb)).map((e) => [e.event_id, e]));
          for (const id of r.labels.oldHistory as string[]) expect(oldEvents.has(id)).toBe(true);
          for (const id of [r.labels.oldEdit, r.labels.oldRedaction, r.labels.oldRedacted] as string[]) expect(newEvents.has(id)).toBe(false);
          expect((r.labels.missingOnNew as string[]).length).toBeGreaterThan(5);
          for (const id of r.labels.joinStateOutliers as string[]) {
            const e = newEvents.get(id)!;
            expect(e.outlier).toBe(true);
            expect(e.stream_ordering).toBeLessThan(0);
          }
          const join = newEvents.get(r.labels.join as string)!;
          expect(join.outlier).toBe(false);
          expect(join.stream_ordering).toBeGreaterThan(0);
          const back = await newDb.query<{ event_id: string }>('SELECT event_id FROM event_backward_extremities WHERE room_id = ?', [r.roomId]);
          expect(back.map((b) => b.event_id).sort()).toEqual([...(r.labels.joinPrevEvents as string[])].sort());
          const oldBack = await oldDb.query('SELECT event_id FROM event_backward_extremities');
          expect(oldBack).toEqual([]);
        });
      }
    });
  }
}
