/**
 * inspect's findings (issue 7, item 11) and the timeline facts (item 10), on both engines, on
 * databases the simulator built. Counts are pinned as literals (the scenarios are deterministic);
 * where a database is altered by hand, the expected events are also derived from the simulator's
 * own view (not from SQL) and compared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderInspectText } from '../../src/cli/render-inspect.js';
import { inspectDatabase, type InspectReport } from '../../src/inspect/index.js';
import { generateLoad } from '../../src/simulator/load.js';
import { buildScenario, type ScenarioResult } from '../../src/simulator/scenarios/index.js';
import { clearIntrospectionCache } from '../../src/store/introspect.js';
import { storeFromEngine } from '../../src/store/open.js';
import { ENGINES, freshSynapseDatabase, rawEngine, type FreshDatabase } from '../support/engines.js';

/** Every finding as (id, room, count, sample, cited), in report order. */
function findingsOf(report: InspectReport): { id: string; room: string | null; count: number; sample: string[]; cited?: string[] }[] {
  return [...report.findings, ...report.rooms.flatMap((r) => r.findings)].map((f) => ({
    id: f.id,
    room: f.room_id,
    count: f.count,
    sample: f.sample_event_ids,
    ...(f.cited_event_ids === undefined ? {} : { cited: f.cited_event_ids }),
  }));
}

const bool = (engine: string, v: boolean): boolean | number => (engine === 'sqlite' ? (v ? 1 : 0) : v);

