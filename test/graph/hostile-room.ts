/**
 * A room whose events are written by an attacker: senders (user localparts), event types, state
 * keys, display names and message bodies are markup, script-closing tags, `javascript:` URLs,
 * Graphviz label escapes and line/paragraph separators (U+2028, U+2029). Built through the
 * simulator and written as Synapse writes it; one of the hostile state events is rejected on its
 * own merit (its sender lacks the power), so the page has a red node with hostile content too.
 */
import type { Engine } from '../../src/store/engine/engine.js';
import { SimRoom } from '../../src/simulator/room.js';
import { SimServer } from '../../src/simulator/server.js';
import { writeServerDatabase } from '../../src/simulator/write-database.js';
import { message, setUpRoom } from '../../src/simulator/scenarios/common.js';

export const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '</script><script>alert(1)</script>',
  'javascript:alert(1)',
  'line\u2028separator\u2029paragraph',
  '"><svg onload=alert(1)><!--',
  '\\N \\G \\l & &amp; &lt;b&gt;',
] as const;

export interface HostileRoom {
  roomId: string;
  /** The event id of each hostile event, by what it carries. */
  events: { id: string; type: string; stateKey?: string; sender: string; body?: string }[];
  rejected: string;
}

export async function writeHostileRoom(engine: Engine): Promise<HostileRoom> {
  const a = new SimServer('this.example');
  const alice = a.addUser('alice');
  const room = new SimRoom('10');
  room.create(a, alice);
  setUpRoom(room, a, alice, {});
  const events: HostileRoom['events'] = [];
  const users: string[] = [];
  for (const h of HOSTILE) {
    // a localpart made of hostile text: the sender and the member event's state key
    const user = a.addUser(h, { displayName: h });
    users.push(user);
    const join = room.send(a, user, 'm.room.member', { membership: 'join', displayname: h, avatar_url: h }, { stateKey: user }).eventId;
    events.push({ id: join, type: 'm.room.member', stateKey: user, sender: user });
    const body = room.send(a, user, 'm.room.message', message(h, { format: 'org.matrix.custom.html', formatted_body: h, url: h })).eventId;
    events.push({ id: body, type: 'm.room.message', sender: user, body: h });
    const typed = room.send(a, user, h, { body: h }).eventId;
    events.push({ id: typed, type: h, sender: user, body: h });
    const state = room.send(a, alice, h, { value: h }, { stateKey: h }).eventId;
    events.push({ id: state, type: h, stateKey: h, sender: alice });
  }
  // a user at power 0 sets room state that needs 50: rejected on its own merit
  const rejected = room.send(a, users[0]!, HOSTILE[1], { value: HOSTILE[0] }, { stateKey: HOSTILE[2] }).eventId;
  events.push({ id: rejected, type: HOSTILE[1], stateKey: HOSTILE[2], sender: users[0]! });
  if (room.view(a).events.get(rejected)?.rejectionReason === undefined) throw new Error('hostile room: the unauthorised state event was expected to be rejected');
  await writeServerDatabase(engine, a, [room], []);
  return { roomId: room.roomId, events, rejected };
}
