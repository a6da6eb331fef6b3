/**
 * The rows Synapse writes only for events it accepts (synapse/storage/databases/main/events.py
 * `_update_metadata_tables_txn` and `_store_room_members_txn`, skipped for rejected events):
 * event_edges, room_memberships, event_search, event_relations and redactions; `threads` is kept
 * per thread (its latest event), see `threadCandidate`. One derivation for every writer: the
 * simulator (an event accepted on arrival) and `unreject` (an event accepted after the fact).
 */
import { isJsonObject, type Pdu } from '../../matrix/pdu.js';
import type { EventSearchRow, SynapseRow } from './synapse-rows.js';

export interface AcceptedEvent {
  readonly pdu: Pdu;
  readonly roomId: string;
  readonly streamOrdering: number;
  /** events.received_ts: also the redaction's received_ts. */
  readonly receivedTs: number;
  /** internal_metadata.recheck_redaction (redactions.recheck, v94). */
  readonly recheckRedaction?: boolean;
}

export interface AcceptedRows {
  /** Table → rows, tables in insert order. */
  readonly tables: ReadonlyArray<readonly [table: string, row: SynapseRow]>;
  readonly search?: EventSearchRow;
}

/** The tables `acceptedEventRows` may write, in insert order (events first for FKs and triggers). */
export const ACCEPTED_ONLY_TABLES = ['event_edges', 'room_memberships', 'event_relations', 'redactions'] as const;

/** `non_null_str_or_none` (synapse/util/stringutils.py): a string without NUL, else null. */
function nonNullStr(v: unknown): string | null {
  return typeof v === 'string' && !v.includes('\u0000') ? v : null;
}

/** synapse/storage/databases/main/search.py: the content field indexed per event type. */
const SEARCHABLE: Readonly<Record<string, string>> = { 'm.room.message': 'body', 'm.room.name': 'name', 'm.room.topic': 'topic' };

export function acceptedEventRows(e: AcceptedEvent): AcceptedRows {
  const { pdu, roomId } = e;
  const tables: Array<readonly [string, SynapseRow]> = [];
  for (const prev of pdu.prev_events) tables.push(['event_edges', { event_id: pdu.event_id, prev_event_id: prev }]);
  const content = pdu.content;
  if (pdu.type === 'm.room.member' && pdu.state_key !== undefined && typeof content.membership === 'string') {
    tables.push(['room_memberships', {
      event_id: pdu.event_id,
      user_id: pdu.state_key,
      sender: pdu.sender,
      room_id: roomId,
      membership: content.membership,
      forgotten: 0,
      display_name: nonNullStr(content.displayname),
      avatar_url: nonNullStr(content.avatar_url),
      event_stream_ordering: e.streamOrdering,
      participant: false,
    }]);
  }
  const rel = relationOf(pdu);
  if (rel) {
    tables.push(['event_relations', {
      event_id: pdu.event_id,
      relates_to_id: rel.eventId,
      relation_type: rel.relType,
      aggregation_key: rel.relType === 'm.annotation' && rel.key !== undefined ? rel.key : null,
    }]);
  }
  if (pdu.type === 'm.room.redaction' && pdu.redacts !== undefined) {
    tables.push(['redactions', { event_id: pdu.event_id, redacts: pdu.redacts, have_censored: false, received_ts: e.receivedTs, recheck: e.recheckRedaction === true }]);
  }
  const field = SEARCHABLE[pdu.type];
  const search = field !== undefined && typeof content[field] === 'string'
    ? { event_id: pdu.event_id, room_id: roomId, key: `content.${field}`, value: content[field] as string, origin_server_ts: pdu.origin_server_ts, stream_ordering: e.streamOrdering }
    : undefined;
  return { tables, ...(search ? { search } : {}) };
}

/** `m.relates_to` as Synapse reads it (events.py `_handle_event_relations`): rel_type and event_id strings. */
export function relationOf(pdu: Pdu): { relType: string; eventId: string; key?: string } | undefined {
  const rel = pdu.content['m.relates_to'];
  if (!isJsonObject(rel) || typeof rel.rel_type !== 'string' || typeof rel.event_id !== 'string') return undefined;
  return { relType: rel.rel_type, eventId: rel.event_id, ...(typeof rel.key === 'string' ? { key: rel.key } : {}) };
}

export interface ThreadPosition {
  readonly threadId: string;
  readonly eventId: string;
  readonly topologicalOrdering: number;
  readonly streamOrdering: number;
}

/** The thread an accepted event updates (`m.thread` relations), as a candidate for `threads.latest_event_id`. */
export function threadCandidate(e: AcceptedEvent): ThreadPosition | undefined {
  const rel = relationOf(e.pdu);
  if (!rel || rel.relType !== 'm.thread') return undefined;
  return { threadId: rel.eventId, eventId: e.pdu.event_id, topologicalOrdering: e.pdu.depth, streamOrdering: e.streamOrdering };
}

/** Synapse keeps the thread's latest event by (topological ordering, stream ordering). */
export function laterInThread(a: ThreadPosition, b: ThreadPosition | undefined): boolean {
  return !b || a.topologicalOrdering > b.topologicalOrdering || (a.topologicalOrdering === b.topologicalOrdering && a.streamOrdering > b.streamOrdering);
}

export function threadRow(roomId: string, t: ThreadPosition): SynapseRow {
  return { room_id: roomId, thread_id: t.threadId, latest_event_id: t.eventId, topological_ordering: t.topologicalOrdering, stream_ordering: t.streamOrdering };
}
