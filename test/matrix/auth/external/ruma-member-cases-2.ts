/**
 * ruma's m.room.member tests, second half: plain invites, leaves and kicks, bans and knocks
 * (crates/ruma-state-res/src/event_auth/room_member/tests.rs from line 1022). See ruma-member-cases.ts.
 */
import type { RumaCase } from './ruma-vectors.js';
import { ALICE, BOB, CHARLIE, JOIN_RULE, RumaRoom, ZARA } from './ruma-room.js';

const pub = (v: string): RumaRoom => RumaRoom.publicChat(v);
const withJoinRules = (v: string, rule: keyof typeof JOIN_RULE | { join_rule: string; allow: never[] }, id: string) => (): RumaRoom => {
  const r = pub(v);
  r.addJoinRules(id, ALICE, typeof rule === 'string' ? JOIN_RULE[rule] : rule);
  return r;
};
const bobAt = (v: string, level: number) => (): RumaRoom => {
  const r = pub(v);
  r.addPowerLevels('$room-power-levels-bob', ALICE, { kind: 'user', user: BOB, value: level });
  return r;
};

export function otherMemberCases(): RumaCase[] {
  return [
    { test: 'invite_sender_not_joined', line: 1022, room: () => pub('8'), event: (r) => r.member('$room-member-charlie-invite', CHARLIE, { kind: 'invite', sender: ZARA }),
      allowed: false, rule: 'member.invite.sender-not-joined', reason: 'cannot invite user if sender is not joined' },
    { test: 'invite_banned', line: 1045, room: () => { const r = pub('8'); r.addMember('$room-member-charlie-ban', CHARLIE, { kind: 'ban', sender: ALICE }); return r; },
      event: (r) => r.member('$room-member-charlie-invite', CHARLIE, { kind: 'invite', sender: BOB }),
      allowed: false, rule: 'member.invite.target-joined-or-banned', reason: 'cannot invite user that is joined or banned' },
    { test: 'invite_already_joined', line: 1075, room: () => pub('8'), event: (r) => r.member('$room-member-charlie-invite', BOB, { kind: 'invite', sender: ALICE }),
      allowed: false, rule: 'member.invite.target-joined-or-banned', reason: 'cannot invite user that is joined or banned' },
    { test: 'invite_sender_not_enough_power', line: 1098, room: () => { const r = pub('8'); r.addPowerLevels('$room-power-levels-invite', ALICE, { kind: 'invite', value: 50 }); return r; },
      event: (r) => r.member('$room-member-charlie-invite', CHARLIE, { kind: 'invite', sender: BOB }),
      allowed: false, rule: 'member.invite.power', reason: 'sender does not have enough power to invite' },
    { test: 'invite', line: 1127, room: () => pub('8'), event: (r) => r.member('$room-member-charlie-invite', CHARLIE, { kind: 'invite', sender: BOB }),
      allowed: true, rule: 'member.invite.allow', reason: 'The invite is valid.' },
    { test: 'leave_after_leave', line: 1147, room: () => pub('8'), event: (r) => r.member('$room-member-charlie-leave', CHARLIE, { kind: 'leave' }),
      allowed: false, rule: 'member.leave.self', reason: 'cannot leave if not joined, invited or knocked' },
    { test: 'leave_after_join', line: 1170, room: () => pub('8'), event: (r) => r.member('$room-member-bob-leave', BOB, { kind: 'leave' }),
      allowed: true, rule: 'member.leave.self', reason: 'User can leave after join.' },
    { test: 'leave_after_invite', line: 1190, room: () => { const r = pub('8'); r.addMember('$room-member-charlie-invite', CHARLIE, { kind: 'invite', sender: BOB }); return r; },
      event: (r) => r.member('$room-member-charlie-leave', CHARLIE, { kind: 'leave' }), allowed: true, rule: 'member.leave.self', reason: 'User can leave after invite.' },
    { test: 'leave_after_knock', line: 1217, room: () => { const r = pub('8'); r.addMember('$room-member-charlie-knock', CHARLIE, { kind: 'knock' }); return r; },
      event: (r) => r.member('$room-member-charlie-leave', CHARLIE, { kind: 'leave' }), allowed: true, rule: 'member.leave.self', reason: 'User can leave after knock.' },
    { test: 'leave_after_knock_not_supported', line: 1244, room: () => { const r = pub('6'); r.addMember('$room-member-charlie-knock', CHARLIE, { kind: 'knock' }); return r; },
      event: (r) => r.member('$room-member-charlie-leave', CHARLIE, { kind: 'leave' }), allowed: false, rule: 'member.leave.self', reason: 'cannot leave if not joined, invited or knocked' },
    { test: 'leave_kick_sender_left', line: 1275, room: () => pub('6'), event: (r) => r.member('$room-member-bob-leave', BOB, { kind: 'kick', sender: CHARLIE }),
      allowed: false, rule: 'member.leave.sender-not-joined', reason: 'cannot kick if sender is not joined' },
    { test: 'leave_unban_not_enough_power', line: 1298,
      room: () => { const r = pub('6'); r.addMember('$room-member-charlie-join', CHARLIE, { kind: 'join' }); r.addMember('$room-member-charlie-ban', CHARLIE, { kind: 'ban', sender: ALICE }); return r; },
      event: (r) => r.member('$room-member-charlie-kick', CHARLIE, { kind: 'kick', sender: BOB }), allowed: false, rule: 'member.leave.unban-power',
      reason: 'sender does not have enough power to unban' },
    { test: 'leave_unban', line: 1333, room: () => { const r = pub('6'); r.addMember('$room-member-charlie-ban', BOB, { kind: 'ban', sender: ALICE }); return r; },
      event: (r) => r.member('$room-member-charlie-kick', BOB, { kind: 'kick', sender: ALICE }), allowed: true, rule: 'member.leave.kick', reason: 'User can unban with enough power.' },
    { test: 'leave_kick_not_enough_power', line: 1361, room: () => pub('6'), event: (r) => r.member('$room-member-alice-kick', ALICE, { kind: 'kick', sender: BOB }),
      allowed: false, rule: 'member.leave.other', reason: 'sender does not have enough power to kick target user' },
    { test: 'leave_kick_greater_power', line: 1384, room: bobAt('6', 50), event: (r) => r.member('$room-member-alice-kick', ALICE, { kind: 'kick', sender: BOB }),
      allowed: false, rule: 'member.leave.other', reason: 'sender does not have enough power to kick target user' },
    { test: 'leave_kick_same_power', line: 1415, room: bobAt('6', 100), event: (r) => r.member('$room-member-alice-kick', ALICE, { kind: 'kick', sender: BOB }),
      allowed: false, rule: 'member.leave.other', reason: 'sender does not have enough power to kick target user' },
    { test: 'leave_kick', line: 1446, room: () => pub('6'), event: (r) => r.member('$room-member-alice-kick', BOB, { kind: 'kick', sender: ALICE }),
      allowed: true, rule: 'member.leave.kick', reason: 'Can kick user with enough power.' },
    { test: 'ban_sender_not_joined', line: 1466, room: () => pub('6'), event: (r) => r.member('$room-member-bob-ban', BOB, { kind: 'ban', sender: ZARA }),
      allowed: false, rule: 'member.ban.sender-not-joined', reason: 'cannot ban if sender is not joined' },
    { test: 'ban_not_enough_power', line: 1489, room: () => pub('6'), event: (r) => r.member('$room-member-bob-ban', ALICE, { kind: 'ban', sender: BOB }),
      allowed: false, rule: 'member.ban.power', reason: 'sender does not have enough power to ban target user' },
    { test: 'ban_greater_power', line: 1512, room: bobAt('6', 50), event: (r) => r.member('$room-member-bob-ban', ALICE, { kind: 'ban', sender: BOB }),
      allowed: false, rule: 'member.ban.power', reason: 'sender does not have enough power to ban target user' },
    { test: 'ban_same_power', line: 1543, room: bobAt('6', 100), event: (r) => r.member('$room-member-bob-ban', ALICE, { kind: 'ban', sender: BOB }),
      allowed: false, rule: 'member.ban.power', reason: 'sender does not have enough power to ban target user' },
    { test: 'ban', line: 1574, room: () => pub('6'), event: (r) => r.member('$room-member-bob-ban', BOB, { kind: 'ban', sender: ALICE }),
      allowed: true, rule: 'member.ban.allow', reason: 'Can ban user with enough power.' },
    { test: 'knock_public_join_rule', line: 1594, room: () => pub('11'), event: (r) => r.member('$room-member-zara-knock', ZARA, { kind: 'knock' }),
      allowed: false, rule: 'member.knock.join-rule', reason: 'join rule is not set to knock or knock_restricted, knocking is not allowed' },
    { test: 'knock_knock_join_rule', line: 1617, room: withJoinRules('7', 'knock', '$room-join-rules-knock'), event: (r) => r.member('$room-member-zara-knock', ZARA, { kind: 'knock' }),
      allowed: true, rule: 'member.knock.allow', reason: 'User can knock if room version supports it.' },
    { test: 'knock_knock_join_rule_not_supported', line: 1643, room: withJoinRules('6', 'knock', '$room-join-rules-knock'),
      event: (r) => r.member('$room-member-zara-knock', ZARA, { kind: 'knock' }), allowed: false, rule: 'member.unknown-membership', reason: 'unknown membership' },
    { test: 'knock_knock_restricted_join_rule', line: 1672, room: withJoinRules('10', 'knockRestrictedSpace', '$room-join-rules-knock-restricted'),
      event: (r) => r.member('$room-member-zara-knock', ZARA, { kind: 'knock' }), allowed: true, rule: 'member.knock.allow', reason: 'User can knock if room version supports it.' },
    { test: 'knock_knock_restricted_join_rule_not_supported', line: 1700, room: withJoinRules('6', 'knockRestrictedSpace', '$room-join-rules-knock-restricted'),
      event: (r) => r.member('$room-member-zara-knock', ZARA, { kind: 'knock' }), allowed: false, rule: 'member.unknown-membership', reason: 'unknown membership' },
    { test: 'knock_sender_state_key_mismatch', line: 1731, room: withJoinRules('7', 'knock', '$room-join-rules-knock'),
      event: (r) => ({ ...r.member('$room-member-zara-knock', ZARA, { kind: 'knock' }), sender: BOB }), allowed: false, rule: 'member.knock.sender-not-target',
      reason: 'cannot make another user knock, sender does not match target user' },
    { test: 'knock_after_ban', line: 1761,
      room: () => { const r = withJoinRules('7', 'knock', '$room-join-rules-knock')(); r.addMember('$room-member-bob-ban', BOB, { kind: 'ban', sender: ALICE }); return r; },
      event: (r) => r.member('$room-member', BOB, { kind: 'knock' }), allowed: false, rule: 'member.knock.membership', reason: 'cannot knock if user is banned, invited or joined' },
    { test: 'knock_after_invite', line: 1797,
      room: () => { const r = withJoinRules('7', 'knock', '$room-join-rules-knock')(); r.addMember('$room-member-zara-invite', ZARA, { kind: 'invite', sender: BOB }); return r; },
      event: (r) => r.member('$room-member-zara-knock', ZARA, { kind: 'knock' }), allowed: false, rule: 'member.knock.membership', reason: 'cannot knock if user is banned, invited or joined' },
    { test: 'knock_after_join', line: 1832, room: withJoinRules('7', 'knock', '$room-join-rules-knock'), event: (r) => r.member('$room-member-bob-knock', BOB, { kind: 'knock' }),
      allowed: false, rule: 'member.knock.membership', reason: 'cannot knock if user is banned, invited or joined' },
    { test: 'knock_public_join_rule_v7', line: 1861, room: () => pub('7'), event: (r) => r.member('$room-member-zara-knock', ZARA, { kind: 'knock' }),
      allowed: false, rule: 'member.knock.join-rule', reason: 'join rule is not set to knock or knock_restricted, knocking is not allowed' },
    { test: 'knock_invite_join_rule_v8', line: 1884, room: withJoinRules('8', 'invite', '$room-join-rules-invite'), event: (r) => r.member('$room-member-zara-knock', ZARA, { kind: 'knock' }),
      allowed: false, rule: 'member.knock.join-rule', reason: 'join rule is not set to knock or knock_restricted, knocking is not allowed' },
    { test: 'knock_knock_restricted_join_rule_v8', line: 1913, room: withJoinRules('8', { join_rule: 'knock_restricted', allow: [] }, '$room-join-rules-knock-restricted'),
      event: (r) => r.member('$room-member-zara-knock', ZARA, { kind: 'knock' }), allowed: false, rule: 'member.knock.join-rule',
      reason: 'join rule is not set to knock or knock_restricted, knocking is not allowed' },
  ];
}
