/**
 * `pdu` input read from a Synapse database (read-only: it gets a ReadStore): one event as stored,
 * its auth events in the form `pdu auth --auth-events` reads, and the verify keys this server stored
 * (for `pdu verify --keys-from-db`). Kept out of ./index.ts, whose tools are pure.
 *
 * The event is `event_json.json` as Synapse wrote it, `unsigned` included: every `pdu` tool ignores
 * `unsigned` as the spec's algorithms do (ids, hashes and signatures are computed without it), and
 * events of room versions 3+ carry no `event_id` (adding one would change their reference hash).
 */
import { SynapseDoctorError } from '../errors.js';
import { toPdu, type JsonObject } from '../matrix/pdu.js';
import type { KeyRing } from '../matrix/signatures.js';
import { impliedCreateEventId } from '../matrix/ids.js';
import type { ReadStore } from '../store/open.js';
import { findEventsByIds, type StoredEventRow } from '../store/readers/rejections.js';
import { keyRing, parseRaw, rulesOf } from '../rejections/find.js';
import { asInput, printable } from './json-text.js';

/** An entry of an `--auth-events` list: the event, or the event wrapped and marked rejected. */
export type AuthEventEntry = JsonObject | { event: JsonObject; rejected: true };

export interface StoredEventInput {
  readonly format: 1;
  readonly event_id: string;
  readonly room_id: string;
  /** rooms.room_version (null when Synapse has none for the room). */
  readonly room_version: string | null;
  readonly type: string;
  /** rejections.reason (events.rejection_reason from schema 95); null: accepted. */
  readonly rejected: string | null;
  readonly outlier: boolean;
  /** The stored JSON. */
  readonly event: JsonObject;
  /** With `withAuthEvents`: the auth events this database holds, in the order the event cites them (v12: the create event last when not cited). */
  readonly auth_events?: readonly AuthEventEntry[];
  /** With `withAuthEvents`: auth events it cites that this database does not hold. */
  readonly missing_auth_events?: readonly string[];
}

function storedJson(row: StoredEventRow): JsonObject {
  const raw = parseRaw(row);
  if (!raw) throw new SynapseDoctorError('BAD_EVENT_JSON', printable(`the stored JSON of ${row.event_id} (event_json.json) is not a JSON object`));
  return raw;
}

/** One event from the database as `pdu` input; EVENT_NOT_FOUND (exit 3) when it is not stored. */
export async function storedEventInput(store: ReadStore, eventId: string, options: { withAuthEvents?: boolean } = {}): Promise<StoredEventInput> {
  const caps = store.schema.capabilities;
  const row = (await findEventsByIds(store.main, caps, [eventId])).get(eventId);
  if (!row) throw new SynapseDoctorError('EVENT_NOT_FOUND', printable(`event ${eventId} is not in this database`));
  const event = storedJson(row);
  const base = { format: 1 as const, event_id: row.event_id, room_id: row.room_id, room_version: row.room_version, type: row.type, rejected: row.rejection, outlier: row.outlier, event };
  if (!options.withAuthEvents) return base;

  const rules = rulesOf(row.room_version, row.room_id);
  const pdu = asInput(`the stored event ${eventId}`, () => toPdu(event, rules, eventId));
  const ids = [...pdu.auth_events];
  // v12 events no longer cite the create event; pdu auth needs it
  if (rules.roomIdFromCreateEvent && pdu.type !== 'm.room.create') {
    const create = impliedCreateEventId(pdu.room_id);
    if (!ids.includes(create)) ids.push(create);
  }
  const rows = await findEventsByIds(store.main, caps, ids);
  const auth: AuthEventEntry[] = [];
  const missing: string[] = [];
  for (const id of new Set(ids)) {
    const r = rows.get(id);
    if (!r) {
      missing.push(id);
      continue;
    }
    const json = storedJson(r);
    auth.push(r.rejection !== null ? { event: json, rejected: true } : json);
  }
  return { ...base, auth_events: auth, missing_auth_events: missing };
}

/** The verify keys this server stored for other servers (`server_signature_keys`), as a KeyRing. */
export function storedKeyRing(store: ReadStore): Promise<KeyRing> {
  return keyRing(store);
}
