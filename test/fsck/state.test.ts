/**
 * fsck group `state` through the built CLI, on both engines: the simulator's healthy room (schema
 * 94, built once per engine and copied per case) broken in exactly one way with raw SQL, and each
 * check — and no other check of the state and orderings groups — finding it with the right rows;
 * the current-state repair: dry run changes nothing, --fix --apply leaves fsck clean, undo restores
 * every row.
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { splitStateKey, stateKeyOf } from '../../src/matrix/pdu.js';
import type { Engine } from '../../src/store/engine/engine.js';
import { statement } from '../../src/store/engine/engine.js';
import { readStateGroup } from '../../src/store/readers/state-groups.js';
import { stateGroupHops } from '../../src/store/readers/room-dag.js';
import { ENGINES } from '../support/engines.js';
import { runCli } from '../cli/run-cli.js';
import { buildTemplate, expectOnly, expectRepair, fsck, withWritable, type Template } from './support-state.js';

async function groupOf(main: Engine, eventId: string): Promise<number> {
  const row = await main.queryOne<{ state_group: unknown }>(statement('SELECT state_group FROM event_to_state_groups WHERE event_id = ?', [eventId]));
  return Number(row!.state_group);
}

async function nextGroupId(state: Engine): Promise<number> {
  const row = await state.queryOne<{ m: unknown }>('SELECT MAX(id) AS m FROM state_groups');
  return Number(row?.m ?? 0) + 1;
}

/** A new full state group holding `rows` (type, state_key → event id), in `roomId`. */
async function insertFullGroup(state: Engine, roomId: string, rows: Map<string, string>, skip: (key: string) => boolean = () => false): Promise<number> {
  const id = await nextGroupId(state);
  await state.run(statement('INSERT INTO state_groups (id, room_id, event_id) VALUES (?, ?, ?)', [id, roomId, '$made-by-the-test']));
  for (const [key, eventId] of rows) {
    if (skip(key)) continue;
    const [type, stateKey] = splitStateKey(key);
    await state.run(statement('INSERT INTO state_groups_state (state_group, room_id, type, state_key, event_id) VALUES (?, ?, ?, ?, ?)', [id, roomId, type, stateKey, eventId]));
  }
  return id;
}

