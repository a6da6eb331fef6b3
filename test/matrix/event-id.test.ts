import { describe, it, expect } from 'vitest';
import { computeEventId, pduFromJson, roomIdForCreateEvent } from '../../src/matrix/event-id.js';
import { checkContentHash, computeContentHash, computeReferenceHash } from '../../src/matrix/hashes.js';
import { MatrixFormatError } from '../../src/matrix/matrix-format-error.js';
import type { JsonObject } from '../../src/matrix/pdu.js';
import { roomVersionRules } from '../../src/matrix/room-versions.js';
import { loadVector } from './vectors.js';

type Cases = { cases: { name: string; event: JsonObject; ids: Record<string, string> }[] };
const { cases } = loadVector<Cases>('event-id/known-ids.json');

describe('computeEventId: known ids from other implementations', () => {
  for (const c of cases) {
    for (const [version, id] of Object.entries(c.ids)) {
      it(`${c.name}: room v${version} → ${id}`, () => {
        expect(computeEventId(c.event, roomVersionRules(version))).toBe(id);
      });
    }
  }
  it('format 2 (v3) ids use the standard alphabet, formats 3/4 the URL-safe one', () => {
    const jki = cases.find((c) => c.name.includes('jki.re'))!.event;
    expect(computeEventId(jki, roomVersionRules('3'))).toContain('/');
    for (const v of ['4', '5', '6', '7', '8', '9', '10']) {
      expect(computeEventId(jki, roomVersionRules(v))).toBe('$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438');
    }
  });
  it('the content hash of the real events matches their hashes.sha256', () => {
    for (const c of cases) {
      if (c.name.includes('redacted')) continue;
      expect(checkContentHash(c.event), c.name).toMatchObject({ ok: true });
    }
  });
});

describe('computeEventId: properties', () => {
  const event: JsonObject = {
    type: 'm.room.message',
    room_id: '!r:x',
    sender: '@a:x',
    content: { body: 'hello' },
    depth: 5,
    origin_server_ts: 1,
    prev_events: ['$p'],
    auth_events: ['$a'],
    hashes: { sha256: 'abc' },
  };
  it('ignores signatures, unsigned and redactable content', () => {
    const rules = roomVersionRules('10');
    const id = computeEventId(event, rules);
    expect(id).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
    const noisy = { ...event, content: { body: 'other' }, unsigned: { age: 9 }, signatures: { x: { 'ed25519:1': 's' } }, junk: 1 };
    expect(computeEventId(noisy, rules)).toBe(id);
    expect(computeEventId({ ...event, depth: 6 }, rules)).not.toBe(id);
  });
  it('v11 redacts origin, so origin does not change the id; before v11 it does', () => {
    const withOrigin = { ...event, origin: 'elsewhere' };
    expect(computeEventId(withOrigin, roomVersionRules('11'))).toBe(computeEventId(event, roomVersionRules('11')));
    expect(computeEventId(withOrigin, roomVersionRules('10'))).not.toBe(computeEventId(event, roomVersionRules('10')));
  });
  it('hashes events with out-of-range integers exactly (relaxed, as Synapse)', () => {
    const big = { ...event, depth: 18446744073709551615n as unknown as number };
    expect(computeEventId(big, roomVersionRules('10'))).toMatch(/^\$/);
    expect(computeReferenceHash(big, roomVersionRules('10'))).toHaveLength(32);
    expect(() => computeEventId({ ...event, depth: 1.5 }, roomVersionRules('10'))).toThrow(/depth: floats/);
  });
  it('format 1 takes event_id from the JSON and requires it', () => {
    expect(computeEventId({ ...event, event_id: '$abc:x' }, roomVersionRules('2'))).toBe('$abc:x');
    expect(() => computeEventId(event, roomVersionRules('1'))).toThrow(MatrixFormatError);
  });
  it('pduFromJson builds the normalised view with the computed id', () => {
    const rules = roomVersionRules('9');
    const pdu = pduFromJson(event, rules, { rejected: true });
    expect(pdu.event_id).toBe(computeEventId(event, rules));
    expect(pdu).toMatchObject({ type: 'm.room.message', sender: '@a:x', depth: 5, prev_events: ['$p'], rejected: true });
  });
});

describe('roomIdForCreateEvent (v12)', () => {
  const create: JsonObject = {
    type: 'm.room.create',
    state_key: '',
    sender: '@alice:x',
    content: { room_version: '12' },
    depth: 1,
    origin_server_ts: 1700000000000,
    prev_events: [],
    auth_events: [],
    hashes: { sha256: 'h' },
  };
  it('is ! + the create event id without $, and pduFromJson derives the same room id', () => {
    const rules = roomVersionRules('12');
    const id = computeEventId(create, rules);
    const roomId = roomIdForCreateEvent(create, rules);
    expect(roomId).toBe('!' + id.slice(1));
    expect(pduFromJson(create, rules).room_id).toBe(roomId);
    // a stray room_id on a v12 create event is not part of its hash (Synapse, MSC4291)
    expect(roomIdForCreateEvent({ ...create, room_id: '!other:x' }, rules)).toBe(roomId);
  });
  it('refuses other room versions and other event types', () => {
    expect(() => roomIdForCreateEvent(create, roomVersionRules('11'))).toThrow(MatrixFormatError);
    expect(() => roomIdForCreateEvent({ ...create, type: 'm.room.member' }, roomVersionRules('12'))).toThrow(MatrixFormatError);
  });
});

describe('content hash', () => {
  it('excludes unsigned, signatures and hashes but covers everything else', () => {
    const e: JsonObject = { type: 'X', content: { a: 1 }, hashes: { sha256: 'abcd' } };
    const h = computeContentHash(e);
    expect(computeContentHash({ ...e, unsigned: { age: 1 }, signatures: {}, hashes: {} })).toBe(h);
    expect(computeContentHash({ ...e, content: { a: 2 } })).not.toBe(h);
    expect(checkContentHash({ ...e, hashes: { sha256: h } })).toEqual({ computed: h, expected: h, ok: true });
    expect(checkContentHash(e)).toMatchObject({ expected: 'abcd', ok: false });
    expect(checkContentHash({ ...e, hashes: {} })).toMatchObject({ expected: undefined, ok: false });
  });
  it('compares decoded bytes: padded or URL-safe spellings of the right hash pass', () => {
    const e: JsonObject = { type: 'X', content: {} };
    const h = computeContentHash(e);
    const urlSafe = h.replace(/\+/g, '-').replace(/\//g, '_') + '=';
    expect(checkContentHash({ ...e, hashes: { sha256: urlSafe } }).ok).toBe(true);
    expect(checkContentHash({ ...e, hashes: { sha256: 'not base64!' } })).toMatchObject({ expected: undefined, ok: false });
  });
});
