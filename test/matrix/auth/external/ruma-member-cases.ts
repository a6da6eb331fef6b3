/**
 * ruma's m.room.member tests (crates/ruma-state-res/src/event_auth/room_member/tests.rs), one entry
 * per #[test] (the two tests that loop over contents give one entry per content). ruma calls
 * check_room_member with the factory's state; here the whole rule list runs against that state
 * (checkAgainstState), so each case also passes the rules before the membership rules.
 * `reason` quotes ruma's expected error, or the comment above its `.unwrap()` for allowed cases.
 */
import type { JsonObject } from '../../../../src/matrix/pdu.js';
import { otherMemberCases } from './ruma-member-cases-2.js';
import type { RumaCase } from './ruma-vectors.js';
import { ALICE, BOB, CHARLIE, JOIN_RULE, RumaRoom, ZARA, minimalState } from './ruma-room.js';

export const MEMBER_PATH = 'crates/ruma-state-res/src/event_auth/room_member/tests.rs';

const pub = (v: string): RumaRoom => RumaRoom.publicChat(v);
const bare = (v: string): RumaRoom => new RumaRoom(v);
/** A Pdu built with with_minimal_state_fields and not prepared: only the room id is added. */
const unprepared = (r: RumaRoom, ev: JsonObject): JsonObject => ({ ...ev, room_id: r.roomId });

const NO_SIGNED_SIGS = (r: RumaRoom, signed: JsonObject, prepared: boolean): JsonObject => {
  const ev = minimalState('$room-member-zara-invite', BOB, 'm.room.member', ZARA, { membership: 'invite', third_party_invite: { display_name: 'z...@o...', signed } });
  return prepared ? r.prepare(ev) : unprepared(r, ev);
};

const NO_JOIN_RULES_NOTE =
  'ruma refuses because there is no m.room.join_rules event ("no `m.room.join_rules` event in current state"). ' +
  'Our checker reads a missing join rules event as `invite`, as Synapse does (event_auth.py: join_rule defaults to JoinRules.INVITE), ' +
  'so the refusal is named by the invite rule ("If the join_rule is invite or knock then allow if membership state is invite or join"); ' +
  'the spec itself names no join rule here and ends with "Otherwise, reject." Either way the join is refused after the creator rule did not apply.';

