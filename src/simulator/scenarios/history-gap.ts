/**
 * Scenario 'history-gap': two homeservers' databases for one room. The old server O holds the whole
 * history (messages, an edit, a redaction, state changes, a leave and a rejoin); the new server N
 * joined late, as a remote join does (synapse/handlers/federation.py `do_invite_join` →
 * federation_event.py `_auth_and_persist_outliers`): it stores the room state at the join and its
 * auth chain as outliers with negative stream orderings, then the join with that state as its
 * state-before (a full state group, backward extremities at the join's prev events), then the live
 * events after the join. N lacks the older history.
 */
import { stateKeyOf } from '../../matrix/pdu.js';
import { SimRoom } from '../room.js';
import { SimServer } from '../server.js';
import { writeServerDatabase } from '../write-database.js';
import { hopCountingFor, message, setUpRoom, type ScenarioOptions, type ScenarioResult } from './common.js';

export interface HistoryGapRoom {
  room: SimRoom;
  /** [O (old server, full history), N (new server, joined late)] */
  servers: [SimServer, SimServer];
  labels: Record<string, string | string[]>;
}

export function simulateHistoryGap(roomVersion = '10', hop: 'sqlite' | 'postgres' = 'sqlite'): HistoryGapRoom {
  const o = new SimServer('old.example', { hopCounting: hop });
  const n = new SimServer('new.example', { hopCounting: hop });
  const olga = o.addUser('olga', { displayName: 'Olga' });
  const oscar = o.addUser('oscar', { displayName: 'Oscar' });
  const nina = n.addUser('nina', { displayName: 'Nina' });
  const room = new SimRoom(roomVersion);
  room.create(o, olga);
  setUpRoom(room, o, olga, {});
  const send = (sender: string, type: string, content: Parameters<SimRoom['send']>[3], stateKey?: string): string =>
    room.send(o, sender, type, content, stateKey === undefined ? {} : { stateKey }).eventId;

  const oscarJoin = send(oscar, 'm.room.member', { membership: 'join', displayname: 'Oscar' }, oscar);
  const first = send(olga, 'm.room.message', message('the beginning'));
  const typo = send(oscar, 'm.room.message', message('helo'));
  const edit = send(oscar, 'm.room.message', message('* hello', { 'm.new_content': message('hello'), 'm.relates_to': { rel_type: 'm.replace', event_id: typo } }));
  const secret = send(oscar, 'm.room.message', message('my password is hunter2'));
  const redaction = send(olga, 'm.room.redaction', { redacts: secret, reason: 'secret' });
  const topic = send(olga, 'm.room.topic', { topic: 'Old topic, changed before N joined' }, '');
  const name = send(olga, 'm.room.name', { name: 'Renamed room' }, '');
  const leave = send(oscar, 'm.room.member', { membership: 'leave' }, oscar);
  const between = send(olga, 'm.room.message', message('oscar left'));
  const rejoin = send(oscar, 'm.room.member', { membership: 'join', displayname: 'Oscar again' }, oscar);
  const lastOld = send(oscar, 'm.room.message', message('I am back'));
  const oldHistory = [oscarJoin, first, typo, edit, secret, redaction, topic, name, leave, between, rejoin, lastOld];

  // N joins through O: O's make_join template, N signs, O accepts (send_join).
  const join = room.build(n, nina, 'm.room.member', { membership: 'join', displayname: 'Nina' }, { stateKey: nina, templateFrom: o });
  const vo = room.view(o);
  const stateAtJoin = vo.resolve(join.pdu.prev_events.map((p) => vo.stateOfGroup(vo.events.get(p)!.groupAfter!)));
  room.deliver(o, join.eventId);

  // The send_join response: the state and its auth chain, persisted by N as outliers (backfilled).
  const needed = new Set<string>();
  const todo = [...stateAtJoin.values(), ...join.pdu.auth_events];
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (needed.has(id)) continue;
    needed.add(id);
    todo.push(...vo.authIds(room.event(id)));
  }
  const outliers = vo.order.filter((id) => needed.has(id));
  for (const id of outliers) room.deliver(n, id, { outlier: true });
  room.deliver(n, join.eventId, { stateBefore: stateAtJoin });

  // Live events after the join, seen by both.
  const live: string[] = [];
  live.push(room.send(n, nina, 'm.room.message', message('hi, I am new here'), { deliverTo: [o] }).eventId);
  live.push(room.send(o, olga, 'm.room.message', message('welcome nina'), { deliverTo: [n] }).eventId);
  const liveEdit = room.send(n, nina, 'm.room.message', message('* hi, I am new', {
    'm.new_content': message('hi, I am new'),
    'm.relates_to': { rel_type: 'm.replace', event_id: live[0]! },
  }), { deliverTo: [o] }).eventId;
  live.push(liveEdit);
  const liveTopic = room.send(o, olga, 'm.room.topic', { topic: 'New topic after the join' }, { stateKey: '', deliverTo: [n] }).eventId;
  live.push(liveTopic);

  const missing = oldHistory.filter((id) => !room.view(n).has(id));
  return {
    room,
    servers: [o, n],
    labels: {
      create: room.createEventId,
      oldHistory,
      oldEdit: edit,
      oldRedaction: redaction,
      oldRedacted: secret,
      oldStateChanges: [topic, name],
      leave,
      rejoin,
      join: join.eventId,
      joinPrevEvents: [...join.pdu.prev_events],
      joinStateOutliers: outliers,
      missingOnNew: missing,
      live,
      liveTopic,
      powerLevels: stateAtJoin.get(stateKeyOf('m.room.power_levels', ''))!,
    },
  };
}

/** Writes O's view to `options.engine` and N's to `options.otherEngines[0]` (required). */
export async function buildHistoryGap(options: ScenarioOptions): Promise<ScenarioResult> {
  const newEngine = options.otherEngines?.[0];
  if (!newEngine) throw new Error("scenario 'history-gap' needs a second database in otherEngines[0] for the new server");
  const sim = simulateHistoryGap(options.roomVersion ?? '10', hopCountingFor(options.engine));
  const [o, n] = sim.servers;
  const written = [
    { server: o.name, engine: options.engine, summary: await writeServerDatabase(options.engine, o, [sim.room], [n]) },
    { server: n.name, engine: newEngine, summary: await writeServerDatabase(newEngine, n, [sim.room], [o]) },
  ];
  return { name: 'history-gap', roomId: sim.room.roomId, roomVersion: sim.room.rules.id, servers: sim.servers, written, labels: sim.labels, room: sim.room };
}
