/**
 * The rows Synapse writes for one persisted event (synapse/storage/databases/main/events.py
 * `_persist_events_txn`): every event gets events, event_json, state_events (state), event_auth and
 * the chain cover (state), event_to_state_groups (non-outliers; a rejected event maps to the state
 * before it) and rejections (rejected); only non-rejected events get event_edges, room_memberships,
 * event_search, event_relations, threads and redactions. An event marked rejected after it was
 * accepted (StoredEvent.markedAfterAcceptance: the incident's shape (b)) keeps those rows and gains
 * only the rejection markers, as a hand-made UPDATE leaves it.
 */
import { namedPowerLevelFrom, POWER_LEVELS_KEY, userPowerLevel } from '../matrix/auth/power-levels.js';
import { type JsonObject, type Pdu } from '../matrix/pdu.js';
import { acceptedEventRows, laterInThread, threadCandidate, threadRow, type ThreadPosition } from '../store/writers/accepted-event-rows.js';
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
  'ex_outlier_stream',
  'room_memberships',
  'event_relations',
  'threads',
  'redactions',
];



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
  // a de-outliered event keeps the metadata it was stored with as an outlier
  if (s.ev.pdu.type === 'm.room.redaction' && s.exOutlierStreamOrdering === undefined && (s.rejectionReason === undefined || s.markedAfterAcceptance) && redactionNeedsRecheck(view, s)) {
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
  // de-outliered by a backfill: events.py _update_outliers_txn records it on the ex-outlier stream
  if (s.exOutlierStreamOrdering !== undefined && s.groupAfter !== undefined) {
    batch.add('ex_outlier_stream', { event_stream_ordering: s.exOutlierStreamOrdering, event_id: pdu.event_id, state_group: s.groupAfter, instance_name: 'master' });
  }
  if (rejected) {
    batch.add('rejections', { event_id: pdu.event_id, reason: s.rejectionReason!, last_check: String(s.markedTs ?? s.receivedTs) });
    // Marked rejected after it was accepted (by hand, or a bug): it keeps every accepted-era row.
    if (!s.markedAfterAcceptance) return;
  }
  const accepted = acceptedEventRows({ pdu, roomId, streamOrdering: s.streamOrdering, receivedTs: s.receivedTs, recheckRedaction: meta.recheck_redaction === true });
  for (const [table, row] of accepted.tables) batch.add(table, row);
  if (accepted.search) batch.search.push(accepted.search);
}

/** `threads` rows: the latest (by topological, then stream ordering) event of each thread. */
export function threadRows(view: RoomView, stored: Iterable<StoredEvent>): SynapseRow[] {
  const latest = new Map<string, ThreadPosition>();
  for (const s of stored) {
    if ((s.rejectionReason !== undefined && !s.markedAfterAcceptance) || s.outlier) continue;
    const t = threadCandidate({ pdu: s.ev.pdu, roomId: view.roomId, streamOrdering: s.streamOrdering, receivedTs: s.receivedTs });
    if (t && laterInThread(t, latest.get(t.threadId))) latest.set(t.threadId, t);
  }
  return [...latest.values()].map((t) => threadRow(view.roomId, t));
}
