/**
 * fsck groups `events` and `soft-failure`: each check against a healthy scenario broken in exactly that one way (raw SQL
 * on a copy), both engines, through the built CLI: that check fires with the right count and sample,
 * no other check of the events, rejections, dag and soft-failure groups does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/store/engine/engine.js';
import { ENGINES } from '../support/engines.js';
import { buildBase, copyOf, fired, findingsOf, fsck, withRaw, type Base } from './support.js';

async function one(e: Engine, sql: string, params: unknown[] = []): Promise<string> {
  const r = await e.queryOne<{ event_id: string }>(sql, params as never);
  if (!r) throw new Error(`no row: ${sql}`);
  return String(r.event_id);
}

/** A message of the room that is not redacted and not soft-failed. */
const PLAIN_MESSAGE = `SELECT e.event_id FROM events e JOIN event_json j ON j.event_id = e.event_id
  WHERE e.type = 'm.room.message' AND NOT EXISTS (SELECT 1 FROM redactions r WHERE r.redacts = e.event_id)
    AND j.internal_metadata NOT LIKE '%soft_failed%' ORDER BY e.stream_ordering LIMIT 1`;

/** A forward extremity (no event cites it) that is a message, with its prev events. */
async function extremityMessage(e: Engine): Promise<string> {
  return one(e, `SELECT x.event_id FROM event_forward_extremities x JOIN events e ON e.event_id = x.event_id WHERE e.state_key IS NULL ORDER BY e.stream_ordering LIMIT 1`);
}

