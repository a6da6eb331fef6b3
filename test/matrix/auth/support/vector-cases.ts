/**
 * The authorization-rule vectors, written from the spec's rule lists (one group per part of the
 * list). They are written out as JSON to test/vectors/auth/v<N>.json (the committed vectors) and
 * the test checks the JSON is what this file produces. Over 400 lines: one table for all rules.
 */
import type { JsonObject } from '../../../../src/matrix/pdu.js';
import type { RoomVersionRules } from '../../../../src/matrix/room-versions.js';
import type { VectorCase, VectorFile, VectorGroup } from './room-builder.js';
import { ALICE, BOB, CAROL, DAVE, ERIN, FRANK, MALLORY, PEER, RoomBuilder, ZED, testKey } from './room-builder.js';

const ok = (event: JsonObject, rule: string, note?: string): VectorCase => ({ event, rule, ...(note ? { note } : {}) });
const no = ok;

function specPage(r: RoomVersionRules): string {
  const page = r.specialCaseAliasesAuth ? (r.eventFormat === 1 ? 'v1' : 'v3') : r.id;
  return `https://spec.matrix.org/v1.16/rooms/v${page.replace(/^v/, '')}/#authorization-rules`;
}

export function buildVectors(r: RoomVersionRules): VectorFile {
  const b = new RoomBuilder(r, `r${r.id}`);
  const groups: VectorGroup[] = [];
  const g = (description: string, auth_events: JsonObject[], allowed: VectorCase[], not_allowed: VectorCase[], extra: Partial<VectorGroup> = {}) =>
    groups.push({ description, room_version: r.id, auth_events, allowed, not_allowed, ...extra });

  // --- 1. m.room.create ---------------------------------------------------------------------------
  {
    const allowed = [ok(b.create(), 'create.allow')];
    const not = [no(b.create({}, { prev: ['$x:a.example'] }), 'create.has-prev-events')];
    if (r.roomIdFromCreateEvent) {
      not.push(no(b.create({}, { withRoomId: true }), 'create.has-room-id'));
      allowed.push(ok(b.create({ additional_creators: [ZED, CAROL] }, { id: '$other' }), 'create.allow'));
      not.push(no(b.create({ additional_creators: ['not a user id'] }, { id: '$o2' }), 'create.additional-creators'));
      not.push(no(b.create({ additional_creators: ZED }, { id: '$o3' }), 'create.additional-creators'));
    } else {
      const e = b.create();
      e.room_id = '!elsewhere:b.example';
      not.push(no(e, 'create.room-id-domain'));
    }
    not.push(no(b.create({ room_version: '99' }), 'create.room-version'));
    if (!r.implicitRoomCreator) {
      const e = b.create();
      delete (e.content as JsonObject).creator;
      not.push(no(e, 'create.no-creator'));
    } else {
      const e = b.create();
      allowed.push(ok(e, 'create.allow', 'no content.creator is needed from v11'));
    }
    g('create event', [], allowed, not);
  }

  // --- v12 rule 2: the room id is the create event's id --------------------------------------------
  const base = b.state('invite');
  if (r.roomIdFromCreateEvent) {
    g('room id is the create event', base, [ok(b.ev('m.room.message', CAROL, { body: 'hi' }), 'allow.default')], [
      no(b.ev('m.room.message', CAROL, { body: 'hi' }, { room: '!SomeOtherRoomHash' }), 'room-id.create-event'),
    ]);
    g('create event rejected', base, [], [no(b.ev('m.room.message', CAROL, { body: 'hi' }), 'room-id.create-event')], {
      rejected: [b.createId],
    });
  }

  // --- the auth events themselves (rule 2; 3 in v12) ------------------------------------------------
  {
    const [create, pl, jr, aliceM, bobM, carolM] = base as [JsonObject, JsonObject, JsonObject, JsonObject, JsonObject, JsonObject];
    const cite = (...evs: JsonObject[]) => evs.map((e) => e.event_id as string);
    const withCreate = (...evs: JsonObject[]) => (r.roomIdFromCreateEvent ? evs : [create, ...evs]);
    const msg = (auth: string[], sender = CAROL) => b.ev('m.room.message', sender, { body: 'x' }, { auth });
    const otherRoomPl = b.ev('m.room.power_levels', ALICE, b.plContent(), { state_key: '', room: '!elsewhere:a.example' });
    const bobM2 = b.member(BOB, 'join');
    const carolM2 = b.member(CAROL, 'join', CAROL, { displayname: 'C' });
    const events = [...base, otherRoomPl, bobM2, carolM2];
    const allowed = [ok(msg(cite(...withCreate(pl, carolM))), 'allow.default')];
    const not = [
      no(msg([...cite(...withCreate(pl, carolM)), '$not-provided:x.example']), 'auth-events.missing'),
      no(msg(cite(...withCreate(pl, carolM, carolM2))), 'auth-events.duplicate'),
      no(msg(cite(...withCreate(pl, carolM, jr))), 'auth-events.unexpected', 'join rules are not selected for a message'),
      no(msg(cite(...withCreate(pl, carolM, bobM))), 'auth-events.unexpected', "another user's member event"),
      no(msg(cite(...withCreate(otherRoomPl, carolM))), 'auth-events.wrong-room'),
    ];
    if (r.roomIdFromCreateEvent) {
      not.push(no(msg(cite(create, pl, carolM)), 'auth-events.create-listed'));
    } else {
      not.push(no(msg(cite(pl, carolM)), 'auth-events.no-create'));
    }
    // a member event cites the target's member and join rules; bob's kick of carol is selected fine
    allowed.push(ok(b.member(CAROL, 'leave', BOB, {}, {}), 'member.leave.kick'));
    (allowed[1]!.event as JsonObject).auth_events = cite(...withCreate(pl, bobM, carolM));
    void aliceM;
    void bobM2;
    g('auth events list', events, allowed, not, { check: 'auth-events' });
    g('rejected auth event', events, [], [no(msg(cite(...withCreate(pl, carolM))), 'auth-events.rejected')], {
      check: 'auth-events',
      rejected: [pl.event_id as string],
    });
    if (!r.roomIdFromCreateEvent) {
      g('no create event in the state', base.slice(1), [], [no(b.ev('m.room.message', CAROL, { body: 'x' }), 'auth-events.no-create')]);
    }
  }

  // --- m.federate --------------------------------------------------------------------------------
  {
    const st = b.state('invite', { create: b.create({ 'm.federate': false }) });
    g('m.federate false', st, [ok(b.ev('m.room.message', ALICE, { body: 'local' }), 'allow.default')], [
      no(b.ev('m.room.message', BOB, { body: 'remote' }), 'federate.disallowed'),
    ]);
  }

  // --- m.room.aliases (v1–v5) ----------------------------------------------------------------------
  if (r.specialCaseAliasesAuth) {
    g('m.room.aliases special case', base, [ok(b.ev('m.room.aliases', MALLORY, { aliases: ['#a:m.example'] }, { state_key: 'm.example' }), 'aliases.allow', 'even a non-member may set its own server’s aliases')], [
      no(b.ev('m.room.aliases', ALICE, { aliases: [] }), 'aliases.no-state-key'),
      no(b.ev('m.room.aliases', ALICE, { aliases: [] }, { state_key: 'b.example' }), 'aliases.domain'),
    ]);
  } else {
    g('m.room.aliases is an ordinary state event', base, [ok(b.ev('m.room.aliases', BOB, { aliases: [] }, { state_key: 'x.example' }), 'allow.default')], [
      no(b.ev('m.room.aliases', MALLORY, { aliases: [] }, { state_key: 'm.example' }), 'events.sender-not-joined'),
    ]);
  }

  // --- m.room.member: general ----------------------------------------------------------------------
  {
    const noMembership = b.ev('m.room.member', CAROL, { displayname: 'x' }, { state_key: CAROL });
    const noStateKey = b.ev('m.room.member', CAROL, { membership: 'join' });
    const not = [no(noMembership, 'member.malformed'), no(noStateKey, 'member.malformed'), no(b.member(CAROL, 'dance'), 'member.unknown-membership')];
    if (!r.knockJoinRule) not.push(no(b.member(MALLORY, 'knock'), 'member.unknown-membership', 'knock is unknown before v7'));
    g('membership: malformed and unknown', base, [ok(b.member(CAROL, 'join', CAROL, { displayname: 'Carol' }), 'member.join.invite-rule')], not);
  }

  // --- join ------------------------------------------------------------------------------------------
  {
    const create = b.create();
    g('join: the creator joins first', [create], [ok(b.member(ALICE, 'join', ALICE, {}, { prev: [b.createId] }), 'member.join.creator')], [
      no(b.member(BOB, 'join', BOB, {}, { prev: [b.createId] }), 'member.join.invite-rule', 'not the creator; no join rules means invite'),
      no(b.member(ALICE, 'join', ALICE, {}, { prev: [b.createId, '$other:a.example'] }), 'member.join.invite-rule', 'create is not the only prev event'),
    ]);
    const inviteAllowed = [ok(b.member(ERIN, 'join'), 'member.join.invite-rule'), ok(b.member(CAROL, 'join'), 'member.join.invite-rule')];
    g('join: invite rule', base, inviteAllowed, [
      no(b.member(CAROL, 'join', BOB), 'member.join.sender-not-target'),
      no(b.member(DAVE, 'join'), 'member.join.banned'),
      no(b.member(MALLORY, 'join'), 'member.join.invite-rule'),
    ]);
    const pub = b.state('public');
    g('join: public rule', pub, [ok(b.member(MALLORY, 'join'), 'member.join.public')], [no(b.member(DAVE, 'join'), 'member.join.banned')]);
    g('join: other rules', b.state('private'), [ok(b.member(ALICE, 'join', ALICE, { displayname: 'A' }, { prev: [b.createId] }), 'member.join.creator')], [
      no(b.member(ERIN, 'join'), 'member.join.other', 'private is not a join rule anyone may use'),
    ]);
    if (r.knockJoinRule) {
      g('join: knock rule', b.state('knock'), [ok(b.member(ERIN, 'join'), 'member.join.invite-rule')], [no(b.member(FRANK, 'join'), 'member.join.invite-rule', 'knocking is not an invite')]);
    } else {
      g('join: knock rule unknown before v7', b.state('knock'), [], [no(b.member(ERIN, 'join'), 'member.join.other')]);
    }
    const restrictedRules = r.knockRestrictedJoinRule ? ['restricted', 'knock_restricted'] : ['restricted'];
    for (const rule of restrictedRules) {
      const st = b.state(rule, { extra: [] });
      const via = (user: string, server: string) =>
        b.member(MALLORY, 'join', MALLORY, { join_authorised_via_users_server: user }, { extra: { signatures: { [server]: { 'ed25519:1': 'c2ln' }, 'm.example': { 'ed25519:1': 'c2ln' } } } });
      if (r.restrictedJoinRule) {
        g(`join: ${rule} rule`, st, [
          ok(b.member(ERIN, 'join'), 'member.join.restricted.member'),
          ok(via(BOB, 'b.example'), 'member.join.restricted.authorised'),
          ok(b.member(MALLORY, 'join', MALLORY, { join_authorised_via_users_server: BOB }), 'member.join.restricted.authorised', 'an unsigned copy: the signature is left to signature checks'),
        ], [
          no(b.member(MALLORY, 'join'), 'member.join.restricted.authoriser', 'no authorising user'),
          no(via(CAROL, 'c.example'), 'member.join.restricted.authoriser', 'carol has 0, inviting needs 10'),
          no(via(ERIN, 'e.example'), 'member.join.restricted.authoriser', 'erin is only invited'),
          no(via(BOB, 'c.example'), 'member.authorised-via.signature', 'not signed by b.example'),
          no(b.member(MALLORY, 'join', MALLORY, { join_authorised_via_users_server: 'nobody' }), 'member.authorised-via.signature'),
          no(b.member(DAVE, 'join'), 'member.join.banned'),
        ]);
      } else {
        g(`join: ${rule} rule unknown in this version`, st, [], [no(b.member(ERIN, 'join'), 'member.join.other')]);
      }
    }
  }

  // --- invite ---------------------------------------------------------------------------------------
  {
    g('invite', base, [ok(b.member(MALLORY, 'invite', BOB), 'member.invite.allow'), ok(b.member(MALLORY, 'invite', ALICE), 'member.invite.allow')], [
      no(b.member(MALLORY, 'invite', ERIN), 'member.invite.sender-not-joined'),
      no(b.member(BOB, 'invite', ALICE), 'member.invite.target-joined-or-banned'),
      no(b.member(DAVE, 'invite', ALICE), 'member.invite.target-joined-or-banned'),
      no(b.member(MALLORY, 'invite', CAROL), 'member.invite.power', 'carol has 0, the invite level is 10'),
    ]);
    const k1 = testKey(1);
    const k2 = testKey(2);
    const kOther = testKey(3);
    const token = 'tok3n';
    const tpi = b.ev('m.room.third_party_invite', BOB, {
      display_name: 'm…@example.org',
      key_validity_url: 'https://id.example/_matrix/identity/v2/pubkey/isvalid',
      public_key: k1.publicKey,
      public_keys: [{ public_key: k2.publicKey }],
    }, { state_key: token });
    const st = [...base, tpi];
    const signed = (key: typeof k1, mxid = MALLORY, tok = token) => key.sign({ mxid, token: tok, sender: BOB }, 'id.example', 'ed25519:0');
    const inv = (content: JsonObject, sender = BOB, target = MALLORY) => b.member(target, 'invite', sender, content);
    g('invite: third party', st, [
      ok(inv({ third_party_invite: { display_name: 'm', signed: signed(k1) } }), 'member.invite.3pid.signature', 'public_key'),
      ok(inv({ third_party_invite: { display_name: 'm', signed: signed(k2) } }), 'member.invite.3pid.signature', 'public_keys[0]'),
    ], [
      no(inv({ third_party_invite: { signed: signed(k1, DAVE) } }, BOB, DAVE), 'member.invite.3pid.banned'),
      no(inv({ third_party_invite: { display_name: 'm' } }), 'member.invite.3pid.no-signed'),
      no(inv({ third_party_invite: { signed: { mxid: MALLORY } } }), 'member.invite.3pid.signed-fields'),
      no(inv({ third_party_invite: { signed: signed(k1, CAROL) } }), 'member.invite.3pid.mxid'),
      no(inv({ third_party_invite: { signed: signed(k1, MALLORY, 'other') } }), 'member.invite.3pid.no-invite-event'),
      no(inv({ third_party_invite: { signed: signed(k1) } }, ALICE), 'member.invite.3pid.sender'),
      no(inv({ third_party_invite: { signed: signed(kOther) } }), 'member.invite.3pid.bad-signature', 'signed with a key the invite does not list'),
      no(inv({ third_party_invite: { signed: { ...signed(k1), mxid: MALLORY, token, sender: CAROL } } }), 'member.invite.3pid.bad-signature', 'signed content altered'),
    ]);
  }

  // --- leave ----------------------------------------------------------------------------------------
  {
    const allowed = [
      ok(b.member(ERIN, 'leave'), 'member.leave.self', 'rejecting an invite'),
      ok(b.member(CAROL, 'leave'), 'member.leave.self'),
      ok(b.member(CAROL, 'leave', BOB), 'member.leave.kick'),
      ok(b.member(DAVE, 'leave', BOB), 'member.leave.kick', 'unban: bob has the ban and kick levels'),
      ok(b.member(BOB, 'leave', ALICE), 'member.leave.kick'),
    ];
    const not = [
      no(b.member(MALLORY, 'leave'), 'member.leave.self', 'never in the room'),
      no(b.member(DAVE, 'leave'), 'member.leave.self', 'banned users cannot unban themselves'),
      no(b.member(CAROL, 'leave', ERIN), 'member.leave.sender-not-joined'),
      no(b.member(DAVE, 'leave', CAROL), 'member.leave.unban-power'),
      no(b.member(BOB, 'leave', CAROL), 'member.leave.other', 'carol has 0, kicking needs 50'),
      no(b.member(PEER, 'leave', BOB), 'member.leave.other', 'peer has the same level as bob'),
      no(b.member(ALICE, 'leave', BOB), 'member.leave.other', 'alice outranks bob'),
    ];
    if (r.knockJoinRule) allowed.push(ok(b.member(FRANK, 'leave'), 'member.leave.self', 'withdrawing a knock'));
    g('leave', base, allowed, not);
  }

  // --- ban ------------------------------------------------------------------------------------------
  g('ban', base, [ok(b.member(CAROL, 'ban', BOB), 'member.ban.allow'), ok(b.member(MALLORY, 'ban', BOB), 'member.ban.allow')], [
    no(b.member(CAROL, 'ban', ERIN), 'member.ban.sender-not-joined'),
    no(b.member(BOB, 'ban', CAROL), 'member.ban.power'),
    no(b.member(PEER, 'ban', BOB), 'member.ban.power', 'same level'),
  ]);

  // --- knock (v7+) ----------------------------------------------------------------------------------
  if (r.knockJoinRule) {
    g('knock', b.state('knock'), [ok(b.member(MALLORY, 'knock'), 'member.knock.allow')], [
      no(b.member(MALLORY, 'knock', BOB), 'member.knock.sender-not-target'),
      no(b.member(ERIN, 'knock'), 'member.knock.membership', 'already invited'),
      no(b.member(CAROL, 'knock'), 'member.knock.membership', 'already joined'),
      no(b.member(DAVE, 'knock'), 'member.knock.membership', 'banned'),
    ]);
    g('knock: other join rules', base, [], [no(b.member(MALLORY, 'knock'), 'member.knock.join-rule')]);
    if (r.knockRestrictedJoinRule) {
      g('knock: knock_restricted', b.state('knock_restricted'), [ok(b.member(MALLORY, 'knock'), 'member.knock.allow')], []);
    } else {
      g('knock: knock_restricted unknown in this version', b.state('knock_restricted'), [], [no(b.member(MALLORY, 'knock'), 'member.knock.join-rule')]);
    }
  }

  // --- other events ----------------------------------------------------------------------------------
  g('other events', base, [
    ok(b.ev('m.room.message', CAROL, { body: 'hello' }), 'allow.default'),
    ok(b.ev('m.room.name', BOB, { name: 'x' }, { state_key: '' }), 'allow.default'),
    ok(b.ev('org.example.state', BOB, {}, { state_key: BOB }), 'allow.default'),
    ok(b.ev('m.room.third_party_invite', BOB, { public_key: 'x' }, { state_key: 't' }), 'third-party-invite.power'),
    ok(b.ev('m.room.redaction', ALICE, {}, { extra: { redacts: '$target:b.example' } }), r.eventFormat === 1 ? 'redaction.redact-level' : 'allow.default'),
  ], [
    no(b.ev('m.room.message', MALLORY, { body: 'spam' }), 'events.sender-not-joined'),
    no(b.ev('m.room.message', ERIN, { body: 'early' }), 'events.sender-not-joined', 'invited is not joined'),
    no(b.ev('m.room.message', DAVE, { body: 'evading' }), 'events.sender-not-joined'),
    no(b.ev('m.room.third_party_invite', CAROL, { public_key: 'x' }, { state_key: 't' }), 'third-party-invite.power'),
    no(b.ev('m.room.name', CAROL, { name: 'x' }, { state_key: '' }), 'events.sender-power'),
    no(b.ev('m.room.tombstone', BOB, { body: 'x' }, { state_key: '' }), 'events.sender-power'),
    no(b.ev('org.example.state', CAROL, {}, { state_key: '' }), 'events.sender-power', 'state_default 50'),
    no(b.ev('org.example.state', BOB, {}, { state_key: CAROL }), 'events.state-key-user'),
  ]);
  if (r.eventFormat === 1) {
    g('redactions (v1–v2)', base, [
      ok(b.ev('m.room.redaction', BOB, {}, { id: '$red1:b.example', extra: { redacts: '$target:b.example' } }), 'redaction.same-domain'),
    ], [
      no(b.ev('m.room.redaction', BOB, {}, { id: '$red2:b.example', extra: { redacts: '$target:a.example' } }), 'redaction.other'),
      no(b.ev('m.room.redaction', BOB, {}, { id: '$red3:b.example' }), 'redaction.other', 'no redacts'),
    ]);
  } else {
    g('redactions are ordinary events from v3', base, [ok(b.ev('m.room.redaction', BOB, {}, { extra: { redacts: '$target:a.example' }, ...(r.updatedRedactionRules ? {} : {}) }), 'allow.default')], []);
  }

  groups.push(...powerLevelGroups(r, b, base));
  if (r.privilegedCreators) groups.push(...creatorGroups(r, b));
  return {
    source: `Written from the authorization rules of room version ${r.id} (${specPage(r)}; matrix-spec content/rooms/), and the server-server API "Auth events selection" and "Checks performed on receipt of a PDU" (https://spec.matrix.org/v1.16/server-server-api/). Generated by test/matrix/auth/support/vector-cases.ts.`,
    room_version: r.id,
    groups,
  };
}

