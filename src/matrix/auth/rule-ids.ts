/**
 * Stable identifiers for the authorization rules, and their number in the spec's list for a given
 * room version.
 *
 * The rules: https://spec.matrix.org/v1.16/rooms/v1/#authorization-rules (v1–v2, fragment
 * v1-auth-rules), …/rooms/v3/ (v3–v5), …/rooms/v6/, …/rooms/v7/, …/rooms/v8/ (v8–v9),
 * …/rooms/v10/, …/rooms/v11/, …/rooms/v12/. The numbering moves between versions: the
 * `m.room.aliases` rule (v1–v5) and the v12 "room id is the create event" rule shift the top-level
 * numbers; the v8 `join_authorised_via_users_server` point shifts the membership sub-rules; v10's
 * integer checks and v12's creators check shift the power-levels sub-rules. The numbering is
 * therefore computed from the room version's flags rather than tabulated per version.
 *
 * Numbers are those a reader sees on spec.matrix.org. Two places in the v12 source differ from the
 * rendered page because Markdown renumbers ordered lists: the auth-events room check is written
 * "5." after "3." (rendered 3.4) and the final power-levels allow is written "10." after "10."
 * (rendered 10.11). We give the rendered numbers.
 */
import type { RoomVersionRules } from '../room-versions.js';

/**
 * A stable slug naming one rule (or one outcome of a rule), e.g. 'member.join.banned': one of the
 * keys of the rule table below, so a misspelt id does not compile.
 */
export type AuthRuleId = keyof typeof RULES;

interface RuleInfo {
  readonly title: string;
  /** Spec number for this version, or undefined when the rule does not exist in it. */
  readonly number: (r: RoomVersionRules) => string | undefined;
}

/** Offsets shared by the numbering functions. */
function top(r: RoomVersionRules): { ae: number; fed: number; m: number; after: number } {
  const a = r.specialCaseAliasesAuth ? 1 : 0;
  const c = r.roomIdFromCreateEvent ? 1 : 0;
  return { ae: 2 + c, fed: 3 + c, m: 4 + a + c, after: 5 + a + c };
}
/** Membership sub-rule numbers, "M.x". */
function mem(r: RoomVersionRules): { join: string; invite: string; leave: string; ban: string; knock: string; unknown: string } {
  const m = top(r).m;
  const jv = r.restrictedJoinRule ? 1 : 0;
  const k = r.knockJoinRule ? 1 : 0;
  return {
    join: `${m}.${2 + jv}`,
    invite: `${m}.${3 + jv}`,
    leave: `${m}.${4 + jv}`,
    ban: `${m}.${5 + jv}`,
    knock: `${m}.${6 + jv}`,
    unknown: `${m}.${6 + jv + k}`,
  };
}
/** Power-levels rule number "P" and the offset of its later sub-rules. */
function pl(r: RoomVersionRules): { p: number; o: number } {
  const t = top(r);
  return { p: t.after + 4, o: (r.enforceIntPowerLevels ? 2 : 0) + (r.privilegedCreators ? 1 : 0) };
}

const always = (f: (r: RoomVersionRules) => string) => f;
const when = (flag: (r: RoomVersionRules) => boolean, f: (r: RoomVersionRules) => string) => (r: RoomVersionRules) =>
  flag(r) ? f(r) : undefined;

