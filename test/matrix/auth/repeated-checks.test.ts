/**
 * checkAuthRules on the same messages and joins again and again (the memoised paths: member keys,
 * state keys per PDU, the v12 room id of the create event) gives the same answer every time. Speed
 * is measured by `npm run bench` (src/bench/auth-bench.ts), never asserted here.
 */
import { describe, expect, it } from 'vitest';
import { checkAuthRules } from '../../../src/matrix/auth/index.js';
import { stateKeyOf, toPdu } from '../../../src/matrix/pdu.js';
import type { JsonObject, Pdu } from '../../../src/matrix/pdu.js';
import { roomVersionRules } from '../../../src/matrix/room-versions.js';
import { CAROL, ERIN, MALLORY, RoomBuilder } from './support/room-builder.js';

describe('checkAuthRules, repeated', () => {
  for (const v of ['10', '12']) {
    it(`v${v}: messages and joins are allowed every time`, () => {
      const rules = roomVersionRules(v);
      const b = new RoomBuilder(rules, 't');
      const pdu = (e: JsonObject): Pdu => toPdu(JSON.parse(JSON.stringify(e)) as JsonObject, rules, e.event_id as string);
      const all = new Map(b.state('public').map(pdu).map((e) => [stateKeyOf(e.type, e.state_key!), e]));
      const pick = (keys: string[]) => new Map(keys.map((k) => [k, all.get(k)!]));
      const C = stateKeyOf('m.room.create', '');
      const P = stateKeyOf('m.room.power_levels', '');
      const J = stateKeyOf('m.room.join_rules', '');
      const msgAuth = pick([C, P, stateKeyOf('m.room.member', CAROL)]);
      const joinAuth = pick([C, P, J, stateKeyOf('m.room.member', ERIN), stateKeyOf('m.room.member', CAROL)]);
      const work: Array<[Pdu, Map<string, Pdu>]> = [];
      for (let i = 0; i < 500; i++) {
        work.push([pdu(b.ev('m.room.message', CAROL, { body: `hello ${i}` })), msgAuth]);
        work.push([pdu(b.member(MALLORY, 'join', MALLORY, { displayname: `M${i}` })), joinAuth]);
      }
      let allowed = 0;
      const n = 5_000;
      for (let i = 0; i < n; i++) if (checkAuthRules(work[i % 1000]![0], work[i % 1000]![1], rules).allowed) allowed++;
      expect(allowed).toBe(n);
    });
  }
});
