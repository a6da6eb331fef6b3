/**
 * The rows of one slice of an import (plan-import.ts): its events read again from the source and
 * turned into every row Synapse keeps for a backfilled event, and the state groups the slice copies.
 * Everything it needs comes in a SliceRequest, plain data, so that it can run in a worker thread
 * (slice-worker.ts) as well as here.
 */
import { SynapseDoctorError } from '../errors.js';
import { parseStoredEvent } from '../matrix/pdu.js';
import { roomVersionRules } from '../matrix/room-versions.js';
import { internalMetadataFlag } from '../store/internal-metadata.js';
import type { ReadStore } from '../store/open.js';
import { findRedactionsByIds, findSourceEventsByStreamOrderings, stateGroupContents } from '../store/readers/history.js';
import { acceptedEventRows } from '../store/writers/accepted-event-rows.js';
import type { EngineCapabilities, SqlValue } from '../store/engine/engine.js';
import { eventSearchShape, insertKey, type EventSearchRow, type SynapseRow } from '../store/writers/synapse-rows.js';
import { ScratchFile } from '../store/engine/scratch-file.js';
import { INSERT_BATCH_ROWS } from '../plan/plan.js';
import { keyScopeCounted } from '../plan/scope.js';
import { digestGiven } from '../plan/row-codec.js';

export interface SliceRequest {
  readonly roomId: string;
  readonly roomVersion: string;
  /** Source state groups this slice copies, ascending, each with the group it is a delta on (or null). */
  readonly freshGroups: readonly (readonly [group: number, prev: number | null])[];
  /** Source state group → the target's id, for every group the slice's rows name. */
  readonly groupMap: readonly (readonly [source: number, target: number])[];
  /** Events the target holds as outliers and the source in its timeline: their state. */
  readonly deOutliers: readonly { readonly eventId: string; readonly group: number; readonly ordering: number }[];
  /** The slice's other events: the source's stream ordering → the new one. */
  readonly events: readonly (readonly [source: number, target: number])[];
  /** The target's columns of each table written (those it has of the row's keys), in insert order. */
  readonly columns: Readonly<Record<string, readonly string[]>>;
  /** The target's form of `event_search`. */
  readonly search: EngineCapabilities['eventSearch'];
}

/** Per table, the rows as values in SliceRequest.columns order (what an insert binds: no reshaping on the writing thread). */
export interface SliceRows {
  readonly tables: Map<string, SqlValue[][]>;
  readonly search: SqlValue[][];
}

