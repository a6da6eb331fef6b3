/**
 * The rows Synapse writes for one persisted event (synapse/storage/databases/main/events.py
 * `_persist_events_txn`): every event gets events, event_json, state_events (state), event_auth and
 * the chain cover (state), event_to_state_groups (non-outliers; a rejected event maps to the state
 * before it) and rejections (rejected); only non-rejected events get event_edges, room_memberships,
 * event_search, event_relations, threads and redactions.
 */
import { namedPowerLevelFrom, POWER_LEVELS_KEY, userPowerLevel } from '../matrix/auth/power-levels.js';
import { isJsonObject, type JsonObject, type Pdu } from '../matrix/pdu.js';
import type { EventSearchRow, SynapseRow } from '../store/writers/synapse-rows.js';
import type { RoomView, StoredEvent } from './room-view.js';

/** Rows grouped by table, plus the engine-specific search rows. */
export class RowBatch {
  readonly tables = new Map<string, SynapseRow[]>();
  readonly search: EventSearchRow[] = [];

  add(table: string, row: SynapseRow): void {
    let rows = this.tables.get(table);
    if (!rows) this.tables.set(table, (rows = []));
    rows.push(row);
  }

  get size(): number {
    let n = this.search.length;
    for (const rows of this.tables.values()) n += rows.length;
    return n;
  }
}

/** Insert order respecting foreign keys and the membership triggers (events first). */
export const TABLE_ORDER = [
  'events',
  'event_json',
  'state_events',
  'rejections',
  'event_edges',
  'event_auth',
  'event_auth_chains',
  'event_auth_chain_links',
  'event_to_state_groups',
  'room_memberships',
  'event_relations',
  'threads',
  'redactions',
];

/** `non_null_str_or_none` (synapse/util/stringutils.py): a string without NUL, else null. */
function nonNullStr(v: unknown): string | null {
  return typeof v === 'string' && !v.includes('\u0000') ? v : null;
}


/** Does a redaction need re-checking on load (internal_metadata.recheck_redaction)? */
function redactionNeedsRecheck(view: RoomView, s: StoredEvent): boolean {
  if (s.groupBefore === undefined) return false;
  const state = view.stateOfGroup(s.groupBefore);
  const authMap = new Map<string, Pdu>();
  for (const [k, id] of state) {
    const p = view.pdu(id);
    if (p) authMap.set(k, p);
  }
  const level = userPowerLevel(s.ev.pdu.sender, authMap, view.rules);
  return level < namedPowerLevelFrom('redact', authMap.get(POWER_LEVELS_KEY), view.rules);
}

export function internalMetadata(view: RoomView, s: StoredEvent): JsonObject {
  // Keys in the order Synapse sets them: recheck_redaction by the auth checks (event_auth.py
  // `check_redaction`), soft_failed afterwards by `_check_for_soft_fail`.
  const meta: JsonObject = {};
  if (s.ev.pdu.type === 'm.room.redaction' && s.rejectionReason === undefined && redactionNeedsRecheck(view, s)) {
    meta.recheck_redaction = true;
  }
  if (s.softFailed) meta.soft_failed = true;
  return meta;
}

/** The JSON Synapse stores: the PDU plus `unsigned` (age_ts, replaces_state). */
export function storedJson(s: StoredEvent): JsonObject {
  const unsigned: JsonObject = { age_ts: s.ev.pdu.origin_server_ts };
  if (s.replacesState !== undefined) unsigned.replaces_state = s.replacesState;
  return { ...s.ev.json, unsigned };
}

