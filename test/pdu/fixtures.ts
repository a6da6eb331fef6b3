/**
 * Small rooms for pdu tests, built by hand (no simulator): events are plain JSON and their ids are
 * computed with the room version's rules, so auth_events can cite them.
 */
import { computeEventId } from '../../src/matrix/event-id.js';
import type { JsonObject } from '../../src/matrix/pdu.js';
import { roomVersionRules } from '../../src/matrix/room-versions.js';

/** The spec's signing test key (appendices, "Cryptographic Test Vectors"). */
export const SPEC_SEED = 'YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1';

export interface MiniRoom {
  version: string;
  create: JsonObject;
  aliceJoin: JsonObject;
  powerLevels: JsonObject;
  joinRules: JsonObject;
  ids: { create: string; aliceJoin: string; powerLevels: string; joinRules: string };
  /** An event of this room: prev/auth events default to the latest known. */
  event(fields: JsonObject): JsonObject;
  idOf(event: JsonObject): string;
}

/** A v3+ room created by @alice:a.test with power levels and a public join rule. */
export function miniRoom(version = '10', roomId = '!room:a.test'): MiniRoom {
  const rules = roomVersionRules(version);
  const idOf = (e: JsonObject): string => computeEventId(e, rules);
  let ts = 1_700_000_000_000;
  let depth = 0;
  const base = (fields: JsonObject): JsonObject => ({
    room_id: roomId,
    origin_server_ts: ts++,
    depth: ++depth,
    hashes: { sha256: 'AAAA' },
    signatures: {},
    ...fields,
  });
  const create = base({ type: 'm.room.create', state_key: '', sender: '@alice:a.test', content: { creator: '@alice:a.test', room_version: version }, prev_events: [], auth_events: [] });
  const createId = idOf(create);
  const aliceJoin = base({ type: 'm.room.member', state_key: '@alice:a.test', sender: '@alice:a.test', content: { membership: 'join' }, prev_events: [createId], auth_events: [createId] });
  const aliceJoinId = idOf(aliceJoin);
  const powerLevels = base({
    type: 'm.room.power_levels',
    state_key: '',
    sender: '@alice:a.test',
    content: { users: { '@alice:a.test': 100 }, users_default: 0, events_default: 0, state_default: 50, ban: 50, kick: 50, redact: 50, invite: 0 },
    prev_events: [aliceJoinId],
    auth_events: [createId, aliceJoinId],
  });
  const powerLevelsId = idOf(powerLevels);
  const joinRules = base({ type: 'm.room.join_rules', state_key: '', sender: '@alice:a.test', content: { join_rule: 'public' }, prev_events: [powerLevelsId], auth_events: [createId, aliceJoinId, powerLevelsId] });
  const joinRulesId = idOf(joinRules);
  return {
    version,
    create,
    aliceJoin,
    powerLevels,
    joinRules,
    ids: { create: createId, aliceJoin: aliceJoinId, powerLevels: powerLevelsId, joinRules: joinRulesId },
    event: (fields) => base({ prev_events: [joinRulesId], auth_events: [createId, powerLevelsId], ...fields }),
    idOf,
  };
}