for (const engine of ENGINES) {
  for (const version of [72, 94] as const) {
    describe(`${engine}: inspect findings (schema ${version}, rejection-cascade marked)`, () => {
      let fresh: FreshDatabase;
      let s: ScenarioResult;
      beforeAll(async () => {
        fresh = await freshSynapseDatabase(engine, version);
        s = await buildScenario('rejection-cascade', { engine: rawEngine(fresh.db), version, shape: 'marked' });
      });
      afterAll(async () => {
        await fresh?.cleanup();
      });

      it('names the rejected root still in the current state and the accepted events citing it', async () => {
        const labels = s.labels as { root: string; acceptedCitingRoot: string[] };
        const report = await inspectDatabase(fresh.db);
        expect(report.totals).toMatchObject({ rooms: 1, events: 30, rejected_events: 13, findings: 2, rooms_with_findings: 1 });
        expect(labels.acceptedCitingRoot.length).toBe(2);
        expect(findingsOf(report)).toEqual([
          { id: 'rejected-in-current-state', room: s.roomId, count: 1, sample: [labels.root] },
          // B's message after the root, then Alice's: in stream order
          { id: 'accepted-cites-rejected-auth-event', room: s.roomId, count: 2, sample: labels.acceptedCitingRoot, cited: [labels.root] },
        ]);
        const room = report.rooms[0]!;
        expect(room.non_state_auth_check).toEqual({ checked_events: 5, complete: true });
        for (const f of room.findings) expect(f.why).toMatch(/\.$/);
        expect(room.outliers).toEqual({ total: 0, negative_stream_ordering: 0 });
        expect(room.backward_extremities).toBe(0);
        expect(room.oldest_timeline_event).toEqual(room.oldest_event);
      });

      it('bounds the JSON read of non-state events: a window too small is reported as incomplete', async () => {
        const labels = s.labels as { root: string; acceptedCitingRoot: string[] };
        // per room: the root, B's message citing it, one of C's messages
        const room = (await inspectDatabase(fresh.db, { authJsonWindow: { room: 3, total: 100 } })).rooms[0]!;
        expect(room.non_state_auth_check).toEqual({ checked_events: 2, complete: false });
        expect(room.findings.find((f) => f.id === 'accepted-cites-rejected-auth-event')).toMatchObject({ count: 1, sample_event_ids: [labels.acceptedCitingRoot[0]] });
        // in all: the root and B's message
        const total = (await inspectDatabase(fresh.db, { authJsonWindow: { room: 50, total: 2 } })).rooms[0]!;
        expect(total.non_state_auth_check).toEqual({ checked_events: 1, complete: false });
        const report = await inspectDatabase(fresh.db, { authJsonWindow: { room: 3, total: 100 } });
        expect(renderInspectText(report, { details: true })).toContain('(auth events of non-state events read for 2 events only');
        expect(renderInspectText(await inspectDatabase(fresh.db), { details: true })).not.toContain('read for');
      });

      it('finds the same where the schema has no rejections table (events.rejection_reason decides)', async () => {
        const raw = rawEngine(fresh.db);
        const before = findingsOf(await inspectDatabase(fresh.db));
        await raw.exec('DROP TABLE rejections');
        clearIntrospectionCache(raw);
        const store = await storeFromEngine(raw);
        expect(store.schema.capabilities.rejectionsTable).toBe(false);
        const report = await inspectDatabase(store);
        expect(findingsOf(report)).toEqual(before);
        expect(report.rooms[0]!.non_state_auth_check).toEqual({ checked_events: 5, complete: true });
      });
    });
  }

  describe(`${engine}: inspect finds nothing wrong in healthy rooms and rejections on arrival`, () => {
    for (const [name, shape, rejected] of [['healthy', undefined, 0], ['rejection-chain', undefined, 7], ['rejection-cascade', 'arrival', 14]] as const) {
      it(`${name}${shape ? ` (${shape})` : ''}: no finding`, async () => {
        const fresh = await freshSynapseDatabase(engine, 94);
        try {
          await buildScenario(name, { engine: rawEngine(fresh.db), version: 94, ...(shape ? { shape } : {}) });
          const report = await inspectDatabase(fresh.db);
          expect(report.totals).toMatchObject({ rejected_events: rejected, findings: 0, rooms_with_findings: 0 });
          expect(findingsOf(report)).toEqual([]);
          // rejected on arrival: nothing accepted can cite them, so no JSON is read
          expect(report.rooms[0]!.non_state_auth_check).toBeNull();
        } finally {
          await fresh.cleanup();
        }
      });
    }
  });

  describe(`${engine}: inspect (history-gap: a late joiner's outliers and backward extremity)`, () => {
    let oldDb: FreshDatabase;
    let newDb: FreshDatabase;
    let s: ScenarioResult;
    beforeAll(async () => {
      oldDb = await freshSynapseDatabase(engine, 94);
      newDb = await freshSynapseDatabase(engine, 94);
      s = await buildScenario('history-gap', { engine: rawEngine(oldDb.db), version: 94, otherEngines: [rawEngine(newDb.db)] });
    });
    afterAll(async () => {
      await oldDb?.cleanup();
      await newDb?.cleanup();
    });

    /** What a server's view holds, from the simulator (not from SQL). */
    const viewFacts = (server: number): { events: number; outliers: number; negative: number; timelineOldest: number; oldest: number } => {
      const all = [...s.room.view(s.servers[server]!).events.values()];
      const timeline = all.filter((e) => !e.outlier).map((e) => e.ev.pdu.origin_server_ts);
      return {
        events: all.length,
        outliers: all.filter((e) => e.outlier).length,
        negative: all.filter((e) => e.outlier && e.streamOrdering < 0).length,
        timelineOldest: Math.min(...timeline),
        oldest: Math.min(...all.map((e) => e.ev.pdu.origin_server_ts)),
      };
    };

    it('the new server: outliers with negative stream orderings, one backward extremity, the timeline starting at the join', async () => {
      const labels = s.labels as { join: string; create: string; joinStateOutliers: string[] };
      const want = viewFacts(1);
      // Pinned: 26 events, 15 of them outliers, 14 with negative stream orderings (the join's
      // state); the simulator's view agrees.
      expect(want).toMatchObject({ events: 26, outliers: 15, negative: 14 });
      expect(labels.joinStateOutliers.length).toBe(14);
      const room = (await inspectDatabase(newDb.db)).rooms[0]!;
      expect(room.events).toBe(26);
      expect(room.outliers).toEqual({ total: 15, negative_stream_ordering: 14 });
      expect(room.backward_extremities).toBe(1);
      const ts = (id: string): number => s.room.event(id).pdu.origin_server_ts;
      // the outlier create event is the oldest stored event; the timeline starts at the join
      expect(room.oldest_event?.origin_server_ts).toBe(ts(labels.create));
      expect(want.timelineOldest).toBe(ts(labels.join));
      expect(room.oldest_timeline_event).toEqual({ origin_server_ts: ts(labels.join), iso: new Date(ts(labels.join)).toISOString() });
      expect(room.oldest_timeline_event!.origin_server_ts).toBeGreaterThan(room.oldest_event!.origin_server_ts);
      expect(room.newest_timeline_event).toEqual(room.newest_event);
      expect(room.findings).toEqual([]);
    });

    it('the old server: the whole history, no outlier, no backward extremity', async () => {
      const room = (await inspectDatabase(oldDb.db)).rooms[0]!;
      expect(viewFacts(0).events).toBe(44);
      expect(room.events).toBe(44);
      expect(room.outliers).toEqual({ total: 0, negative_stream_ordering: 0 });
      expect(room.backward_extremities).toBe(0);
      expect(room.oldest_timeline_event).toEqual(room.oldest_event);
      expect(room.findings).toEqual([]);
    });
  });

  describe(`${engine}: inspect findings on a healthy room altered by hand`, () => {
    let fresh: FreshDatabase;
    let s: ScenarioResult;
    beforeAll(async () => {
      fresh = await freshSynapseDatabase(engine, 94);
      s = await buildScenario('healthy', { engine: rawEngine(fresh.db), version: 94 });
    });
    afterAll(async () => {
      await fresh?.cleanup();
    });

    const reject = async (eventId: string): Promise<void> => {
      const raw = rawEngine(fresh.db);
      await raw.run("INSERT INTO rejections (event_id, reason, last_check) VALUES (?, 'auth_error', '0')", [eventId]);
      await raw.run("UPDATE events SET rejection_reason = 'auth_error' WHERE event_id = ?", [eventId]);
    };

    it('current power levels marked rejected: in the current state, and cited by accepted state events (event_auth) and messages (JSON)', async () => {
      const pl = (await fresh.db.main.query<{ event_id: string }>("SELECT event_id FROM current_state_events WHERE type = 'm.room.power_levels'"))[0]!.event_id;
      await reject(pl);
      // independently: the events of A's view that cite it, accepted, in stream order
      const view = s.room.view(s.servers[0]!);
      const citing = [...view.events.values()]
        .filter((e) => e.rejectionReason === undefined && e.ev.pdu.auth_events.includes(pl))
        .sort((a, b) => a.streamOrdering - b.streamOrdering);
      const states = citing.filter((e) => e.ev.pdu.state_key !== undefined).length;
      expect([citing.length, states]).toEqual([7, 5]);
      const report = await inspectDatabase(fresh.db);
      expect(findingsOf(report)).toEqual([
        { id: 'rejected-in-current-state', room: s.roomId, count: 1, sample: [pl] },
        { id: 'accepted-cites-rejected-auth-event', room: s.roomId, count: 7, sample: citing.map((e) => e.ev.eventId), cited: [pl] },
      ]);
      expect(report.rooms[0]!.non_state_auth_check?.complete).toBe(true);
      expect(report.totals.findings).toBe(2);
    });

    it('a forward extremity made an outlier, then marked rejected', async () => {
      const [x] = await fresh.db.main.query<{ event_id: string }>('SELECT event_id FROM event_forward_extremities');
      await rawEngine(fresh.db).run('UPDATE events SET outlier = ? WHERE event_id = ?', [bool(engine, true), x!.event_id]);
      let ids = findingsOf(await inspectDatabase(fresh.db));
      expect(ids.find((f) => f.id === 'outlier-forward-extremity')).toEqual({ id: 'outlier-forward-extremity', room: s.roomId, count: 1, sample: [x!.event_id] });
      expect(ids.find((f) => f.id === 'accepted-cites-rejected-auth-event')?.count).toBe(7);
      await reject(x!.event_id);
      const report = await inspectDatabase(fresh.db);
      ids = findingsOf(report);
      expect(ids.map((f) => f.id)).toEqual(['rejected-in-current-state', 'accepted-cites-rejected-auth-event', 'rejected-forward-extremity', 'outlier-forward-extremity']);
      expect(ids.find((f) => f.id === 'rejected-forward-extremity')).toEqual({ id: 'rejected-forward-extremity', room: s.roomId, count: 1, sample: [x!.event_id] });
      // the extremity cited the power levels: rejected now, it no longer counts as accepted
      expect(ids.find((f) => f.id === 'accepted-cites-rejected-auth-event')?.count).toBe(6);
      expect(report.totals).toMatchObject({ findings: 4, rooms_with_findings: 1 });
      // one room: --room gives the same findings
      expect(findingsOf(await inspectDatabase(fresh.db, { roomId: s.roomId }))).toEqual(ids);
    });
  });

  describe(`${engine}: inspect orders rooms by findings, then size, and --limit cuts the list`, () => {
    let fresh: FreshDatabase;
    let roomIds: string[];
    beforeAll(async () => {
      fresh = await freshSynapseDatabase(engine, 94);
      roomIds = (await generateLoad(rawEngine(fresh.db), 94, { events: 400, rooms: 4, members: 4 })).roomIds;
    });
    afterAll(async () => {
      await fresh?.cleanup();
    });

    it('the room with a finding first, the others by size; the totals count every room', async () => {
      const plain = await inspectDatabase(fresh.db);
      expect(plain.totals).toMatchObject({ rooms: 4, findings: 0 });
      const bySize = [...plain.rooms].sort((a, b) => b.events - a.events || (a.room_id < b.room_id ? -1 : 1));
      expect(plain.rooms.map((r) => r.room_id)).toEqual(bySize.map((r) => r.room_id));
      // the smallest room gets a finding: an outlier forward extremity
      const target = bySize[bySize.length - 1]!.room_id;
      expect(roomIds).toContain(target);
      const [x] = await fresh.db.main.query<{ event_id: string }>('SELECT event_id FROM event_forward_extremities WHERE room_id = ?', [target]);
      await rawEngine(fresh.db).run('UPDATE events SET outlier = ? WHERE event_id = ?', [bool(engine, true), x!.event_id]);
      const report = await inspectDatabase(fresh.db);
      expect(report.rooms.map((r) => r.room_id)).toEqual([target, ...bySize.slice(0, -1).map((r) => r.room_id)]);
      const limited = await inspectDatabase(fresh.db, { limit: 2 });
      expect(limited.rooms.map((r) => r.room_id)).toEqual(report.rooms.slice(0, 2).map((r) => r.room_id));
      expect(limited.rooms_omitted).toBe(2);
      expect(limited.totals).toMatchObject({ rooms: 4, findings: 1, rooms_with_findings: 1 });
      expect(report.rooms_omitted).toBe(0);
    });
  });
}