/** Adds the rows of one stored event to the batch. */
export function addEventRows(batch: RowBatch, view: RoomView, s: StoredEvent): void {
  const pdu = s.ev.pdu;
  const roomId = view.roomId;
  const rejected = s.rejectionReason !== undefined;
  const isState = pdu.state_key !== undefined;
  const meta = internalMetadata(view, s);
  batch.add('events', {
    stream_ordering: s.streamOrdering,
    topological_ordering: pdu.depth,
    event_id: pdu.event_id,
    type: pdu.type,
    room_id: roomId,
    processed: true,
    outlier: s.outlier,
    depth: pdu.depth,
    origin_server_ts: pdu.origin_server_ts,
    received_ts: s.receivedTs,
    sender: pdu.sender,
    contains_url: typeof pdu.content.url === 'string',
    instance_name: 'master',
    state_key: isState ? pdu.state_key! : null,
    rejection_reason: s.rejectionReason ?? null,
  });
  batch.add('event_json', {
    event_id: pdu.event_id,
    room_id: roomId,
    internal_metadata: JSON.stringify(meta),
    json: JSON.stringify(storedJson(s)),
    format_version: view.rules.eventFormat,
  });
  if (isState) {
    batch.add('state_events', { event_id: pdu.event_id, room_id: roomId, type: pdu.type, state_key: pdu.state_key! });
    for (const authId of view.authIds(s.ev)) batch.add('event_auth', { event_id: pdu.event_id, auth_id: authId, room_id: roomId });
    if (s.chain) {
      batch.add('event_auth_chains', { event_id: pdu.event_id, chain_id: s.chain.chainId, sequence_number: s.chain.sequenceNumber });
      for (const [chainId, seq] of s.chain.links) {
        batch.add('event_auth_chain_links', {
          origin_chain_id: s.chain.chainId,
          origin_sequence_number: s.chain.sequenceNumber,
          target_chain_id: chainId,
          target_sequence_number: seq,
        });
      }
    }
  }
  if (!s.outlier && s.groupAfter !== undefined) batch.add('event_to_state_groups', { event_id: pdu.event_id, state_group: s.groupAfter });
  if (rejected) {
    batch.add('rejections', { event_id: pdu.event_id, reason: s.rejectionReason!, last_check: String(s.receivedTs) });
    return;
  }
  for (const prev of pdu.prev_events) batch.add('event_edges', { event_id: pdu.event_id, prev_event_id: prev });
  const content = pdu.content;
  if (pdu.type === 'm.room.member' && isState && typeof content.membership === 'string') {
    batch.add('room_memberships', {
      event_id: pdu.event_id,
      user_id: pdu.state_key!,
      sender: pdu.sender,
      room_id: roomId,
      membership: content.membership,
      forgotten: 0,
      display_name: nonNullStr(content.displayname),
      avatar_url: nonNullStr(content.avatar_url),
      event_stream_ordering: s.streamOrdering,
      participant: false,
    });
  }
  const searchable: Record<string, string> = { 'm.room.message': 'body', 'm.room.name': 'name', 'm.room.topic': 'topic' };
  const field = searchable[pdu.type];
  if (field !== undefined && typeof content[field] === 'string') {
    batch.search.push({
      event_id: pdu.event_id,
      room_id: roomId,
      key: `content.${field}`,
      value: content[field] as string,
      origin_server_ts: pdu.origin_server_ts,
      stream_ordering: s.streamOrdering,
    });
  }
  const rel = content['m.relates_to'];
  if (isJsonObject(rel) && typeof rel.rel_type === 'string' && typeof rel.event_id === 'string') {
    batch.add('event_relations', {
      event_id: pdu.event_id,
      relates_to_id: rel.event_id,
      relation_type: rel.rel_type,
      aggregation_key: rel.rel_type === 'm.annotation' && typeof rel.key === 'string' ? rel.key : null,
    });
  }
  if (pdu.type === 'm.room.redaction' && pdu.redacts !== undefined) {
    batch.add('redactions', {
      event_id: pdu.event_id,
      redacts: pdu.redacts,
      have_censored: false,
      received_ts: s.receivedTs,
      recheck: meta.recheck_redaction === true,
    });
  }
}

/** `threads` rows: the latest (by topological, then stream ordering) event of each thread. */
export function threadRows(view: RoomView, stored: Iterable<StoredEvent>): SynapseRow[] {
  const latest = new Map<string, StoredEvent>();
  for (const s of stored) {
    if (s.rejectionReason !== undefined || s.outlier) continue;
    const rel = s.ev.pdu.content['m.relates_to'];
    if (!isJsonObject(rel) || rel.rel_type !== 'm.thread' || typeof rel.event_id !== 'string') continue;
    const cur = latest.get(rel.event_id);
    const key = (x: StoredEvent): [number, number] => [x.ev.pdu.depth, x.streamOrdering];
    if (!cur || key(s)[0] > key(cur)[0] || (key(s)[0] === key(cur)[0] && key(s)[1] > key(cur)[1])) latest.set(rel.event_id, s);
  }
  return [...latest].map(([threadId, s]) => ({
    room_id: view.roomId,
    thread_id: threadId,
    latest_event_id: s.ev.eventId,
    topological_ordering: s.ev.pdu.depth,
    stream_ordering: s.streamOrdering,
  }));
}
