/**
 * The 'pass' steps of the authorization trace: one shared, frozen object per rule, made once when
 * the module loads, so recording that a rule was evaluated and did not decide costs one array push
 * (no allocation, no string building). Deciding steps ('allow', 'deny') are built by allow()/deny()
 * in auth-result.ts.
 *
 * A rule is recorded as passed when the checker evaluated it on the way to its decision and it did
 * not decide: a reject rule whose condition did not hold, an allow rule whose condition did not
 * hold, or an "allow if and only if" rule whose leading condition did not apply (e.g. the join rule
 * is not `invite`). Sub-rules under a condition that did not hold ("If membership is ban: …" for a
 * join) are not evaluated and not recorded.
 */
import type { AuthStep } from './auth-result.js';

const PASSABLE = [
  'create.has-prev-events',
  'create.room-id-domain',
  'create.has-room-id',
  'create.room-version',
  'create.no-creator',
  'create.additional-creators',
  'room-id.create-event',
  'auth-events.missing',
  'auth-events.duplicate',
  'auth-events.create-listed',
  'auth-events.unexpected',
  'auth-events.rejected',
  'auth-events.no-create',
  'auth-events.wrong-room',
  'federate.disallowed',
  'aliases.no-state-key',
  'aliases.domain',
  'member.malformed',
  'member.authorised-via.signature',
  'member.join.creator',
  'member.join.sender-not-target',
  'member.join.banned',
  'member.join.invite-rule',
  'member.join.restricted.member',
  'member.join.restricted.authoriser',
  'member.join.public',
  'member.invite.3pid.banned',
  'member.invite.3pid.no-signed',
  'member.invite.3pid.signed-fields',
  'member.invite.3pid.mxid',
  'member.invite.3pid.no-invite-event',
  'member.invite.3pid.sender',
  'member.invite.3pid.signature',
  'member.invite.sender-not-joined',
  'member.invite.target-joined-or-banned',
  'member.invite.allow',
  'member.leave.self',
  'member.leave.sender-not-joined',
  'member.leave.unban-power',
  'member.leave.kick',
  'member.ban.sender-not-joined',
  'member.ban.allow',
  'member.knock.join-rule',
  'member.knock.sender-not-target',
  'member.knock.allow',
  'events.sender-not-joined',
  'events.sender-power',
  'events.state-key-user',
  'power-levels.non-integer',
  'power-levels.events-map',
  'power-levels.users-map',
  'power-levels.creator-in-users',
  'power-levels.first',
  'power-levels.value-not-a-level',
  'power-levels.named.old-above-own',
  'power-levels.named.new-above-own',
  'power-levels.events.old-above-own',
  'power-levels.events.new-above-own',
  'power-levels.users.old-at-or-above-own',
  'power-levels.users.new-above-own',
  'redaction.redact-level',
  'redaction.same-domain',
] as const;

/** A rule that can be passed on the way to a decision. */
export type PassableRule = (typeof PASSABLE)[number];

function passStep(rule: PassableRule, note?: string): AuthStep {
  return Object.freeze(note === undefined ? { rule, outcome: 'pass' as const } : { rule, outcome: 'pass' as const, note });
}

/** PASS[rule]: the shared 'pass' step of a rule. */
export const PASS: Readonly<Record<PassableRule, AuthStep>> = Object.freeze(
  Object.fromEntries(PASSABLE.map((rule) => [rule, passStep(rule)])) as Record<PassableRule, AuthStep>,
);

/** v8+ join_authorised_via_users_server on a copy without `signatures` (see check-membership.ts). */
export const PASS_AUTHORISED_VIA_UNSIGNED: AuthStep = passStep(
  'member.authorised-via.signature',
  'event carries no signatures; not checked here',
);