for (const engine of ENGINES) {
  describe.concurrent(`${engine}: fsck events checks`, () => {
    let base: Base;
    let room: string;
    beforeAll(async () => {
      base = await buildBase(engine, 'healthy', 94);
      room = base.scenario.roomId;
    });
    afterAll(async () => {
      await base?.cleanup();
    });

    async function broken(fn: (e: Engine) => Promise<unknown>): Promise<Awaited<ReturnType<typeof fsck>>> {
      const copy = await copyOf(base);
      try {
        await withRaw(copy.url, fn);
        return await fsck(copy.url);
      } finally {
        await copy.cleanup();
      }
    }

    it('events.missing-json: an events row whose event_json row was deleted', async () => {
      let id = '';
      const run = await broken(async (e) => {
        id = await one(e, PLAIN_MESSAGE);
        await e.run('DELETE FROM event_json WHERE event_id = ?', [id]);
      });
      expect(fired(run)).toEqual(['events.missing-json']);
      expect(run.code).toBe(1);
      expect(findingsOf(run, 'events.missing-json')).toMatchObject([{ room_id: room, count: 1, severity: 'error', fixable: false, sample: [{ event_id: id }] }]);
    });

    it('events.orphan-json: an event_json row without its events row', async () => {
      const run = await broken(async (e) => {
        const id = await one(e, PLAIN_MESSAGE);
        await e.run(`INSERT INTO event_json (event_id, room_id, internal_metadata, json, format_version)
                     SELECT '$orphan', room_id, internal_metadata, json, format_version FROM event_json WHERE event_id = ?`, [id]);
      });
      expect(fired(run)).toEqual(['events.orphan-json']);
      expect(findingsOf(run, 'events.orphan-json')).toMatchObject([{ room_id: room, count: 1, sample: [{ event_id: '$orphan' }] }]);
    });

    it('events.room-missing: events of a room that has no rooms row', async () => {
      const run = await broken(async (e) => {
        const id = await one(e, PLAIN_MESSAGE);
        // an outlier (no DAG rows expected) with its JSON, in a room unknown to `rooms`
        await e.run(`INSERT INTO events (stream_ordering, topological_ordering, event_id, type, room_id, processed, outlier, depth, origin_server_ts, received_ts, sender)
                     SELECT stream_ordering + 100000, topological_ordering, '$ghost', type, '!ghost:nowhere', processed, TRUE, depth, origin_server_ts, received_ts, sender FROM events WHERE event_id = ?`, [id]);
        await e.run(`INSERT INTO event_json (event_id, room_id, internal_metadata, json, format_version)
                     SELECT '$ghost', '!ghost:nowhere', internal_metadata, json, format_version FROM event_json WHERE event_id = ?`, [id]);
      });
      expect(fired(run)).toEqual(['events.room-missing']);
      expect(findingsOf(run, 'events.room-missing')).toMatchObject([{ room_id: '!ghost:nowhere', count: 1, sample: [{ event_id: '$ghost' }] }]);
    });

    for (const version of [null, '99']) {
      it(`events.room-version: rooms.room_version ${version === null ? 'NULL' : 'unknown'}`, async () => {
        const run = await broken((e) => e.run('UPDATE rooms SET room_version = ? WHERE room_id = ?', [version, room]));
        expect(fired(run)).toEqual(['events.room-version']);
        const [f] = findingsOf(run, 'events.room-version');
        expect(f).toMatchObject({ room_id: room, count: 1, sample: [{ room_version: version }] });
      });
    }

    it('events.bad-json: stored JSON that does not parse', async () => {
      let id = '';
      const run = await broken(async (e) => {
        id = await one(e, PLAIN_MESSAGE);
        await e.run("UPDATE event_json SET json = '{\"type\": \"m.room.message\", broken' WHERE event_id = ?", [id]);
      });
      expect(fired(run)).toEqual(['events.bad-json']);
      expect(findingsOf(run, 'events.bad-json')).toMatchObject([{ room_id: room, count: 1, sample: [{ event_id: id }] }]);
    });

    it('events.id-mismatch: intact JSON stored under another event id', async () => {
      let id = '';
      const run = await broken(async (e) => {
        id = await extremityMessage(e);
        const prevs = (await e.query<{ p: string }>('SELECT prev_event_id AS p FROM event_edges WHERE event_id = ?', [id])).map((r) => r.p);
        await e.transaction(async (tx) => {
          await tx.run('DELETE FROM event_edges WHERE event_id = ?', [id]);
          await tx.run("UPDATE events SET event_id = '$renamed' WHERE event_id = ?", [id]);
          await tx.run("UPDATE event_json SET event_id = '$renamed' WHERE event_id = ?", [id]);
          await tx.run("UPDATE event_forward_extremities SET event_id = '$renamed' WHERE event_id = ?", [id]);
          for (const p of prevs) await tx.run("INSERT INTO event_edges (event_id, prev_event_id) VALUES ('$renamed', ?)", [p]);
        });
      });
      expect(fired(run)).toEqual(['events.id-mismatch']);
      expect(findingsOf(run, 'events.id-mismatch')).toMatchObject([{ room_id: room, count: 1, sample: [{ event_id: '$renamed', computed_event_id: id }] }]);
    });

    it('events.hash-mismatch: a message body changed in the stored JSON (its id, which does not cover the body, still matches)', async () => {
      let id = '';
      const run = await broken(async (e) => {
        id = await one(e, PLAIN_MESSAGE);
        const r = await e.run(`UPDATE event_json SET json = REPLACE(json, '"body":"', '"body":"tampered ') WHERE event_id = ?`, [id]);
        if (r.changes !== 1) throw new Error('not changed');
      });
      expect(fired(run)).toEqual(['events.hash-mismatch']);
      expect(findingsOf(run, 'events.hash-mismatch')).toMatchObject([{ room_id: room, count: 1, severity: 'warning', sample: [{ event_id: id }] }]);
    });

    it('a redacted event whose JSON Synapse pruned, an event stored pruned because its hash failed on receipt, and a stored top-level age_ts are not corrupt', async () => {
      const run = await broken(async (e) => {
        // older Synapse versions stored age_ts at the top level (seen on the real Q database); Synapse's hash leaves it out
        const aged = await one(e, PLAIN_MESSAGE.replace('LIMIT 1', 'LIMIT 1 OFFSET 1'));
        const a = JSON.parse((await e.queryOne<{ json: string }>('SELECT json FROM event_json WHERE event_id = ?', [aged]))!.json) as Record<string, unknown>;
        await e.run('UPDATE event_json SET json = ? WHERE event_id = ?', [JSON.stringify({ ...a, age_ts: 1796165260064 }), aged]);
        const redacted = await one(e, 'SELECT redacts AS event_id FROM redactions LIMIT 1');
        const plain = await one(e, PLAIN_MESSAGE);
        for (const id of [redacted, plain]) {
          const row = await e.queryOne<{ json: string }>('SELECT json FROM event_json WHERE event_id = ?', [id]);
          const ev = JSON.parse(row!.json) as Record<string, unknown>;
          ev.content = {}; // what prune_event leaves of an m.room.message
          await e.run('UPDATE event_json SET json = ? WHERE event_id = ?', [JSON.stringify(ev), id]);
        }
      });
      expect(fired(run)).toEqual([]);
    });
    it('soft-failure.soft-failed: every soft-failed event counted (the scenario\'s one and one flagged by hand), a note only', async () => {
      const copy = await copyOf(base);
      try {
        let id = '';
        await withRaw(copy.url, async (e) => {
          id = await one(e, "SELECT event_id FROM events WHERE type = 'm.room.message' ORDER BY stream_ordering DESC LIMIT 1");
          await e.run('UPDATE event_json SET internal_metadata = ? WHERE event_id = ?', ['{"soft_failed":true}', id]);
        });
        const run = await fsck(copy.url);
        expect(fired(run)).toEqual([]);
        expect(run.code).toBe(0);
        const [f] = findingsOf(run, 'soft-failure.soft-failed');
        expect(f).toMatchObject({ room_id: room, count: 2, severity: 'info', fixable: false });
        expect(f!.sample.map((x) => x.event_id)).toEqual([base.scenario.labels.softFailed, id]);
      } finally {
        await copy.cleanup();
      }
    });
  });
}
