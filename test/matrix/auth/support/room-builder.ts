/**
 * Builds raw events and room states for the authorization-rule vectors. Deterministic: the same
 * room version always yields the same JSON (ids are counters, the Ed25519 signatures for
 * third-party invites come from a fixed seed and Ed25519 is deterministic).
 */
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import type { JsonObject, JsonValue } from '../../../../src/matrix/pdu.js';
import type { RoomVersionRules } from '../../../../src/matrix/room-versions.js';

export const ALICE = '@alice:a.example'; // the creator
export const BOB = '@bob:b.example'; // moderator, 50
export const CAROL = '@carol:c.example'; // joined, 0
export const PEER = '@peer:p.example'; // joined, 50 (same as bob)
export const DAVE = '@dave:d.example'; // banned
export const ERIN = '@erin:e.example'; // invited
export const FRANK = '@frank:f.example'; // knocked (v7+)
export const MALLORY = '@mallory:m.example'; // never in the room
export const ZED = '@zed:z.example'; // v12 additional creator (in some groups)

export interface VectorCase {
  event: JsonObject;
  rule: string;
  note?: string;
}
export interface VectorGroup {
  description: string;
  room_version: string;
  /** 'rules' (default): checkAuthRules on auth_events as a state map; 'auth-events': checkAuthEvents. */
  check?: 'rules' | 'auth-events';
  auth_events: JsonObject[];
  /** Ids of auth events to mark as rejected. */
  rejected?: string[];
  allowed: VectorCase[];
  not_allowed: VectorCase[];
}
export interface VectorFile {
  source: string;
  room_version: string;
  groups: VectorGroup[];
}

function domain(user: string): string {
  return user.slice(user.indexOf(':') + 1);
}

export function sortedJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson(value[k]!)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A fixed Ed25519 key made straight from node:crypto (independent of src/matrix/signatures.ts). */
export function testKey(seedByte: number): { publicKey: string; sign: (obj: JsonObject, server: string, keyId: string) => JsonObject } {
  const seed = Buffer.alloc(32, seedByte);
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const priv = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(priv).export({ format: 'der', type: 'spki' });
  const publicKey = spki.subarray(spki.length - 32).toString('base64').replace(/=+$/, '');
  return {
    publicKey,
    sign(obj, server, keyId) {
      const { signatures: _s, unsigned: _u, ...body } = obj;
      const sig = sign(null, Buffer.from(sortedJson(body), 'utf8'), priv).toString('base64').replace(/=+$/, '');
      return { ...obj, signatures: { [server]: { [keyId]: sig } } };
    },
  };
}

export class RoomBuilder {
  readonly roomId: string;
  readonly createId: string;
  private n = 0;
  readonly v12: boolean;

  constructor(
    readonly rules: RoomVersionRules,
    readonly tag: string,
  ) {
    this.v12 = rules.roomIdFromCreateEvent;
    this.createId = this.v12 ? `$${tag}CreateEventReferenceHash` : `$${tag}-create:a.example`;
    this.roomId = this.v12 ? '!' + this.createId.slice(1) : `!${tag}:a.example`;
  }

  id(sender: string): string {
    return `$${this.tag}-${++this.n}:${domain(sender)}`;
  }

  ev(
    type: string,
    sender: string,
    content: JsonObject,
    opts: { state_key?: string; prev?: string[]; id?: string; room?: string; auth?: string[]; extra?: JsonObject } = {},
  ): JsonObject {
    const e: JsonObject = {
      event_id: opts.id ?? this.id(sender),
      room_id: opts.room ?? this.roomId,
      type,
      sender,
      content,
      origin_server_ts: 1_700_000_000_000 + this.n,
      depth: 10,
      prev_events: opts.prev ?? [`$${this.tag}-prev:a.example`],
      auth_events: opts.auth ?? [],
      ...(opts.state_key !== undefined ? { state_key: opts.state_key } : {}),
      ...(opts.extra ?? {}),
    };
    return e;
  }

  create(content: JsonObject = {}, opts: { prev?: string[]; withRoomId?: boolean; id?: string } = {}): JsonObject {
    const c: JsonObject = { room_version: this.rules.id, ...(this.rules.implicitRoomCreator ? {} : { creator: ALICE }), ...content };
    const e = this.ev('m.room.create', ALICE, c, { state_key: '', prev: opts.prev ?? [], id: opts.id ?? this.createId });
    if (this.v12 && !opts.withRoomId) delete e.room_id;
    return e;
  }

  member(user: string, membership: string, sender = user, content: JsonObject = {}, opts: { prev?: string[]; extra?: JsonObject } = {}): JsonObject {
    return this.ev('m.room.member', sender, { membership, ...content }, { state_key: user, ...opts });
  }

  /** Base power levels: alice 100 (absent in v12: she is the creator), bob 50, peer 50. */
  plContent(overrides: JsonObject = {}): JsonObject {
    const users: JsonObject = { [BOB]: 50, [PEER]: 50 };
    if (!this.v12) users[ALICE] = 100;
    return {
      users,
      users_default: 0,
      events: { 'm.room.power_levels': 50, 'm.room.name': 50, 'm.room.tombstone': 100 },
      events_default: 0,
      state_default: 50,
      ban: 50,
      kick: 50,
      redact: 75,
      invite: 10,
      ...overrides,
    };
  }

  powerLevels(content: JsonObject = this.plContent(), sender = ALICE): JsonObject {
    return this.ev('m.room.power_levels', sender, content, { state_key: '' });
  }

  joinRules(rule: string, extra: JsonObject = {}): JsonObject {
    return this.ev('m.room.join_rules', ALICE, { join_rule: rule, ...extra }, { state_key: '' });
  }

  /** The usual state: create, power levels, join rule `joinRule`, members. */
  state(joinRule = 'invite', opts: { create?: JsonObject; pl?: JsonObject | null; extra?: JsonObject[] } = {}): JsonObject[] {
    const out: JsonObject[] = [opts.create ?? this.create()];
    if (opts.pl !== null) out.push(this.powerLevels(opts.pl ?? this.plContent()));
    out.push(this.joinRules(joinRule));
    out.push(this.member(ALICE, 'join'), this.member(BOB, 'join'), this.member(CAROL, 'join'), this.member(PEER, 'join'));
    out.push(this.member(DAVE, 'ban', BOB), this.member(ERIN, 'invite', BOB));
    if (this.rules.knockJoinRule) out.push(this.member(FRANK, 'knock'));
    out.push(...(opts.extra ?? []));
    return out;
  }
}
