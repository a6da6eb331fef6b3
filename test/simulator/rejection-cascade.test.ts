/**
 * The 'rejection-cascade' scenario in both shapes ('arrival': the root rejected when it arrived;
 * 'marked': accepted, then marked rejected on A only), room versions 10 and 12, on both engines and
 * schemas 72 and 94. What the scenario promises is read back with plain SQL on fresh connections to
 * A's database and to B's (the healthy twin).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildScenario, type RejectionShape, type ScenarioResult } from '../../src/simulator/scenarios/index.js';
import type { Engine } from '../../src/store/engine/engine.js';
import { openDatabase } from '../../src/store/open.js';
import { ENGINES, freshSynapseDatabase, rawEngine, type FreshDatabase } from '../support/engines.js';
import { stateKeyOf } from '../../src/matrix/pdu.js';
import {
  checkCurrentState,
  checkEventIntegrity,
  checkOrderingsAndTriggers,
  checkRowSets,
  checkStateGroupChains,
  collapseGroup,
} from './invariants.js';

const VERSIONS = [72, 94] as const;
const ROOM_VERSIONS = ['10', '12'] as const;
const SHAPES: readonly RejectionShape[] = ['arrival', 'marked'];
const PL_KEY = stateKeyOf('m.room.power_levels', '');

interface Built {
  r: ScenarioResult;
  a: FreshDatabase;
  b: FreshDatabase;
}

for (const kind of ENGINES) {
  for (const version of VERSIONS) {
    describe(`${kind}, schema ${version}: rejection-cascade`, () => {
      const open: Array<{ cleanup(): Promise<void> }> = [];
      afterAll(async () => {
        for (const db of open.reverse()) await db.cleanup();
      });
      const fresh = async (): Promise<FreshDatabase> => {
        const db = await freshSynapseDatabase(kind, version);
        open.push(db);
        return db;
      };
      /** A new read-only connection to a written database (nothing cached from the writer's). */
      const reopen = async (db: FreshDatabase): Promise<Engine> => {
        const store = await openDatabase({ db: db.url, write: false });
        open.push({ cleanup: () => store.close() });
        return rawEngine(store);
      };
      const builds = new Map<string, Promise<Built>>();
      const built = (roomVersion: string, shape: RejectionShape): Promise<Built> => {
        const key = `${roomVersion}/${shape}`;
        let p = builds.get(key);
        if (!p) {
          p = (async () => {
            const a = await fresh();
            const b = await fresh();
            const r = await buildScenario('rejection-cascade', { engine: rawEngine(a.db), version, roomVersion, shape, otherEngines: [rawEngine(b.db)] });
            return { r, a, b };
          })();
          builds.set(key, p);
        }
        return p;
      };

      const ids = async (e: Engine, sql: string, params: ReadonlyArray<string | number> = []): Promise<string[]> =>
        (await e.query<{ id: string }>(sql, params)).map((x) => String(x.id)).sort();
      const n = async (e: Engine, sql: string, params: ReadonlyArray<string | number>): Promise<number> =>
        Number((await e.queryOne<{ n: number | string }>(sql, params))!.n);
      const current = async (e: Engine, roomId: string, type: string, stateKey: string): Promise<string | undefined> =>
        (await e.queryOne<{ id: string }>('SELECT event_id AS id FROM current_state_events WHERE room_id = ? AND type = ? AND state_key = ?', [roomId, type, stateKey]))?.id;
      const groupOf = async (e: Engine, id: string): Promise<Map<string, string>> =>
        collapseGroup(e, Number((await e.queryOne<{ s: number }>('SELECT state_group AS s FROM event_to_state_groups WHERE event_id = ?', [id]))!.s));

      for (const roomVersion of ROOM_VERSIONS) {
        for (const shape of SHAPES) {
          it(`${shape}, room version ${roomVersion}: root and cascade rejected on A only, genuine on both, old-PL and local events accepted`, async () => {
            const { r, a, b } = await built(roomVersion, shape);
            const L = r.labels;
            const root = L.root as string;
            const cascade = L.cascade as string[];
            const genuine = L.genuine as string;
            const [sa, sb] = r.servers;
            expect(r.written.map((w) => w.server)).toEqual([sa!.name, sb!.name]);

            // Invariants on both databases. A 'marked' root keeps its accepted-era rows.
            for (const [db, server] of [[a, sa!], [b, sb!]] as const) {
              const e = rawEngine(db.db);
              expect(await checkEventIntegrity(e, server)).toBeGreaterThan(20);
              await checkRowSets(e, db === a && shape === 'marked' ? new Set([root]) : new Set());
              await checkStateGroupChains(e);
              await checkCurrentState(e, r.roomId);
              await checkOrderingsAndTriggers(e);
            }

            // The labels name what they say.
            for (const name of ['root', 'genuine', 'edit', 'edited', 'reaction', 'reacted', 'cascadePowerLevels', 'cascadeJoin', 'invite', 'fourthJoin', 'leave', 'localAfter', 'oldPowerLevels', 'benJoin']) {
              expect(typeof L[name], name).toBe('string');
            }
            for (const name of ['edit', 'reaction', 'cascadePowerLevels', 'cascadeJoin', 'invite', 'fourthJoin', 'leave']) expect(cascade, name).toContain(L[name]);
            expect(cascade).not.toContain(root);
            expect(cascade).not.toContain(genuine);
            expect((L.cascadeMessages as string[]).length).toBeGreaterThanOrEqual(4);
            expect((L.oldPlEvents as string[]).length).toBe(3);
            expect(L.acceptedCitingRoot).toEqual(shape === 'marked' ? [L.edited, L.localAfter] : []);

            const ea = await reopen(a);
            const eb = await reopen(b);
            const json = async (id: string): Promise<{ type: string; sender: string; state_key?: string; content: Record<string, unknown> }> =>
              JSON.parse((await ea.queryOne<{ j: string }>('SELECT json AS j FROM event_json WHERE event_id = ?', [id]))!.j);
            expect((await json(L.edit as string)).content['m.relates_to']).toEqual({ rel_type: 'm.replace', event_id: L.edited });
            expect((await json(L.reaction as string)).content['m.relates_to']).toEqual({ rel_type: 'm.annotation', event_id: L.reacted, key: '👍' });
            expect((await json(L.cascadePowerLevels as string)).type).toBe('m.room.power_levels');
            const invite = await json(L.invite as string);
            const join = await json(L.fourthJoin as string);
            expect(invite.content.membership).toBe('invite');
            expect(join.content.membership).toBe('join');
            expect(join.sender).toBe(invite.state_key);
            expect(join.sender.endsWith(':fourth.example')).toBe(true);
            expect((await json(L.leave as string)).content.membership).toBe('leave');
            expect((await json(genuine)).type).toBe('m.room.power_levels');
            const local = await json(L.localAfter as string);
            expect([local.type, local.sender]).toEqual(['m.room.message', '@alice:this.example']);
            // Every cascade event comes from a remote server and cites the root or another cascade event.
            const rejectedBefore = new Set([root]);
            for (const id of cascade) {
              const ev = await json(id);
              expect(ev.sender.endsWith(':this.example')).toBe(false);
              const auth = r.room.event(id).pdu.auth_events;
              expect(auth.some((x) => rejectedBefore.has(x)), id).toBe(true);
              rejectedBefore.add(id);
            }

            // Rejections: A has exactly root + cascade + genuine; B exactly genuine.
            const onA = [root, ...cascade, genuine].sort();
            expect(await ids(ea, 'SELECT event_id AS id FROM rejections')).toEqual(onA);
            expect(await ids(ea, 'SELECT event_id AS id FROM events WHERE rejection_reason IS NOT NULL')).toEqual(onA);
            expect(await ids(ea, "SELECT event_id AS id FROM rejections WHERE reason = 'auth_error'")).toEqual(onA);
            expect(await ids(eb, 'SELECT event_id AS id FROM rejections')).toEqual([genuine]);
            expect(await ids(eb, 'SELECT event_id AS id FROM events WHERE rejection_reason IS NOT NULL')).toEqual([genuine]);
            const accepted = [...(L.oldPlEvents as string[]), L.localAfter as string, ...(L.acceptedCitingRoot as string[])];
            for (const id of accepted) {
              expect(await n(ea, 'SELECT count(*) AS n FROM events WHERE event_id = ? AND rejection_reason IS NULL', [id])).toBe(1);
              expect(await n(eb, 'SELECT count(*) AS n FROM events WHERE event_id = ? AND rejection_reason IS NULL', [id])).toBe(1);
            }
            // Both databases hold every labelled event.
            for (const id of [root, ...cascade, genuine, ...accepted]) {
              expect(await n(ea, 'SELECT count(*) AS n FROM events WHERE event_id = ?', [id])).toBe(1);
              expect(await n(eb, 'SELECT count(*) AS n FROM events WHERE event_id = ?', [id])).toBe(1);
            }

            // Why each was rejected (A's own checks, as the simulation recorded them).
            const va = r.room.view(sa!);
            for (const id of cascade) expect(va.events.get(id)!.rejectedBy?.rule, id).toBe('auth-events.rejected');
            expect(va.events.get(genuine)!.rejectedBy?.rule).toMatch(/power/);
            expect(r.room.view(sb!).events.get(genuine)!.rejectedBy?.rule).toMatch(/power/);
            const rootStored = va.events.get(root)!;
            expect(rootStored.rejectedBy).toBeUndefined();
            expect(rootStored.markedAfterAcceptance ?? false).toBe(shape === 'marked');

            // Current state. A: the power levels are the root ('marked') or the old ones ('arrival');
            // Ben's leave and Dave's invite and join never took effect. B: everything did.
            const ben = L.benJoin as string;
            const benId = (await json(ben)).state_key!;
            const daveId = join.sender;
            expect(await current(ea, r.roomId, 'm.room.power_levels', '')).toBe(shape === 'marked' ? root : L.oldPowerLevels);
            expect(await current(ea, r.roomId, 'm.room.member', benId)).toBe(ben);
            expect(await current(ea, r.roomId, 'm.room.member', daveId)).toBeUndefined();
            expect(await current(eb, r.roomId, 'm.room.power_levels', '')).toBe(L.cascadePowerLevels);
            expect(await current(eb, r.roomId, 'm.room.member', benId)).toBe(L.leave);
            expect(await current(eb, r.roomId, 'm.room.member', daveId)).toBe(L.fourthJoin);
            expect(await n(ea, 'SELECT count(*) AS n FROM current_state_events WHERE event_id = ?', [root])).toBe(shape === 'marked' ? 1 : 0);
            expect(await n(eb, 'SELECT count(*) AS n FROM current_state_events WHERE event_id = ?', [root])).toBe(0); // replaced by cascadePowerLevels

            // Relations: only B has the edit's and the reaction's rows.
            expect(await n(ea, 'SELECT count(*) AS n FROM event_relations WHERE event_id IN (?, ?)', [L.edit as string, L.reaction as string])).toBe(0);
            const rel = await eb.query<{ event_id: string; relates_to_id: string; relation_type: string; aggregation_key: string | null }>(
              'SELECT event_id, relates_to_id, relation_type, aggregation_key FROM event_relations WHERE event_id IN (?, ?) ORDER BY relation_type',
              [L.edit as string, L.reaction as string],
            );
            expect(rel).toEqual([
              { event_id: L.reaction, relates_to_id: L.reacted, relation_type: 'm.annotation', aggregation_key: '👍' },
              { event_id: L.edit, relates_to_id: L.edited, relation_type: 'm.replace', aggregation_key: null },
            ]);

            // The root's state group on A: the state after it ('marked', as for any accepted state
            // event: it holds the root itself) or the state before it ('arrival').
            const rootGroup = await groupOf(ea, root);
            if (shape === 'marked') {
              expect(rootGroup.get(PL_KEY)).toBe(root);
              const events = await ids(ea, 'SELECT event_id AS id FROM events WHERE event_id IN (?, ?)', [L.edited as string, L.localAfter as string]);
              expect(events).toHaveLength(2);
              for (const id of L.acceptedCitingRoot as string[]) expect(r.room.event(id).pdu.auth_events).toContain(root);
            } else {
              expect(rootGroup.get(PL_KEY)).toBe(L.oldPowerLevels);
              // Rejected when it arrived: no event_edges rows, as Synapse writes rejected events.
              expect(await n(ea, 'SELECT count(*) AS n FROM event_edges WHERE event_id = ?', [root])).toBe(0);
            }
          });
        }

        it(`marked, room version ${roomVersion}: the root keeps its accepted-era rows (event_edges) besides its rejections row`, async () => {
          const { r, a } = await built(roomVersion, 'marked');
          const e = await reopen(a);
          const root = r.labels.root as string;
          const prevs = r.room.event(root).pdu.prev_events;
          expect(await n(e, 'SELECT count(*) AS n FROM rejections WHERE event_id = ?', [root])).toBe(1);
          expect(await n(e, 'SELECT count(*) AS n FROM state_events WHERE event_id = ?', [root])).toBe(1);
          expect(await n(e, 'SELECT count(*) AS n FROM current_state_events WHERE event_id = ?', [root])).toBe(1);
          expect(await ids(e, 'SELECT prev_event_id AS id FROM event_edges WHERE event_id = ?', [root])).toEqual([...prevs].sort());
        });
      }
    });
  }
}
