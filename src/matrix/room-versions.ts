/**
 * Room versions 1–12 as data.
 *
 * Spec: https://spec.matrix.org/v1.16/rooms/ (one page per version, each "the same as the previous
 * version, except …"). Every version below is written as its parent plus what changed, and code
 * elsewhere branches on these named flags, never on the version string.
 */
import { MatrixFormatError } from './matrix-format-error.js';

/** Event format: how ids and references are written (server-server API, "Room versions"). */
export type EventFormat =
  /** v1–v2: `event_id` inside the event; prev/auth events as `[id, {hashes}]` pairs. */
  | 1
  /** v3: id = `$` + standard unpadded base64 of the reference hash; refs are plain ids. */
  | 2
  /** v4–v11: as 2 but URL-safe base64. */
  | 3
  /** v12: as 3; the create event has no `room_id` and is not listed in `auth_events`. */
  | 4;

export type StateResAlgorithm = 'v1' | 'v2' | 'v2.1';

export interface RoomVersionRules {
  readonly id: string;
  readonly eventFormat: EventFormat;
  readonly stateRes: StateResAlgorithm;

  // --- Redaction (Client-Server API "Redactions", per room version) ---
  /** v1–v5: `m.room.aliases` keeps `content.aliases` when redacted. */
  readonly redactionKeepsAliases: boolean;
  /** v8+: `m.room.join_rules` keeps `content.allow`. */
  readonly redactionKeepsJoinRulesAllow: boolean;
  /** v9+: `m.room.member` keeps `content.join_authorised_via_users_server`. */
  readonly redactionKeepsJoinAuthorisedVia: boolean;
  /**
   * v11+ (MSC2176, MSC3821, MSC3989): top-level `origin`, `membership`, `prev_state` dropped; create
   * keeps all content; power_levels keeps `invite`; redaction keeps `content.redacts`; member keeps
   * `third_party_invite.signed`.
   */
  readonly updatedRedactionRules: boolean;

  // --- Authorization rules ---
  /** v1–v5: the special `m.room.aliases` rule (state_key must equal sender's domain). */
  readonly specialCaseAliasesAuth: boolean;
  /** v6+: `notifications` power levels are checked when power levels change. */
  readonly limitNotificationsPowerLevels: boolean;
  /** v6+: integers outside [-(2^53)+1, 2^53-1] and floats make an event invalid. */
  readonly strictCanonicalJson: boolean;
  /** v5+: signing keys must be valid at origin_server_ts (`valid_until_ts`). */
  readonly enforceKeyValidity: boolean;
  /** v7+: the `knock` join rule and membership. */
  readonly knockJoinRule: boolean;
  /** v8+: the `restricted` join rule with `join_authorised_via_users_server`. */
  readonly restrictedJoinRule: boolean;
  /** v10+: the `knock_restricted` join rule. */
  readonly knockRestrictedJoinRule: boolean;
  /** v10+: power level values must be integers (not strings). */
  readonly enforceIntPowerLevels: boolean;
  /** v11+: the create event has no `creator`; the creator is its `sender`. */
  readonly implicitRoomCreator: boolean;
  /**
   * v12+ (MSC4289): creators are the create event's sender plus `content.additional_creators`; they
   * have unlimited power and must not appear in `m.room.power_levels` `users`.
   */
  readonly privilegedCreators: boolean;
  /**
   * v12+ (MSC4291): the room id is `!` + the create event's reference hash; the create event has no
   * `room_id`, and other events do not list it in `auth_events` (it is implied).
   */
  readonly roomIdFromCreateEvent: boolean;
}

const V1: RoomVersionRules = {
  id: '1',
  eventFormat: 1,
  stateRes: 'v1',
  redactionKeepsAliases: true,
  redactionKeepsJoinRulesAllow: false,
  redactionKeepsJoinAuthorisedVia: false,
  updatedRedactionRules: false,
  specialCaseAliasesAuth: true,
  limitNotificationsPowerLevels: false,
  strictCanonicalJson: false,
  enforceKeyValidity: false,
  knockJoinRule: false,
  restrictedJoinRule: false,
  knockRestrictedJoinRule: false,
  enforceIntPowerLevels: false,
  implicitRoomCreator: false,
  privilegedCreators: false,
  roomIdFromCreateEvent: false,
};
const V2: RoomVersionRules = { ...V1, id: '2', stateRes: 'v2' };
const V3: RoomVersionRules = { ...V2, id: '3', eventFormat: 2 };
const V4: RoomVersionRules = { ...V3, id: '4', eventFormat: 3 };
const V5: RoomVersionRules = { ...V4, id: '5', enforceKeyValidity: true };
const V6: RoomVersionRules = {
  ...V5,
  id: '6',
  redactionKeepsAliases: false,
  specialCaseAliasesAuth: false,
  limitNotificationsPowerLevels: true,
  strictCanonicalJson: true,
};
const V7: RoomVersionRules = { ...V6, id: '7', knockJoinRule: true };
const V8: RoomVersionRules = { ...V7, id: '8', restrictedJoinRule: true, redactionKeepsJoinRulesAllow: true };
const V9: RoomVersionRules = { ...V8, id: '9', redactionKeepsJoinAuthorisedVia: true };
const V10: RoomVersionRules = { ...V9, id: '10', knockRestrictedJoinRule: true, enforceIntPowerLevels: true };
const V11: RoomVersionRules = { ...V10, id: '11', implicitRoomCreator: true, updatedRedactionRules: true };
const V12: RoomVersionRules = {
  ...V11,
  id: '12',
  eventFormat: 4,
  stateRes: 'v2.1',
  privilegedCreators: true,
  roomIdFromCreateEvent: true,
};

export const ROOM_VERSIONS: ReadonlyMap<string, RoomVersionRules> = new Map(
  [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12].map((v) => [v.id, Object.freeze(v)]),
);

/** Rules for a room version id; an unknown version is malformed input for us. */
export function roomVersionRules(id: string): RoomVersionRules {
  const rules = ROOM_VERSIONS.get(id);
  if (!rules) {
    throw new MatrixFormatError(
      `unknown room version ${JSON.stringify(id)} (known: ${[...ROOM_VERSIONS.keys()].join(', ')})`,
    );
  }
  return rules;
}
