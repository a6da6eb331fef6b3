/**
 * The 'history-gap' scenario with its backfilled twin, on both engines, schemas 72 and 94, room
 * versions 10 and 12. Read back with plain SQL on fresh connections: OLD holds the whole history;
 * NEW holds the join's state and auth chain as outliers (negative orderings; its invite an
 * out-of-band outlier with a positive one, the one backward extremity), its timeline from the join
 * on; the reference (NEW after backfilling everything from OLD) holds every OLD event as a timeline
 * event, the new ones with negative orderings below NEW's in (depth, OLD ordering) order, the
 * former outliers with their orderings and an ex_outlier_stream row, the state OLD has at every
 * event, no backward extremity, and NEW's head rows untouched.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildScenario, type ScenarioResult } from '../../src/simulator/scenarios/index.js';
import type { Engine } from '../../src/store/engine/engine.js';
import { openDatabase } from '../../src/store/open.js';
import { hasTable } from '../../src/store/introspect.js';
import { ENGINES, freshSynapseDatabase, rawEngine, type FreshDatabase } from '../support/engines.js';
import { stateKeyOf } from '../../src/matrix/pdu.js';
import {
  checkCurrentState,
  checkEventIntegrity,
  checkOrderingsAndTriggers,
  checkRowSets,
  checkStateGroupChains,
  readEvents,
  type EventRow,
} from './invariants.js';

const VERSIONS = [72, 94] as const;
const ROOM_VERSIONS = ['10', '12'] as const;

interface Built {
  r: ScenarioResult;
  /** Fresh read-only connections: OLD, NEW, the reference (NEW backfilled). */
  old: Engine;
  neu: Engine;
  ref: Engine;
}

const sorted = (ids: Iterable<string>): string[] => [...ids].sort();

/** Every event's state after it, by event id (state groups collapsed in memory). */
async function statesAfter(e: Engine, roomId: string): Promise<Map<string, Map<string, string>>> {
  const rows = await e.query<{ state_group: number | string; type: string; state_key: string; event_id: string }>(
    'SELECT state_group, type, state_key, event_id FROM state_groups_state WHERE room_id = ?',
    [roomId],
  );
  const own = new Map<number, Array<[string, string]>>();
  for (const r of rows) {
    const g = Number(r.state_group);
    let list = own.get(g);
    if (!list) own.set(g, (list = []));
    list.push([stateKeyOf(r.type, r.state_key), r.event_id]);
  }
  const edges = new Map(
    (await e.query<{ state_group: number | string; prev_state_group: number | string }>('SELECT state_group, prev_state_group FROM state_group_edges')).map(
      (x) => [Number(x.state_group), Number(x.prev_state_group)] as const,
    ),
  );
  const collapse = (group: number): Map<string, string> => {
    const state = new Map<string, string>();
    for (let g: number | undefined = group; g !== undefined; g = edges.get(g)) {
      for (const [k, v] of own.get(g) ?? []) if (!state.has(k)) state.set(k, v);
    }
    return state;
  };
  const mapped = await e.query<{ event_id: string; state_group: number | string }>(
    'SELECT g.event_id, g.state_group FROM event_to_state_groups g JOIN events e ON e.event_id = g.event_id WHERE e.room_id = ?',
    [roomId],
  );
  return new Map(mapped.map((m) => [m.event_id, collapse(Number(m.state_group))]));
}

/** Rows of a table for the room, as sorted JSON lines (numbers normalised). */
async function rowsOf(e: Engine, sql: string, params: ReadonlyArray<string | number>): Promise<string[]> {
  const rows = await e.query<Record<string, unknown>>(sql, params);
  return rows
    .map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, typeof r[k] === 'bigint' || (typeof r[k] === 'string' && /^-?\d+$/.test(r[k] as string)) ? Number(r[k]) : r[k]])))
    .sort();
}