export async function makeSliceRows(source: ReadStore, req: SliceRequest): Promise<SliceRows> {
  const { roomId } = req;
  const rules = roomVersionRules(req.roomVersion);
  const groupMap = new Map(req.groupMap);
  const tables = new Map<string, SynapseRow[]>();
  const add = (table: string, row: SynapseRow): void => {
    (tables.get(table) ?? tables.set(table, []).get(table)!).push(row);
  };
  if (req.freshGroups.length > 0) {
    const contents = await stateGroupContents(source.state, req.freshGroups.map(([g]) => g));
    for (const [g, prev] of req.freshGroups) {
      const id = groupMap.get(g)!;
      const c = contents.get(g);
      add('state_groups', { id, room_id: roomId, event_id: c?.event_id ?? '' });
      if (prev !== null) add('state_group_edges', { state_group: id, prev_state_group: groupMap.get(prev)! });
      for (const r of c?.rows ?? []) add('state_groups_state', { state_group: id, room_id: roomId, type: r.type, state_key: r.state_key, event_id: r.event_id });
    }
  }
  // de-outliered: its state, an ex_outlier_stream row (outlier = false is a statement step)
  for (const d of req.deOutliers) {
    add('event_to_state_groups', { event_id: d.eventId, state_group: d.group });
    add('ex_outlier_stream', { event_stream_ordering: d.ordering, event_id: d.eventId, state_group: d.group, instance_name: 'master' });
  }
  const ordering = new Map(req.events);
  const events = (await findSourceEventsByStreamOrderings(source.main, source.schema.capabilities, roomId, [...ordering.keys()])).sort((a, b) => a.stream_ordering - b.stream_ordering);
  if (events.length !== ordering.size) throw new SynapseDoctorError('PLAN_STALE', `the source's room ${roomId} changed since the plan was made (${ordering.size - events.length} of a batch's events are gone); make the plan again`);
  const redactions = await findRedactionsByIds(source.main, events.filter((e) => e.type === 'm.room.redaction' && e.rejection === null).map((e) => e.event_id));
  const search: EventSearchRow[] = [];
  for (const e of events) {
    const so = ordering.get(e.stream_ordering)!;
    const text = e.json;
    const pdu = parseStoredEvent(text, rules, e.event_id)?.pdu;
    add('events', {
      stream_ordering: so, topological_ordering: e.depth, event_id: e.event_id, type: e.type, room_id: roomId, processed: true, outlier: e.outlier,
      depth: e.depth, origin_server_ts: e.origin_server_ts, received_ts: e.received_ts, sender: e.sender, contains_url: e.contains_url,
      instance_name: 'master', state_key: e.state_key, rejection_reason: e.rejection, // dropped by `columns` where the target's events table lacks it
    });
    add('event_json', { event_id: e.event_id, room_id: roomId, internal_metadata: e.internal_metadata, json: text, format_version: e.format_version ?? rules.eventFormat });
    if (e.state_key !== null) {
      add('state_events', { event_id: e.event_id, room_id: roomId, type: e.type, state_key: e.state_key });
      for (const a of new Set(pdu?.auth_events ?? [])) add('event_auth', { event_id: e.event_id, auth_id: a, room_id: roomId });
    }
    if (!e.outlier && e.state_group !== null) add('event_to_state_groups', { event_id: e.event_id, state_group: groupMap.get(e.state_group)! });
    if (e.rejection !== null) {
      add('rejections', { event_id: e.event_id, reason: e.rejection, last_check: e.last_check ?? String(e.received_ts ?? 0) });
      continue;
    }
    if (!pdu) continue;
    const red = redactions.get(e.event_id);
    const rows = acceptedEventRows({ pdu, roomId, streamOrdering: so, receivedTs: red?.received_ts ?? e.received_ts ?? 0, recheckRedaction: internalMetadataFlag(e.internal_metadata, 'recheck_redaction') });
    for (const [table, row] of rows.tables) add(table, table === 'redactions' && red ? { ...row, have_censored: red.have_censored } : row);
    if (rows.search) search.push(rows.search);
  }
  const out = new Map<string, SqlValue[][]>();
  for (const [table, rows] of tables) {
    const cols = req.columns[table];
    if (cols) out.set(table, rows.map((r) => cols.map((c) => (r[c] ?? null) as SqlValue)));
  }
  const shape = eventSearchShape(req.search);
  return { tables: out, search: search.map(shape.values) };
}

/**
 * Writes the rows of slices, one after another, to one scratch file at `path` (where they are made:
 * the writing thread then copies each table with INSERT … SELECT), each batch with what the
 * journal needs of it: its keys and the digest of its rows, as execute-step would compute them
 * from the values. Holds one slice's rows at a time.
 */
export async function writeSlicesFile(path: string, reqs: readonly SliceRequest[], make: (req: SliceRequest) => Promise<SliceRows>): Promise<string> {
  const file = new ScratchFile(path);
  try {
    await file.write(async () => {
      for (const req of reqs) {
        const rows = await make(req);
        for (const [table, values] of rows.tables) {
          const cols = req.columns[table]!;
          const key = insertKey(table, cols);
          for (let i = 0; i < values.length; i += INSERT_BATCH_ROWS) {
            const batch = values.slice(i, i + INSERT_BATCH_ROWS);
            const { scope, pieces } = keyScopeCounted(cols, key, batch);
            await file.appendBatch(table, cols, batch, { scope, pieces, digest: digestGiven(cols, key, batch, pieces) });
          }
        }
        const shape = eventSearchShape(req.search);
        if (shape.expressions) continue; // not copied from scratch files (an expression per value)
        // journalled by docid (execute-step.ts): no keys, one piece
        for (let i = 0; i < rows.search.length; i += INSERT_BATCH_ROWS) {
          const batch = rows.search.slice(i, i + INSERT_BATCH_ROWS);
          await file.appendBatch('event_search', shape.columns, batch, { pieces: [batch.length], digest: digestGiven(shape.columns, ['event_id'], batch, [batch.length]) });
        }
      }
    });
  } finally {
    await file.close();
  }
  return path;
}