export const MEMBER_CASES: RumaCase[] = [
  { test: 'missing_state_key', line: 23, room: () => pub('6'), event: (r) => { const e = r.member('$room-member-charlie-join', CHARLIE, { kind: 'join' }); delete e.state_key; return e; },
    allowed: false, rule: 'member.malformed', reason: 'missing `state_key` field in `m.room.member` event' },
  { test: 'missing_membership', line: 47, room: () => pub('6'), event: (r) => unprepared(r, minimalState('$room-member-charlie-join', CHARLIE, 'm.room.member', CHARLIE, {})),
    allowed: false, rule: 'member.malformed', reason: 'missing or invalid `membership` field in `m.room.member` event: missing field `membership` at line 1 column 2' },
  { test: 'join_after_create_creator_match', line: 73, room: () => bare('6'), event: (r) => r.member('$room-member-alice-join', ALICE, { kind: 'join' }),
    allowed: true, rule: 'member.join.creator', reason: 'Before v11, the `creator` of `m.room.create` must be the same as the state key.' },
  { test: 'join_after_create_creator_mismatch', line: 93, room: () => bare('6'), event: (r) => r.member('$room-member-bob-join', BOB, { kind: 'join' }),
    allowed: false, rule: 'member.join.invite-rule', passes: ['member.join.creator'], reason: 'no `m.room.join_rules` event in current state', note: NO_JOIN_RULES_NOTE },
  { test: 'join_after_create_sender_match', line: 116, room: () => bare('11'), event: (r) => r.member('$room-member-alice-join', ALICE, { kind: 'join' }),
    allowed: true, rule: 'member.join.creator', reason: 'Since v11, the `sender` of `m.room.create` must be the same as the state key.' },
  { test: 'join_after_create_sender_mismatch', line: 136, room: () => bare('11'), event: (r) => r.member('$room-member-bob-join', BOB, { kind: 'join' }),
    allowed: false, rule: 'member.join.invite-rule', passes: ['member.join.creator'], reason: 'no `m.room.join_rules` event in current state', note: NO_JOIN_RULES_NOTE },
  { test: 'join_sender_state_key_mismatch', line: 159, room: () => pub('6'), event: (r) => { const e = r.member('$room-member-charlie-join', CHARLIE, { kind: 'join' }); e.sender = ALICE; return e; },
    allowed: false, rule: 'member.join.sender-not-target', reason: 'sender of join event must match target user' },
  { test: 'join_banned', line: 183, room: () => { const r = pub('6'); r.addMember('$room-member-charlie-ban', CHARLIE, { kind: 'ban', sender: ALICE }); return r; },
    event: (r) => r.member('$room-member-charlie-join', CHARLIE, { kind: 'join' }), allowed: false, rule: 'member.join.banned', reason: 'banned user cannot join room' },
  { test: 'join_invite_join_rule_already_joined', line: 213, room: () => { const r = pub('6'); r.addJoinRules('$room-join-rules-invite', ALICE, JOIN_RULE.invite); return r; },
    event: (r) => r.member('$room-member-bob-displayname', BOB, { kind: 'displayname', displayname: 'Bob' }),
    allowed: true, rule: 'member.join.invite-rule', reason: 'A user can send a join event in a room with `invite` join rule if they already joined.' },
  { test: 'join_knock_join_rule_already_invited', line: 239,
    room: () => { const r = pub('7'); r.addJoinRules('$room-join-rules-invite', ALICE, JOIN_RULE.invite); r.addMember('$room-member-charlie-invite', CHARLIE, { kind: 'invite', sender: ALICE }); return r; },
    event: (r) => r.member('$room-member-charlie-join', CHARLIE, { kind: 'join' }), allowed: true, rule: 'member.join.invite-rule',
    reason: 'Since v7, a user can send a join event in a room with `knock` join rule if they are were invited.',
    note: 'Despite its name, the ruma test sets the join rule to `invite` (JoinRule::Invite), so the invite rule decides as it would for `knock`.' },
  { test: 'join_knock_join_rule_not_supported', line: 273, room: () => { const r = pub('6'); r.addJoinRules('$room-join-rules-knock', ALICE, JOIN_RULE.knock); return r; },
    event: (r) => r.member('$room-member-charlie-join', CHARLIE, { kind: 'join' }), allowed: false, rule: 'member.join.other', reason: 'cannot join a room that is not `public`' },
  { test: 'join_restricted_join_rule_not_supported', line: 304, room: () => { const r = pub('6'); r.addJoinRules('$room-join-rules-restricted', ALICE, JOIN_RULE.restrictedSpace); return r; },
    event: (r) => r.member('$room-member-charlie-join', CHARLIE, { kind: 'join' }), allowed: false, rule: 'member.join.other', reason: 'cannot join a room that is not `public`' },
  { test: 'join_knock_restricted_join_rule_not_supported', line: 337,
    room: () => { const r = pub('6'); r.addJoinRules('$room-join-rules-knock-restricted', ALICE, JOIN_RULE.knockRestrictedSpace); return r; },
    event: (r) => r.member('$room-member-charlie-join', CHARLIE, { kind: 'join' }), allowed: false, rule: 'member.join.other', reason: 'cannot join a room that is not `public`' },
  { test: 'join_restricted_join_rule_already_joined', line: 370, room: () => { const r = pub('8'); r.addJoinRules('$room-join-rules-restricted', ALICE, JOIN_RULE.restrictedSpace); return r; },
    event: (r) => r.member('$room-member-bob-displayname', BOB, { kind: 'displayname', displayname: 'Bob' }), allowed: true, rule: 'member.join.restricted.member',
    reason: 'Since v8, a user can send a join event in a room with `restricted` join rule if they already joined.' },
  { test: 'join_knock_restricted_join_rule_already_invited', line: 399,
    room: () => { const r = pub('10'); r.addJoinRules('$room-join-rules-knock-restricted', ALICE, JOIN_RULE.knockRestrictedSpace); r.addMember('$room-member-charlie-invite', CHARLIE, { kind: 'invite', sender: ALICE }); return r; },
    event: (r) => r.member('$room-member-charlie-join', CHARLIE, { kind: 'join' }), allowed: true, rule: 'member.join.restricted.member',
    reason: 'Since v10, a user can send a join event in a room with `knock_restricted` join rule if they were invited.' },
  { test: 'join_restricted_join_rule_missing_join_authorised_via_users_server', line: 435,
    room: () => { const r = pub('8'); r.addJoinRules('$room-join-rules-restricted', ALICE, JOIN_RULE.restrictedSpace); return r; },
    event: (r) => r.member('$room-member-charlie-join', CHARLIE, { kind: 'join' }), allowed: false, rule: 'member.join.restricted.authoriser',
    reason: 'cannot join restricted room without `join_authorised_via_users_server` field if not invited' },
  { test: 'join_restricted_join_rule_authorised_via_user_not_in_room', line: 467,
    room: () => { const r = pub('8'); r.addJoinRules('$room-join-rules-restricted', ALICE, JOIN_RULE.restrictedSpace); return r; },
    event: (r) => r.member('$room-member-charlie-join', CHARLIE, { kind: 'join-authorized', via: ZARA }), allowed: false, rule: 'member.join.restricted.authoriser',
    reason: '`join_authorised_via_users_server` is not joined' },
  { test: 'join_restricted_join_rule_authorised_via_user_with_not_enough_power', line: 499,
    room: () => { const r = pub('8'); r.addJoinRules('$room-join-rules-restricted', ALICE, JOIN_RULE.restrictedSpace); r.addPowerLevels('$room-power-levels-invite', ALICE, { kind: 'invite', value: 50 }); return r; },
    event: (r) => r.member('$room-member-charlie-join', CHARLIE, { kind: 'join-authorized', via: BOB }), allowed: false, rule: 'member.join.restricted.authoriser',
    reason: '`join_authorised_via_users_server` does not have enough power' },
  ...authorisedViaUser(),
  ...([{ membership: 'join' }, { membership: 'join', displayname: 203 }, { membership: 'join', is_direct: 'yes' }] as JsonObject[]).map((content, i): RumaCase => ({
    test: 'join_public_join_rule', line: 598, variant: i, room: () => pub('8'),
    event: (r) => r.prepare(minimalState(`$room-member-charlie-join-${i}`, CHARLIE, 'm.room.member', CHARLIE, content)),
    allowed: true, rule: 'member.join.public', reason: 'A user can join a room with a `public` join rule.',
  })),
  { test: 'invite_via_third_party_invite_banned', line: 643, room: () => { const r = pub('8'); r.addMember('$room-member-zara-ban', ZARA, { kind: 'ban', sender: ALICE }); return r; },
    event: (r) => r.memberThirdPartyInvite(), allowed: false, rule: 'member.invite.3pid.banned', reason: 'cannot invite user that is banned' },
  { test: 'invite_via_third_party_invite_missing_signed', line: 668, room: () => pub('8'),
    event: (r) => unprepared(r, minimalState('$room-member-zara-invite', BOB, 'm.room.member', ZARA, { membership: 'invite', third_party_invite: { display_name: 'z..@o..' } })),
    allowed: false, rule: 'member.invite.3pid.no-signed', reason: 'invalid `third_party_invite` field in `m.room.member` event: missing field `signed` at line 1 column 70' },
  { test: 'invite_via_third_party_invite_missing_mxid', line: 699, room: () => pub('8'),
    event: (r) => unprepared(r, minimalState('$room-member-zara-invite', BOB, 'm.room.member', ZARA, { membership: 'invite', third_party_invite: { display_name: 'z..@o..', signed: { token: 'uniquetoken' } } })),
    allowed: false, rule: 'member.invite.3pid.signed-fields', reason: 'missing `mxid` field in `third_party_invite.signed` of `m.room.member` event' },
  { test: 'invite_via_third_party_invite_missing_token', line: 733, room: () => pub('8'),
    event: (r) => unprepared(r, minimalState('$room-member-zara-invite', BOB, 'm.room.member', ZARA, { membership: 'invite', third_party_invite: { display_name: 'e..@p..', signed: { mxid: ZARA } } })),
    allowed: false, rule: 'member.invite.3pid.signed-fields', reason: 'missing `token` field in `third_party_invite.signed` of `m.room.member` event' },
  { test: 'invite_via_third_party_invite_mxid_mismatch', line: 768, room: () => pub('8'), event: (r) => ({ ...r.memberThirdPartyInvite(), state_key: CHARLIE }),
    allowed: false, rule: 'member.invite.3pid.mxid', reason: 'third-party invite mxid does not match target user' },
  { test: 'invite_via_third_party_invite_missing_room_third_party_invite', line: 788, room: () => pub('8'), event: (r) => r.memberThirdPartyInvite(),
    allowed: false, rule: 'member.invite.3pid.no-invite-event', reason: 'no `m.room.third_party_invite` in room state matches the token' },
  { test: 'invite_via_third_party_invite_room_third_party_invite_sender_mismatch', line: 807, room: () => { const r = pub('8'); r.addThirdPartyInvite().sender = ALICE; return r; },
    event: (r) => r.memberThirdPartyInvite(), allowed: false, rule: 'member.invite.3pid.sender', reason: 'sender of `m.room.third_party_invite` does not match sender of `m.room.member`' },
  { test: 'invite_via_third_party_invite_with_missing_signatures', line: 829, room: () => { const r = pub('8'); r.addThirdPartyInvite(); return r; },
    event: (r) => NO_SIGNED_SIGS(r, { mxid: ZARA, sender: BOB, token: 'uniquetoken' }, true), allowed: false, rule: 'member.invite.3pid.bad-signature',
    reason: 'missing `signatures` field in `third_party_invite.signed` of `m.room.member` event',
    note: 'ruma refuses while parsing `signed`; the spec has no rule for a missing `signatures` (rule "If any signature in signed matches any public key in the m.room.third_party_invite event, allow. Otherwise, reject."), so no signature matches and the final "Otherwise, reject" decides.' },
  { test: 'invite_via_third_party_invite_with_room_empty_signatures', line: 870, room: () => { const r = pub('8'); r.addThirdPartyInvite(); return r; },
    event: (r) => NO_SIGNED_SIGS(r, { mxid: ZARA, sender: BOB, token: 'uniquetoken', signatures: {} }, true), allowed: false, rule: 'member.invite.3pid.bad-signature',
    reason: 'no signature on third-party invite matches a public key in `m.room.third_party_invite` event' },
  { test: 'invite_via_third_party_invite_with_wrong_signature', line: 912, room: () => { const r = pub('8'); r.addThirdPartyInvite(); return r; },
    event: (r) => NO_SIGNED_SIGS(r, { mxid: ZARA, sender: BOB, token: 'uniquetoken', signatures: { 'identity.local': { 'ed25519:0': 'ClearlyWrongSignature' } } }, true),
    allowed: false, rule: 'member.invite.3pid.bad-signature', reason: 'no signature on third-party invite matches a public key in `m.room.third_party_invite` event' },
  { test: 'invite_via_third_party_invite_with_wrong_signing_algorithm', line: 958, room: () => { const r = pub('8'); r.addThirdPartyInvite(); return r; },
    event: (r) => NO_SIGNED_SIGS(r, { mxid: ZARA, sender: BOB, token: 'uniquetoken', signatures: { 'identity.local': { 'unknown:0': 'EyW7uaJagmhIQg7DUFpiJv9ur8h8DkDSjyV6f5MlROJrrkg8JElBFKr2iTQY9x+A6OauQdNy7L9T4xgzIZVbCA' } } }, true),
    allowed: false, rule: 'member.invite.3pid.bad-signature', reason: 'no signature on third-party invite matches a public key in `m.room.third_party_invite` event' },
  { test: 'invite_via_third_party_invite', line: 1004, room: () => { const r = pub('8'); r.addThirdPartyInvite(); return r; },
    event: (r) => r.memberThirdPartyInvite(), allowed: true, rule: 'member.invite.3pid.signature', reason: 'Valid third party invite works.' },
  ...otherMemberCases(),
];

/** join_restricted_join_rule_authorised_via_user: the same join, re-prepared after each join rules event. */
function authorisedViaUser(): RumaCase[] {
  const contents: JsonObject[] = [
    { allow: [], join_rule: 'restricted' },
    { allow: [{ room_id: '', type: 'm.room_membership' }], join_rule: 'restricted' },
    { allow: [{ type: 'm.room_membership' }], join_rule: 'restricted' },
  ];
  return contents.map((_, i): RumaCase => ({
    test: 'join_restricted_join_rule_authorised_via_user', line: 537, variant: i,
    // Rebuild the loop up to iteration i: the event is made once, then prepared again after each join rules event.
    room: () => pub('8'),
    event: (r) => {
      const ev = r.member('$room-member-charlie-join', CHARLIE, { kind: 'join-authorized', via: BOB });
      for (let j = 0; j <= i; j++) {
        r.add(r.prepare(minimalState(`$room-join-rules-restricted-${j}`, ALICE, 'm.room.join_rules', '', contents[j]!)));
        r.prepare(ev);
      }
      return ev;
    },
    allowed: true, rule: 'member.join.restricted.authorised',
    reason: 'Since v8, a user can join event in a room with `restricted` join rule if they were authorized by a user with enough power.',
  }));
}
