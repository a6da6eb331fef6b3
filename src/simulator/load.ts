/**
 * Load generation for benchmarks: many rooms on one homeserver (with users from a second, remote
 * server), generated and written in batches, each batch one plan applied in one transaction. Memory stays bounded per room:
 * after each batch is written, each room's view forgets every event except its current state,
 * forward extremities and their auth events, and the state groups no kept event needs.
 */
import { authTypesForEvent } from '../matrix/auth/index.js';
import { splitStateKey, stateKeyOf, type JsonObject } from '../matrix/pdu.js';
import type { Engine } from '../store/engine/engine.js';
import { addEventRows, RowBatch } from './event-rows.js';
import { SimRoom } from './room.js';
import { SimServer } from './server.js';
import type { SchemaVersion } from './scenarios/common.js';
import { hopCountingFor, message, setUpRoom } from './scenarios/common.js';
import { addRoomTailRows, addServerRows, addStateGroupRows, applySimulatorSteps, planBatch, roomRow } from './write-database.js';

export interface LoadOptions {
  events: number;
  rooms: number;
  roomVersion?: string;
  /** Members per room (default 20, a quarter of them remote). */
  members?: number;
  /** One state event (a display name or topic change) every N events (default 25). */
  stateEvery?: number;
  /** Events per written batch (default 5000). */
  batchSize?: number;
  /**
   * Rooms (the first N) where, once the room is set up, a valid power-levels change from a remote
   * admin is wrongly rejected on this server and every later event cites it, as the federation
   * accepted it: each of those rooms becomes one rejection chain (the benchmark of `rejections`).
   */
  chainRooms?: number;
}

export interface LoadResult {
  events: number;
  rooms: number;
  /** Events stored as rejected (the chains). */
  rejected: number;
  seconds: number;
  eventsPerSecond: number;
  roomIds: string[];
}

