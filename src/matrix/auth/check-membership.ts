/**
 * The `m.room.member` rules (rule 5 in v1–v5 and v12, rule 4 in v6–v11).
 * https://spec.matrix.org/v1.16/rooms/v12/#authorization-rules and the earlier versions' pages.
 *
 * Differences from Synapse (`_is_membership_change_allowed`), where we follow the spec:
 * - Synapse also refuses membership events whose *target* is on another server than the creator
 *   when `m.federate` is false; the spec only looks at the sender (rule "m.federate").
 * - Synapse checks that the authorising server signed `join_authorised_via_users_server` only on
 *   joins (in `validate_event_for_room_version`); the spec's rule applies to any membership.
 * - With no `m.room.join_rules` event the spec names no join rule; like Synapse (and other
 *   implementations) we read it as `invite`, so already-joined or invited users can (re)join.
 */
import type { Pdu } from '../pdu.js';
import type { RoomVersionRules } from '../room-versions.js';
import type { AuthResult, AuthStep } from './auth-result.js';
import { allow, deny } from './auth-result.js';
import { domainOf } from '../ids.js';
import { describeMembership, membershipIn, show } from './ids.js';
import {
  JOIN_RULES_KEY,
  formatLevel,
  isJsonObject,
  namedPowerLevelFrom,
  own,
  roomCreator,
  userPowerLevelFrom,
} from './power-levels.js';
import { PASS, PASS_AUTHORISED_VIA_UNSIGNED } from './pass-steps.js';
import { checkThirdPartyInvite } from './third-party-invite.js';

export interface MembershipInputs {
  readonly create: Pdu;
  readonly powerLevels: Pdu | undefined;
  readonly senderMembership: string | undefined;
}

