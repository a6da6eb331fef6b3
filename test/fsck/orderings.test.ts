/**
 * fsck group `orderings` through the built CLI, on both engines: the simulator's healthy room
 * (schema 94, built once per engine, copied per case) broken in exactly one way, each check — and no
 * other of the state and orderings groups — finding it; the repairs (sequences, stream_positions,
 * the auth chain flag): dry run changes nothing, --fix --apply leaves fsck clean, undo restores
 * every row and sequence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/store/engine/engine.js';
import { statement } from '../../src/store/engine/engine.js';
import { ENGINES } from '../support/engines.js';
import { buildTemplate, expectOnly, expectRepair, fsck, withWritable, type Template } from './support-state.js';

async function streamOrdering(main: Engine, eventId: string): Promise<number> {
  const row = await main.queryOne<{ s: unknown }>(statement('SELECT stream_ordering AS s FROM events WHERE event_id = ?', [eventId]));
  return Number(row!.s);
}

async function maxStream(main: Engine): Promise<number> {
  return Number((await main.queryOne<{ m: unknown }>('SELECT MAX(stream_ordering) AS m FROM events'))!.m);
}

for (const kind of ENGINES) {
  describe(`${kind}: fsck orderings checks`, () => {
    let t: Template;
    let room: string;
    let labels: Record<string, string | string[]>;
    beforeAll(async () => {
      t = await buildTemplate(kind, 'healthy', 94);
      room = t.scenario.roomId;
      labels = t.scenario.labels;
    }, 120_000);
    afterAll(async () => t?.cleanup());

    const broken = async (breakIt: (main: Engine, state: Engine) => Promise<void>): Promise<{ url: string; cleanup(): Promise<void> }> => {
      const c = await t.copy();
      await withWritable(c.url, breakIt);
      return c;
    };

    it('orderings.stream-ordering-collision: an ex_outlier_stream position that is also a message\'s stream ordering', async () => {
      const [m1] = labels.concurrent as string[];
      let so = 0;
      const c = await broken(async (main) => {
        so = await streamOrdering(main, m1!);
        await main.run(statement("INSERT INTO ex_outlier_stream (event_stream_ordering, event_id, state_group, instance_name) VALUES (?, ?, 1, 'master')", [so, labels.merge as string]));
      });
      try {
        const [f] = expectOnly((await fsck(c.url)).findings, 'orderings.stream-ordering-collision');
        expect(f).toMatchObject({ room_id: room, count: 1 });
        expect(f!.sample).toEqual([{ event_id: m1, stream_ordering: so, problem: 'ex_outlier_stream', other_event_id: labels.merge }]);
      } finally {
        await c.cleanup();
      }
    });

    it('orderings.history-above-head: a message moved above the head, past the event citing it (ids bookkeeping kept consistent)', async () => {
      const [m1] = labels.concurrent as string[];
      let top = 0;
      const c = await broken(async (main) => {
        top = (await maxStream(main)) + 1;
        await main.run(statement('UPDATE events SET stream_ordering = ? WHERE event_id = ?', [top, m1!]));
        await main.run(statement("UPDATE stream_positions SET stream_id = ? WHERE stream_name = 'events'", [top]));
        if (main.capabilities.sequences) await main.query(statement("SELECT setval('events_stream_seq', ?)", [top]));
      });
      try {
        const [f] = expectOnly((await fsck(c.url)).findings, 'orderings.history-above-head');
        expect(f).toMatchObject({ room_id: room, count: 1, fixable: false });
        expect(f!.sample[0]).toMatchObject({ event_id: m1, stream_ordering: top, cited_by: labels.merge });
      } finally {
        await c.cleanup();
      }
    });

    it('orderings.stream-positions: the next id Synapse hands out collides (SQLite: a row above a gap; PostgreSQL: the position ahead of the sequence); --fix, undo', async () => {
      let head = 0;
      const c = await broken(async (main) => {
        head = await maxStream(main);
        if (main.capabilities.sequences) {
          await main.run(statement("UPDATE stream_positions SET stream_id = ? WHERE stream_name = 'events'", [head + 50]));
        } else {
          // the newest message moved 100 up by a writer that is not Synapse's (no instance name)
          const last = await main.queryOne<{ event_id: string }>('SELECT event_id FROM events ORDER BY stream_ordering DESC LIMIT 1');
          await main.run(statement('UPDATE events SET stream_ordering = ?, instance_name = NULL WHERE event_id = ?', [head + 100, last!.event_id]));
        }
      });
      try {
        const [f] = expectOnly((await fsck(c.url)).findings, 'orderings.stream-positions');
        expect(f).toMatchObject({ room_id: null, count: 1, fixable: true });
        if (kind === 'postgres') expect(f!.sample).toEqual([{ stream: 'events', instance_name: 'master', stream_id: head + 50, sequence_last_value: head }]);
        else expect(f!.sample).toEqual([{ stream: 'events', instance_name: 'master', stream_id: head, synapse_would_start_at: head + 1, ids_in_use_above: 1, first_ids_in_use_above: [head + 100], highest_in_use: head + 100 }]);
        await expectRepair(kind, c.url, 'orderings.stream-positions');
      } finally {
        await c.cleanup();
      }
    });

    it.skipIf(kind !== 'postgres')('orderings.sequence-behind: events_stream_seq and state_group_id_seq set back; --fix moves them forward, undo sets them back', async () => {
      let head = 0;
      let groups = 0;
      const c = await broken(async (main, state) => {
        head = await maxStream(main);
        groups = Number((await state.queryOne<{ m: unknown }>('SELECT MAX(id) AS m FROM state_groups'))!.m);
        await main.query("SELECT setval('events_stream_seq', 3)");
        await state.query("SELECT setval('state_group_id_seq', 2)");
        // Synapse's own stream position stays at or below the sequence, as its writer leaves it
        await main.run(statement("UPDATE stream_positions SET stream_id = 3 WHERE stream_name = 'events'"));
      });
      try {
        const [f] = expectOnly((await fsck(c.url)).findings, 'orderings.sequence-behind');
        expect(f).toMatchObject({ room_id: null, count: 2, severity: 'warning', fixable: true });
        expect(f!.sample).toEqual([
          { sequence: 'events_stream_seq', last_value: 3, highest_in_use: head, tables: 'events, current_state_delta_stream, ex_outlier_stream' },
          { sequence: 'state_group_id_seq', last_value: 2, highest_in_use: groups, tables: 'state_groups' },
        ]);
        await expectRepair(kind, c.url, 'orderings.sequence-behind');
      } finally {
        await c.cleanup();
      }
    });

    it('orderings.auth-chain-index-incomplete: a state event missing from event_auth_chains in a flagged room; --fix clears the flag and queues chain_cover, undo', async () => {
      const c = await broken(async (main) => {
        await main.run(statement('DELETE FROM event_auth_chains WHERE event_id = ?', [labels.topic as string]));
      });
      try {
        const [f] = expectOnly((await fsck(c.url)).findings, 'orderings.auth-chain-index-incomplete');
        expect(f).toMatchObject({ room_id: room, count: 1, fixable: true });
        expect(f!.sample).toEqual([{ event_id: labels.topic, type: 'm.room.topic' }]);
        await expectRepair(kind, c.url, 'orderings.auth-chain-index-incomplete');
      } finally {
        await c.cleanup();
      }
    });
  });
}
