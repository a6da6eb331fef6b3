/**
 * State resolution time for a conflict of 1,000 state events: two servers of one room fork, each
 * sends 500 state events (custom state, display names and a few power-level changes) on the same
 * keys, and their two states are resolved with the room version's algorithm.
 */
import { resolveState } from '../matrix/state-res/resolve.js';
import { SimRoom } from '../simulator/room.js';
import { SimServer } from '../simulator/server.js';
import { setUpRoom } from '../simulator/scenarios/common.js';

export interface StateResBenchResult {
  roomVersion: string;
  conflictedEvents: number;
  stateSize: number;
  millisecondsMedian: number;
  millisecondsMin: number;
}

export function benchStateRes(roomVersion: string, perSide = 500, runs = 7): StateResBenchResult {
  const a = new SimServer('a.example');
  const b = new SimServer('b.example');
  const room = new SimRoom(roomVersion);
  const alice = a.addUser('alice');
  room.create(a, alice);
  const bob = b.addUser('bob');
  setUpRoom(room, a, alice, { [bob]: 100 });
  const join = room.build(b, bob, 'm.room.member', { membership: 'join' }, { stateKey: bob, templateFrom: a });
  room.deliver(a, join.eventId);
  room.sync([b], room.view(a).order);
  // Fork: from here each server sends without hearing the other.
  const sides: Array<[SimServer, string]> = [[a, alice], [b, bob]];
  for (const [server, user] of sides) {
    for (let i = 0; i < perSide; i++) {
      if (i % 50 === 25) {
        room.send(server, user, 'm.room.power_levels', { users: { [alice]: 100, [bob]: 100 }, state_default: 50, events_default: 0, events: { 'org.example.setting': 50 + (i % 3) } }, { stateKey: '' });
      } else {
        room.send(server, user, 'org.example.setting', { value: `${server.name} ${i}` }, { stateKey: `k${i}` });
      }
    }
  }
  const stateSets = [room.view(a).currentState, room.view(b).currentState];
  const fetchEvent = (id: string) => room.network.get(id)?.pdu;
  let conflicted = 0;
  for (const [key, id] of stateSets[0]!) if (stateSets[1]!.get(key) !== id) conflicted += 2;
  const times: number[] = [];
  let size = 0;
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    const resolved = resolveState({ stateSets, fetchEvent, rules: room.rules });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    size = resolved.size;
  }
  times.sort((x, y) => x - y);
  return { roomVersion, conflictedEvents: conflicted, stateSize: size, millisecondsMedian: times[Math.floor(times.length / 2)]!, millisecondsMin: times[0]! };
}
