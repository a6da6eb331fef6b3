/**
 * fsck group `dag`: each check against a healthy scenario broken in exactly that one way (raw SQL
 * on a copy), both engines, through the built CLI; the repairs (event_edges, event_auth, room_depth)
 * as plans: the dry run changes nothing, --apply leaves the check clean, undo restores every table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateHealthy } from '../../src/simulator/scenarios/healthy.js';
import { message } from '../../src/simulator/scenarios/common.js';
import { writeServerDatabase } from '../../src/simulator/write-database.js';
import type { Engine } from '../../src/store/engine/engine.js';
import { ENGINES, freshSynapseDatabase, rawEngine } from '../support/engines.js';
import { buildBase, copyOf, expectRepair, fired, findingsOf, fsck, withRaw, type Base, type FsckRun } from './support.js';

async function one(e: Engine, sql: string, params: unknown[] = []): Promise<string> {
  const r = await e.queryOne<{ event_id: string }>(sql, params as never);
  if (!r) throw new Error(`no row: ${sql}`);
  return String(r.event_id);
}

/** The earliest message that an accepted event cites as a prev event. */
const CITED_MESSAGE = `SELECT e.event_id FROM events e WHERE e.type = 'm.room.message'
  AND EXISTS (SELECT 1 FROM event_edges ed WHERE ed.prev_event_id = e.event_id) ORDER BY e.stream_ordering LIMIT 1`;
const LAST_MESSAGE = `SELECT e.event_id FROM events e WHERE e.type = 'm.room.message' ORDER BY e.stream_ordering DESC LIMIT 1`;
const STATE_EVENT = (n: number): string => `SELECT e.event_id FROM events e WHERE e.state_key IS NOT NULL AND e.type <> 'm.room.create' ORDER BY e.stream_ordering LIMIT 1 OFFSET ${n}`;