export async function generateLoad(engine: Engine, version: SchemaVersion, options: LoadOptions): Promise<LoadResult> {
  void version; // the schema is already in the database; the writer follows its columns
  const started = process.hrtime.bigint();
  const hop = hopCountingFor(engine);
  const local = new SimServer('load.example', { hopCounting: hop });
  const remote = new SimServer('remote.example', { hopCounting: hop });
  const members = options.members ?? 20;
  const stateEvery = options.stateEvery ?? 25;
  const batchSize = options.batchSize ?? 5000;
  const rooms: Array<{ room: SimRoom; users: string[]; root?: string }> = [];
  let rejected = 0;
  let pending = 0;
  let written = 0;

  const flush = async (): Promise<void> => {
    const batch = new RowBatch();
    const tail = new RowBatch();
    for (const { room } of rooms) {
      const view = room.view(local);
      for (const id of view.order) addEventRows(batch, view, view.events.get(id)!);
      for (const d of view.stateDeltas) {
        const [type, stateKey] = splitStateKey(d.key);
        tail.add('current_state_delta_stream', { stream_id: d.streamId, room_id: room.roomId, type, state_key: stateKey, event_id: d.eventId, prev_event_id: d.prevEventId, instance_name: 'master' });
      }
      const last = view.extremitySnapshots[view.extremitySnapshots.length - 1];
      if (last) for (const e of last.eventIds) tail.add('stream_ordering_to_exterm', { stream_ordering: last.streamOrdering, room_id: room.roomId, event_id: e });
      written += view.order.length;
    }
    addStateGroupRows(tail, local.stateGroups.drain());
    const tailOrder = ['state_groups', 'state_group_edges', 'state_groups_state', 'current_state_delta_stream', 'stream_ordering_to_exterm'];
    await applySimulatorSteps(engine, 'generate load', [...(await planBatch(engine, batch)), ...(await planBatch(engine, tail, tailOrder))]);
    const keepGroups = new Set<number>();
    for (const { room, root } of rooms) {
      const view = room.view(local);
      const kept = view.prune(root === undefined ? [] : [root]); // later events keep citing the root
      room.forgetExcept(kept);
      for (const id of kept) {
        const s = view.events.get(id);
        if (s?.groupAfter !== undefined) keepGroups.add(s.groupAfter);
      }
    }
    local.stateGroups.release(keepGroups);
    pending = 0;
  };

  for (let r = 0; r < options.rooms; r++) {
    const room = new SimRoom(options.roomVersion ?? '10', { startTs: 1_600_000_000_000 + r * 1_000_000_000 });
    const creator = local.addUser(`owner${r}`);
    room.create(local, creator);
    const head = new RowBatch();
    head.add('rooms', roomRow(room.view(local), room.createEventId));
    await applySimulatorSteps(engine, 'generate load', await planBatch(engine, head, ['rooms']));
    setUpRoom(room, local, creator, {});
    const users = [creator];
    for (let m = 1; m < members; m++) {
      const isRemote = m % 4 === 0;
      const server = isRemote ? remote : local;
      const user = server.addUser(`u${r}_${m}`);
      const ev = room.build(server, user, 'm.room.member', { membership: 'join', displayname: `User ${m}` }, { stateKey: user, templateFrom: local });
      room.deliver(local, ev.eventId);
      users.push(user);
    }
    let root: string | undefined;
    if (r < (options.chainRooms ?? 0)) {
      // A remote admin's valid power-levels change, wrongly rejected here.
      const admin = users.find((u) => u.endsWith(':remote.example'))!;
      const plKey = stateKeyOf('m.room.power_levels', '');
      const base = room.event(room.view(local).currentState.get(plKey)!).pdu.content as JsonObject;
      const content = structuredClone(base) as JsonObject;
      (content.users as Record<string, number>)[admin] = 100;
      const grant = room.build(local, creator, 'm.room.power_levels', content, { stateKey: '' });
      room.deliver(local, grant.eventId);
      const raised = structuredClone(content) as JsonObject;
      (raised.users as Record<string, number>)[users[1]!] = 50;
      const ev = room.build(remote, admin, 'm.room.power_levels', raised, { stateKey: '', templateFrom: local });
      room.deliver(local, ev.eventId, { forceReject: true });
      root = ev.eventId;
      rejected++;
    }
    rooms.push({ room, users, ...(root !== undefined ? { root } : {}) });
    pending += room.view(local).order.length;
  }

  /** Auth events as the federation picks them: for a chain room, its (rejected here) root as the power levels. */
  const authFor = (room: SimRoom, root: string, type: string, sender: string, content: JsonObject, stateKey?: string): string[] => {
    const state = room.view(local).currentState;
    const selection = authTypesForEvent({ type, sender, content, ...(stateKey !== undefined ? { state_key: stateKey } : {}) }, room.rules);
    return selection.map(([t, k]) => (t === 'm.room.power_levels' ? root : state.get(stateKeyOf(t, k)))).filter((id): id is string => id !== undefined);
  };

  let n = rooms.reduce((acc, x) => acc + x.room.view(local).order.length, 0);
  let i = 0;
  while (n < options.events) {
    const { room, users, root } = rooms[i % rooms.length]!;
    const user = users[(i * 7) % users.length]!;
    const server = user.endsWith(':remote.example') ? remote : local;
    const auth = (type: string, sender: string, content: JsonObject, stateKey?: string): { authEvents?: string[] } =>
      root === undefined ? {} : { authEvents: authFor(room, root, type, sender, content, stateKey) };
    let ev;
    if (i % stateEvery === stateEvery - 1) {
      if (i % (stateEvery * 4) === stateEvery * 4 - 1) {
        const c = { topic: `topic ${i}` };
        ev = room.build(local, users[0]!, 'm.room.topic', c, { stateKey: '', templateFrom: local, ...auth('m.room.topic', users[0]!, c, '') });
      } else {
        const c = { membership: 'join', displayname: `User ${i}` };
        ev = room.build(server, user, 'm.room.member', c, { stateKey: user, templateFrom: local, ...auth('m.room.member', user, c, user) });
      }
    } else {
      const c = message(`message ${i} in a generated room`);
      ev = room.build(server, user, 'm.room.message', c, { templateFrom: local, ...auth('m.room.message', user, c) });
    }
    const stored = room.deliver(local, ev.eventId);
    if (stored.rejectionReason !== undefined) rejected++;
    n++;
    i++;
    if (++pending >= batchSize) await flush();
  }
  await flush();
  const tail = new RowBatch();
  addServerRows(tail, local, [remote]);
  for (const { room } of rooms) addRoomTailRows(tail, room.view(local));
  await applySimulatorSteps(engine, 'generate load', await planBatch(engine, tail, [...tail.tables.keys()]), {
    maxStreamOrdering: local.maxStreamOrdering,
    minStreamOrdering: local.minStreamOrdering,
    maxStateGroup: local.stateGroups.maxId,
    maxChainId: local.chainCover.maxChainId,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { events: written, rooms: rooms.length, rejected, seconds, eventsPerSecond: written / seconds, roomIds: rooms.map((x) => x.room.roomId) };
}
