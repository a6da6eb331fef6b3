/**
 * Hostile JSON documents for the `pdu` commands. `valid` marks documents that are well-formed JSON
 * objects (a command may then give a result); the others must be refused as malformed input.
 */
const ev = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  room_id: '!r:a.test', type: 'm.room.message', sender: '@a:a.test', content: { body: 'x' }, depth: 1,
  origin_server_ts: 1000, prev_events: [], auth_events: [], hashes: { sha256: 'AAAA' }, signatures: {}, ...fields,
});
const j = (v: unknown): string => JSON.stringify(v);

export interface HostileInput {
  name: string;
  text: string;
  /** A JSON object (commands may succeed on it); false: not a JSON object document at all. */
  object: boolean;
}

export const BIG_EVENT = j(ev({ content: { body: 'x'.repeat(3_000_000) } }));

export function hostileInputs(): HostileInput[] {
  const o = (name: string, text: string): HostileInput => ({ name, text, object: true });
  const x = (name: string, text: string): HostileInput => ({ name, text, object: false });
  return [
    x('10,000 nested arrays', '['.repeat(10_000) + ']'.repeat(10_000)),
    o('10,000 nested objects in content', j(ev()).replace('"content":{"body":"x"}', '"content":' + '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000))),
    o('a 500,000-element array', j(ev({ content: { a: new Array(500_000).fill(1) } }))),
    o('a 3 MB string', BIG_EVENT),
    o('1e400', j(ev()).replace('"depth":1', '"depth":1e400')),
    o('-0', j(ev()).replace('"depth":1', '"depth":-0')),
    o('1.0', j(ev()).replace('"depth":1', '"depth":1.0')),
    o('123456789012345678901234567890', j(ev()).replace('"depth":1', '"depth":123456789012345678901234567890')),
    o('a float in content', j(ev()).replace('"body":"x"', '"body":0.5')),
    o('__proto__ and constructor keys', j(ev()).replace('"content":{', '"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"content":{"__proto__":{"polluted":1},')),
    o('__proto__ as server name in signatures', j(ev()).replace('"signatures":{}', '"signatures":{"__proto__":{"ed25519:1":"AAAA"},"constructor":{"polluted":"x"}}')),
    o('a lone surrogate', j(ev()).replace('"body":"x"', '"body":"\\ud800"')),
    o('a lone surrogate in a key', j(ev()).replace('"body":"x"', '"\\udc00":1')),
    o('NUL characters', j(ev({ type: 'm.\u0000room', content: { '\u0000': '\u0000' } }))),
    x('a raw NUL after the document', j(ev()) + '\u0000'),
    x('a BOM at the start', '\ufeff' + j(ev())),
    x('trailing garbage', j(ev()) + ' }{'),
    x('terminal escapes in garbage', '{"a":\u001b[31mred}'),
    x('an empty file', ''),
    x('only whitespace', ' \n\t '),
    x('a JSON array', '[1,2,3]'),
    x('a JSON string', '"an event"'),
    x('a number', '42'),
    x('null', 'null'),
    x('truncated', j(ev()).slice(0, 40)),
    o('content an array', j(ev({ content: [] }))),
    o('content a string', j(ev({ content: 'x' }))),
    o('state_key a number', j(ev({ state_key: 5 }))),
    o('type a number', j(ev({ type: 5 }))),
    o('sender without a server name', j(ev({ sender: 'alice' }))),
    o('sender an object', j(ev({ sender: {} }))),
    o('auth_events strings of garbage', j(ev({ auth_events: ['\u0000', 'garbage', '$$$:::'] }))),
    o('auth_events numbers', j(ev({ auth_events: [1, null, {}] }))),
    o('prev_events an object', j(ev({ prev_events: { $a: 1 } }))),
    o('origin_server_ts a string', j(ev({ origin_server_ts: 'yesterday' }))),
    o('hashes a string', j(ev({ hashes: 'x' }))),
    o('signatures an array', j(ev({ signatures: [1] }))),
    o('signatures with non-string values', j(ev({ signatures: { 'a.test': { 'ed25519:1': 5, 'x:y': null } } }))),
    o('unsigned an array', j(ev({ unsigned: [] }))),
    o('event_id with odd characters', j(ev({ event_id: '$\u202e\u0000/../;DROP TABLE events;--:a.test' }))),
    o('event_id a number', j(ev({ event_id: 5 }))),
    o('room_id missing', j({ ...ev(), room_id: undefined })),
    o('membership a number', j(ev({ type: 'm.room.member', state_key: '@a:a.test', content: { membership: 5 } }))),
    o('join_authorised_via_users_server a number', j(ev({ type: 'm.room.member', state_key: '@a:a.test', content: { membership: 'join', join_authorised_via_users_server: 5 } }))),
    o('third_party_invite a string', j(ev({ type: 'm.room.member', state_key: '@a:a.test', content: { membership: 'invite', third_party_invite: 'x' } }))),
    o('power levels of the wrong types', j(ev({ type: 'm.room.power_levels', state_key: '', content: { users: 'x', events: [1], ban: '1e400', users_default: 1.5 } }))),
    o('create with wrong types', j(ev({ type: 'm.room.create', state_key: '', content: { creator: 5, room_version: [], additional_creators: 'x' } }))),
    o('redaction with redacts a number', j(ev({ type: 'm.room.redaction', redacts: 5, content: { redacts: {} } }))),
  ];
}

export const ROOM_VERSIONS = ['1', '5', '10', '12'];
export const BAD_ROOM_VERSIONS = ['13', 'bogus', '', '__proto__', '1.0', '\u001b[31m'];