function powerLevelGroups(r: RoomVersionRules, b: RoomBuilder, base: JsonObject[]): VectorGroup[] {
  const groups: VectorGroup[] = [];
  const pl = (overrides: JsonObject, sender = BOB) => b.powerLevels(b.plContent(overrides), sender);
  const users = (u: JsonObject) => ({ users: { ...(b.plContent().users as JsonObject), ...u } });
  const allowed = [
    ok(pl({ ban: 40 }), 'power-levels.allow', 'lowering a level to below your own'),
    ok(pl(users({ [CAROL]: 40 })), 'power-levels.allow'),
    ok(pl(users({ [BOB]: 10 })), 'power-levels.allow', 'demoting yourself'),
    ok(pl({ events: { 'm.room.power_levels': 50, 'm.room.name': 50, 'm.room.tombstone': 100, 'm.room.topic': 50 } }), 'power-levels.allow'),
  ];
  const not = [
    no(pl(users({ bob: 50 })), 'power-levels.users-map', 'not a user id'),
    no(pl({ users: [BOB] }), 'power-levels.users-map'),
    no(pl(users({ [CAROL]: 'lots' })), 'power-levels.users-map'),
    no(pl({ redact: 40 }), 'power-levels.named.old-above-own', 'redact is 75'),
    no(pl({ ban: 60 }), 'power-levels.named.new-above-own'),
    no(pl({ events: { 'm.room.power_levels': 50, 'm.room.name': 50 } }), 'power-levels.events.old-above-own', 'removes tombstone (100)'),
    no(pl({ events: { 'm.room.power_levels': 50, 'm.room.name': 50, 'm.room.tombstone': 100, 'm.room.topic': 60 } }), 'power-levels.events.new-above-own'),
    no(pl(users({ [PEER]: 0 })), 'power-levels.users.old-at-or-above-own', 'peer has 50 like bob'),
    no(pl(users({ [CAROL]: 60 })), 'power-levels.users.new-above-own'),
    no(pl({ ban: 40 }, CAROL), 'events.sender-power', 'carol has 0, m.room.power_levels needs 50'),
  ];
  if (r.enforceIntPowerLevels) {
    not.push(no(pl({ ban: '40' }), 'power-levels.non-integer'), no(pl({ kick: 4.5 }), 'power-levels.non-integer'));
    not.push(no(pl({ events: { 'm.room.name': '50' } }), 'power-levels.events-map'), no(pl({ notifications: 'x' }), 'power-levels.events-map'));
    not.push(no(pl(users({ [CAROL]: '10' })), 'power-levels.users-map', 'strings are not integers from v10'));
  } else {
    allowed.push(ok(pl({ ban: '40', ...users({ [CAROL]: ' +10 ' }) }), 'power-levels.allow', 'integer strings are accepted before v10'));
    not.push(no(pl(users({ [CAROL]: '10.5' })), 'power-levels.users-map'));
    allowed.push(...notALevelAllowed(r, pl));
    not.push(...notALevelDenied(r, pl));
  }
  if (r.limitNotificationsPowerLevels) {
    not.push(no(pl({ notifications: { room: 60 } }), 'power-levels.events.new-above-own', 'notifications are checked from v6'));
  } else {
    allowed.push(ok(pl({ notifications: { room: 60 } }), 'power-levels.allow', 'notifications are not checked before v6'));
  }
  if (!r.strictCanonicalJson) allowed.push(ok(pl(users({ [CAROL]: 40.9 })), 'power-levels.allow', 'floats are truncated in v1–v5'));
  groups.push({ description: 'power levels changes', room_version: r.id, auth_events: base, allowed, not_allowed: not });

  if (!r.enforceIntPowerLevels) {
    groups.push({
      description: 'before v10: the current power levels hold a value that is not a level',
      room_version: r.id,
      auth_events: b.state('invite', { pl: b.plContent({ ban: 'foo' }) }),
      allowed: [ok(b.ev('m.room.name', BOB, { name: 'x' }, { state_key: '' }), 'allow.default', 'other events read ban only through its default')],
      not_allowed: [
        no(pl({ ban: 'foo', kick: 40 }), 'power-levels.value-not-a-level', 'the current ban "foo" cannot be compared, changed or not'),
        no(pl({ ban: 40 }), 'power-levels.value-not-a-level', 'replacing "foo" needs its current value compared'),
      ],
    });
  }

  const noPl = b.state('invite', { pl: null });
  const first = [ok(b.powerLevels(b.plContent({ ban: 1000 })), 'power-levels.first', 'alice (creator) has 100 with no power levels')];
  if (!r.enforceIntPowerLevels) {
    first.push(ok(b.powerLevels(b.plContent({ ban: 'foo' })), 'power-levels.first', 'before v10 the first power levels event is allowed before any value is compared, as Synapse does'));
  }
  groups.push({
    description: 'first power levels event',
    room_version: r.id,
    auth_events: noPl,
    allowed: first,
    not_allowed: [
      no(b.powerLevels(b.plContent(), BOB), 'events.sender-power', 'bob has 0 without a power levels event, state_default is 50'),
      no(b.ev('m.room.name', BOB, { name: 'x' }, { state_key: '' }), 'events.sender-power'),
    ],
  });
  return groups;
}

