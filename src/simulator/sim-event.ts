/**
 * Building signed PDUs for the simulator: the fields a homeserver fills in when it creates an event
 * (synapse/events/builder.py), hashed and signed (server-server API "Adding hashes and signatures to
 * outgoing events"), with the id each room version defines.
 */
import { encodeBase64 } from '../matrix/base64.js';
import { pduFromJson } from '../matrix/event-id.js';
import { computeReferenceHash } from '../matrix/hashes.js';
import type { JsonObject, JsonValue, Pdu } from '../matrix/pdu.js';
import type { RoomVersionRules } from '../matrix/room-versions.js';
import { signEvent } from '../matrix/signatures.js';
import type { SigningKey } from '../matrix/signing-key.js';

/** One event as it travels between servers. */
export interface SimEvent {
  readonly eventId: string;
  /** The signed PDU as sent over federation (format 1: with `event_id`; later formats: without). */
  readonly json: JsonObject;
  readonly pdu: Pdu;
  /** The server that created and signed it. */
  readonly origin: string;
}

export interface EventFields {
  roomId: string | undefined;
  type: string;
  sender: string;
  content: JsonObject;
  stateKey?: string;
  prevEvents: readonly SimEvent[];
  authEvents: readonly SimEvent[];
  depth: number;
  originServerTs: number;
  /** Pre-v11 redactions carry `redacts` at the top level. */
  redacts?: string;
}

let counter = 0;

function reference(ev: SimEvent, rules: RoomVersionRules): JsonValue {
  if (rules.eventFormat !== 1) return ev.eventId;
  // v1/v2: [event_id, {sha256: reference hash}]
  return [ev.eventId, { sha256: encodeBase64(computeReferenceHash(ev.json, rules)) }];
}

/** Creates, hashes and signs an event; its id is computed for the room version. */
export function buildEvent(fields: EventFields, key: SigningKey, rules: RoomVersionRules): SimEvent {
  const json: JsonObject = {
    auth_events: fields.authEvents.map((e) => reference(e, rules)),
    prev_events: fields.prevEvents.map((e) => reference(e, rules)),
    type: fields.type,
    sender: fields.sender,
    content: fields.content,
    depth: fields.depth,
    origin_server_ts: fields.originServerTs,
  };
  if (fields.roomId !== undefined) json.room_id = fields.roomId;
  if (fields.stateKey !== undefined) json.state_key = fields.stateKey;
  if (fields.redacts !== undefined && !rules.updatedRedactionRules) json.redacts = fields.redacts;
  if (rules.eventFormat === 1) {
    counter += 1;
    json.event_id = `$sim${counter.toString(36)}${fields.originServerTs.toString(36)}:${key.serverName}`;
  }
  const signed = signEvent(json, key, rules);
  const pdu = pduFromJson(signed, rules, fields.roomId === undefined ? {} : { roomId: fields.roomId });
  return { eventId: pdu.event_id, json: signed, pdu, origin: key.serverName };
}
