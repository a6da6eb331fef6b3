import { afterAll, describe, expect, it } from 'vitest';
import { buildScenario } from '../../src/simulator/scenarios/index.js';
import { triggers } from '../../src/store/introspect.js';
import type { Engine } from '../../src/store/engine/engine.js';
import { ENGINES, freshSynapseDatabase, rawEngine, type FreshDatabase } from '../support/engines.js';
import { stateKeyOf } from '../../src/matrix/pdu.js';
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
        return rawEngine(db.db);
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
        it(`healthy in room version ${roomVersion}: the ban race soft-fails Mallory's late state event on A only`, async () => {
          const engine = await fresh();
          const twin = await fresh();
          const r = await buildScenario('healthy', { engine, version, roomVersion, otherEngines: [twin] });
          await commonInvariants(engine, r.roomId, r.servers[0]!);
          await commonInvariants(twin, r.roomId, r.servers[1]!);
          const id = r.labels.softFailed as string;
          const [malloryJoin, ban, afterBan] = [r.labels.malloryJoin, r.labels.ban, r.labels.afterBan] as string[];
          const mallory = '@mallory:c.example';
          const view = r.room.view(r.servers[0]!);
          const stored = view.events.get(id)!;
          expect(stored.softFailed).toBe(true);
          expect(stored.softFailedBy?.rule).toBe('member.join.banned');
          expect([...view.events.values()].filter((e) => e.softFailed).map((e) => e.ev.eventId)).toEqual([id]);
          expect(r.room.view(r.servers[1]!).events.get(id)!.softFailed).toBe(false);
          expect(r.room.view(r.servers[2]!).events.get(id)!.softFailed).toBe(false);
          // Receiving it changed neither A's current state nor its forward extremities.
          expect(view.stateDeltas.filter((d) => d.streamId === stored.streamOrdering || d.eventId === id)).toEqual([]);
          expect(view.extremitySnapshots.filter((x) => x.streamOrdering === stored.streamOrdering || x.eventIds.includes(id))).toEqual([]);

          const n = async (e: Engine, sql: string, params: ReadonlyArray<string | number> = [id]): Promise<number> =>
            Number((await e.queryOne<{ n: number | string }>(sql, params))!.n);
          const meta = async (e: Engine): Promise<unknown> =>
            JSON.parse((await e.queryOne<{ m: string }>('SELECT internal_metadata AS m FROM event_json WHERE event_id = ?', [id]))!.m);
          expect(await meta(engine)).toEqual({ soft_failed: true });
          expect(await meta(twin)).toEqual({});
          for (const e of [engine, twin]) {
            const row = await e.queryOne<{ r: string | null; o: unknown }>('SELECT rejection_reason AS r, outlier AS o FROM events WHERE event_id = ?', [id]);
            expect(row!.r).toBeNull();
            expect([false, 0, '0', 'f']).toContain(row!.o);
            expect(await n(e, 'SELECT count(*) AS n FROM rejections WHERE event_id = ?')).toBe(0);
          }
          expect(await n(engine, 'SELECT count(*) AS n FROM event_forward_extremities WHERE event_id = ?')).toBe(0);
          expect(await n(engine, 'SELECT count(*) AS n FROM stream_ordering_to_exterm WHERE event_id = ?')).toBe(0);
          // Every row an accepted state event gets.
          const edges = await engine.query<{ p: string }>('SELECT prev_event_id AS p FROM event_edges WHERE event_id = ?', [id]);
          expect(edges.map((x) => x.p)).toEqual([malloryJoin]);
          expect(await n(engine, 'SELECT count(*) AS n FROM state_events WHERE event_id = ?')).toBe(1);
          expect(await n(engine, 'SELECT count(*) AS n FROM event_auth WHERE event_id = ?')).toBe(view.authIds(stored.ev).length);
          expect(await n(engine, 'SELECT count(*) AS n FROM event_auth_chains WHERE event_id = ?')).toBe(1);
          const member = await engine.queryOne<{ membership: string; display_name: string }>(
            'SELECT membership, display_name FROM room_memberships WHERE event_id = ?',
            [id],
          );
          expect(member).toEqual({ membership: 'join', display_name: 'Mallory (still here)' });
          const json = JSON.parse((await engine.queryOne<{ j: string }>('SELECT json AS j FROM event_json WHERE event_id = ?', [id]))!.j) as {
            unsigned: { replaces_state?: string };
          };
          expect(json.unsigned.replaces_state).toBe(malloryJoin);
          // Its state group is the state after it, computed as usual: the state before plus itself.
          const group = async (e: Engine, ev: string): Promise<Map<string, string>> =>
            collapseGroup(e, Number((await e.queryOne<{ s: number }>('SELECT state_group AS s FROM event_to_state_groups WHERE event_id = ?', [ev]))!.s));
          const key = stateKeyOf('m.room.member', mallory);
          const after = await group(engine, id);
          const before = await group(engine, malloryJoin);
          expect(after.get(key)).toBe(id);
          before.set(key, id);
          expect(after).toEqual(before);
          // It never entered current state; the next event resolves it against the ban, which wins.
          for (const e of [engine, twin]) {
            expect(await n(e, 'SELECT count(*) AS n FROM current_state_events WHERE event_id = ?')).toBe(0);
            const cur = await e.queryOne<{ event_id: string; membership: string }>(
              'SELECT event_id, membership FROM current_state_events WHERE room_id = ? AND type = ? AND state_key = ?',
              [r.roomId, 'm.room.member', mallory],
            );
            expect(cur).toEqual({ event_id: ban, membership: 'ban' });
            expect((await group(e, afterBan)).get(key)).toBe(ban);
            const fwd = await e.query<{ event_id: string }>('SELECT event_id FROM event_forward_extremities WHERE room_id = ?', [r.roomId]);
            expect(fwd.map((x) => x.event_id)).toEqual([afterBan]);
          }
          expect(await n(engine, 'SELECT count(*) AS n FROM current_state_delta_stream WHERE event_id = ?')).toBe(0);
          const so = Number((await engine.queryOne<{ s: number }>('SELECT stream_ordering AS s FROM events WHERE event_id = ?', [id]))!.s);
          expect(await n(engine, 'SELECT count(*) AS n FROM current_state_delta_stream WHERE stream_id = ?', [so])).toBe(0);
          // On B, which got it before the ban, it did enter current state until the ban came.
          expect(await n(twin, 'SELECT count(*) AS n FROM current_state_delta_stream WHERE event_id = ?')).toBe(1);
        });

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
