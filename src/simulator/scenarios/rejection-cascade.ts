/**
 * Scenario 'rejection-cascade': one state event wrongly rejected by this server (A) while the
 * federation accepted it, and every later federated event citing it rejected in turn, across four
 * servers: A (this server), B (the root's origin, the healthy twin), C (never saw the root and keeps
 * citing the old power levels) and D (a fourth server, invited and joined during the cascade).
 *
 * The root is B's power-levels change (Carol raised to 50), valid under the auth rules. Two shapes
 * (`ScenarioOptions.shape`):
 * - 'arrival': A rejected the root when it arrived (the simulated bug, as in rejection-chain), so A's
 *   state keeps the previous power levels.
 * - 'marked': A accepted the root; it entered A's state groups and current state, and events accepted
 *   meanwhile (a message from B, C's old-PL messages, then a local message that merges the fork)
 *   cite it. Then it is marked rejected on A only (`RoomView.markRejected`: rejection reason and a
 *   rejections row, nothing else changed). From then on A's auth checks see it as rejected. A's
 *   users can no longer send at all: every event they would create cites the root (Synapse's
 *   `check_state_independent_auth_rules` refuses it with a 403 and persists nothing), which the
 *   simulation checks and does not persist.
 *
 * The cascade (both shapes; all remote, each citing the root or an event rejected because of it):
 * messages from B and D, an edit (m.replace) of B's first message after the root, a further
 * power-levels change, a new member joining from B and her message, an invite of a user on D then
 * his join, his reaction (m.annotation) and message, and the leave of a B member whose join A had
 * accepted before the incident (so A still thinks he is joined).
 * C's messages cite the old power levels and are accepted by A (old-PL events). A user at power 0 on
 * C sends a power-levels event raising himself: denied by the power rule on A and on B alike, and
 * it must stay rejected after any cure (the genuine rejection). A's user sends a message after the
 * root arrived (local-after), accepted everywhere.
 * B's view (which accepted everything except the genuine rejection) is the healthy twin.
 */
import { checkAuthEvents } from '../../matrix/auth/check-pdu.js';
import { stateKeyOf, type JsonObject } from '../../matrix/pdu.js';
import { SimRoom } from '../room.js';
import { SimServer } from '../server.js';
import type { RoomView } from '../room-view.js';
import { writeServerDatabase } from '../write-database.js';
import { hopCountingFor, joinVia, message, setUpRoom, type RejectionShape, type ScenarioOptions, type ScenarioResult } from './common.js';

export interface RejectionCascadeRoom {
  room: SimRoom;
  shape: RejectionShape;
  /** [A (this server), B (the root's origin, healthy twin), C (old power levels), D (the fourth server)] */
  servers: [SimServer, SimServer, SimServer, SimServer];
  labels: Record<string, string | string[]>;
}

