/**
 * Scenario 'history-gap': two homeservers' databases for one room, as a late join leaves them
 * (the real example: ../shared/real-synapse, scenario dev-migration).
 *
 * The old server OLD holds the whole history: the room's set-up, three local members, messages, two
 * edits (m.replace), two reactions (m.annotation), two replies (m.in_reply_to), a thread (a root and
 * three m.thread replies), a redacted message, a name change, a topic change, two power-level
 * changes, and a member leaving, being re-invited and rejoining.
 *
 * The new server NEW joins late, as a remote join does:
 * 1. OLD invites NEW's user. The invite goes through /invite: NEW countersigns it and stores it as an
 *    out-of-band outlier with a *positive* stream ordering (synapse/handlers/federation.py
 *    `on_invite_request`, persisted with backfilled=False), OLD stores the countersigned event.
 * 2. NEW joins through OLD (make_join/send_join, `do_invite_join` → federation_event.py
 *    `_auth_and_persist_outliers`): the state at the join and its auth chain are persisted as
 *    outliers with negative stream orderings (backfilled=True): create, join rules, history
 *    visibility, every power-levels event (each cites the one before), the current name and topic,
 *    every membership of the members (the auth chain: oscar's join, leave, re-invite and rejoin).
 *    The join itself is a timeline event with that state as its state-before (a full state group);
 *    its prev event is the invite, which NEW holds only as an outlier: the one backward extremity.
 *    (Step 2's outliers are persisted before the invite here, because the simulator runs the auth
 *    checks on every outlier and NEW needs the invite's auth events; Synapse stores the invite
 *    first, unchecked.)
 * 3. Both servers keep talking: NEW's own messages (one a reply to an old message NEW does not
 *    have), messages sent at the same time on both servers (a fork and its merge), an edit, a
 *    reaction and a topic change; every post-join event reaches both.
 *
 * With `options.backfilledTwin`, a third database gets NEW's view as if NEW had backfilled the
 * whole missing history from OLD itself (RoomView.backfill): the reference a history import must equal.
 */
import { POWER_LEVELS_KEY } from '../../matrix/auth/power-levels.js';
import { pduFromJson } from '../../matrix/event-id.js';
import { stateKeyOf, type JsonObject } from '../../matrix/pdu.js';
import { signEvent } from '../../matrix/signatures.js';
import type { BackfillResult } from '../room-view.js';
import { SimRoom } from '../room.js';
import { SimServer } from '../server.js';
import type { SimEvent } from '../sim-event.js';
import { writeServerDatabase } from '../write-database.js';
import { hopCountingFor, message, setUpRoom, type ScenarioOptions, type ScenarioResult } from './common.js';

export interface HistoryGapRoom {
  room: SimRoom;
  /** [OLD (full history), NEW (joined late)] */
  servers: [SimServer, SimServer];
  labels: Record<string, string | string[]>;
}

/** Reply content as clients send it: a fallback quote and `m.in_reply_to`. */
function reply(room: SimRoom, to: string, body: string, extra: JsonObject = {}): JsonObject {
  const target = room.event(to).pdu;
  const quoted = typeof target.content.body === 'string' ? target.content.body : '';
  return message(`> <${target.sender}> ${quoted}\n\n${body}`, { 'm.relates_to': { 'm.in_reply_to': { event_id: to } }, ...extra });
}

/** The room's current power levels content on `server`, copied for a change. */
function currentPowerLevels(room: SimRoom, server: SimServer): JsonObject {
  const id = room.view(server).currentState.get(POWER_LEVELS_KEY)!;
  return structuredClone(room.event(id).pdu.content);
}

/** The invitee's server adds its signature to the invite (server-server API /invite). */
function countersign(room: SimRoom, ev: SimEvent, by: SimServer): SimEvent {
  const json = signEvent(ev.json, by.key, room.rules);
  const pdu = pduFromJson(json, room.rules, { roomId: room.roomId });
  if (pdu.event_id !== ev.eventId) throw new Error('countersigning changed the event id');
  const signed: SimEvent = { eventId: ev.eventId, json, pdu, origin: ev.origin };
  room.network.set(ev.eventId, signed);
  return signed;
}

