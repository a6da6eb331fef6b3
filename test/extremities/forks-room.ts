/**
 * A room with real forks, from the simulator: five servers; after everyone has joined, alice on
 * A bans @erin:e.example (only A learns of it), while B, C, D and E each send two messages from
 * their own views, not hearing one another. A receives them all interleaved: B's, C's and D's
 * heads become forward extremities beside the ban (the DAG forked four ways); Erin's messages
 * are soft-failed on A (they pass against their own state but not against A's current state,
 * which has the ban) and never become extremities. Then C sends a topic change citing its head
 * that A stores only as an outlier, B sends one more message (its new head replaces the old one),
 * and A later marks D's head rejected (an admin's or a bug's UPDATE: its extremity row stays).
 *
 * A second room (two forks) sits in the same database, to show nothing outside the named room
 * changes. Server A's view of both rooms is written to the engine.
 */
import type { Engine } from '../../src/store/engine/engine.js';
import { hopCountingFor, joinVia, message, setUpRoom } from '../../src/simulator/scenarios/common.js';
import { SimRoom } from '../../src/simulator/room.js';
import { SimServer } from '../../src/simulator/server.js';
import { writeServerDatabase } from '../../src/simulator/write-database.js';

export interface ForksRoom {
  roomId: string;
  otherRoomId: string;
  /** Extremities A's view ends with (Synapse's own rule), and events the tests make extremities by hand. */
  labels: {
    ban: string;
    b1: string;
    b2: string;
    b3: string;
    c2: string;
    c3Outlier: string;
    d2Rejected: string;
    e1SoftFailed: string;
    e2SoftFailed: string;
  };
  /** A's forward extremities of the main room as the simulator computed them. */
  extremities: string[];
  otherExtremities: string[];
}

export async function buildForksRoom(engine: Engine): Promise<ForksRoom> {
  const hop = hopCountingFor(engine);
  const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((n) => new SimServer(`${n}.example`, { hopCounting: hop })) as [SimServer, SimServer, SimServer, SimServer, SimServer];
  const alice = a.addUser('alice');
  const bob = b.addUser('bob');
  const carol = c.addUser('carol');
  const dan = d.addUser('dan');
  const erin = e.addUser('erin');
  const all = [a, b, c, d, e];

  const room = new SimRoom('10');
  room.create(a, alice);
  setUpRoom(room, a, alice, { [carol]: 50 });
  for (const [server, user] of [[b, bob], [c, carol], [d, dan], [e, erin]] as const) {
    room.view(server);
    room.catchUp(server, a);
    joinVia(room, server, a, user, all);
  }
  room.sync(all, room.view(a).order);

  const ban = room.send(a, alice, 'm.room.member', { membership: 'ban', reason: 'spam' }, { stateKey: erin }).eventId;
  const sent: Record<string, string[]> = {};
  for (const [server, user] of [[b, bob], [c, carol], [d, dan], [e, erin]] as const) {
    sent[server.name] = [1, 2].map((i) => room.send(server, user, 'm.room.message', message(`${user} fork ${i}`)).eventId);
  }
  for (const i of [0, 1]) for (const s of [b, c, d, e]) room.deliver(a, sent[s.name]![i]!);
  const c3 = room.send(c, carol, 'm.room.topic', { topic: 'seen by A as an outlier only' }, { stateKey: '' }).eventId;
  room.deliver(a, c3, { outlier: true });
  const b3 = room.send(b, bob, 'm.room.message', message('bob again')).eventId;
  room.deliver(a, b3);
  const d2 = sent[d.name]![1]!;
  room.view(a).markRejected(d2);

  const other = new SimRoom('10', { startTs: 1_699_000_000_000 });
  other.create(a, alice);
  setUpRoom(other, a, alice, {});
  other.view(b);
  other.catchUp(b, a);
  joinVia(other, b, a, bob, [a, b]);
  other.sync([b], other.view(a).order);
  const o1 = other.send(b, bob, 'm.room.message', message('other room, from b')).eventId;
  other.send(a, alice, 'm.room.message', message('other room, from a'));
  other.deliver(a, o1);

  await writeServerDatabase(engine, a, [room, other], [b, c, d, e]);
  return {
    roomId: room.roomId,
    otherRoomId: other.roomId,
    labels: {
      ban,
      b1: sent[b.name]![0]!,
      b2: sent[b.name]![1]!,
      b3,
      c2: sent[c.name]![1]!,
      c3Outlier: c3,
      d2Rejected: d2,
      e1SoftFailed: sent[e.name]![0]!,
      e2SoftFailed: sent[e.name]![1]!,
    },
    extremities: [...room.view(a).forwardExtremities].sort(),
    otherExtremities: [...other.view(a).forwardExtremities].sort(),
  };
}