for (const kind of ENGINES) {
  describe(`${kind}: fsck state checks`, () => {
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
      await withWritable(c.url, async (main, state) => {
        await breakIt(main, state);
        // groups the case adds take their ids as Synapse would (state_group_id_seq moves past them)
        if (state.capabilities.sequences) await state.query("SELECT setval('state_group_id_seq', GREATEST((SELECT last_value FROM state_group_id_seq), (SELECT COALESCE(MAX(id), 1) FROM state_groups)))");
      });
      return c;
    };

    it('the healthy room is clean (exit 0)', async () => {
      const c = await t.copy();
      try {
        const r = await fsck(c.url);
        expect(r.findings).toEqual([]);
        expect(r.code).toBe(0);
        expect(r.checks.filter((x) => x.id.startsWith('state.')).every((x) => x.status === 'ok')).toBe(true);
      } finally {
        await c.cleanup();
      }
    });

    it('state.timeline-event-without-state-group: a message that lost its event_to_state_groups row', async () => {
      const c = await broken(async (main) => {
        await main.run(statement('DELETE FROM event_to_state_groups WHERE event_id = ?', [labels.merge as string]));
      });
      try {
        const r = await fsck(c.url);
        expect(r.code).toBe(1);
        const [f] = expectOnly(r.findings, 'state.timeline-event-without-state-group');
        expect(f).toMatchObject({ room_id: room, count: 1, severity: 'error', fixable: false });
        expect(f!.sample[0]).toMatchObject({ event_id: labels.merge, type: 'm.room.message' });
      } finally {
        await c.cleanup();
      }
    });

    it('state.state-group-missing: an event pointing at a group id that does not exist (as a copy from another server leaves it)', async () => {
      const c = await broken(async (main) => {
        await main.run(statement('UPDATE event_to_state_groups SET state_group = ? WHERE event_id = ?', [987654, labels.merge as string]));
      });
      try {
        const [f] = expectOnly((await fsck(c.url)).findings, 'state.state-group-missing');
        expect(f).toMatchObject({ room_id: room, count: 1 });
        expect(f!.sample).toEqual([{ event_id: labels.merge, state_group: 987654, events: 1 }]);
      } finally {
        await c.cleanup();
      }
    });

    it("state.state-group-other-room: an event pointing at another room's group (holding a complete state)", async () => {
      const other = '!elsewhere:a.example';
      let group = 0;
      const c = await broken(async (main, state) => {
        const rows = await readStateGroup(state, await groupOf(main, labels.merge as string));
        group = await insertFullGroup(state, other, rows);
        await main.run(statement('UPDATE event_to_state_groups SET state_group = ? WHERE event_id = ?', [group, labels.merge as string]));
      });
      try {
        const [f] = expectOnly((await fsck(c.url)).findings, 'state.state-group-other-room');
        expect(f).toMatchObject({ room_id: room, count: 1 });
        expect(f!.sample).toEqual([{ event_id: labels.merge, state_group: group, state_group_room_id: other, events: 1 }]);
      } finally {
        await c.cleanup();
      }
    });

    it('state.state-group-lacks-event: an accepted state event pointing at a group without it (the state before it)', async () => {
      let before = 0;
      const c = await broken(async (main, state) => {
        const after = await groupOf(main, labels.topic as string);
        const edge = await state.queryOne<{ prev_state_group: unknown }>(statement('SELECT prev_state_group FROM state_group_edges WHERE state_group = ?', [after]));
        before = Number(edge!.prev_state_group);
        await main.run(statement('UPDATE event_to_state_groups SET state_group = ? WHERE event_id = ?', [before, labels.topic as string]));
      });
      try {
        const [f] = expectOnly((await fsck(c.url)).findings, 'state.state-group-lacks-event');
        expect(f).toMatchObject({ room_id: room, count: 1 });
        expect(f!.sample).toEqual([{ event_id: labels.topic, type: 'm.room.topic', state_key: '', state_group: before }]);
      } finally {
        await c.cleanup();
      }
    });

    it('state.state-group-edges: an edge from a group that does not exist, and one going upwards', async () => {
      let child = 0;
      let root = 0;
      const c = await broken(async (main, state) => {
        child = await groupOf(main, labels.last as string);
        await state.run(statement('INSERT INTO state_group_edges (state_group, prev_state_group) VALUES (?, ?)', [876543, child]));
        // a new group in the room whose one edge goes to a higher id
        root = await insertFullGroup(state, room, new Map([[stateKeyOf('m.room.create', ''), labels.create as string]]));
        await state.run(statement('INSERT INTO state_group_edges (state_group, prev_state_group) VALUES (?, ?)', [root, root + 5]));
      });
      try {
        const [f] = expectOnly((await fsck(c.url)).findings, 'state.state-group-edges');
        expect(f).toMatchObject({ room_id: room, count: 2 });
        expect(f!.sample).toEqual([
          { state_group: root, prev_state_group: root + 5, problem: 'prev group missing' },
          { state_group: 876543, prev_state_group: child, problem: 'group missing' },
        ].sort((a, b) => a.state_group - b.state_group));
      } finally {
        await c.cleanup();
      }
    });

    it('state.delta-chain-too-long: 101 deltas stacked on an existing group', async () => {
      let first = 0;
      let base = 0;
      const c = await broken(async (main, state) => {
        const group = await groupOf(main, labels.create as string);
        base = await stateGroupHops(state, group);
        first = await nextGroupId(state);
        let prev = group;
        for (let i = 0; i < 101; i++) {
          const id = first + i;
          await state.run(statement('INSERT INTO state_groups (id, room_id, event_id) VALUES (?, ?, ?)', [id, room, labels.create as string]));
          await state.run(statement('INSERT INTO state_group_edges (state_group, prev_state_group) VALUES (?, ?)', [id, prev]));
          prev = id;
        }
      });
      try {
        const [f] = expectOnly((await fsck(c.url)).findings, 'state.delta-chain-too-long');
        // the new groups are base+1 … base+101 edges deep: those past 100 are found
        expect(f).toMatchObject({ room_id: room, count: base + 1, severity: 'warning' });
        expect(f!.sample[0]).toEqual({ state_group: first + 100 - base, hops: 101 });
      } finally {
        await c.cleanup();
      }
    });

    it('state.state-without-create: a message whose state group holds everything but m.room.create', async () => {
      let group = 0;
      const c = await broken(async (main, state) => {
        const rows = await readStateGroup(state, await groupOf(main, labels.merge as string));
        group = await insertFullGroup(state, room, rows, (k) => k === stateKeyOf('m.room.create', ''));
        await main.run(statement('UPDATE event_to_state_groups SET state_group = ? WHERE event_id = ?', [group, labels.merge as string]));
      });
      try {
        const [f] = expectOnly((await fsck(c.url)).findings, 'state.state-without-create');
        expect(f).toMatchObject({ room_id: room, count: 1 });
        expect(f!.sample).toEqual([{ state_group: group, event_id: labels.merge, events: 1 }]);
      } finally {
        await c.cleanup();
      }
    });

    it('state.current-state-not-resolved: the topic dropped from current_state_events (a state reset); --fix puts it back, undo restores', async () => {
      const c = await broken(async (main) => {
        await main.run(statement("DELETE FROM current_state_events WHERE room_id = ? AND type = 'm.room.topic'", [room]));
      });
      try {
        const [f] = expectOnly((await fsck(c.url)).findings, 'state.current-state-not-resolved');
        expect(f).toMatchObject({ room_id: room, count: 1, fixable: true });
        expect(f!.sample).toEqual([{ type: 'm.room.topic', state_key: '', current_event_id: null, resolved_event_id: labels.topic }]);
        await expectRepair(kind, c.url, 'state.current-state-not-resolved');
      } finally {
        await c.cleanup();
      }
    });

    it('state.current-state-not-resolved: an old power levels event put back in the current state; --fix --apply restores the resolved one', async () => {
      const [pl2, pl3] = labels.powerLevels as string[];
      const c = await broken(async (main) => {
        const so = await main.queryOne<{ s: unknown }>(statement('SELECT stream_ordering AS s FROM events WHERE event_id = ?', [pl2!]));
        await main.run(statement("DELETE FROM current_state_events WHERE room_id = ? AND type = 'm.room.power_levels'", [room]));
        await main.run(statement("INSERT INTO current_state_events (event_id, room_id, type, state_key, membership, event_stream_ordering) VALUES (?, ?, 'm.room.power_levels', '', NULL, ?)", [pl2!, room, Number(so!.s)]));
      });
      try {
        const [f] = expectOnly((await fsck(c.url)).findings, 'state.current-state-not-resolved');
        expect(f!.sample).toEqual([{ type: 'm.room.power_levels', state_key: '', current_event_id: pl2, resolved_event_id: pl3 }]);
        // the repair contract is checked once, above; here that the applied fix leaves the check clean
        const journal = join(tmpdir(), `sd-fsck-pl-${process.pid}-${Date.now()}-${kind}.jsonl`);
        onTestFinished(() => rm(journal, { force: true }));
        const applied = await runCli(['fsck', '--db', c.url, '--check', 'state.current-state-not-resolved', '--fix', '--apply', '--journal', journal, '--no-backup']);
        expect(applied.code, applied.stderr).toBe(0);
        expect((await fsck(c.url)).findings).toEqual([]);
      } finally {
        await c.cleanup();
      }
    });

    it("state.membership-tables: a local user's local_current_membership saying leave while the current state says join", async () => {
      const alice = '@alice:a.example';
      const c = await broken(async (main) => {
        await main.run(statement("UPDATE local_current_membership SET membership = 'leave' WHERE room_id = ? AND user_id = ?", [room, alice]));
      });
      try {
        const [f] = expectOnly((await fsck(c.url)).findings, 'state.membership-tables');
        expect(f).toMatchObject({ room_id: room, count: 1 });
        expect(f!.sample[0]).toMatchObject({ user_id: alice, table: 'local_current_membership', current_state_membership: 'join', table_membership: 'leave' });
      } finally {
        await c.cleanup();
      }
    });
  });
}