function creatorGroups(r: RoomVersionRules, b: RoomBuilder): VectorGroup[] {
  const create = b.create({ additional_creators: [ZED] });
  const st = b.state('invite', { create, extra: [b.member(ZED, 'join')] });
  const plc = (u: JsonObject, sender: string) => b.powerLevels(b.plContent({ users: { [BOB]: 50, [PEER]: 50, ...u } }), sender);
  return [
    {
      description: 'v12 creators have unlimited power',
      room_version: r.id,
      auth_events: st,
      allowed: [
        ok(b.member(BOB, 'ban', ZED), 'member.ban.allow', 'an additional creator outranks everyone'),
        ok(plc({ [CAROL]: 1_000_000 }, ALICE), 'power-levels.allow', 'the creator can grant any level'),
        ok(b.ev('m.room.tombstone', ZED, { body: 'x' }, { state_key: '' }), 'allow.default'),
      ],
      not_allowed: [
        no(b.member(ZED, 'ban', BOB), 'member.ban.power', 'bob cannot ban a creator'),
        no(b.member(ALICE, 'leave', PEER), 'member.leave.other', 'nor kick one'),
        no(plc({ [ZED]: 100 }, ALICE), 'power-levels.creator-in-users', 'an additional creator listed'),
        no(plc({ [ALICE]: 100 }, ALICE), 'power-levels.creator-in-users', 'the creator listed'),
      ],
    },
  ];
}