for (const engine of ENGINES) {
  describe.concurrent(`${engine}: fsck dag checks`, () => {
    let base: Base;
    let gap: Base;
    let room: string;
    let create: string;
    beforeAll(async () => {
      base = await buildBase(engine, 'healthy', 94);
      gap = await buildBase(engine, 'history-gap', 94, 1);
      room = base.scenario.roomId;
      create = base.scenario.labels.create as string;
    });
    afterAll(async () => {
      await base?.cleanup();
      await gap?.cleanup();
    });

    async function broken(fn: (e: Engine) => Promise<unknown>, then?: (url: string, run: FsckRun) => Promise<void>, from: Base = base, which = 0): Promise<FsckRun> {
      const copy = await copyOf(from, which);
      try {
        await withRaw(copy.url, fn);
        const run = await fsck(copy.url);
        if (then) await then(copy.url, run);
        return run;
      } finally {
        await copy.cleanup();
      }
    }
    const repaired = (check: string) => (url: string) => expectRepair(url, check, (ok, what) => expect(ok, what).toBe(true)).then(() => undefined);

    it('dag.edges-mismatch: one event lost its event_edges rows, another got a wrong one; --fix rebuilds them', async () => {
      let lost = '';
      let wrong = '';
      const run = await broken(async (e) => {
        lost = await one(e, CITED_MESSAGE);
        wrong = await one(e, LAST_MESSAGE);
        await e.run('DELETE FROM event_edges WHERE event_id = ?', [lost]);
        await e.run('INSERT INTO event_edges (event_id, prev_event_id) VALUES (?, ?)', [wrong, create]);
      }, async (url, r) => {
        expect(fired(r)).toEqual(['dag.edges-mismatch']);
        await repaired('dag.edges-mismatch')(url);
      });
      const [f] = findingsOf(run, 'dag.edges-mismatch');
      expect(f).toMatchObject({ room_id: room, count: 2, fixable: true });
      expect(f!.sample).toEqual(expect.arrayContaining([
        expect.objectContaining({ event_id: lost, extra_rows: [] }),
        expect.objectContaining({ event_id: wrong, missing_prev_events: [], extra_rows: [create] }),
      ]));
    });

    it('dag.auth-mismatch: a state event lost an event_auth row, another got a wrong one; --fix rebuilds them', async () => {
      let lost = '';
      let wrong = '';
      let bogus = '';
      const run = await broken(async (e) => {
        lost = await one(e, STATE_EVENT(1));
        wrong = await one(e, STATE_EVENT(2));
        bogus = await one(e, LAST_MESSAGE); // never an auth event
        await e.run('DELETE FROM event_auth WHERE event_id = ? AND auth_id = ?', [lost, create]);
        await e.run('INSERT INTO event_auth (event_id, auth_id, room_id) VALUES (?, ?, ?)', [wrong, bogus, room]);
      }, async (url, r) => {
        expect(fired(r)).toEqual(['dag.auth-mismatch']);
        await repaired('dag.auth-mismatch')(url);
      });
      const [f] = findingsOf(run, 'dag.auth-mismatch');
      expect(f).toMatchObject({ room_id: room, count: 2, fixable: true });
      expect(f!.sample).toEqual(expect.arrayContaining([
        expect.objectContaining({ event_id: lost, missing_auth_events: [create], extra_rows: [] }),
        expect.objectContaining({ event_id: wrong, missing_auth_events: [], extra_rows: [bogus] }),
      ]));
    });

    it('dag.backward-extremity-held: a timeline event we hold recorded as a backward extremity', async () => {
      let id = '';
      const run = await broken(async (e) => {
        id = await one(e, CITED_MESSAGE);
        await e.run('INSERT INTO event_backward_extremities (event_id, room_id) VALUES (?, ?)', [id, room]);
      });
      expect(fired(run)).toEqual(['dag.backward-extremity-held']);
      expect(findingsOf(run, 'dag.backward-extremity-held')).toMatchObject([{ room_id: room, count: 1, sample: [{ event_id: id }] }]);
    });

    it('dag.missing-backward-extremity: the new server of history-gap lost its backward extremities', async () => {
      let ids: string[] = [];
      const run = await broken(async (e) => {
        ids = (await e.query<{ event_id: string }>('SELECT event_id FROM event_backward_extremities')).map((r) => String(r.event_id));
        await e.run('DELETE FROM event_backward_extremities');
      }, async (url, all) => {
        // the same finding through the one-room form of the query (--room)
        const one = await fsck(url, ['--room', gap.scenario.roomId, '--check', 'dag']);
        expect(findingsOf(one, 'dag.missing-backward-extremity')).toEqual(findingsOf(all, 'dag.missing-backward-extremity'));
      }, gap, 1);
      expect(ids.length).toBeGreaterThan(0);
      expect(fired(run)).toEqual(['dag.missing-backward-extremity']);
      const [f] = findingsOf(run, 'dag.missing-backward-extremity');
      expect(f).toMatchObject({ room_id: gap.scenario.roomId, count: ids.length });
      expect(f!.sample.map((s) => s.prev_event_id).sort()).toEqual(ids.sort().slice(0, 10));
    });

    it('dag.min-depth: min_depth above every event; --fix sets the lowest accepted timeline depth', async () => {
      const run = await broken((e) => e.run('UPDATE room_depth SET min_depth = 1000000 WHERE room_id = ?', [room]), async (url, r) => {
        expect(fired(r)).toEqual(['dag.min-depth']);
        await repaired('dag.min-depth')(url);
      });
      expect(findingsOf(run, 'dag.min-depth')).toMatchObject([{ room_id: room, count: 1, fixable: true, sample: [{ min_depth: 1000000, lowest_event_depth: 1 }] }]);
    });

    it('dag.min-depth: no room_depth row; --fix inserts it', async () => {
      const run = await broken((e) => e.run('DELETE FROM room_depth WHERE room_id = ?', [room]), async (url, r) => {
        expect(fired(r)).toEqual(['dag.min-depth']);
        await repaired('dag.min-depth')(url);
        await withRaw(url, async (e) => {
          // the repair itself (before undo) wrote 1: checked through the plan's verify; after undo the row is gone again
          expect(await e.queryOne('SELECT min_depth FROM room_depth WHERE room_id = ?', [room])).toBeUndefined();
        });
      });
      expect(findingsOf(run, 'dag.min-depth')).toMatchObject([{ room_id: room, count: 1, sample: [{ min_depth: null }] }]);
    });

    it('dag.forward-extremity-has-child: an event that later events cite made a forward extremity', async () => {
      let id = '';
      const run = await broken(async (e) => {
        id = await one(e, CITED_MESSAGE);
        await e.run('INSERT INTO event_forward_extremities (event_id, room_id) VALUES (?, ?)', [id, room]);
      });
      expect(fired(run)).toEqual(['dag.forward-extremity-has-child']);
      expect(findingsOf(run, 'dag.forward-extremity-has-child')).toMatchObject([{ room_id: room, count: 1, sample: [{ event_id: id }] }]);
    });

    it('dag.too-many-forward-extremities: twelve concurrent messages that nothing merges', async () => {
      const fresh = await freshSynapseDatabase(engine, 94);
      try {
        const sim = simulateHealthy('10');
        const [a, b, c] = sim.servers;
        const tip = sim.labels.afterBan as string;
        const bob = [...b.users.keys()][0]!;
        for (let i = 0; i < 12; i++) sim.room.send(b, bob, 'm.room.message', message(`fork ${i}`), { prevEvents: [tip], deliverTo: [a] });
        await writeServerDatabase(rawEngine(fresh.db), a, [sim.room], [b, c]);
        await fresh.db.close();
        const run = await fsck(fresh.url);
        expect(fired(run)).toEqual(['dag.too-many-forward-extremities']);
        expect(findingsOf(run, 'dag.too-many-forward-extremities')).toMatchObject([{ room_id: sim.room.roomId, count: 12, sample: [{ forward_extremities: 12, threshold: 10 }] }]);
      } finally {
        await fresh.cleanup();
      }
    });
  });
}
