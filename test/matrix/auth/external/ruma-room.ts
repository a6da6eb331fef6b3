/**
 * ruma-state-res's test room helpers (crates/ruma-state-res/src/test_utils/factory.rs at the commit
 * named in ruma-vectors.ts), spelled out as data so ruma's authorization tests can be written as
 * vectors: RoomCreatePduBuilder, RoomTimelineFactory (with_public_chat_preset, the create_ and add_ methods,
 * prepare_to_add_pdu), RoomMemberPduContent, RoomPowerLevelsPduContent and UserFactory.
 *
 * Defaults reproduced from factory.rs:
 * - users: Alice @alice:matrix.local (creator), Bob @bob:matrix.local, Charlie @charlie:matrix.local,
 *   Zara @zara:other.local.
 * - m.room.create `$room-create` by Alice: content.room_version, plus content.creator before v11;
 *   room id `!room:matrix.local` (v1–v11, set on the create event) or `!room-create` (v12, not set).
 * - public_chat preset: create, `$room-member-alice-join`, `$room-power-levels` (users {Alice: 100}
 *   before v12, nothing in v12), `$room-join-rules` (public), `$room-member-bob-join`.
 * - prepare_to_add_pdu: room_id, origin_server_ts (a counter from 1), prev_events gains the last
 *   event of the timeline and auth_events the state events the auth events selection picks (both
 *   are sets in ruma: kept sorted and without repeats here). ruma computes the selection with its
 *   auth_types_for_event; we use ours (authTypesForEvent, the spec's algorithm).
 * - the third-party invite pair (`$room-third-party-invite-zara` by Bob, token "uniquetoken", and
 *   Bob's invite of Zara with a signed block from identity.local) verbatim, signatures included.
 */
import { authTypesForEvent } from '../../../../src/matrix/auth/index.js';
import type { JsonObject } from '../../../../src/matrix/pdu.js';
import { roomVersionRules } from '../../../../src/matrix/room-versions.js';
import type { RoomVersionRules } from '../../../../src/matrix/room-versions.js';

export const ALICE = '@alice:matrix.local';
export const BOB = '@bob:matrix.local';
export const CHARLIE = '@charlie:matrix.local';
export const ZARA = '@zara:other.local';

/** RoomMemberPduContent: the sender (the target unless given) and the membership content. */
export type MemberContent =
  | { kind: 'join' | 'knock' | 'leave' }
  | { kind: 'join-authorized'; via: string }
  | { kind: 'displayname'; displayname: string }
  | { kind: 'ban' | 'invite' | 'kick'; sender: string };

/** RoomPowerLevelsPduContent, on top of the default users {Alice: 100} (v1–v11). */
export type PowerLevelsContent =
  | { kind: 'default' }
  | { kind: 'invite'; value: number }
  | { kind: 'user'; user: string; value: number };

function memberParts(target: string, c: MemberContent): [string, JsonObject] {
  switch (c.kind) {
    case 'join': case 'knock': case 'leave': return [target, { membership: c.kind }];
    case 'join-authorized': return [target, { join_authorised_via_users_server: c.via, membership: 'join' }];
    case 'displayname': return [target, { displayname: c.displayname, membership: 'join' }];
    case 'kick': return [c.sender, { membership: 'leave' }];
    default: return [c.sender, { membership: c.kind }];
  }
}

/** Pdu::with_minimal_state_fields: no room id, timestamp 0, empty prev_events and auth_events. */
export function minimalState(eventId: string, sender: string, type: string, stateKey: string, content: JsonObject): JsonObject {
  return { event_id: eventId, sender, type, state_key: stateKey, content, origin_server_ts: 0, prev_events: [], auth_events: [] };
}

const union = (a: unknown, more: string[]): string[] => [...new Set([...(a as string[]), ...more])].sort();

export class RumaRoom {
  readonly rules: RoomVersionRules;
  readonly roomId: string;
  private ts = 0;
  private readonly timeline: string[] = [];
  private readonly state = new Map<string, JsonObject>();

  /** RoomCreatePduBuilder::new(version).build_factory(). */
  constructor(readonly version: string) {
    this.rules = roomVersionRules(version);
    this.roomId = this.rules.roomIdFromCreateEvent ? '!room-create' : '!room:matrix.local';
    const content: JsonObject = { room_version: version };
    if (!this.rules.implicitRoomCreator) content.creator = ALICE;
    const create = minimalState('$room-create', ALICE, 'm.room.create', '', content);
    if (!this.rules.roomIdFromCreateEvent) create.room_id = this.roomId;
    this.add(create);
  }

  /** RoomTimelineFactory::with_public_chat_preset(version). */
  static publicChat(version: string): RumaRoom {
    const room = new RumaRoom(version);
    room.addMember('$room-member-alice-join', ALICE, { kind: 'join' });
    room.addPowerLevels('$room-power-levels', ALICE, { kind: 'default' });
    room.addJoinRules('$room-join-rules', ALICE, { join_rule: 'public' });
    room.addMember('$room-member-bob-join', BOB, { kind: 'join' });
    return room;
  }

