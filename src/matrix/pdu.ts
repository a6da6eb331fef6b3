/**
 * A PDU as the protocol core sees it: the raw JSON (source of truth for hashes and signatures) plus a
 * normalised view of the fields every rule needs. Server-server API, "PDUs":
 * https://spec.matrix.org/v1.16/server-server-api/#pdus
 */
import { MatrixFormatError } from './matrix-format-error.js';
import { parseJson } from './canonical-json.js';
import { roomIdOfCreateEventId } from './ids.js';
import type { RoomVersionRules } from './room-versions.js';

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface Pdu {
  readonly event_id: string;
  readonly room_id: string;
  readonly type: string;
  /** Present only on state events (an empty string is a valid state key). */
  readonly state_key?: string;
  readonly sender: string;
  readonly content: JsonObject;
  readonly origin_server_ts: number;
  readonly depth: number;
  /** Plain event ids, whatever the event format writes (v1/v2 `[id, hashes]` pairs are unwrapped). */
  readonly prev_events: readonly string[];
  readonly auth_events: readonly string[];
  /** Redacted events keep `redacts` at the top level before v11 and in content from v11. */
  readonly redacts?: string;
  /** True when the local server rejected this event (input to auth rule "auth events not rejected"). */
  readonly rejected?: boolean;
  readonly raw: JsonObject;
}

/** Key of a state map entry: exact for any strings (a type may contain any character). */
/** Do two state maps (`stateKeyOf` key → event id) hold the same entries? */
export function sameStateMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** Parses a stored event's JSON into its raw object and its Pdu; undefined when it is not a valid event (hostile or damaged rows). */
export function parseStoredEvent(json: string, rules: RoomVersionRules, eventId: string): { raw: JsonObject; pdu: Pdu } | undefined {
  try {
    const raw = parseJson(json);
    if (!isJsonObject(raw)) return undefined;
    return { raw, pdu: toPdu(raw, rules, eventId) };
  } catch {
    return undefined;
  }
}

export function stateKeyOf(type: string, stateKey: string): string {
  return JSON.stringify([type, stateKey]);
}

/** Inverse of stateKeyOf: [type, state_key]. */
export function splitStateKey(key: string): [type: string, stateKey: string] {
  return JSON.parse(key) as [string, string];
}

/** A JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const pduKeys = new WeakMap<Pdu, string>();

/** stateKeyOf for a state event, memoised per PDU object (auth events are checked again and again). */
export function stateKeyOfPdu(pdu: Pdu & { readonly state_key: string }): string {
  let key = pduKeys.get(pdu);
  if (key === undefined) {
    key = stateKeyOf(pdu.type, pdu.state_key);
    pduKeys.set(pdu, key);
  }
  return key;
}

export function isStateEvent(pdu: Pick<Pdu, 'state_key'>): boolean {
  return pdu.state_key !== undefined;
}

function refIds(value: JsonValue | undefined, field: string, rules: RoomVersionRules): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new MatrixFormatError(`${field} must be an array`);
  return value.map((item) => {
    if (rules.eventFormat === 1) {
      // v1/v2: [event_id, {sha256: …}] pairs
      if (Array.isArray(item) && typeof item[0] === 'string') return item[0];
      if (typeof item === 'string') return item; // tolerated: some tools emit plain ids
      throw new MatrixFormatError(`${field} entries must be [event_id, hashes] pairs in this room version`);
    }
    if (typeof item !== 'string') throw new MatrixFormatError(`${field} entries must be event ids`);
    return item;
  });
}

/**
 * Builds the normalised view. `eventId` is required for formats 2+ (computed from the reference
 * hash by `computeEventId`), and taken from the JSON for format 1 when not given.
 */
export function toPdu(
  raw: JsonObject,
  rules: RoomVersionRules,
  eventId?: string,
  options: { rejected?: boolean; roomId?: string } = {},
): Pdu {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new MatrixFormatError('an event must be a JSON object');
  const str = (k: string, required = true): string | undefined => {
    const v = raw[k];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string') throw new MatrixFormatError(`event field ${k} must be a string`);
    return v;
  };
  const id = eventId ?? (typeof raw.event_id === 'string' ? raw.event_id : undefined);
  if (id === undefined) throw new MatrixFormatError('event id unknown: compute it with computeEventId for this room version');
  const type = str('type')!;
  const content = raw.content;
  if (content === null || typeof content !== 'object' || Array.isArray(content)) {
    throw new MatrixFormatError('event field content must be an object');
  }
  let roomId = typeof raw.room_id === 'string' ? raw.room_id : options.roomId;
  if (roomId === undefined && rules.roomIdFromCreateEvent && type === 'm.room.create') {
    roomId = roomIdOfCreateEventId(id); // v12: the room id is derived from the create event's id
  }
  if (roomId === undefined) throw new MatrixFormatError('event field room_id must be a string');
  const stateKey = raw.state_key;
  if (stateKey !== undefined && typeof stateKey !== 'string') throw new MatrixFormatError('state_key must be a string');
  const ts = raw.origin_server_ts;
  const depth = raw.depth;
  const redacts = typeof raw.redacts === 'string' ? raw.redacts : typeof content.redacts === 'string' ? content.redacts : undefined;
  return {
    event_id: id,
    room_id: roomId,
    type,
    ...(stateKey !== undefined ? { state_key: stateKey } : {}),
    sender: str('sender')!,
    content,
    // parseJson returns integers beyond 2^53 as bigint (old rooms allowed them); orderings only need
    // an approximate number.
    origin_server_ts: typeof ts === 'number' ? ts : typeof ts === 'bigint' ? Number(ts) : 0,
    depth: typeof depth === 'number' ? depth : typeof depth === 'bigint' ? Number(depth) : 0,
    prev_events: refIds(raw.prev_events, 'prev_events', rules),
    auth_events: refIds(raw.auth_events, 'auth_events', rules),
    ...(redacts !== undefined ? { redacts } : {}),
    ...(options.rejected ? { rejected: true } : {}),
    raw,
  };
}
