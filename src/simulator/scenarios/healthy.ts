/**
 * Scenario 'healthy': one room across three servers, everyone accepting everything: messages sent
 * concurrently (forks and merges), an edit (m.replace), a reaction (m.annotation), a thread reply,
 * a redaction, two power-level changes, joins and a leave, then a ban race: a moderator on A bans
 * @mallory:c.example while C, not yet knowing it, sends a change of her display name (a state event)
 * citing her join. B and C get it before the ban and accept it; A gets it after the ban: it passes
 * the checks against its auth events and the state before it but not against A's current state, so
 * A soft-fails it (server-server API "Soft failure"). Bob's next message cites it, so A resolves it
 * against the ban (the ban wins). Server A's view is written to the engine.
 */
import { stateKeyOf } from '../../matrix/pdu.js';
import { SimRoom } from '../room.js';
import { SimServer } from '../server.js';
import { writeServerDatabase } from '../write-database.js';
import { hopCountingFor, joinVia, message, setUpRoom, type ScenarioOptions, type ScenarioResult } from './common.js';

export interface HealthyRoom {
  room: SimRoom;
  servers: [SimServer, SimServer, SimServer];
  labels: Record<string, string | string[]>;
}

/** Builds the healthy room in memory (no database). */
export function simulateHealthy(roomVersion = '10', hop: 'sqlite' | 'postgres' = 'sqlite'): HealthyRoom {
  const a = new SimServer('a.example', { hopCounting: hop });
  const b = new SimServer('b.example', { hopCounting: hop });
  const c = new SimServer('c.example', { hopCounting: hop });
  const alice = a.addUser('alice', { displayName: 'Alice' });
  const amy = a.addUser('amy');
  const bob = b.addUser('bob', { displayName: 'Bob' });
  const carol = c.addUser('carol', { displayName: 'Carol', avatarUrl: 'mxc://c.example/carol' });
  const mallory = c.addUser('mallory', { displayName: 'Mallory' });
  const all = [a, b, c];
  const room = new SimRoom(roomVersion);
  room.create(a, alice);
  setUpRoom(room, a, alice, { [bob]: 100 });
  room.view(b); // B and C join through A
  room.catchUp(b, a);
  const bobJoin = joinVia(room, b, a, bob, all);
  room.catchUp(c, a);
  const carolJoin = joinVia(room, c, a, carol, all);
  const amyJoin = room.send(a, amy, 'm.room.member', { membership: 'join', displayname: 'Amy' }, { stateKey: amy, deliverTo: [b, c] }).eventId;

  // Concurrent messages: each server sends before hearing the others (a fork), then all sync.
  const m1 = room.send(a, alice, 'm.room.message', message('hello from a')).eventId;
  const m2 = room.send(b, bob, 'm.room.message', message('hello from b')).eventId;
  const m3 = room.send(c, carol, 'm.room.message', message('hello from c', { url: 'mxc://c.example/file' })).eventId;
  room.sync(all, [m1, m2, m3]);
  const merge = room.send(a, alice, 'm.room.message', message('merged'), { deliverTo: [b, c] }).eventId;

  const edit = room.send(b, bob, 'm.room.message', message('* hello from b (edited)', {
    'm.new_content': message('hello from b (edited)'),
    'm.relates_to': { rel_type: 'm.replace', event_id: m2 },
  }), { deliverTo: [a, c] }).eventId;
  const reaction = room.send(c, carol, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: m1, key: '👍' } }, { deliverTo: [a, b] }).eventId;
  const threadReply = room.send(a, amy, 'm.room.message', message('in a thread', { 'm.relates_to': { rel_type: 'm.thread', event_id: merge } }), { deliverTo: [b, c] }).eventId;
  const doomed = room.send(c, carol, 'm.room.message', message('oops, wrong room'), { deliverTo: [a, b] }).eventId;
  const redaction = room.send(c, carol, 'm.room.redaction', { redacts: doomed, reason: 'mistake' }, { deliverTo: [a, b] }).eventId;

  const plOld = room.view(a).currentState.get(stateKeyOf('m.room.power_levels', ''))!;
  const plContent = structuredClone(room.event(plOld).pdu.content);
  (plContent.users as Record<string, number>)[carol] = 50;
  const pl2 = room.send(a, alice, 'm.room.power_levels', plContent, { stateKey: '', deliverTo: [b, c] }).eventId;
  const plContent3 = structuredClone(plContent);
  (plContent3.users as Record<string, number>)[amy] = 10;
  const pl3 = room.send(b, bob, 'm.room.power_levels', { ...plContent3 }, { stateKey: '', deliverTo: [a, c] }).eventId;
  const topic = room.send(c, carol, 'm.room.topic', { topic: 'Carol may set the topic now' }, { stateKey: '', deliverTo: [a, b] }).eventId;
  const leave = room.send(a, amy, 'm.room.member', { membership: 'leave' }, { stateKey: amy, deliverTo: [b, c] }).eventId;
  const last = room.send(b, bob, 'm.room.message', message('bye amy'), { deliverTo: [a, c] }).eventId;

  // The ban race. The ban reaches only A at first; C's event reaches C and B, then the ban reaches
  // them, and only then does C's event reach A.
  const malloryJoin = room.send(c, mallory, 'm.room.member', { membership: 'join', displayname: 'Mallory' }, { stateKey: mallory, deliverTo: [a, b] }).eventId;
  const ban = room.send(a, alice, 'm.room.member', { membership: 'ban', reason: 'spam' }, { stateKey: mallory }).eventId;
  const softFailed = room.send(c, mallory, 'm.room.member', { membership: 'join', displayname: 'Mallory (still here)' }, { stateKey: mallory, deliverTo: [b] }).eventId;
  room.sync([b, c], [ban]);
  room.deliver(a, softFailed);
  const afterBan = room.send(b, bob, 'm.room.message', message('mallory is gone'), { deliverTo: [a, c] }).eventId;
  return {
    room,
    servers: [a, b, c],
    labels: {
      create: room.createEventId,
      joins: [bobJoin, carolJoin, amyJoin],
      concurrent: [m1, m2, m3],
      merge,
      edit,
      edited: m2,
      reaction,
      threadReply,
      threadRoot: merge,
      redaction,
      redacted: doomed,
      powerLevels: [pl2, pl3],
      topic,
      leave,
      last,
      malloryJoin,
      ban,
      softFailed,
      afterBan,
    },
  };
}

export async function buildHealthy(options: ScenarioOptions): Promise<ScenarioResult> {
  const sim = simulateHealthy(options.roomVersion ?? '10', hopCountingFor(options.engine));
  const [a, b, c] = sim.servers;
  const summary = await writeServerDatabase(options.engine, a, [sim.room], [b, c]);
  const written = [{ server: a.name, engine: options.engine, summary }];
  const others = options.otherEngines ?? [];
  for (let i = 0; i < others.length && i < 2; i++) {
    const s = [b, c][i]!;
    written.push({ server: s.name, engine: others[i]!, summary: await writeServerDatabase(others[i]!, s, [sim.room], [a, b, c].filter((x) => x !== s)) });
  }
  return { name: 'healthy', roomId: sim.room.roomId, roomVersion: sim.room.rules.id, servers: sim.servers, written, labels: sim.labels, room: sim.room };
}