type PlMaker = (overrides: JsonObject, sender?: string) => JsonObject;
const PL_EVENTS = { 'm.room.power_levels': 50, 'm.room.name': 50, 'm.room.tombstone': 100 };

/**
 * v1–v9: values the comparisons can read (integers, integer strings in the spec's format as
 * Python's int() reads them, v1–v5 floats truncated), compared as the integers they hold.
 */
function notALevelAllowed(r: RoomVersionRules, pl: PlMaker): VectorCase[] {
  const out = [
    ok(pl({ kick: '50', state_default: ' 050 ', events: { ...PL_EVENTS, 'm.room.tombstone': '100', 'm.room.topic': '+20' } }), 'power-levels.allow',
      'integer strings compare as their integers: "100" for 100 is no change, "+20" is below bob\'s 50'),
  ];
  if (r.limitNotificationsPowerLevels) out.push(ok(pl({ notifications: { room: ' 20' } }), 'power-levels.allow', 'a notifications integer string'));
  else out.push(ok(pl({ notifications: { room: 'foo' } }), 'power-levels.allow', 'notifications are not read before v6'));
  if (!r.strictCanonicalJson) out.push(ok(pl({ kick: 49.9 }), 'power-levels.allow', 'a float is truncated (49), as int() does'));
  return out;
}