export function checkMembership(
  event: Pdu,
  authEvents: ReadonlyMap<string, Pdu>,
  rules: RoomVersionRules,
  inputs: MembershipInputs,
  trace: AuthStep[],
): AuthResult {
  const content = event.content;
  const target = event.state_key;
  if (target === undefined || !Object.hasOwn(content, 'membership')) {
    return deny('member.malformed', 'the membership event has no state_key or no content.membership', trace);
  }
  trace.push(PASS['member.malformed']);

  if (rules.restrictedJoinRule && Object.hasOwn(content, 'join_authorised_via_users_server')) {
    const r = checkAuthorisingSignature(event, trace);
    if (r) return r;
  }

  const membership = content.membership;
  const { create, powerLevels, senderMembership } = inputs;
  const sender = event.sender;
  const senderLevel = (): number => userPowerLevelFrom(sender, create, powerLevels, rules);
  const targetMembership = target === sender ? senderMembership : membershipIn(authEvents, target);

  switch (membership) {
    case 'join':
      return checkJoin(event, authEvents, rules, inputs, trace);
    case 'invite': {
      if (Object.hasOwn(content, 'third_party_invite')) {
        return checkThirdPartyInvite(event, targetMembership, authEvents, rules, trace);
      }
      if (senderMembership !== 'join') {
        return deny('member.invite.sender-not-joined', `${sender} cannot invite: they have ${describeMembership(senderMembership)}, not join`, trace);
      }
      trace.push(PASS['member.invite.sender-not-joined']);
      if (targetMembership === 'join' || targetMembership === 'ban') {
        return deny('member.invite.target-joined-or-banned', `${target} cannot be invited: their membership is ${targetMembership}`, trace);
      }
      trace.push(PASS['member.invite.target-joined-or-banned']);
      const level = senderLevel();
      const invite = namedPowerLevelFrom('invite', powerLevels, rules);
      if (level >= invite) {
        return allow('member.invite.allow', `${sender} has ${formatLevel(level)}, inviting needs ${invite}`, trace);
      }
      trace.push(PASS['member.invite.allow']);
      return deny('member.invite.power', `${sender} has ${formatLevel(level)}, inviting needs ${invite}`, trace);
    }
    case 'leave': {
      if (sender === target) {
        const ok =
          senderMembership === 'invite' || senderMembership === 'join' || (rules.knockJoinRule && senderMembership === 'knock');
        return ok
          ? allow('member.leave.self', `${sender} leaves from ${describeMembership(senderMembership)}`, trace)
          : deny('member.leave.self', `${sender} cannot leave: they have ${describeMembership(senderMembership)}`, trace);
      }
      trace.push(PASS['member.leave.self']);
      if (senderMembership !== 'join') {
        return deny('member.leave.sender-not-joined', `${sender} cannot kick or unban ${target}: they have ${describeMembership(senderMembership)}, not join`, trace);
      }
      trace.push(PASS['member.leave.sender-not-joined']);
      const level = senderLevel();
      if (targetMembership === 'ban') {
        const ban = namedPowerLevelFrom('ban', powerLevels, rules);
        if (level < ban) {
          return deny('member.leave.unban-power', `${sender} has ${formatLevel(level)}, unbanning ${target} needs the ban level ${ban}`, trace);
        }
      }
      trace.push(PASS['member.leave.unban-power']);
      const kick = namedPowerLevelFrom('kick', powerLevels, rules);
      const targetLevel = userPowerLevelFrom(target, create, powerLevels, rules);
      if (level >= kick && targetLevel < level) {
        return allow('member.leave.kick', `${sender} has ${formatLevel(level)} (kick level ${kick}) and ${target} has ${formatLevel(targetLevel)}`, trace);
      }
      trace.push(PASS['member.leave.kick']);
      return deny(
        'member.leave.other',
        level < kick
          ? `${sender} has ${formatLevel(level)}, kicking needs ${kick}`
          : `${sender} has ${formatLevel(level)}, not more than ${target} (${formatLevel(targetLevel)})`,
        trace,
      );
    }
    case 'ban': {
      if (senderMembership !== 'join') {
        return deny('member.ban.sender-not-joined', `${sender} cannot ban: they have ${describeMembership(senderMembership)}, not join`, trace);
      }
      trace.push(PASS['member.ban.sender-not-joined']);
      const level = senderLevel();
      const ban = namedPowerLevelFrom('ban', powerLevels, rules);
      const targetLevel = userPowerLevelFrom(target, create, powerLevels, rules);
      if (level >= ban && targetLevel < level) {
        return allow('member.ban.allow', `${sender} has ${formatLevel(level)} (ban level ${ban}) and ${target} has ${formatLevel(targetLevel)}`, trace);
      }
      trace.push(PASS['member.ban.allow']);
      return deny(
        'member.ban.power',
        level < ban
          ? `${sender} has ${formatLevel(level)}, banning needs ${ban}`
          : `${sender} has ${formatLevel(level)}, not more than ${target} (${formatLevel(targetLevel)})`,
        trace,
      );
    }
    case 'knock': {
      if (!rules.knockJoinRule) break;
      const joinRule = currentJoinRule(authEvents);
      if (joinRule !== 'knock' && !(rules.knockRestrictedJoinRule && joinRule === 'knock_restricted')) {
        return deny('member.knock.join-rule', `the join rule is ${show(joinRule)}; knocking needs knock${rules.knockRestrictedJoinRule ? ' or knock_restricted' : ''}`, trace);
      }
      trace.push(PASS['member.knock.join-rule']);
      if (sender !== target) {
        return deny('member.knock.sender-not-target', `${sender} cannot knock on behalf of ${target}`, trace);
      }
      trace.push(PASS['member.knock.sender-not-target']);
      if (senderMembership !== 'ban' && senderMembership !== 'invite' && senderMembership !== 'join') {
        return allow('member.knock.allow', `${sender} knocks from ${describeMembership(senderMembership)}`, trace);
      }
      trace.push(PASS['member.knock.allow']);
      return deny('member.knock.membership', `${sender} cannot knock: their membership is ${senderMembership}`, trace);
    }
  }
  return deny('member.unknown-membership', `membership ${show(membership)} is not one this room version knows`, trace);
}

/** The join rule in force; with no join rules event (or no join_rule in it), `invite` (see above). */
export function currentJoinRule(authEvents: ReadonlyMap<string, Pdu>): unknown {
  const jr = authEvents.get(JOIN_RULES_KEY);
  if (jr === undefined || !Object.hasOwn(jr.content, 'join_rule')) return 'invite';
  return jr.content.join_rule;
}

/**
 * v8+ "If content has a join_authorised_via_users_server key: if the event is not validly signed by
 * the homeserver of the user ID denoted by the key, reject." The auth rules have no server keys, so
 * here the signature must be present; whether it verifies is receipt step 2 (signature checks,
 * `verifyEventSignatures`). When the event copy carries no `signatures` at all (a redacted or
 * test-built copy) the step is passed with a note.
 */