for (const kind of ENGINES) {
  for (const version of VERSIONS) {
    describe(`${kind}, schema ${version}: history-gap and its backfilled twin`, () => {
      const open: Array<{ cleanup(): Promise<void> }> = [];
      afterAll(async () => {
        for (const db of open.reverse()) await db.cleanup();
      });
      const fresh = async (): Promise<FreshDatabase> => {
        const db = await freshSynapseDatabase(kind, version);
        open.push(db);
        return db;
      };
      const reopen = async (db: FreshDatabase): Promise<Engine> => {
        const store = await openDatabase({ db: db.url, write: false });
        open.push({ cleanup: () => store.close() });
        return rawEngine(store);
      };
      const builds = new Map<string, Promise<Built>>();
      const built = (roomVersion: string): Promise<Built> => {
        let p = builds.get(roomVersion);
        if (!p) {
          p = (async () => {
            const [o, n, t] = [await fresh(), await fresh(), await fresh()];
            const r = await buildScenario('history-gap', {
              engine: rawEngine(o.db),
              version,
              roomVersion,
              otherEngines: [rawEngine(n.db)],
              backfilledTwin: rawEngine(t.db),
            });
            return { r, old: await reopen(o), neu: await reopen(n), ref: await reopen(t) };
          })();
          builds.set(roomVersion, p);
        }
        return p;
      };
      const byId = async (e: Engine): Promise<Map<string, EventRow>> => new Map((await readEvents(e)).map((x) => [x.event_id, x]));
      const ids = (r: ScenarioResult, label: string): string[] => {
        const v = r.labels[label];
        expect(v, `label ${label}`).toBeDefined();
        return typeof v === 'string' ? [v] : [...v!];
      };
      const one = (r: ScenarioResult, label: string): string => {
        const v = r.labels[label];
        expect(typeof v, `label ${label}`).toBe('string');
        return v as string;
      };

      for (const roomVersion of ROOM_VERSIONS) {
        it(`room version ${roomVersion}: the invariants hold on all three databases`, async () => {
          const { r, old, neu, ref } = await built(roomVersion);
          const [o, n] = r.servers;
          expect(r.written.map((w) => w.server)).toEqual([o!.name, n!.name, n!.name]);
          for (const [e, own] of [[old, o!], [neu, n!], [ref, n!]] as const) {
            expect(await checkEventIntegrity(e, own)).toBeGreaterThan(20);
            await checkRowSets(e);
            await checkStateGroupChains(e);
            await checkCurrentState(e, r.roomId);
            await checkOrderingsAndTriggers(e);
          }
        });

        it(`room version ${roomVersion}: OLD holds every labelled event in its timeline; NEW lacks the old history`, async () => {
          const { r, old, neu } = await built(roomVersion);
          const oldEvents = await byId(old);
          const newEvents = await byId(neu);
          const everything = new Set<string>();
          for (const [label, v] of Object.entries(r.labels)) {
            if (label === 'backfilled' || label === 'deOutliered') continue;
            for (const id of typeof v === 'string' ? [v] : v) everything.add(id);
          }
          for (const id of everything) {
            const e = oldEvents.get(id);
            expect(e, id).toBeDefined();
            expect(e!.outlier).toBe(false);
            expect(e!.stream_ordering).toBeGreaterThan(0);
          }
          expect(await old.query('SELECT event_id FROM event_backward_extremities')).toEqual([]);
          expect([...oldEvents.values()].filter((e) => e.outlier)).toEqual([]);

          // What the old history holds.
          expect(ids(r, 'edits')).toHaveLength(2);
          expect(ids(r, 'reactions')).toHaveLength(2);
          expect(ids(r, 'replies')).toHaveLength(2);
          expect(ids(r, 'threadReplies').length).toBeGreaterThanOrEqual(3);
          expect(ids(r, 'powerLevels')).toHaveLength(3);
          expect(ids(r, 'nameChanges')).toHaveLength(2);
          expect(ids(r, 'topicChanges')).toHaveLength(2);
          const relation = async (id: string): Promise<unknown> =>
            old.queryOne<{ relates_to_id: string; relation_type: string }>('SELECT relates_to_id, relation_type FROM event_relations WHERE event_id = ?', [id]);
          for (const id of ids(r, 'edits')) expect(await relation(id)).toMatchObject({ relation_type: 'm.replace' });
          for (const id of ids(r, 'reactions')) expect(await relation(id)).toMatchObject({ relation_type: 'm.annotation' });
          for (const id of ids(r, 'threadReplies')) expect(await relation(id)).toEqual({ relates_to_id: one(r, 'threadRoot'), relation_type: 'm.thread' });
          for (const id of ids(r, 'replies')) expect(await relation(id)).toBeUndefined(); // m.in_reply_to is no relation for Synapse
          for (const id of ids(r, 'replies')) expect((oldEvents.get(id)!.json.content as { 'm.relates_to': Record<string, unknown> })['m.relates_to']['m.in_reply_to']).toBeDefined();
          const red = await old.queryOne<{ redacts: string }>('SELECT redacts FROM redactions WHERE event_id = ?', [one(r, 'redaction')]);
          expect(red?.redacts).toBe(one(r, 'redacted'));
          if (await hasTable(old, 'threads')) {
            const thread = await old.queryOne<{ latest_event_id: string }>('SELECT latest_event_id FROM threads WHERE thread_id = ?', [one(r, 'threadRoot')]);
            expect(thread?.latest_event_id).toBe(ids(r, 'threadReplies').at(-1));
          }
          const membership = (id: string): string => (oldEvents.get(id)!.json.content as { membership: string }).membership;
          expect([membership(one(r, 'leave')), membership(one(r, 'reinvite')), membership(one(r, 'rejoin'))]).toEqual(['leave', 'invite', 'join']);

          // NEW: the outliers, its invite, and its timeline from the join on; nothing else.
          const outliers = ids(r, 'joinStateOutliers');
          const invite = one(r, 'invite');
          const join = one(r, 'join');
          expect(sorted(newEvents.keys())).toEqual(sorted([...outliers, invite, join, ...ids(r, 'postJoin')]));
          expect(sorted(ids(r, 'newOutliers'))).toEqual(sorted([...outliers, invite]));
          for (const id of outliers) {
            const e = newEvents.get(id)!;
            expect(e.outlier).toBe(true);
            expect(e.stream_ordering).toBeLessThan(0);
            expect(await neu.queryOne('SELECT state_group FROM event_to_state_groups WHERE event_id = ?', [id])).toBeUndefined();
          }
          expect([...newEvents.values()].filter((e) => e.stream_ordering < 0).map((e) => e.event_id).sort()).toEqual(sorted(outliers));
          // The invite came through /invite: an outlier, persisted as a live (positive) event.
          expect(newEvents.get(invite)!.outlier).toBe(true);
          expect(newEvents.get(invite)!.stream_ordering).toBeGreaterThan(0);
          expect(Object.keys(newEvents.get(invite)!.json.signatures as object).sort()).toEqual(sorted(r.servers.map((s) => s.name)));
          for (const id of [join, ...ids(r, 'postJoin')]) {
            expect(newEvents.get(id)!.outlier).toBe(false);
            expect(newEvents.get(id)!.stream_ordering).toBeGreaterThan(newEvents.get(invite)!.stream_ordering);
          }
          // The auth chain brings every power-levels event, every membership of the members, the current name and topic.
          for (const id of [one(r, 'create'), ...ids(r, 'powerLevels'), ...ids(r, 'members'), ids(r, 'nameChanges').at(-1)!, ids(r, 'topicChanges').at(-1)!]) {
            expect(outliers, id).toContain(id);
          }
          const back = await neu.query<{ event_id: string }>('SELECT event_id FROM event_backward_extremities WHERE room_id = ?', [r.roomId]);
          expect(back.map((b) => b.event_id)).toEqual([one(r, 'newBackwardExtremity')]);
          expect(one(r, 'newBackwardExtremity')).toBe(invite);
          expect(ids(r, 'joinPrevEvents')).toEqual([invite]);
          if (await hasTable(neu, 'timeline_gaps')) {
            const gaps = await neu.query<{ stream_ordering: number | string }>('SELECT stream_ordering FROM timeline_gaps WHERE room_id = ?', [r.roomId]);
            expect(gaps.map((g) => Number(g.stream_ordering))).toEqual([newEvents.get(join)!.stream_ordering]);
          }

          // Missing on NEW: the rest of the old history.
          const missing = ids(r, 'missingOnNew');
          expect(sorted([...missing, ...outliers, invite])).toEqual(sorted(ids(r, 'oldHistory')));
          for (const id of missing) expect(newEvents.has(id), id).toBe(false);
          for (const label of ['edits', 'reactions', 'replies', 'threadRoot', 'threadReplies', 'redaction', 'redacted', 'replyToMissingTarget']) {
            for (const id of ids(r, label)) expect(missing, `${label} ${id}`).toContain(id);
          }
          for (const label of ['nameChanges', 'topicChanges']) expect(missing).toContain(ids(r, label)[0]);
          // NEW's reply to an old event it does not have.
          const reply = newEvents.get(one(r, 'replyToMissing'))!;
          expect(reply.outlier).toBe(false);
          expect((reply.json.content as { 'm.relates_to': { 'm.in_reply_to': { event_id: string } } })['m.relates_to']['m.in_reply_to'].event_id).toBe(one(r, 'replyToMissingTarget'));
          expect(newEvents.has(one(r, 'replyToMissingTarget'))).toBe(false);
          // Both kept talking after the join: the post-join events come from both servers.
          const origins = new Set(ids(r, 'postJoin').map((id) => newEvents.get(id)!.json.sender as string).map((u) => u.slice(u.indexOf(':') + 1)));
          expect(sorted(origins)).toEqual(sorted(r.servers.map((s) => s.name)));
          // Both servers agree on the room's head.
          const head = (e: Engine): Promise<string[]> => rowsOf(e, 'SELECT type, state_key, event_id FROM current_state_events WHERE room_id = ?', [r.roomId]);
          expect(await head(neu)).toEqual(await head(old));
          const fwd = (e: Engine): Promise<string[]> => rowsOf(e, 'SELECT event_id FROM event_forward_extremities WHERE room_id = ?', [r.roomId]);
          expect(await fwd(neu)).toEqual(await fwd(old));
        });

        it(`room version ${roomVersion}: the backfilled twin holds OLD's timeline as NEW would have backfilled it`, async () => {
          const { r, old, neu, ref } = await built(roomVersion);
          const oldEvents = await byId(old);
          const newEvents = await byId(neu);
          const refEvents = await byId(ref);
          // Every OLD timeline event, as a timeline event; nothing else.
          expect(sorted(refEvents.keys())).toEqual(sorted(oldEvents.keys()));
          for (const e of refEvents.values()) expect(e.outlier, e.event_id).toBe(false);
          expect(sorted(ids(r, 'backfilled'))).toEqual(sorted(ids(r, 'missingOnNew')));
          expect(sorted(ids(r, 'deOutliered'))).toEqual(sorted(ids(r, 'newOutliers')));

          // Backfilled: below NEW's lowest ordering, older lower, ordered by (depth, OLD's ordering).
          const depth = new Map(
            (await ref.query<{ event_id: string; depth: number | string; topological_ordering: number | string }>('SELECT event_id, depth, topological_ordering FROM events')).map((x) => {
              expect(Number(x.topological_ordering)).toBe(Number(x.depth));
              return [x.event_id, Number(x.depth)] as const;
            }),
          );
          const newMin = Math.min(...[...newEvents.values()].map((e) => e.stream_ordering));
          const backfilled = ids(r, 'backfilled').sort((a, b) => depth.get(a)! - depth.get(b)! || oldEvents.get(a)!.stream_ordering - oldEvents.get(b)!.stream_ordering);
          const orderings = backfilled.map((id) => refEvents.get(id)!.stream_ordering);
          expect(orderings[orderings.length - 1]!).toBeLessThan(newMin);
          for (let i = 1; i < orderings.length; i++) expect(orderings[i]!).toBeGreaterThan(orderings[i - 1]!);
          expect(ids(r, 'backfilled')).toEqual(backfilled); // the label lists them oldest first
          // Events NEW had keep their orderings (de-outliered ones included, as Synapse leaves them) and their stored JSON.
          for (const [id, e] of newEvents) expect(refEvents.get(id)!.stream_ordering, id).toBe(e.stream_ordering);
          const json = (e: Engine): Promise<string[]> =>
            rowsOf(e, `SELECT event_id, json, internal_metadata, format_version FROM event_json WHERE event_id IN (${ids(r, 'newOutliers').map(() => '?').join(', ')})`, ids(r, 'newOutliers'));
          expect(await json(ref)).toEqual(await json(neu));

          // De-outliered: an ex_outlier_stream row each, its state group the event's, its ordering a fresh backfill number.
          const ex = await ref.query<{ event_stream_ordering: number | string; event_id: string; state_group: number | string; instance_name: string }>(
            'SELECT event_stream_ordering, event_id, state_group, instance_name FROM ex_outlier_stream',
          );
          expect(sorted(ex.map((x) => x.event_id))).toEqual(sorted(ids(r, 'deOutliered')));
          const used = new Set([...refEvents.values()].map((e) => e.stream_ordering));
          for (const x of ex) {
            const g = await ref.queryOne<{ s: number | string }>('SELECT state_group AS s FROM event_to_state_groups WHERE event_id = ?', [x.event_id]);
            expect(Number(x.state_group)).toBe(Number(g!.s));
            expect(Number(x.event_stream_ordering)).toBeLessThan(newMin);
            expect(used.has(Number(x.event_stream_ordering))).toBe(false);
            used.add(Number(x.event_stream_ordering));
            expect(x.instance_name).toBe('master');
          }
          for (const e of [old, neu]) expect(await e.query('SELECT event_id FROM ex_outlier_stream')).toEqual([]);
          // The backfill stream position covers every number handed out.
          const pos = await ref.queryOne<{ stream_id: number | string }>("SELECT stream_id FROM stream_positions WHERE stream_name = 'backfill' AND instance_name = 'master'");
          expect(Number(pos!.stream_id)).toBe(Math.min(...used));

          // The state after every event equals OLD's.
          const oldStates = await statesAfter(old, r.roomId);
          const refStates = await statesAfter(ref, r.roomId);
          expect(sorted(refStates.keys())).toEqual(sorted(oldStates.keys()));
          for (const [id, state] of oldStates) expect(refStates.get(id), id).toEqual(state);

          // The per-event rows equal OLD's.
          const inRoom = 'event_id IN (SELECT event_id FROM events WHERE room_id = ?)';
          for (const sql of [
            `SELECT event_id, prev_event_id FROM event_edges WHERE ${inRoom}`,
            `SELECT event_id, auth_id FROM event_auth WHERE ${inRoom}`,
            `SELECT event_id, type, state_key FROM state_events WHERE ${inRoom}`,
            `SELECT event_id, user_id, sender, membership, display_name FROM room_memberships WHERE ${inRoom}`,
            `SELECT event_id, relates_to_id, relation_type, aggregation_key FROM event_relations WHERE ${inRoom}`,
            `SELECT event_id, redacts FROM redactions WHERE ${inRoom}`,
            `SELECT event_id FROM event_search WHERE ${inRoom}`,
            `SELECT event_id FROM event_auth_chains WHERE ${inRoom}`,
          ]) {
            expect(await rowsOf(ref, sql, [r.roomId]), sql).toEqual(await rowsOf(old, sql, [r.roomId]));
          }
          if (await hasTable(old, 'threads')) {
            const threads = (e: Engine): Promise<string[]> => rowsOf(e, 'SELECT thread_id, latest_event_id, topological_ordering FROM threads WHERE room_id = ?', [r.roomId]);
            expect(await threads(ref)).toEqual(await threads(old));
          }

          // History reaches m.room.create: no backward extremity; min_depth lowered to the oldest imported depth at most.
          expect(await ref.query('SELECT event_id FROM event_backward_extremities')).toEqual([]);
          const minDepth = async (e: Engine): Promise<number> => Number((await e.queryOne<{ d: number | string }>('SELECT min_depth AS d FROM room_depth WHERE room_id = ?', [r.roomId]))!.d);
          const imported = [...ids(r, 'backfilled'), ...ids(r, 'deOutliered')].map((id) => depth.get(id)!);
          expect(await minDepth(ref)).toBe(Math.min(await minDepth(neu), ...imported));
          expect(await minDepth(ref)).toBeLessThanOrEqual(1);

          // The room's head: exactly NEW's.
          for (const table of ['current_state_events', 'event_forward_extremities', 'current_state_delta_stream', 'local_current_membership', 'stream_ordering_to_exterm', 'room_stats_current', 'room_stats_state']) {
            const sql = `SELECT * FROM ${table} WHERE room_id = ?`;
            expect(await rowsOf(ref, sql, [r.roomId]), table).toEqual(await rowsOf(neu, sql, [r.roomId]));
          }
          if (await hasTable(ref, 'timeline_gaps')) {
            const sql = 'SELECT * FROM timeline_gaps WHERE room_id = ?';
            expect(await rowsOf(ref, sql, [r.roomId])).toEqual(await rowsOf(neu, sql, [r.roomId]));
          }
        });
      }
    });
  }
}