const RULES = {
  // 1. m.room.create
  'create.has-prev-events': { title: 'a create event must have no prev_events', number: always(() => '1.1') },
  'create.room-id-domain': {
    title: "the create event's room_id domain must match the sender's domain",
    number: when((r) => !r.roomIdFromCreateEvent, () => '1.2'),
  },
  'create.has-room-id': {
    title: 'a create event must not have a room_id (the room id is derived from its event id)',
    number: when((r) => r.roomIdFromCreateEvent, () => '1.2'),
  },
  'create.room-version': { title: 'content.room_version must be a known room version', number: always(() => '1.3') },
  'create.no-creator': {
    title: 'a create event must have content.creator',
    number: when((r) => !r.implicitRoomCreator, () => '1.4'),
  },
  'create.additional-creators': {
    title: 'content.additional_creators must be an array of valid user ids',
    number: when((r) => r.privilegedCreators, () => '1.4'),
  },
  'create.allow': {
    title: 'a valid create event is allowed',
    number: (r) => (r.implicitRoomCreator && !r.privilegedCreators ? '1.4' : '1.5'),
  },
  // 2. (v12) the room id is the create event
  'room-id.create-event': {
    title: "the event's room_id must be the id of an accepted m.room.create event",
    number: when((r) => r.roomIdFromCreateEvent, () => '2'),
  },
  // 2. (3. in v12) the auth events themselves
  'auth-events.missing': { title: 'every listed auth event must be available', number: (r) => `${top(r).ae}` },
  'auth-events.duplicate': { title: 'no two auth events may share a (type, state_key)', number: (r) => `${top(r).ae}.1` },
  'auth-events.unexpected': {
    title: 'auth events must be of the kinds chosen by the auth events selection',
    number: (r) => `${top(r).ae}.2`,
  },
  'auth-events.create-listed': {
    title: 'the m.room.create event must not be listed in auth_events',
    number: when((r) => r.roomIdFromCreateEvent, (r) => `${top(r).ae}.2`),
  },
  'auth-events.rejected': { title: 'no auth event may itself have been rejected', number: (r) => `${top(r).ae}.3` },
  'auth-events.no-create': {
    title: 'the auth events must include the m.room.create event',
    number: when((r) => !r.roomIdFromCreateEvent, (r) => `${top(r).ae}.4`),
  },
  'auth-events.wrong-room': {
    title: 'every auth event must belong to the same room',
    number: (r) => `${top(r).ae}.${r.roomIdFromCreateEvent ? 4 : 5}`,
  },
  // 3. (4. in v12) m.federate
  'federate.disallowed': {
    title: 'a room with m.federate false accepts only senders from the creating server',
    number: (r) => `${top(r).fed}`,
  },
  // 4. (v1–v5) m.room.aliases
  'aliases.no-state-key': {
    title: 'an m.room.aliases event must have a state_key',
    number: when((r) => r.specialCaseAliasesAuth, () => '4.1'),
  },
  'aliases.domain': {
    title: "an m.room.aliases state_key must be the sender's domain",
    number: when((r) => r.specialCaseAliasesAuth, () => '4.2'),
  },
  'aliases.allow': {
    title: "an m.room.aliases event for the sender's own domain is allowed",
    number: when((r) => r.specialCaseAliasesAuth, () => '4.3'),
  },
  // m.room.member
  'member.malformed': {
    title: 'a membership event needs a state_key and content.membership',
    number: (r) => `${top(r).m}.1`,
  },
  'member.authorised-via.signature': {
    title: 'join_authorised_via_users_server requires a signature from that user’s server',
    number: when((r) => r.restrictedJoinRule, (r) => `${top(r).m}.2.1`),
  },
  'member.join.creator': {
    title: "the creator's first join right after the create event is allowed",
    number: (r) => `${mem(r).join}.1`,
  },
  'member.join.sender-not-target': { title: 'a user can only join for themselves', number: (r) => `${mem(r).join}.2` },
  'member.join.banned': { title: 'a banned user cannot join', number: (r) => `${mem(r).join}.3` },
  'member.join.invite-rule': {
    title: 'with join rule invite (or knock) only invited or joined users may join',
    number: (r) => `${mem(r).join}.4`,
  },
  'member.join.restricted.member': {
    title: 'with a restricted join rule, invited or joined users may join',
    number: when((r) => r.restrictedJoinRule, (r) => `${mem(r).join}.5.1`),
  },
  'member.join.restricted.authoriser': {
    title: 'a restricted join must be authorised by a joined user able to invite',
    number: when((r) => r.restrictedJoinRule, (r) => `${mem(r).join}.5.2`),
  },
  'member.join.restricted.authorised': {
    title: 'a restricted join authorised by a suitable user is allowed',
    number: when((r) => r.restrictedJoinRule, (r) => `${mem(r).join}.5.3`),
  },
  'member.join.public': {
    title: 'anyone not banned may join a public room',
    number: (r) => `${mem(r).join}.${r.restrictedJoinRule ? 6 : 5}`,
  },
  'member.join.other': {
    title: 'joins under any other join rule are refused',
    number: (r) => `${mem(r).join}.${r.restrictedJoinRule ? 7 : 6}`,
  },
  'member.invite.3pid.banned': { title: 'a banned user cannot be invited', number: (r) => `${mem(r).invite}.1.1` },
  'member.invite.3pid.no-signed': {
    title: 'third_party_invite must have a signed object',
    number: (r) => `${mem(r).invite}.1.2`,
  },
  'member.invite.3pid.signed-fields': {
    title: 'third_party_invite.signed must have mxid and token',
    number: (r) => `${mem(r).invite}.1.3`,
  },
  'member.invite.3pid.mxid': {
    title: 'third_party_invite.signed.mxid must be the invited user',
    number: (r) => `${mem(r).invite}.1.4`,
  },
  'member.invite.3pid.no-invite-event': {
    title: 'an m.room.third_party_invite event for the token must exist',
    number: (r) => `${mem(r).invite}.1.5`,
  },
  'member.invite.3pid.sender': {
    title: 'the inviter must be the sender of the third-party invite',
    number: (r) => `${mem(r).invite}.1.6`,
  },
  'member.invite.3pid.signature': {
    title: "a signature in signed made with one of the invite's public keys allows the invite",
    number: (r) => `${mem(r).invite}.1.7`,
  },
  'member.invite.3pid.bad-signature': {
    title: 'otherwise a third-party invite is refused',
    number: (r) => `${mem(r).invite}.1.8`,
  },
  'member.invite.sender-not-joined': { title: 'only joined users can invite', number: (r) => `${mem(r).invite}.2` },
  'member.invite.target-joined-or-banned': {
    title: 'joined or banned users cannot be invited',
    number: (r) => `${mem(r).invite}.3`,
  },
  'member.invite.allow': { title: 'a user at or above the invite level may invite', number: (r) => `${mem(r).invite}.4` },
  'member.invite.power': { title: 'users below the invite level cannot invite', number: (r) => `${mem(r).invite}.5` },
  'member.leave.self': {
    title: 'a user may leave (or reject an invite/knock) only from invite, join or knock',
    number: (r) => `${mem(r).leave}.1`,
  },
  'member.leave.sender-not-joined': {
    title: 'only joined users can kick or unban',
    number: (r) => `${mem(r).leave}.2`,
  },
  'member.leave.unban-power': { title: 'unbanning needs the ban level', number: (r) => `${mem(r).leave}.3` },
  'member.leave.kick': {
    title: "kicking needs the kick level and more power than the target",
    number: (r) => `${mem(r).leave}.4`,
  },
  'member.leave.other': { title: 'otherwise a kick is refused', number: (r) => `${mem(r).leave}.5` },
  'member.ban.sender-not-joined': { title: 'only joined users can ban', number: (r) => `${mem(r).ban}.1` },
  'member.ban.allow': {
    title: 'banning needs the ban level and more power than the target',
    number: (r) => `${mem(r).ban}.2`,
  },
  'member.ban.power': { title: 'otherwise a ban is refused', number: (r) => `${mem(r).ban}.3` },
  'member.knock.join-rule': {
    title: 'knocking needs the knock (or knock_restricted) join rule',
    number: when((r) => r.knockJoinRule, (r) => `${mem(r).knock}.1`),
  },
  'member.knock.sender-not-target': {
    title: 'a user can only knock for themselves',
    number: when((r) => r.knockJoinRule, (r) => `${mem(r).knock}.2`),
  },
  'member.knock.allow': {
    title: 'a user not banned, invited or joined may knock',
    number: when((r) => r.knockJoinRule, (r) => `${mem(r).knock}.3`),
  },
  'member.knock.membership': {
    title: 'banned, invited or joined users cannot knock',
    number: when((r) => r.knockJoinRule, (r) => `${mem(r).knock}.4`),
  },
  'member.unknown-membership': { title: 'an unknown membership is refused', number: (r) => mem(r).unknown },
  // the rules for every other event
  'events.sender-not-joined': { title: 'the sender must be joined to the room', number: (r) => `${top(r).after}` },
  'third-party-invite.power': {
    title: 'm.room.third_party_invite needs the invite level',
    number: (r) => `${top(r).after + 1}.1`,
  },
  'events.sender-power': {
    title: "the sender's power must reach the event's required power level",
    number: (r) => `${top(r).after + 2}`,
  },
  'events.state-key-user': {
    title: "a state_key starting with @ must be the sender's user id",
    number: (r) => `${top(r).after + 3}`,
  },
  'power-levels.non-integer': {
    title: 'the named power levels must be integers',
    number: when((r) => r.enforceIntPowerLevels, (r) => `${pl(r).p}.1`),
  },
  'power-levels.events-map': {
    title: 'events and notifications must be objects with integer values',
    number: when((r) => r.enforceIntPowerLevels, (r) => `${pl(r).p}.2`),
  },
  'power-levels.users-map': {
    title: 'users must map valid user ids to integers',
    number: (r) => `${pl(r).p}.${1 + (r.enforceIntPowerLevels ? 2 : 0)}`,
  },
  'power-levels.creator-in-users': {
    title: 'room creators must not appear in users',
    number: when((r) => r.privilegedCreators, (r) => `${pl(r).p}.4`),
  },
  'power-levels.first': {
    title: 'the first power levels event is allowed',
    number: (r) => `${pl(r).p}.${2 + pl(r).o}`,
  },
  // Not a rule of the spec's list: before v10 the spec validates only `users` (rule P.1) and then
  // compares levels (P.3–P.5: "If the current value is higher than the sender's current power
  // level, reject", "If the new value is higher …"). A present named level, events or (v6+)
  // notifications value that is neither an integer nor an integer string cannot be compared, so
  // the spec leaves the outcome undefined; Synapse (int() raises in _check_power_levels), ruma and
  // gomatrixserverlib all refuse the event. It is numbered P.3, the first comparison it makes
  // impossible, and checked only when there is a previous power levels event (P.2 allows the
  // first one before any comparison, as Synapse does). From v10 P.1/P.2 ('power-levels.non-integer',
  // 'power-levels.events-map') refuse such values earlier, so the rule does not exist there.
  'power-levels.value-not-a-level': {
    title: 'before v10, levels compared by a power levels change must be integers or integer strings',
    number: when((r) => !r.enforceIntPowerLevels, (r) => `${pl(r).p}.3`),
  },
  'power-levels.named.old-above-own': {
    title: 'a named level above your own cannot be changed',
    number: (r) => `${pl(r).p}.${3 + pl(r).o}.1`,
  },
  'power-levels.named.new-above-own': {
    title: 'a named level cannot be set above your own',
    number: (r) => `${pl(r).p}.${3 + pl(r).o}.2`,
  },
  'power-levels.events.old-above-own': {
    title: 'an events/notifications level above your own cannot be changed or removed',
    number: (r) => `${pl(r).p}.${4 + pl(r).o}.1`,
  },
  'power-levels.events.new-above-own': {
    title: 'an events/notifications level cannot be set above your own',
    number: (r) => `${pl(r).p}.${5 + pl(r).o}.1`,
  },
  'power-levels.users.old-at-or-above-own': {
    title: "another user's level at or above your own cannot be changed or removed",
    number: (r) => `${pl(r).p}.${6 + pl(r).o}.1`,
  },
  'power-levels.users.new-above-own': {
    title: "a user's level cannot be set above your own",
    number: (r) => `${pl(r).p}.${7 + pl(r).o}.1`,
  },
  'power-levels.allow': { title: 'an acceptable power levels change is allowed', number: (r) => `${pl(r).p}.${8 + pl(r).o}` },
  // v1–v2 only (event format 1): redactions
  'redaction.redact-level': {
    title: 'a redaction by a user at or above the redact level is allowed',
    number: when((r) => r.eventFormat === 1, (r) => `${top(r).after + 5}.1`),
  },
  'redaction.same-domain': {
    title: 'a redaction of an event from the same server is allowed',
    number: when((r) => r.eventFormat === 1, (r) => `${top(r).after + 5}.2`),
  },
  'redaction.other': {
    title: 'otherwise a redaction is refused',
    number: when((r) => r.eventFormat === 1, (r) => `${top(r).after + 5}.3`),
  },
  'allow.default': {
    title: 'any other event is allowed',
    number: (r) => `${top(r).after + (r.eventFormat === 1 ? 6 : 5)}`,
  },
} satisfies Record<string, RuleInfo>;

/** Every known rule id (for tests, documentation and coverage reports). */
export const AUTH_RULE_IDS: readonly AuthRuleId[] = Object.freeze(Object.keys(RULES) as AuthRuleId[]);

/**
 * The rule's number in the spec's list for this room version ("4.3.2"), or "n/a" when the rule does
 * not exist in that version (for example 'aliases.domain' in v6+).
 */
export function specRuleNumber(rule: AuthRuleId, rules: RoomVersionRules): string {
  const info = Object.hasOwn(RULES, rule) ? RULES[rule] : undefined;
  return info?.number(rules) ?? 'n/a';
}

/** Whether a rule exists in a room version. */
export function ruleExistsIn(rule: AuthRuleId, rules: RoomVersionRules): boolean {
  const info = Object.hasOwn(RULES, rule) ? RULES[rule] : undefined;
  return info !== undefined && info.number(rules) !== undefined;
}

/** A short human title for a rule. */
export function describeRule(rule: AuthRuleId): string {
  return Object.hasOwn(RULES, rule) ? RULES[rule].title : `unknown rule ${rule}`;
}
