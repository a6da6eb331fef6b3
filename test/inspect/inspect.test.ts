import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SynapseDoctorError } from '../../src/errors.js';
import { inspectDatabase } from '../../src/inspect/index.js';
import { buildScenario, type ScenarioResult } from '../../src/simulator/scenarios/index.js';
import { ENGINES, freshSynapseDatabase, type FreshDatabase, rawEngine } from '../support/engines.js';
import { EXPECTED, simulatorView } from './expected.js';

for (const engine of ENGINES) {
  for (const version of [72, 94] as const) {
    describe(`${engine}: inspect (schema ${version}, rejection chain)`, () => {
      let fresh: FreshDatabase;
      let scenario: ScenarioResult;
      beforeAll(async () => {
        fresh = await freshSynapseDatabase(engine, version);
        scenario = await buildScenario('rejection-chain', { engine: rawEngine(fresh.db), version });
      });
      afterAll(async () => {
        await fresh?.cleanup();
      });

      it('reports the schema, totals and the room as the simulated server stored it', async () => {
        const want = EXPECTED['rejection-chain'];
        expect(simulatorView(scenario)).toEqual(want);
        const report = await inspectDatabase(fresh.db);
        expect(report.format).toBe(1);
        expect(report.database).toMatchObject({ engine, schema_version: version, compat_version: fresh.db.schema.compatVersion });
        expect(report.background_updates.pending).toBe(fresh.db.schema.backgroundUpdates.length);
        const rejected = 7;
        expect(report.totals).toEqual({ rooms: 1, events: want.events, rejected_events: rejected, findings: 0, rooms_with_findings: 0 });
        const [room] = report.rooms;
        expect(room).toMatchObject({
          room_id: scenario.roomId,
          room_version: scenario.roomVersion,
          name: 'Simulated room',
          events: want.events,
          rejected_events: { total: rejected, by_reason: want.rejectedByReason },
          rejection_disagreements: { only_in_events: 0, only_in_rejections: 0, reason_differs: 0 },
          soft_failed_events: want.softFailed,
          joined_members: { by_server: want.joinedByServer },
        });
        expect(room.joined_members.total).toBe(Object.values(want.joinedByServer).reduce((a, b) => a + b, 0));
        expect(room.forward_extremities).toBeGreaterThanOrEqual(1);
        expect(room.oldest_event).toEqual({ origin_server_ts: want.oldestTs, iso: new Date(want.oldestTs).toISOString() });
        expect(room.newest_event?.origin_server_ts).toBe(want.newestTs);
      });

      it('narrows to one room and refuses an unknown one', async () => {
        const report = await inspectDatabase(fresh.db, { roomId: scenario.roomId });
        expect(report.rooms.map((r) => r.room_id)).toEqual([scenario.roomId]);
        await expect(inspectDatabase(fresh.db, { roomId: '!unknown:nowhere' })).rejects.toSatisfy(
          (e) => e instanceof SynapseDoctorError && e.code === 'ROOM_NOT_FOUND',
        );
      });

      it('counts soft-failed events and reports where events.rejection_reason disagrees with rejections', async () => {
        const main = fresh.db.main;
        const rejectedIds = (await main.query<{ event_id: string }>('SELECT event_id FROM rejections ORDER BY event_id')).map((r) => r.event_id);
        const accepted = await main.query<{ event_id: string }>(
          'SELECT event_id FROM events WHERE rejection_reason IS NULL AND event_id NOT IN (SELECT event_id FROM rejections) ORDER BY stream_ordering',
        );
        await rawEngine(fresh.db).run('UPDATE events SET rejection_reason = NULL WHERE event_id = ?', [rejectedIds[0]]);
        await rawEngine(fresh.db).run('UPDATE events SET rejection_reason = ? WHERE event_id = ?', ['something_else', rejectedIds[1]]);
        await rawEngine(fresh.db).run('UPDATE events SET rejection_reason = ? WHERE event_id = ?', ['auth_error', accepted[1].event_id]);
        await rawEngine(fresh.db).run(`UPDATE event_json SET internal_metadata = ? WHERE event_id = ?`, ['{"soft_failed": true}', accepted[2].event_id]);
        await rawEngine(fresh.db).run(`UPDATE event_json SET internal_metadata = ? WHERE event_id = ?`, ['{"soft_failed": false, "x": "soft_failed"}', accepted[3].event_id]);
        await rawEngine(fresh.db).run(`UPDATE event_json SET internal_metadata = ? WHERE event_id = ?`, ['not json soft_failed', accepted[4].event_id]);
        const want = EXPECTED['rejection-chain'];
        const room = (await inspectDatabase(fresh.db)).rooms[0];
        expect(room.rejection_disagreements).toEqual({ only_in_events: 1, only_in_rejections: 1, reason_differs: 1 });
        expect(room.rejected_events.total).toBe(rejectedIds.length); // the rejections table decides
        expect(room.soft_failed_events).toBe(want.softFailed + 1);
      });

      it('falls back to the create event when rooms.room_version is NULL', async () => {
        await rawEngine(fresh.db).run('UPDATE rooms SET room_version = NULL WHERE room_id = ?', [scenario.roomId]);
        const room = (await inspectDatabase(fresh.db, { roomId: scenario.roomId })).rooms[0];
        expect(room.room_version).toBe(scenario.roomVersion);
      });
    });
  }

  describe(`${engine}: inspect (healthy room)`, () => {
    let fresh: FreshDatabase;
    let healthy: ScenarioResult;
    beforeAll(async () => {
      fresh = await freshSynapseDatabase(engine, 94);
      healthy = await buildScenario('healthy', { engine: rawEngine(fresh.db), version: 94 });
    });
    afterAll(async () => {
      await fresh?.cleanup();
    });

    it('reports the room with no rejections and its members per server', async () => {
      const want = EXPECTED.healthy;
      expect(simulatorView(healthy)).toEqual(want);
      const report = await inspectDatabase(fresh.db);
      expect(report.totals).toEqual({ rooms: 1, events: want.events, rejected_events: 0, findings: 0, rooms_with_findings: 0 });
      const room = report.rooms[0];
      expect(room.room_id).toBe(healthy.roomId);
      expect(room.joined_members.by_server).toEqual(want.joinedByServer);
      expect(Object.keys(room.joined_members.by_server).length).toBeGreaterThan(1);
      expect(room.rejected_events).toEqual({ total: 0, by_reason: {} });
      expect(room.soft_failed_events).toBe(1); // the ban race's late event (scenario label softFailed)
    });
  });
}