  /** prepare_to_add_pdu. */
  prepare(ev: JsonObject): JsonObject {
    ev.room_id = this.roomId;
    ev.origin_server_ts = ++this.ts;
    ev.prev_events = union(ev.prev_events, this.timeline.slice(-1));
    const selected = authTypesForEvent(
      { type: ev.type as string, sender: ev.sender as string, content: ev.content as JsonObject, ...(typeof ev.state_key === 'string' ? { state_key: ev.state_key } : {}) },
      this.rules,
    );
    const ids = selected.flatMap(([t, k]) => {
      const e = this.state.get(`${t}\u0000${k}`);
      return e ? [e.event_id as string] : [];
    });
    ev.auth_events = union(ev.auth_events, ids);
    return ev;
  }

  /** add_pdu: appends to the timeline and updates the state. Returns the event (mutable, as in ruma). */
  add(ev: JsonObject): JsonObject {
    if (typeof ev.state_key === 'string') this.state.set(`${ev.type as string}\u0000${ev.state_key}`, ev);
    this.timeline.push(ev.event_id as string);
    return ev;
  }

  member(eventId: string, target: string, c: MemberContent): JsonObject {
    const [sender, content] = memberParts(target, c);
    return this.prepare(minimalState(eventId, sender, 'm.room.member', target, content));
  }
  addMember(eventId: string, target: string, c: MemberContent): JsonObject {
    return this.add(this.member(eventId, target, c));
  }

  powerLevels(eventId: string, sender: string, c: PowerLevelsContent): JsonObject {
    const content: JsonObject = {};
    if (!this.rules.privilegedCreators) content.users = { [ALICE]: 100 };
    if (c.kind === 'invite') content.invite = c.value;
    if (c.kind === 'user') content.users = { ...((content.users as JsonObject | undefined) ?? {}), [c.user]: c.value };
    return this.prepare(minimalState(eventId, sender, 'm.room.power_levels', '', content));
  }
  addPowerLevels(eventId: string, sender: string, c: PowerLevelsContent): JsonObject {
    return this.add(this.powerLevels(eventId, sender, c));
  }

  /** create_room_join_rules with a JoinRule serialised as ruma does ({join_rule, allow?}). */
  addJoinRules(eventId: string, sender: string, content: JsonObject): JsonObject {
    return this.add(this.prepare(minimalState(eventId, sender, 'm.room.join_rules', '', content)));
  }

  /** add_room_third_party_invite: Bob's m.room.third_party_invite with token "uniquetoken". */
  addThirdPartyInvite(): JsonObject {
    const content: JsonObject = {
      display_name: 'z...@o...',
      key_validity_url: 'https://identity.local/_matrix/identity/v2/pubkey/isvalid',
      public_key: 'Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE',
      public_keys: [
        { key_validity_url: 'https://identity.local/_matrix/identity/v2/pubkey/isvalid', public_key: 'Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE' },
        { key_validity_url: 'https://identity.local/_matrix/identity/v2/pubkey/ephemeral/isvalid', public_key: 'VmTAw9B8j/gpkrXl1R7N2NNAyfWuwJnRf5YWHnO3rW4' },
      ],
    };
    return this.add(this.prepare(minimalState('$room-third-party-invite-zara', BOB, 'm.room.third_party_invite', 'uniquetoken', content)));
  }

  /** create_room_member_third_party_invite: Bob invites Zara; one of three signatures verifies. */
  memberThirdPartyInvite(): JsonObject {
    const content: JsonObject = {
      membership: 'invite',
      third_party_invite: {
        display_name: 'z...@o...',
        signed: {
          mxid: ZARA,
          sender: BOB,
          token: 'uniquetoken',
          signatures: {
            'identity.local': {
              'unknown:0': 'SomeSignature',
              'ed25519:0': 'ClearlyWrongSignature',
              'ed25519:1': 'GTXhO9a3ysW0GWd79vTvzAPi2F2YjZNJDHkwFCyCfYaF0g6tEBjajamAkIgwhXNAp/85PVpzjY6j9oDci8DqDA',
            },
          },
        },
      },
    };
    return this.prepare(minimalState('$room-member-zara-invite', BOB, 'm.room.member', ZARA, content));
  }

  /** The state at the end of the timeline, in the order the events were added. */
  stateEvents(): JsonObject[] {
    const order = new Map(this.timeline.map((id, i) => [id, i]));
    return [...this.state.values()].sort((a, b) => order.get(a.event_id as string)! - order.get(b.event_id as string)!);
  }
}

/** JoinRule values as ruma serialises them. */
export const JOIN_RULE = {
  invite: { join_rule: 'invite' },
  knock: { join_rule: 'knock' },
  restrictedSpace: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!space:matrix.local' }] },
  knockRestrictedSpace: { join_rule: 'knock_restricted', allow: [{ type: 'm.room_membership', room_id: '!space:matrix.local' }] },
} satisfies Record<string, JsonObject>;