/**
 * v1–v9, 'power-levels.value-not-a-level': a present named level, events or (v6+) notifications
 * value the comparisons cannot read. Synapse's int() raises on each ("5.0", "1e2" and true aside:
 * int(True) is 1, but the spec, ruma and gomatrixserverlib do not take a boolean as a level).
 */
function notALevelDenied(r: RoomVersionRules, pl: PlMaker): VectorCase[] {
  const rule = 'power-levels.value-not-a-level';
  const out = [
    no(pl({ ban: 'foo' }), rule, 'a named level that is not a number'),
    no(pl({ redact: '75.0' }), rule, 'a decimal string, even one equal to the current 75'),
    no(pl({ invite: '1e1' }), rule, 'exponent notation in a string'),
    no(pl({ kick: true }), rule, 'a boolean'),
    no(pl({ users_default: null }), rule, 'null'),
    no(pl({ events: { ...PL_EVENTS, 'm.room.topic': 'foo' } }), rule, 'an events value'),
    no(pl({ events: ['m.room.name'] }), rule, 'events is not an object'),
  ];
  if (r.limitNotificationsPowerLevels) out.push(no(pl({ notifications: { room: 'foo' } }), rule, 'a notifications value (v6+)'));
  if (r.strictCanonicalJson) out.push(no(pl({ kick: 4.5 }), rule, 'floats are not levels from v6'));
  return out;
}