export function simulateHistoryGap(roomVersion = '10', hop: 'sqlite' | 'postgres' = 'sqlite'): HistoryGapRoom {
  const o = new SimServer('old.example', { hopCounting: hop });
  const n = new SimServer('new.example', { hopCounting: hop });
  const olga = o.addUser('olga', { displayName: 'Olga' });
  const oscar = o.addUser('oscar', { displayName: 'Oscar' });
  const odile = o.addUser('odile', { displayName: 'Odile' });
  const nina = n.addUser('nina', { displayName: 'Nina' });
  const room = new SimRoom(roomVersion);
  const create = room.create(o, olga);
  setUpRoom(room, o, olga, {});
  const vo = room.view(o);
  const current = (type: string): string => vo.currentState.get(stateKeyOf(type, ''))!;
  const initialPowerLevels = current('m.room.power_levels');
  const initialName = current('m.room.name');
  const initialTopic = current('m.room.topic');

  // The old history: OLD only.
  const send = (sender: string, type: string, content: JsonObject, stateKey?: string): string =>
    room.send(o, sender, type, content, stateKey === undefined ? {} : { stateKey }).eventId;
  const oscarJoin = send(oscar, 'm.room.member', { membership: 'join', displayname: 'Oscar' }, oscar);
  const odileJoin = send(odile, 'm.room.member', { membership: 'join', displayname: 'Odile' }, odile);
  const first = send(olga, 'm.room.message', message('the beginning'));
  const typo = send(oscar, 'm.room.message', message('helo'));
  const edit = send(oscar, 'm.room.message', message('* hello', { 'm.new_content': message('hello'), 'm.relates_to': { rel_type: 'm.replace', event_id: typo } }));
  const reaction = send(odile, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: first, key: '👍' } });
  const replyOld = send(oscar, 'm.room.message', reply(room, first, 'and a good one'));
  const threadRoot = send(olga, 'm.room.message', message('shall we plan the trip?'));
  const threadReplies: string[] = [];
  for (const [sender, body] of [[oscar, 'yes, in June'], [odile, 'June suits me'], [olga, 'June it is']] as const) {
    const inReplyTo = threadReplies.length > 0 ? threadReplies[threadReplies.length - 1]! : threadRoot;
    threadReplies.push(send(sender, 'm.room.message', message(body, {
      'm.relates_to': { rel_type: 'm.thread', event_id: threadRoot, is_falling_back: true, 'm.in_reply_to': { event_id: inReplyTo } },
    })));
  }
  const threadReaction = send(oscar, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: threadReplies[1]!, key: '🎉' } });
  const secret = send(oscar, 'm.room.message', message('my password is hunter2'));
  const redaction = send(olga, 'm.room.redaction', { redacts: secret, reason: 'secret' });
  const name = send(olga, 'm.room.name', { name: 'Renamed room' }, '');
  const pl1 = currentPowerLevels(room, o);
  (pl1.users as JsonObject)[oscar] = 50;
  const powerLevelsOscar = send(olga, 'm.room.power_levels', pl1, '');
  // Oscar, now at 50 (state_default), changes the topic himself.
  const topic = send(oscar, 'm.room.topic', { topic: 'Old topic, changed before N joined' }, '');
  const edit2 = send(olga, 'm.room.message', message('* the very beginning', { 'm.new_content': message('the very beginning'), 'm.relates_to': { rel_type: 'm.replace', event_id: first } }));
  const leave = send(oscar, 'm.room.member', { membership: 'leave' }, oscar);
  const between = send(olga, 'm.room.message', message('oscar left'));
  const reinvite = send(olga, 'm.room.member', { membership: 'invite', displayname: 'Oscar' }, oscar);
  const rejoin = send(oscar, 'm.room.member', { membership: 'join', displayname: 'Oscar again' }, oscar);
  const lastOld = send(oscar, 'm.room.message', message('I am back'));
  const replyOld2 = send(odile, 'm.room.message', reply(room, lastOld, 'welcome back'));
  const pl2 = currentPowerLevels(room, o);
  (pl2.users as JsonObject)[odile] = 50;
  const powerLevelsOdile = send(olga, 'm.room.power_levels', pl2, '');

  // OLD invites NEW's user: NEW countersigns the invite (and, below, keeps it as an outlier).
  const invite = countersign(room, room.build(o, olga, 'm.room.member', { membership: 'invite', displayname: 'Nina' }, { stateKey: nina }), n).eventId;
  room.deliver(o, invite);
  const oldHistory = [...vo.order];

  // NEW joins through OLD: OLD's make_join template (prev_events = [the invite]), NEW signs, OLD accepts.
  const join = room.build(n, nina, 'm.room.member', { membership: 'join', displayname: 'Nina' }, { stateKey: nina, templateFrom: o });
  const stateAtJoin = vo.resolve(join.pdu.prev_events.map((p) => vo.stateOfGroup(vo.events.get(p)!.groupAfter!)));
  room.deliver(o, join.eventId);

  // The send_join response: the state and its auth chain, persisted by NEW as (backfilled) outliers.
  const needed = new Set<string>();
  const todo = [...stateAtJoin.values(), ...vo.authIds(join)];
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (needed.has(id)) continue;
    needed.add(id);
    todo.push(...vo.authIds(room.event(id)));
  }
  const joinStateOutliers = vo.order.filter((id) => needed.has(id) && id !== invite);
  for (const id of joinStateOutliers) room.deliver(n, id, { outlier: true });
  room.deliver(n, invite, { outlier: true, backfilled: false });
  room.deliver(n, join.eventId, { stateBefore: stateAtJoin });

  // After the join both servers talk, and each gets everything the other sends.
  const postJoin: string[] = [];
  const live = (from: SimServer, to: SimServer, sender: string, type: string, content: JsonObject, stateKey?: string): string => {
    const id = room.send(from, sender, type, content, { deliverTo: [to], ...(stateKey === undefined ? {} : { stateKey }) }).eventId;
    postJoin.push(id);
    return id;
  };
  const hello = live(n, o, nina, 'm.room.message', message('hi, I am new here'));
  live(o, n, olga, 'm.room.message', message('welcome nina'));
  const replyToMissing = live(n, o, nina, 'm.room.message', reply(room, first, 'replying to the very first message'));
  // Sent at the same time on both servers (a fork), then exchanged; the next message merges.
  const forkNew = room.send(n, nina, 'm.room.message', message('both at once (NEW)')).eventId;
  const forkOld = room.send(o, oscar, 'm.room.message', message('both at once (OLD)')).eventId;
  room.deliver(o, forkNew);
  room.deliver(n, forkOld);
  postJoin.push(forkNew, forkOld);
  const merge = live(o, n, odile, 'm.room.message', message('merged'));
  const postJoinEdit = live(n, o, nina, 'm.room.message', message('* hi, I am new', {
    'm.new_content': message('hi, I am new'),
    'm.relates_to': { rel_type: 'm.replace', event_id: hello },
  }));
  const postJoinReaction = live(o, n, oscar, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: hello, key: '👋' } });
  const liveTopic = live(o, n, olga, 'm.room.topic', { topic: 'New topic after the join' }, '');
  live(n, o, nina, 'm.room.message', message('the last word, from NEW'));

  const vn = room.view(n);
  const missingOnNew = oldHistory.filter((id) => !vn.has(id));
  return {
    room,
    servers: [o, n],
    labels: {
      create,
      oldHistory,
      missingOnNew,
      joinStateOutliers,
      invite,
      newOutliers: [...joinStateOutliers, invite],
      newBackwardExtremity: invite,
      join: join.eventId,
      joinPrevEvents: [...join.pdu.prev_events],
      postJoin,
      live: postJoin,
      replyToMissing,
      replyToMissingTarget: first,
      fork: [forkNew, forkOld],
      merge,
      postJoinEdit,
      postJoinReaction,
      liveTopic,
      edits: [edit, edit2],
      oldEdit: edit,
      reactions: [reaction, threadReaction],
      replies: [replyOld, replyOld2],
      threadRoot,
      threadReplies,
      redaction,
      redacted: secret,
      oldRedaction: redaction,
      oldRedacted: secret,
      nameChanges: [initialName, name],
      topicChanges: [initialTopic, topic],
      oldStateChanges: [topic, name],
      powerLevels: [initialPowerLevels, powerLevelsOscar, powerLevelsOdile],
      powerLevelChanges: [powerLevelsOscar, powerLevelsOdile],
      members: [oscarJoin, odileJoin, leave, reinvite, rejoin],
      leave,
      reinvite,
      rejoin,
      between,
      lastOld,
    },
  };
}

