/**
 * Auth checks per second, in-process, on realistic room events: a room built by the simulator
 * (joins from two servers, messages, display-name and topic changes, power-level changes), every
 * event checked against its own auth events as on receipt of a PDU (server-server API, step 4).
 */
import { checkAuthEvents } from '../matrix/auth/check-pdu.js';
import { checkAuthRules } from '../matrix/auth/check-auth-rules.js';
import type { Pdu } from '../matrix/pdu.js';
import { stateKeyOf } from '../matrix/pdu.js';
import { SimRoom } from '../simulator/room.js';
import { SimServer } from '../simulator/server.js';
import { message, setUpRoom } from '../simulator/scenarios/common.js';

export interface AuthBenchResult {
  roomVersion: string;
  events: number;
  /** checkAuthEvents: the auth-events rules plus the authorization rules. */
  checksPerSecond: number;
  /** checkAuthRules alone, on prebuilt auth maps. */
  rulesPerSecond: number;
  denied: number;
}

function buildRoomEvents(roomVersion: string, count: number): { pdu: Pdu; auth: Pdu[] }[] {
  const local = new SimServer('bench.example');
  const remote = new SimServer('remote.example');
  const room = new SimRoom(roomVersion);
  const creator = local.addUser('owner');
  room.create(local, creator);
  setUpRoom(room, local, creator, {});
  const users = [creator];
  for (let m = 1; m < 40; m++) {
    const server = m % 3 === 0 ? remote : local;
    const user = server.addUser(`u${m}`);
    const ev = room.build(server, user, 'm.room.member', { membership: 'join', displayname: `User ${m}` }, { stateKey: user, templateFrom: local });
    room.deliver(local, ev.eventId);
    users.push(user);
  }
  for (let i = 0; room.network.size < count; i++) {
    const user = users[(i * 7) % users.length]!;
    const server = user.endsWith(':remote.example') ? remote : local;
    let ev;
    if (i % 50 === 49) {
      // v12 creators have unlimited power and must not be listed in `users`.
      const levels: Record<string, number> = room.rules.privilegedCreators ? {} : { [creator]: 100 };
      levels[users[1]!] = 50 + (i % 7);
      ev = room.build(local, creator, 'm.room.power_levels', { users: levels, state_default: 50, events_default: 0 }, { stateKey: '', templateFrom: local });
    }
    else if (i % 20 === 19) ev = room.build(server, user, 'm.room.member', { membership: 'join', displayname: `Renamed ${i}` }, { stateKey: user, templateFrom: local });
    else ev = room.build(server, user, 'm.room.message', message(`message ${i}`), { templateFrom: local });
    room.deliver(local, ev.eventId);
  }
  const out: { pdu: Pdu; auth: Pdu[] }[] = [];
  for (const ev of room.network.values()) {
    const ids = [...ev.pdu.auth_events];
    if (room.rules.roomIdFromCreateEvent && ev.eventId !== room.createEventId) ids.push(room.createEventId);
    out.push({ pdu: ev.pdu, auth: ids.map((id) => room.event(id).pdu) });
  }
  return out;
}

function timeLoop(seconds: number, body: () => number): number {
  let checks = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < limit) {
    checks += body();
    elapsed = process.hrtime.bigint() - start;
  }
  return checks / (Number(elapsed) / 1e9);
}

export function benchAuth(roomVersion: string, seconds = 3): AuthBenchResult {
  const events = buildRoomEvents(roomVersion, 3000);
  const rules = new SimRoom(roomVersion).rules;
  const maps = events.map(({ pdu, auth }) => ({ pdu, map: new Map(auth.map((a) => [stateKeyOf(a.type, a.state_key ?? ''), a])) }));
  let denied = 0;
  for (const { pdu, auth } of events) if (!checkAuthEvents(pdu, auth, rules).allowed) denied++;
  // Warm up the JIT before measuring.
  timeLoop(0.5, () => { for (const { pdu, auth } of events) checkAuthEvents(pdu, auth, rules); return events.length; });
  const checksPerSecond = timeLoop(seconds, () => {
    for (const { pdu, auth } of events) checkAuthEvents(pdu, auth, rules);
    return events.length;
  });
  const rulesPerSecond = timeLoop(seconds, () => {
    for (const { pdu, map } of maps) checkAuthRules(pdu, map, rules);
    return maps.length;
  });
  return { roomVersion, events: events.length, checksPerSecond, rulesPerSecond, denied };
}
