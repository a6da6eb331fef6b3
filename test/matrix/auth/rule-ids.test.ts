import { describe, expect, it } from 'vitest';
import { AUTH_RULE_IDS, describeRule, ruleExistsIn, specRuleNumber, type AuthRuleId } from '../../../src/matrix/auth/index.js';
import { PASS } from '../../../src/matrix/auth/pass-steps.js';
import { ROOM_VERSIONS, roomVersionRules } from '../../../src/matrix/room-versions.js';

const n = (rule: AuthRuleId, v: string) => specRuleNumber(rule, roomVersionRules(v));

describe('specRuleNumber follows each version’s list', () => {
  it('top-level rules move with the aliases rule (v1–v5) and the v12 room id rule', () => {
    expect(['1', '3', '5', '6', '10', '11', '12'].map((v) => n('events.sender-not-joined', v))).toEqual(['6', '6', '6', '5', '5', '5', '6']);
    expect(['1', '3', '6', '12'].map((v) => n('events.sender-power', v))).toEqual(['8', '8', '7', '8']);
    expect(['1', '3', '6', '12'].map((v) => n('allow.default', v))).toEqual(['12', '11', '10', '11']);
    expect(n('federate.disallowed', '1')).toBe('3');
    expect(n('federate.disallowed', '12')).toBe('4');
    expect(n('room-id.create-event', '12')).toBe('2');
  });

  it('membership sub-rules move with knock (v7) and join_authorised_via_users_server (v8)', () => {
    expect(n('member.join.banned', '1')).toBe('5.2.3');
    expect(n('member.join.banned', '6')).toBe('4.2.3');
    expect(n('member.join.banned', '8')).toBe('4.3.3');
    expect(n('member.join.banned', '12')).toBe('5.3.3');
    expect(n('member.join.public', '7')).toBe('4.2.5');
    expect(n('member.join.public', '8')).toBe('4.3.6');
    expect(n('member.join.restricted.authoriser', '10')).toBe('4.3.5.2');
    expect(n('member.invite.3pid.signature', '1')).toBe('5.3.1.7');
    expect(n('member.invite.3pid.signature', '11')).toBe('4.4.1.7');
    expect(n('member.leave.kick', '6')).toBe('4.4.4');
    expect(n('member.knock.join-rule', '7')).toBe('4.6.1');
    expect(n('member.knock.join-rule', '10')).toBe('4.7.1');
    expect(n('member.unknown-membership', '6')).toBe('4.6');
    expect(n('member.unknown-membership', '7')).toBe('4.7');
    expect(n('member.unknown-membership', '12')).toBe('5.8');
    expect(n('member.authorised-via.signature', '8')).toBe('4.2.1');
  });

  it('power levels sub-rules move with the v10 integer checks and the v12 creators check', () => {
    expect(n('power-levels.users-map', '1')).toBe('10.1');
    expect(n('power-levels.users-map', '6')).toBe('9.1');
    expect(n('power-levels.users-map', '10')).toBe('9.3');
    expect(n('power-levels.users-map', '12')).toBe('10.3');
    expect(n('power-levels.first', '6')).toBe('9.2');
    expect(n('power-levels.first', '10')).toBe('9.4');
    expect(n('power-levels.first', '12')).toBe('10.5');
    expect(n('power-levels.users.old-at-or-above-own', '11')).toBe('9.8.1');
    expect(n('power-levels.allow', '1')).toBe('10.8');
    expect(n('power-levels.allow', '12')).toBe('10.11');
    expect(n('power-levels.creator-in-users', '12')).toBe('10.4');
    // before v10 only: the values P.3 (named levels) compares must be levels
    expect(['1', '5', '6', '9', '10', '12'].map((v) => n('power-levels.value-not-a-level', v))).toEqual(['10.3', '10.3', '9.3', '9.3', 'n/a', 'n/a']);
  });

  it('create and auth-events rules', () => {
    expect(n('create.allow', '10')).toBe('1.5');
    expect(n('create.allow', '11')).toBe('1.4');
    expect(n('create.allow', '12')).toBe('1.5');
    expect(n('create.additional-creators', '12')).toBe('1.4');
    expect(n('auth-events.rejected', '10')).toBe('2.3');
    expect(n('auth-events.rejected', '12')).toBe('3.3');
    expect(n('auth-events.wrong-room', '10')).toBe('2.5');
    expect(n('auth-events.wrong-room', '12')).toBe('3.4');
    expect(n('redaction.same-domain', '2')).toBe('11.2');
  });

  it('answers n/a for rules a version does not have', () => {
    expect(n('aliases.domain', '6')).toBe('n/a');
    expect(n('redaction.other', '3')).toBe('n/a');
    expect(n('create.no-creator', '11')).toBe('n/a');
    expect(n('auth-events.no-create', '12')).toBe('n/a');
    expect(n('member.knock.allow', '6')).toBe('n/a');
    expect(n('power-levels.non-integer', '9')).toBe('n/a');
    expect(n('no.such.rule' as AuthRuleId, '10')).toBe('n/a');
    expect(ruleExistsIn('aliases.domain', roomVersionRules('5'))).toBe(true);
  });

  it('every rule has a title and a number in at least one version', () => {
    for (const id of AUTH_RULE_IDS) {
      expect(describeRule(id).length).toBeGreaterThan(10);
      expect([...ROOM_VERSIONS.values()].some((r) => ruleExistsIn(id, r))).toBe(true);
    }
    expect(describeRule('nope' as AuthRuleId)).toContain('unknown');
  });

  it('every shared pass step names a known rule and is frozen', () => {
    for (const [id, step] of Object.entries(PASS)) {
      expect(AUTH_RULE_IDS).toContain(id);
      expect(step).toEqual({ rule: id, outcome: 'pass' });
      expect(Object.isFrozen(step)).toBe(true);
    }
  });
});

describe('AuthRuleId', () => {
  it('is the union of the rule table’s keys, so a misspelt id does not compile', () => {
    // @ts-expect-error 'member.join.bannd' is not a rule id
    const typo: AuthRuleId = 'member.join.bannd';
    const known: AuthRuleId = 'member.join.banned';
    expect(AUTH_RULE_IDS).not.toContain(typo);
    expect(AUTH_RULE_IDS).toContain(known);
  });
});