function checkAuthorisingSignature(event: Pdu, trace: AuthStep[]): AuthResult | undefined {
  const via = event.content.join_authorised_via_users_server;
  const server = typeof via === 'string' ? domainOf(via) : undefined;
  if (server === undefined || server === '') {
    return deny('member.authorised-via.signature', `join_authorised_via_users_server ${show(via)} is not a user id, so no server can have signed for it`, trace);
  }
  const sigs = own(event.raw, 'signatures');
  if (sigs === undefined) {
    trace.push(PASS_AUTHORISED_VIA_UNSIGNED);
    return undefined;
  }
  if (!isJsonObject(sigs) || !isJsonObject(own(sigs, server))) {
    return deny('member.authorised-via.signature', `the event is not signed by ${server}, the server of join_authorised_via_users_server ${via}`, trace);
  }
  trace.push(PASS['member.authorised-via.signature']);
  return undefined;
}

function checkJoin(
  event: Pdu,
  authEvents: ReadonlyMap<string, Pdu>,
  rules: RoomVersionRules,
  inputs: MembershipInputs,
  trace: AuthStep[],
): AuthResult {
  const { create, powerLevels, senderMembership } = inputs;
  const sender = event.sender;
  const target = event.state_key!;
  if (event.prev_events.length === 1 && event.prev_events[0] === create.event_id) {
    const creator = roomCreator(create, rules);
    if (creator !== undefined && creator === target) {
      return allow('member.join.creator', `${target} is the room creator joining right after the create event`, trace);
    }
  }
  trace.push(PASS['member.join.creator']);
  if (sender !== target) {
    return deny('member.join.sender-not-target', `${sender} cannot join on behalf of ${target}`, trace);
  }
  trace.push(PASS['member.join.sender-not-target']);
  if (senderMembership === 'ban') {
    return deny('member.join.banned', `${sender} is banned from the room`, trace);
  }
  trace.push(PASS['member.join.banned']);
  const joinRule = currentJoinRule(authEvents);
  if (joinRule === 'invite' || (rules.knockJoinRule && joinRule === 'knock')) {
    return senderMembership === 'invite' || senderMembership === 'join'
      ? allow('member.join.invite-rule', `the join rule is ${joinRule} and ${sender} has ${describeMembership(senderMembership)}`, trace)
      : deny('member.join.invite-rule', `the join rule is ${joinRule} and ${sender} has ${describeMembership(senderMembership)}, not invite or join`, trace);
  }
  trace.push(PASS['member.join.invite-rule']);
  if ((rules.restrictedJoinRule && joinRule === 'restricted') || (rules.knockRestrictedJoinRule && joinRule === 'knock_restricted')) {
    if (senderMembership === 'invite' || senderMembership === 'join') {
      return allow('member.join.restricted.member', `the join rule is ${joinRule} and ${sender} has ${describeMembership(senderMembership)}`, trace);
    }
    trace.push(PASS['member.join.restricted.member']);
    const via = own(event.content, 'join_authorised_via_users_server');
    if (typeof via !== 'string') {
      return deny('member.join.restricted.authoriser', `the join rule is ${joinRule}, ${sender} is not invited and the join names no join_authorised_via_users_server`, trace);
    }
    const viaMembership = membershipIn(authEvents, via);
    if (viaMembership !== 'join') {
      return deny('member.join.restricted.authoriser', `the authorising user ${via} has ${describeMembership(viaMembership)}, not join`, trace);
    }
    const viaLevel = userPowerLevelFrom(via, create, powerLevels, rules);
    const invite = namedPowerLevelFrom('invite', powerLevels, rules);
    if (viaLevel < invite) {
      return deny('member.join.restricted.authoriser', `the authorising user ${via} has ${formatLevel(viaLevel)}, inviting needs ${invite}`, trace);
    }
    trace.push(PASS['member.join.restricted.authoriser']);
    return allow('member.join.restricted.authorised', `the join rule is ${joinRule} and ${via} (joined, ${formatLevel(viaLevel)}) authorised the join`, trace);
  }
  if (joinRule === 'public') {
    return allow('member.join.public', 'the join rule is public', trace);
  }
  trace.push(PASS['member.join.public']);
  return deny('member.join.other', `the join rule is ${show(joinRule)}, under which ${sender} cannot join`, trace);
}