/**
 * NEW backfills the whole history it lacks from OLD (every event of OLD's timeline, in OLD's stream
 * order; NEW keeps what it already has as a timeline event and de-outliers its outliers). Mutates
 * NEW's view: afterwards it is the reference view.
 */
export function backfillNewFromOld(sim: HistoryGapRoom): BackfillResult {
  const [o, n] = sim.servers;
  const vo = sim.room.view(o);
  const timeline = [...vo.events.values()].filter((s) => !s.outlier).sort((a, b) => a.streamOrdering - b.streamOrdering);
  return sim.room.view(n).backfill(timeline.map((s) => s.ev));
}

/**
 * Writes OLD's view to `options.engine` and NEW's to `options.otherEngines[0]` (required). With
 * `options.backfilledTwin`, also NEW's view after backfilling the missing history from OLD (labels
 * `backfilled`: the events NEW stored for the first time, oldest first; `deOutliered`: NEW's
 * outliers that became timeline events). The returned NEW view is then the backfilled one.
 */
export async function buildHistoryGap(options: ScenarioOptions): Promise<ScenarioResult> {
  const newEngine = options.otherEngines?.[0];
  if (!newEngine) throw new Error("scenario 'history-gap' needs a second database in otherEngines[0] for the new server");
  const sim = simulateHistoryGap(options.roomVersion ?? '10', hopCountingFor(options.engine));
  const [o, n] = sim.servers;
  const written = [
    { server: o.name, engine: options.engine, summary: await writeServerDatabase(options.engine, o, [sim.room], [n]) },
    { server: n.name, engine: newEngine, summary: await writeServerDatabase(newEngine, n, [sim.room], [o]) },
  ];
  const labels = { ...sim.labels };
  if (options.backfilledTwin) {
    const result = backfillNewFromOld(sim);
    if (result.skipped.some((id) => sim.room.view(n).events.get(id)!.outlier)) throw new Error('backfill left an outlier that OLD holds in its timeline');
    labels.backfilled = result.backfilled;
    labels.deOutliered = result.deOutliered;
    written.push({ server: n.name, engine: options.backfilledTwin, summary: await writeServerDatabase(options.backfilledTwin, n, [sim.room], [o]) });
  }
  return { name: 'history-gap', roomId: sim.room.roomId, roomVersion: sim.room.rules.id, servers: sim.servers, written, labels, room: sim.room };
}