export function simulateRejectionCascade(
  roomVersion = '10',
  hop: 'sqlite' | 'postgres' = 'sqlite',
  shape: RejectionShape = 'arrival',
): RejectionCascadeRoom {
  if (shape !== 'arrival' && shape !== 'marked') throw new Error(`rejection-cascade: unknown shape ${JSON.stringify(shape)} (arrival, marked)`);
  const fail = (what: string): never => {
    throw new Error(`rejection-cascade (${shape}, room version ${roomVersion}): ${what}`);
  };
  const a = new SimServer('this.example', { hopCounting: hop });
  const b = new SimServer('remote.example', { hopCounting: hop });
  const c = new SimServer('old.example', { hopCounting: hop });
  const d = new SimServer('fourth.example', { hopCounting: hop });
  const alice = a.addUser('alice', { displayName: 'Alice' });
  const bob = b.addUser('bob', { displayName: 'Bob' });
  const ben = b.addUser('ben', { displayName: 'Ben' });
  const bea = b.addUser('bea', { displayName: 'Bea' });
  const carol = c.addUser('carol', { displayName: 'Carol' });
  const cid = c.addUser('cid', { displayName: 'Cid' });
  const dave = d.addUser('dave', { displayName: 'Dave' });
  const room = new SimRoom(roomVersion);
  room.create(a, alice);
  setUpRoom(room, a, alice, { [bob]: 100 });
  room.catchUp(b, a);
  const early = [a, b, c];
  joinVia(room, b, a, bob, early);
  const benJoin = joinVia(room, b, a, ben, early);
  room.catchUp(c, a);
  joinVia(room, c, a, carol, early);
  joinVia(room, c, a, cid, early);
  const before = room.send(a, alice, 'm.room.message', message('all is well'), { deliverTo: [b, c] }).eventId;

  // The root: B raises Carol to 50. Valid. C does not receive it (partitioned from B).
  const plKey = stateKeyOf('m.room.power_levels', '');
  const oldPl = room.view(b).currentState.get(plKey)!;
  const rootContent = structuredClone(room.event(oldPl).pdu.content) as JsonObject;
  (rootContent.users as Record<string, number>)[carol] = 50;
  const root = room.build(b, bob, 'm.room.power_levels', rootContent, { stateKey: '' }).eventId;
  room.deliver(b, root);
  room.deliver(a, root, shape === 'arrival' ? { forceReject: true } : {});

  const cascade: string[] = [];
  const cascadeMessages: string[] = [];
  const acceptedCitingRoot: string[] = [];
  /** Sends from `server` (stored there) and delivers to `to`, in order. */
  const sendTo = (server: SimServer, sender: string, type: string, content: JsonObject, to: SimServer[], stateKey?: string): string =>
    room.send(server, sender, type, content, { deliverTo: to, ...(stateKey !== undefined ? { stateKey } : {}) }).eventId;

  // B's first message after the root: cites it. Rejected on arrival ('arrival'); accepted ('marked').
  const m0 = sendTo(b, bob, 'm.room.message', message('did you see the new power levels?'), [a]);
  if (shape === 'arrival') {
    cascade.push(m0);
    cascadeMessages.push(m0);
  } else acceptedCitingRoot.push(m0);

  // C still cites the old power levels: accepted by A (and by B). A forks ('marked': resolved, root wins).
  const oldPlEvents: string[] = [];
  for (const body of ['carol here, still on the old power levels', 'another one from c', 'topic talk']) {
    oldPlEvents.push(sendTo(c, carol, 'm.room.message', message(body), [a, b]));
  }

  let localAfter: string | undefined;
  if (shape === 'marked') {
    // Alice's message merges A's fork and cites the root (in A's current state) as its power levels.
    localAfter = sendTo(a, alice, 'm.room.message', message('nice, congratulations carol'), [b]);
    acceptedCitingRoot.push(localAfter);
    // The incident: the root is marked rejected on A only.
    room.view(a).markRejected(root);
    // Alice can no longer send: whatever she creates cites the root. Synapse refuses it (403) and
    // persists nothing; so the simulation builds it, checks that refusal, and forgets it.
    const attempt = room.build(a, alice, 'm.room.message', message('hello? is anyone there?'));
    const va = room.view(a);
    const refusal = checkAuthEvents(attempt.pdu, va.authIds(attempt).map((id) => va.pdu(id)!), room.rules);
    room.network.delete(attempt.eventId);
    if (refusal.allowed || refusal.rule !== 'auth-events.rejected') fail(`a local send after the mark was expected to be refused, got ${JSON.stringify(refusal)}`);
  }

  // The cascade: B's (and later D's) events now cite the root, or events rejected because of it.
  const m1 = sendTo(b, bob, 'm.room.message', message('power levels are sorted, carol can moderate'), [a]);
  cascade.push(m1);
  cascadeMessages.push(m1);
  const edit = sendTo(
    b,
    bob,
    'm.room.message',
    message('* did you see the new power levels? (carol is a moderator now)', {
      'm.new_content': message('did you see the new power levels? (carol is a moderator now)'),
      'm.relates_to': { rel_type: 'm.replace', event_id: m0 },
    }),
    [a],
  );
  cascade.push(edit);
  const pl2Content = structuredClone(rootContent) as JsonObject;
  (pl2Content.users as Record<string, number>)[bea] = 10;
  const pl2 = sendTo(b, bob, 'm.room.power_levels', pl2Content, [a], '');
  cascade.push(pl2);
  const beaJoin = room.build(b, bea, 'm.room.member', { membership: 'join', displayname: 'Bea' }, { stateKey: bea }).eventId;
  room.deliver(b, beaJoin);
  room.deliver(a, beaJoin);
  cascade.push(beaJoin);
  const m2 = sendTo(b, bea, 'm.room.message', message('hello, I am new'), [a]);
  cascade.push(m2);
  cascadeMessages.push(m2);
  const invite = sendTo(b, bob, 'm.room.member', { membership: 'invite', displayname: 'Dave' }, [a], dave);
  cascade.push(invite);

  // D joins through B (it has the room as B has it: B's events, in B's order).
  room.catchUp(d, b);
  const fourthJoin = room.build(d, dave, 'm.room.member', { membership: 'join', displayname: 'Dave' }, { stateKey: dave, templateFrom: b }).eventId;
  room.deliver(b, fourthJoin);
  room.deliver(d, fourthJoin);
  room.deliver(a, fourthJoin);
  cascade.push(fourthJoin);
  const reaction = sendTo(d, dave, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: m1, key: '👍' } }, [b, a]);
  cascade.push(reaction);
  const m3 = sendTo(d, dave, 'm.room.message', message('hi from the fourth server'), [b, a]);
  cascade.push(m3);
  cascadeMessages.push(m3);
  const leave = sendTo(b, ben, 'm.room.member', { membership: 'leave' }, [a, d], ben);
  cascade.push(leave);

  // Genuine: Cid (power 0) raises himself; C's buggy client lets it out. Denied by A and by B.
  const genuineContent = structuredClone(room.event(oldPl).pdu.content) as JsonObject;
  (genuineContent.users as Record<string, number>)[cid] = 100;
  const genuine = room.build(c, cid, 'm.room.power_levels', genuineContent, { stateKey: '' }).eventId;
  room.deliver(a, genuine);
  room.deliver(b, genuine);

  // B keeps talking after the genuine rejection: more cascade on A.
  const m4 = sendTo(b, bob, 'm.room.message', message('still here'), [a, d]);
  cascade.push(m4);
  cascadeMessages.push(m4);
  // 'arrival': A's users carry on, on the old power levels.
  if (shape === 'arrival') localAfter = sendTo(a, alice, 'm.room.message', message('why is it so quiet?'), [b, c]);

  // Self-checks.
  const va = room.view(a);
  const vb = room.view(b);
  const rejectedOn = (v: RoomView, id: string): boolean => {
    const s = v.events.get(id);
    if (!s) fail(`${v.server.name} lacks ${id}`);
    return s!.rejectionReason !== undefined;
  };
  if (!rejectedOn(va, root)) fail(`root ${root} accepted on A`);
  if (rejectedOn(vb, root)) fail(`root ${root} rejected on B`);
  for (const id of cascade) {
    if (!rejectedOn(va, id)) fail(`cascade event ${id} accepted on A`);
    const rule = va.events.get(id)!.rejectedBy?.rule;
    if (rule !== 'auth-events.rejected') fail(`cascade event ${id} rejected on A by ${rule ?? 'force'}, not by the auth-events rule`);
    if (rejectedOn(vb, id)) fail(`cascade event ${id} rejected on B`);
  }
  if (!rejectedOn(va, genuine) || !rejectedOn(vb, genuine)) fail(`genuine ${genuine} accepted on A or B`);
  for (const v of [va, vb]) if (!/power/.test(v.events.get(genuine)!.rejectedBy?.rule ?? '')) fail(`genuine ${genuine} not denied by a power rule on ${v.server.name}`);
  for (const id of [...oldPlEvents, ...acceptedCitingRoot, localAfter!]) {
    if (rejectedOn(va, id)) fail(`${id} rejected on A`);
    if (rejectedOn(vb, id)) fail(`${id} rejected on B`);
  }
  for (const id of acceptedCitingRoot) if (!room.event(id).pdu.auth_events.includes(root)) fail(`${id} does not cite the root`);
  if (shape === 'marked') {
    if (va.currentState.get(plKey) !== root) fail(`root ${root} is not A's current power levels`);
    const s = va.events.get(root)!;
    if (va.stateOfGroup(s.groupAfter!).get(plKey) !== root) fail(`root ${root} is not in its own state group on A`);
  } else if ([...va.currentState.values()].includes(root)) fail(`root ${root} in A's current state`);
  return {
    room,
    shape,
    servers: [a, b, c, d],
    labels: {
      create: room.createEventId,
      before,
      oldPowerLevels: oldPl,
      benJoin,
      root,
      cascade,
      cascadeMessages,
      edit,
      edited: m0,
      reaction,
      reacted: m1,
      cascadePowerLevels: pl2,
      cascadeJoin: beaJoin,
      invite,
      fourthJoin,
      leave,
      genuine,
      oldPlEvents,
      acceptedCitingRoot,
      localAfter: localAfter!,
    },
  };
}

/**
 * Writes A's view to `options.engine`; with `otherEngines[0]`, B's view (the healthy twin) too.
 */
export async function buildRejectionCascade(options: ScenarioOptions): Promise<ScenarioResult> {
  const sim = simulateRejectionCascade(options.roomVersion ?? '10', hopCountingFor(options.engine), options.shape ?? 'arrival');
  const [a, b, c, d] = sim.servers;
  const written = [{ server: a.name, engine: options.engine, summary: await writeServerDatabase(options.engine, a, [sim.room], [b, c, d]) }];
  const twin = options.otherEngines?.[0];
  if (twin) written.push({ server: b.name, engine: twin, summary: await writeServerDatabase(twin, b, [sim.room], [a, c, d]) });
  return {
    name: 'rejection-cascade',
    roomId: sim.room.roomId,
    roomVersion: sim.room.rules.id,
    servers: sim.servers,
    written,
    labels: sim.labels,
    room: sim.room,
  };
}
