/**
 * Scenario 'rejection-chain': the failure the tool exists for, seen from server A ("this server").
 *
 * 1. Server B sends a power-levels change that is valid under the auth rules; A wrongly rejects it
 *    (the simulated bug: rejection_reason 'auth_error' plus a rejections row) — the root.
 * 2. B's later events cite the root in auth_events, so A's real auth checks reject them in turn
 *    (auth rule "no auth event may itself have been rejected"): messages, a further power-levels
 *    change, and a membership (a new user joining from B) — the cascade.
 * 3. Server C never saw the root (it was partitioned) and keeps citing the OLDER power levels:
 *    A accepts those events — old-PL events.
 * 4. A user at power 0 on C sends a power-levels event: denied by the power rule everywhere, and it
 *    must stay rejected after any repair — the genuine rejection.
 * B's view (which accepted everything except the genuine rejection) is the healthy twin.
 */
import { stateKeyOf, type JsonObject } from '../../matrix/pdu.js';
import { SimRoom } from '../room.js';
import { SimServer } from '../server.js';
import { writeServerDatabase } from '../write-database.js';
import { hopCountingFor, joinVia, message, setUpRoom, type ScenarioOptions, type ScenarioResult } from './common.js';

export interface RejectionChainRoom {
  room: SimRoom;
  /** [A (this server), B (the root's origin, healthy twin), C (old power levels)] */
  servers: [SimServer, SimServer, SimServer];
  labels: Record<string, string | string[]>;
}

export function simulateRejectionChain(roomVersion = '10', hop: 'sqlite' | 'postgres' = 'sqlite'): RejectionChainRoom {
  const a = new SimServer('this.example', { hopCounting: hop });
  const b = new SimServer('remote.example', { hopCounting: hop });
  const c = new SimServer('old.example', { hopCounting: hop });
  const alice = a.addUser('alice', { displayName: 'Alice' });
  const bob = b.addUser('bob', { displayName: 'Bob' });
  const bea = b.addUser('bea', { displayName: 'Bea' });
  const carol = c.addUser('carol', { displayName: 'Carol' });
  const cid = c.addUser('cid', { displayName: 'Cid' });
  const all = [a, b, c];
  const room = new SimRoom(roomVersion);
  room.create(a, alice);
  setUpRoom(room, a, alice, { [bob]: 100 });
  room.catchUp(b, a);
  joinVia(room, b, a, bob, all);
  room.catchUp(c, a);
  joinVia(room, c, a, carol, all);
  joinVia(room, c, a, cid, all);
  const before = room.send(a, alice, 'm.room.message', message('all is well'), { deliverTo: [b, c] }).eventId;

  // 1. The root: B raises Carol to 50. Valid; A rejects it anyway. C does not receive it.
  const plKey = stateKeyOf('m.room.power_levels', '');
  const oldPl = room.view(b).currentState.get(plKey)!;
  const rootContent = structuredClone(room.event(oldPl).pdu.content) as JsonObject;
  (rootContent.users as Record<string, number>)[carol] = 50;
  const root = room.build(b, bob, 'm.room.power_levels', rootContent, { stateKey: '' });
  room.deliver(b, root.eventId);
  room.deliver(a, root.eventId, { forceReject: true });

  // 2. The cascade: B's events now cite the root.
  const cascade: string[] = [];
  const deliverAB = (id: string): void => {
    room.deliver(a, id);
  };
  const m1 = room.send(b, bob, 'm.room.message', message('did you see the new power levels?')).eventId;
  deliverAB(m1);
  cascade.push(m1);
  const pl2Content = structuredClone(rootContent) as JsonObject;
  (pl2Content.users as Record<string, number>)[bea] = 10;
  const pl2 = room.send(b, bob, 'm.room.power_levels', pl2Content, { stateKey: '' }).eventId;
  deliverAB(pl2);
  cascade.push(pl2);
  const beaJoin = room.build(b, bea, 'm.room.member', { membership: 'join', displayname: 'Bea' }, { stateKey: bea });
  room.deliver(b, beaJoin.eventId);
  deliverAB(beaJoin.eventId);
  cascade.push(beaJoin.eventId);
  const m2 = room.send(b, bea, 'm.room.message', message('hello, I am new')).eventId;
  deliverAB(m2);
  cascade.push(m2);

  // 3. C still cites the old power levels: accepted by A (and by B).
  const oldPlEvents: string[] = [];
  for (const body of ['carol here, still on the old power levels', 'another one from c']) {
    const id = room.send(c, carol, 'm.room.message', message(body), { deliverTo: [a, b] }).eventId;
    oldPlEvents.push(id);
  }
  const cTopic = room.send(c, carol, 'm.room.message', message('topic talk'), { deliverTo: [a, b] }).eventId;
  oldPlEvents.push(cTopic);

  // 4. Genuine: Cid (power 0) tries to change the power levels; C's buggy client lets it out.
  const genuineContent = structuredClone(room.event(oldPl).pdu.content) as JsonObject;
  (genuineContent.users as Record<string, number>)[cid] = 100;
  const genuine = room.build(c, cid, 'm.room.power_levels', genuineContent, { stateKey: '' });
  room.deliver(a, genuine.eventId);
  room.deliver(b, genuine.eventId);

  // B keeps talking after the genuine rejection: more cascade on A.
  const m3 = room.send(b, bob, 'm.room.message', message('still here'), { deliverTo: [a] }).eventId;
  cascade.push(m3);
  const after = room.send(a, alice, 'm.room.message', message('why is it so quiet?'), { deliverTo: [b, c] }).eventId;

  const va = room.view(a);
  for (const id of [root.eventId, ...cascade, genuine.eventId]) {
    if (va.events.get(id)?.rejectionReason === undefined) throw new Error(`rejection-chain: ${id} was expected to be rejected on A`);
  }
  for (const id of oldPlEvents) if (va.events.get(id)?.rejectionReason !== undefined) throw new Error(`rejection-chain: old-PL event ${id} rejected`);
  return {
    room,
    servers: [a, b, c],
    labels: {
      create: room.createEventId,
      before,
      oldPowerLevels: oldPl,
      root: root.eventId,
      cascade,
      cascadeMessages: [m1, m2, m3],
      cascadePowerLevels: pl2,
      cascadeMembership: beaJoin.eventId,
      genuine: genuine.eventId,
      oldPlEvents,
      after,
    },
  };
}

/**
 * Writes A's view to `options.engine`; with `otherEngines[0]`, B's view (the healthy twin) too.
 */
export async function buildRejectionChain(options: ScenarioOptions): Promise<ScenarioResult> {
  const sim = simulateRejectionChain(options.roomVersion ?? '10', hopCountingFor(options.engine));
  const [a, b, c] = sim.servers;
  const written = [{ server: a.name, engine: options.engine, summary: await writeServerDatabase(options.engine, a, [sim.room], [b, c]) }];
  const twin = options.otherEngines?.[0];
  if (twin) written.push({ server: b.name, engine: twin, summary: await writeServerDatabase(twin, b, [sim.room], [a, c]) });
  return {
    name: 'rejection-chain',
    roomId: sim.room.roomId,
    roomVersion: sim.room.rules.id,
    servers: sim.servers,
    written,
    labels: sim.labels,
    room: sim.room,
  };
}
