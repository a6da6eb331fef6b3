import { describe, expect, it } from 'vitest';
import { authTypesForEvent } from '../../../src/matrix/auth/index.js';
import { roomVersionRules } from '../../../src/matrix/room-versions.js';

const v6 = roomVersionRules('6');
const v10 = roomVersionRules('10');
const v12 = roomVersionRules('12');
const sorted = (xs: Array<[string, string]>) => xs.map(([t, k]) => `${t}|${k}`).sort();

describe('authTypesForEvent (server-server API, auth events selection)', () => {
  it('selects nothing for the create event', () => {
    expect(authTypesForEvent({ type: 'm.room.create', state_key: '', sender: '@a:x', content: {} }, v10)).toEqual([]);
  });

  it('selects create, power levels and the sender for a message; v12 leaves the create event out', () => {
    const ev = { type: 'm.room.message', sender: '@a:x', content: { body: 'hi' } };
    expect(sorted(authTypesForEvent(ev, v10))).toEqual(['m.room.create|', 'm.room.member|@a:x', 'm.room.power_levels|']);
    expect(sorted(authTypesForEvent(ev, v12))).toEqual(['m.room.member|@a:x', 'm.room.power_levels|']);
  });

  it('adds the target and join rules for join, invite and knock but not for leave or ban', () => {
    for (const membership of ['join', 'invite', 'knock']) {
      const got = sorted(authTypesForEvent({ type: 'm.room.member', state_key: '@b:y', sender: '@a:x', content: { membership } }, v10));
      expect(got).toEqual(['m.room.create|', 'm.room.join_rules|', 'm.room.member|@a:x', 'm.room.member|@b:y', 'm.room.power_levels|']);
    }
    for (const membership of ['leave', 'ban']) {
      const got = sorted(authTypesForEvent({ type: 'm.room.member', state_key: '@b:y', sender: '@a:x', content: { membership } }, v10));
      expect(got).toEqual(['m.room.create|', 'm.room.member|@a:x', 'm.room.member|@b:y', 'm.room.power_levels|']);
    }
  });

  it('lists the sender once when the sender is the target', () => {
    const got = authTypesForEvent({ type: 'm.room.member', state_key: '@a:x', sender: '@a:x', content: { membership: 'join' } }, v12);
    expect(sorted(got)).toEqual(['m.room.join_rules|', 'm.room.member|@a:x', 'm.room.power_levels|']);
  });

  it('adds the third-party invite named by signed.token', () => {
    const content = { membership: 'invite', third_party_invite: { display_name: 'x', signed: { mxid: '@b:y', token: 'abc', signatures: {} } } };
    const got = sorted(authTypesForEvent({ type: 'm.room.member', state_key: '@b:y', sender: '@a:x', content }, v10));
    expect(got).toContain('m.room.third_party_invite|abc');
    // a malformed third_party_invite selects nothing more (and does not throw)
    const bad = authTypesForEvent({ type: 'm.room.member', state_key: '@b:y', sender: '@a:x', content: { membership: 'invite', third_party_invite: 5 } }, v10);
    expect(sorted(bad).some((k) => k.startsWith('m.room.third_party_invite'))).toBe(false);
  });

  it('adds the authorising user of a restricted join from v8 only', () => {
    const ev = { type: 'm.room.member', state_key: '@b:y', sender: '@b:y', content: { membership: 'join', join_authorised_via_users_server: '@c:z' } };
    expect(sorted(authTypesForEvent(ev, v10))).toContain('m.room.member|@c:z');
    expect(sorted(authTypesForEvent(ev, v6))).not.toContain('m.room.member|@c:z');
    const invite = { ...ev, content: { membership: 'invite', join_authorised_via_users_server: '@c:z' } };
    expect(sorted(authTypesForEvent(invite, v10))).not.toContain('m.room.member|@c:z');
  });
});
