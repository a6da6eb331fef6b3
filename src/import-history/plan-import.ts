/**
 * `import-history`: a room's history that the target lacks, copied from the source as Synapse
 * stores history it backfills (research notes §5, §6.3, §7.3; synapse/storage/databases/main/
 * events.py `_persist_events_txn` with backfilled=True). Builds a plan; writes nothing.
 *
 * - Missing means event ids of the source's room the target lacks. An event on both sides with
 *   different JSON (other than `unsigned`, or one side's redacted form) is a conflict: reported,
 *   never overwritten. An event the target holds only as an outlier but the source in its
 *   timeline is de-outliered, as `_update_outliers_txn` does: `outlier = false`, an
 *   `ex_outlier_stream` row, its state group; its stream ordering stays.
 * - Orderings: negative, below the target's lowest, older events lower, by (depth, the source's
 *   stream ordering); `topological_ordering = depth`; a de-outliered event takes one of those ids
 *   for its ex_outlier_stream row. Then `stream_positions` and `events_backfill_stream_seq`.
 * - State: the source's state groups the imported events point at, and every group they are
 *   deltas on, copied with fresh ids above the target's (in the source's order, so prev < child),
 *   `state_group_edges` and `event_to_state_groups` through that mapping; `state_group_id_seq`.
 * - Rows per event: events, event_json (the source's JSON and metadata), state_events and
 *   event_auth (state events), rejections (rejected); for accepted ones what only accepted events
 *   get (accepted-event-rows.ts: edges, memberships, relations, redactions, search in the target
 *   engine's form, threads). Per room: backward extremities as `_update_backward_extremeties`
 *   leaves them, event_failed_pull_attempts of what is now present, room_depth.min_depth, and
 *   `rooms.has_auth_chain_index` cleared when state events are imported (the chain cover index is
 *   not computed for them; Synapse then uses its other auth-difference algorithm for the room:
 *   never half-populated).
 * - Not touched: current state, forward extremities, push actions, receipts, sliding sync.
 * - Batches: newest first (as Synapse backfills), each a unit of the plan (one transaction in
 *   'per-chunk' mode) holding its events with all their rows and the state groups they need; the
 *   room-wide rows come last. Killed half-way, whole batches are there; the plan made again
 *   copies the rest.
 */
import { SynapseDoctorError } from '../errors.js';
import { canonicalJson, parseJson } from '../matrix/canonical-json.js';
import { isJsonObject, parseStoredEvent, type JsonObject, type Pdu } from '../matrix/pdu.js';
import { internalMetadataFlag } from '../store/internal-metadata.js';
import { redactEvent } from '../matrix/redaction.js';
import { roomVersionRules, type RoomVersionRules } from '../matrix/room-versions.js';
import { makePlan } from '../plan/make-plan.js';
import type { Check, Plan, Reason, Step } from '../plan/plan.js';
import { statement } from '../store/engine/engine.js';
import { hasColumn } from '../store/introspect.js';
import type { ReadStore } from '../store/open.js';
import {
  eventJsonByIds,
  findBackwardExtremities,
  findFailedPullAttempts,
  findMinDepth,
  findRedactionsByIds,
  findRoomRow,
  findSourceEventsByIds,
  iterateSourceEvents,
  lowestStreamOrdering,
  roomEventIndex,
  stateGroupClosure,
  stateGroupContents,
  type SourceEvent,
} from '../store/readers/history.js';
import { countStateGroupRows, maxStateGroupId, sequencePosition, stateGroupIdPosition } from '../store/readers/room-dag.js';
import { acceptedEventRows, laterInThread, threadCandidate, type ThreadPosition } from '../store/writers/accepted-event-rows.js';
import { keyedStatements, planThreadRows } from '../store/writers/room-steps.js';
import { eventSearchShape, lazyInsertStep, planIdBookkeeping, planInsertRows, type EventSearchRow, type SynapseRow } from '../store/writers/synapse-rows.js';

export interface ImportRequest {
  readonly roomId: string;
  /** Events per transaction (default 2000). */
  readonly batchSize?: number;
}

export interface ImportSummary {
  readonly room_id: string;
  readonly room_version: string;
  readonly source_events: number;
  readonly already_present: number;
  readonly missing: number;
  readonly missing_timeline: number;
  readonly missing_outliers: number;
  readonly de_outliered: number;
  readonly conflicts: readonly { readonly event_id: string; readonly why: string }[];
  readonly oldest?: { readonly event_id: string; readonly origin_server_ts: number; readonly depth: number };
  readonly newest?: { readonly event_id: string; readonly origin_server_ts: number; readonly depth: number };
  readonly state_groups: number;
  readonly batches: number;
  readonly backward_extremities: { readonly before: readonly string[]; readonly after: readonly string[] };
  /** Lowest stream ordering the import uses (0 when nothing is imported). */
  readonly lowest_stream_ordering: number;
}

export interface ImportPlan {
  readonly plan: Plan;
  readonly summary: ImportSummary;
  readonly empty: boolean;
}

function stripUnsigned(json: string): string | undefined {
  try {
    const v = parseJson(json);
    if (!isJsonObject(v)) return undefined;
    const { unsigned: _u, ...rest } = v as JsonObject & { unsigned?: unknown };
    return canonicalJson(rest as JsonObject);
  } catch {
    return undefined;
  }
}

/** Same event on both sides? Equal without `unsigned`, or one is the other's redacted form. */
function conflictBetween(a: string, b: string, rules: RoomVersionRules): string | undefined {
  const x = stripUnsigned(a);
  const y = stripUnsigned(b);
  if (x === undefined || y === undefined) return 'the stored JSON does not parse on one side';
  if (x === y) return undefined;
  try {
    const rx = canonicalJson(redactEvent(parseJson(x) as JsonObject, rules));
    const ry = canonicalJson(redactEvent(parseJson(y) as JsonObject, rules));
    if (rx === y || ry === x) return undefined; // one side pruned it after a redaction
  } catch {
    // fall through: a conflict
  }
  return 'the source and the target store different JSON for it';
}

/**
 * A source event the target lacks (or holds as an outlier): only what ordering, counting and the
 * room-wide rows need; the rest is read again with its batch.
 */
interface MissingEvent {
  readonly event_id: string;
  readonly depth: number;
  readonly stream_ordering: number;
  readonly origin_server_ts: number;
  readonly outlier: boolean;
  readonly rejected: boolean;
  readonly isState: boolean;
  readonly state_group: number | null;
  /** Rows per table only accepted events get (accepted-event-rows.ts), and event_auth. */
  readonly counts: Record<string, number>;
  /** Prev events, for accepted timeline events (backward extremities). */
  readonly prevs: readonly string[];
}

/** Columns of the rows made per table (the row's keys; those a table lacks are dropped). */
const COLUMNS: Readonly<Record<string, readonly string[]>> = {
  events: ['stream_ordering', 'topological_ordering', 'event_id', 'type', 'room_id', 'processed', 'outlier', 'depth', 'origin_server_ts', 'received_ts', 'sender', 'contains_url', 'instance_name', 'state_key', 'rejection_reason'],
  event_json: ['event_id', 'room_id', 'internal_metadata', 'json', 'format_version'],
  state_events: ['event_id', 'room_id', 'type', 'state_key'],
  event_auth: ['event_id', 'auth_id', 'room_id'],
  rejections: ['event_id', 'reason', 'last_check'],
  event_edges: ['event_id', 'prev_event_id'],
  room_memberships: ['event_id', 'user_id', 'sender', 'room_id', 'membership', 'forgotten', 'display_name', 'avatar_url', 'event_stream_ordering', 'participant'],
  event_relations: ['event_id', 'relates_to_id', 'relation_type', 'aggregation_key'],
  redactions: ['event_id', 'redacts', 'have_censored', 'received_ts', 'recheck'],
  event_to_state_groups: ['event_id', 'state_group'],
  ex_outlier_stream: ['event_stream_ordering', 'event_id', 'state_group', 'instance_name'],
};

function slim(e: SourceEvent, counts: Record<string, number>, prevs: readonly string[]): MissingEvent {
  return { event_id: e.event_id, depth: e.depth, stream_ordering: e.stream_ordering, origin_server_ts: e.origin_server_ts, outlier: e.outlier, rejected: e.rejection !== null, isState: e.state_key !== null, state_group: e.state_group, counts, prevs };
}

/** How many rows of each accepted-only table an event gets. */
function rowCounts(pdu: Pdu, roomId: string): Record<string, number> {
  const rows = acceptedEventRows({ pdu, roomId, streamOrdering: 0, receivedTs: 0 });
  const counts: Record<string, number> = {};
  for (const [table] of rows.tables) counts[table] = (counts[table] ?? 0) + 1;
  if (rows.search) counts.event_search = 1;
  return counts;
}


interface BatchRows {
  readonly tables: Map<string, SynapseRow[]>;
  readonly search: EventSearchRow[];
}

/**
 * Makes one batch's rows, reading its events' JSON and its state groups from the source again;
 * the last batch made is kept, so the steps of one batch (run one after the other) read once.
 */
function batchRowMaker(
  source: ReadStore, roomId: string, rules: RoomVersionRules, batch: readonly MissingEvent[], fresh: readonly number[],
  closure: ReadonlyMap<number, number | null>, groupMap: ReadonlyMap<number, number>, newOrdering: ReadonlyMap<string, number>,
  have: ReadonlyMap<string, unknown>, sourceRedactions: ReadonlyMap<string, { have_censored: boolean; received_ts: number | null }>, hasRejectionReason: boolean,
  cache: { last?: { batch: readonly MissingEvent[]; rows: BatchRows } },
): () => Promise<BatchRows> {
  return async () => {
    if (cache.last?.batch === batch) return cache.last.rows;
    const tables = new Map<string, SynapseRow[]>();
    const add = (table: string, row: SynapseRow): void => {
      (tables.get(table) ?? tables.set(table, []).get(table)!).push(row);
    };
    if (fresh.length > 0) {
      const contents = await stateGroupContents(source.state, fresh);
      for (const g of fresh) {
        const id = groupMap.get(g)!;
        const c = contents.get(g);
        add('state_groups', { id, room_id: roomId, event_id: c?.event_id ?? '' });
        const prev = closure.get(g);
        if (prev !== null && prev !== undefined) add('state_group_edges', { state_group: id, prev_state_group: groupMap.get(prev)! });
        for (const r of c?.rows ?? []) add('state_groups_state', { state_group: id, room_id: roomId, type: r.type, state_key: r.state_key, event_id: r.event_id });
      }
    }
    const full = await findSourceEventsByIds(source.main, source.schema.capabilities, batch.filter((x) => !have.has(x.event_id)).map((x) => x.event_id));
    const search: EventSearchRow[] = [];
    for (const m of batch) {
      const so = newOrdering.get(m.event_id)!;
      if (have.has(m.event_id)) {
        const e = m;
        // de-outliered: its state, an ex_outlier_stream row (outlier = false is a statement step)
        const g = e.state_group !== null ? groupMap.get(e.state_group) : undefined;
        if (g !== undefined) {
          add('event_to_state_groups', { event_id: e.event_id, state_group: g });
          add('ex_outlier_stream', { event_stream_ordering: so, event_id: e.event_id, state_group: g, instance_name: 'master' });
        }
        continue;
      }
      const e = full.get(m.event_id);
      if (!e) throw new SynapseDoctorError('PLAN_STALE', `event ${m.event_id} is no longer in the source database`);
      const text = e.json;
      const pdu = parseStoredEvent(text, rules, e.event_id)?.pdu;
      add('events', {
        stream_ordering: so, topological_ordering: e.depth, event_id: e.event_id, type: e.type, room_id: roomId, processed: true, outlier: e.outlier,
        depth: e.depth, origin_server_ts: e.origin_server_ts, received_ts: e.received_ts, sender: e.sender, contains_url: e.contains_url,
        instance_name: 'master', state_key: e.state_key, rejection_reason: hasRejectionReason ? e.rejection : null,
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
      const red = sourceRedactions.get(e.event_id);
      const rows = acceptedEventRows({ pdu, roomId, streamOrdering: so, receivedTs: red?.received_ts ?? e.received_ts ?? 0, recheckRedaction: internalMetadataFlag(e.internal_metadata, 'recheck_redaction') });
      for (const [table, row] of rows.tables) add(table, table === 'redactions' && red ? { ...row, have_censored: red.have_censored } : row);
      if (rows.search) search.push(rows.search);
    }
    cache.last = { batch, rows: { tables, search } };
    return cache.last.rows;
  };
}

const REASON: Reason = { text: 'history the target lacks, stored as Synapse stores backfilled events (events.py _persist_events_txn, backfilled)' };

export async function planImport(source: ReadStore, target: ReadStore, request: ImportRequest, command: string): Promise<ImportPlan> {
  const { roomId } = request;
  const batchSize = Math.max(1, request.batchSize ?? 2000);
  const sourceRoom = await findRoomRow(source.main, roomId);
  if (!sourceRoom) throw new SynapseDoctorError('ROOM_NOT_FOUND', `room ${roomId} is not in the source database`);
  const targetRoom = await findRoomRow(target.main, roomId);
  if (!targetRoom) {
    throw new SynapseDoctorError('ROOM_NOT_FOUND', `room ${roomId} is not in the target database`, { hint: 'The target server must have joined the room; import-history brings the history of rooms both servers are in.' });
  }
  if (sourceRoom.room_version !== targetRoom.room_version) {
    throw new SynapseDoctorError('BAD_INPUT', `room ${roomId} has room version ${JSON.stringify(sourceRoom.room_version)} in the source and ${JSON.stringify(targetRoom.room_version)} in the target`);
  }
  let rules: RoomVersionRules;
  try {
    rules = roomVersionRules(targetRoom.room_version ?? '');
  } catch {
    throw new SynapseDoctorError('DB_NOT_SYNAPSE', `room ${roomId} has room version ${JSON.stringify(targetRoom.room_version)}, which synapse-doctor does not know`);
  }

  const have = await roomEventIndex(target.main, roomId);
  // The source's events: those the target lacks in full, the rest only as far as deciding needs.
  const missing: MissingEvent[] = [];
  const deOutlier: MissingEvent[] = [];
  const redactionIds: string[] = [];
  let stateEventsImported = false;
  const shared: string[] = [];
  let sourceCount = 0;
  let minTimelineDepth = Number.POSITIVE_INFINITY;
  const threadEvents: { id: string; pdu: Pdu }[] = [];
  for await (const e of iterateSourceEvents(source.main, source.schema.capabilities, roomId)) {
    sourceCount++;
    if (!e.outlier && e.rejection === null) {
      if (e.depth < minTimelineDepth) minTimelineDepth = e.depth;
      if (e.json.includes('m.thread')) {
        const pdu = parseStoredEvent(e.json, rules, e.event_id)?.pdu;
        if (pdu) threadEvents.push({ id: e.event_id, pdu });
      }
    }
    const t = have.get(e.event_id);
    if (!t) {
      // Kept without its JSON (read again, one batch at a time, when the rows are made): what
      // counting the rows and the backward extremities need.
      const parsed = parseStoredEvent(e.json, rules, e.event_id)?.pdu;
      const pdu = e.rejection === null ? parsed : undefined;
      const counts = pdu ? rowCounts(pdu, roomId) : {};
      if (e.state_key !== null) counts.event_auth = new Set(parsed?.auth_events ?? []).size;
      missing.push(slim(e, counts, !e.outlier && pdu ? pdu.prev_events : []));
      if (e.type === 'm.room.redaction' && e.rejection === null) redactionIds.push(e.event_id);
      if (e.state_key !== null) stateEventsImported = true;
    } else {
      shared.push(e.event_id);
      if (t.outlier && !e.outlier && e.rejection === null) deOutlier.push(slim(e, {}, []));
    }
  }
  // Conflicts: events on both sides whose JSON differs.
  const conflicts: { event_id: string; why: string }[] = [];
  for (let i = 0; i < shared.length; i += 1000) {
    const chunk = shared.slice(i, i + 1000);
    const a = await eventJsonByIds(source.main, chunk);
    const b = await eventJsonByIds(target.main, chunk);
    for (const id of chunk) {
      const why = conflictBetween(a.get(id) ?? '', b.get(id) ?? '', rules);
      if (why) conflicts.push({ event_id: id, why });
    }
  }
  const conflicted = new Set(conflicts.map((c) => c.event_id));
  const deOutliered = deOutlier.filter((e) => !conflicted.has(e.event_id));

  // Orderings: all of them below the target's lowest, older lower.
  const order: MissingEvent[] = [...missing, ...deOutliered].sort((x, y) => x.depth - y.depth || x.stream_ordering - y.stream_ordering);
  const low = await lowestStreamOrdering(target.main);
  const newOrdering = new Map<string, number>();
  order.forEach((e, i) => newOrdering.set(e.event_id, low - (order.length - i)));
  const lowest = order.length > 0 ? low - order.length : 0;

  // State group ids: above the target's.
  let nextGroup = (await stateGroupIdPosition(target.state)) + 1;
  const groupMap = new Map<number, number>();
  let maxNewGroup = 0;

  const sourceRedactions = await findRedactionsByIds(source.main, redactionIds);
  const threads = new Map<string, ThreadPosition>();
  const eventsColumns = new Set((await target.main.introspector.tableColumns('events')).map((c) => c.name));
  const hasRejectionReason = eventsColumns.has('rejection_reason');
  const steps: Step[] = [];
  const madeCache: { last?: { batch: readonly MissingEvent[]; rows: BatchRows } } = {};
  let unit = 0;
  const newest = [...order].reverse();
  let stateGroupsCopied = 0;

  // First, with the first batch: what must hold as soon as any batch is committed. The backfill
  // stream position covers every ordering the import hands out; the chain cover flag is cleared.
  const headSteps: Step[] = [];
  if (stateEventsImported && targetRoom.has_auth_chain_index === true && (await hasColumn(target.main, 'rooms', 'has_auth_chain_index'))) {
    const scope = statement('room_id = ?', [roomId]);
    headSteps.push({ kind: 'statement', id: 'rooms-has_auth_chain_index', reason: { text: 'the chain cover index is not computed for imported state events: Synapse uses its other auth-difference algorithm for this room' }, database: 'main', table: 'rooms', op: 'update', statement: statement('UPDATE rooms SET has_auth_chain_index = ? WHERE room_id = ?', [false, roomId]), scope, rowsExpected: 1 });
  }
  const bookkeeping = order.length > 0 ? await planIdBookkeeping(target.main, { maxStreamOrdering: 0, minStreamOrdering: lowest, maxStateGroup: 0, maxChainId: 0 }, { reason: { text: 'the backfill stream position below every imported ordering (id_generators.py reads it on start)' } }) : [];
  headSteps.push(...bookkeeping.filter((st) => st.kind !== 'sequence'));
  const sequenceSteps: Step[] = bookkeeping.filter((st) => st.kind === 'sequence');

  for (let b = 0; b < newest.length; b += batchSize) {
    unit++;
    const batch = newest.slice(b, b + batchSize);
    const prefix = `batch${unit}-`;
    const u = <T extends Step>(s: T): T => ({ ...s, unit });
    if (unit === 1) for (const st of headSteps) steps.push(u(st));
    // The state groups this batch needs that earlier batches did not copy.
    const wanted = batch.filter((e) => !e.outlier && e.state_group !== null).map((e) => e.state_group!);
    const closure = await stateGroupClosure(source.state, wanted.filter((g) => !groupMap.has(g)));
    const fresh = [...closure.keys()].filter((g) => !groupMap.has(g)).sort((x, y) => x - y);
    for (const g of fresh) {
      groupMap.set(g, nextGroup);
      maxNewGroup = nextGroup++;
    }
    stateGroupsCopied += fresh.length;
    const made = batchRowMaker(source, roomId, rules, batch, fresh, closure, groupMap, newOrdering, have, sourceRedactions, hasRejectionReason, madeCache);
    if (fresh.length > 0) {
      const reason: Reason = { text: 'the source\'s state groups of these events (and the groups they are deltas on), with fresh ids' };
      const stateRows = await countStateGroupRows(source.state, fresh);
      const edgeCount = fresh.filter((g) => closure.get(g) !== null && closure.get(g) !== undefined).length;
      for (const [table, columns, count] of [
        ['state_groups', ['id', 'room_id', 'event_id'], fresh.length],
        ['state_group_edges', ['state_group', 'prev_state_group'], edgeCount],
        ['state_groups_state', ['state_group', 'room_id', 'type', 'state_key', 'event_id'], stateRows],
      ] as const) {
        const st = await lazyInsertStep(target.state, table, columns, count, async () => (await made()).tables.get(table) ?? [], { reason, database: 'state', idPrefix: prefix });
        if (st) steps.push(u(st));
      }
    }
    // The events of the batch: counted now, made when they are written.
    const count = (table: string): number => {
      let n = 0;
      for (const e of batch) {
        if (have.has(e.event_id)) n += table === 'event_to_state_groups' || table === 'ex_outlier_stream' ? (e.state_group !== null && groupMap.has(e.state_group) ? 1 : 0) : 0;
        else if (table === 'events' || table === 'event_json') n++;
        else if (table === 'state_events') n += e.isState ? 1 : 0;
        else if (table === 'rejections') n += e.rejected ? 1 : 0;
        else if (table === 'event_to_state_groups') n += !e.outlier && e.state_group !== null ? 1 : 0;
        else n += e.counts[table] ?? 0;
      }
      return n;
    };
    for (const table of ['events', 'event_json', 'state_events', 'event_auth', 'rejections', 'event_edges', 'room_memberships', 'event_relations', 'redactions', 'event_to_state_groups', 'ex_outlier_stream']) {
      const st = await lazyInsertStep(target.main, table, COLUMNS[table]!, count(table), async () => (await made()).tables.get(table) ?? [], { reason: REASON, idPrefix: prefix });
      if (st) steps.push(u(st));
    }
    const searchShape = eventSearchShape(target.main);
    const searchCount = count('event_search');
    if (searchCount > 0) {
      steps.push(u({
        kind: 'insert', id: `${prefix}event_search`, reason: REASON, database: 'main', table: 'event_search', key: ['event_id'], count: searchCount,
        columns: searchShape.columns, ...(searchShape.expressions ? { expressions: searchShape.expressions } : {}),
        rows: async function* () {
          yield (await made()).search.map(searchShape.values);
        },
      }));
    }
    const deOutlierIds = batch.filter((e) => have.has(e.event_id)).map((e) => e.event_id);
    if (deOutlierIds.length > 0) {
      for (let i = 0; i < deOutlierIds.length; i += 500) {
        const chunk = deOutlierIds.slice(i, i + 500);
        const scope = statement(`room_id = ? AND event_id IN (${chunk.map(() => '?').join(', ')})`, [roomId, ...chunk]);
        steps.push(u({
          kind: 'statement', id: `${prefix}events-outlier-${i / 500 + 1}`, reason: { text: 'the source holds these in its timeline: no longer outliers (events.py _update_outliers_txn)' },
          database: 'main', table: 'events', op: 'update', statement: statement(`UPDATE events SET outlier = ? WHERE ${scope.sql}`, [false, ...scope.params]), scope, rowsExpected: chunk.length,
        }));
      }
    }
  }

  // Room-wide rows, last.
  unit++;
  const roomReason: Reason = { text: 'the room\'s backfill bookkeeping (events.py _update_backward_extremeties, _update_min_depth_for_room_txn)' };
  const finalSteps: Step[] = [];
  const present = new Map<string, boolean>(); // event id → timeline after the import
  for (const [id, t] of have) present.set(id, !t.outlier);
  for (const e of missing) present.set(e.event_id, !e.outlier);
  for (const e of deOutliered) present.set(e.event_id, true);
  const beBefore = await findBackwardExtremities(target.main, roomId);
  const importedTimeline = [...missing.filter((e) => !e.outlier && !e.rejected), ...deOutliered];
  const prevCandidates = new Set<string>();
  const prevsOf = new Map<string, readonly string[]>();
  for (const e of missing) {
    if (e.outlier || e.rejected) continue;
    prevsOf.set(e.event_id, e.prevs);
  }
  if (deOutliered.length > 0) {
    const json = await eventJsonByIds(target.main, deOutliered.map((e) => e.event_id));
    for (const e of deOutliered) prevsOf.set(e.event_id, parseStoredEvent(json.get(e.event_id) ?? '', rules, e.event_id)?.pdu.prev_events ?? []);
  }
  for (const e of importedTimeline) for (const p of prevsOf.get(e.event_id) ?? []) if (present.get(p) !== true) prevCandidates.add(p);
  const resolvedIds = new Set(importedTimeline.map((e) => e.event_id));
  for (const e of missing) if (!e.outlier && !e.rejected && (prevsOf.get(e.event_id)?.length ?? 0) === 0) resolvedIds.add(e.event_id);
  // A backward extremity is resolved once its event is a timeline event, whichever run stored it.
  const beAfter = [...new Set([...beBefore.filter((id) => !resolvedIds.has(id) && present.get(id) !== true), ...prevCandidates])].sort();
  const beGone = beBefore.filter((id) => !beAfter.includes(id));
  const beAdded = beAfter.filter((id) => !beBefore.includes(id));
  finalSteps.push(...keyedStatements(roomId, { id: 'event_backward_extremities-resolved', table: 'event_backward_extremities', roomColumn: 'room_id', column: 'event_id', ids: beGone, exact: true }, roomReason));

  finalSteps.push(...(await planInsertRows(target.main, 'event_backward_extremities', beAdded.map((event_id) => ({ event_id, room_id: roomId })), { reason: roomReason })));
  const nowPresent = new Set(missing.map((e) => e.event_id));
  const failed = (await findFailedPullAttempts(target.main, roomId)).filter((id) => resolvedIds.has(id) || nowPresent.has(id) || have.has(id));
  finalSteps.push(...keyedStatements(roomId, { id: 'event_failed_pull_attempts-present', table: 'event_failed_pull_attempts', roomColumn: 'room_id', column: 'event_id', ids: failed, exact: true }, roomReason));

  const minImported = minTimelineDepth;
  const minDepth = await findMinDepth(target.main, roomId);
  if (Number.isFinite(minImported) && (minDepth === undefined || minDepth === null || minImported < minDepth)) {
    if (minDepth === undefined) finalSteps.push(...(await planInsertRows(target.main, 'room_depth', [{ room_id: roomId, min_depth: minImported }], { reason: roomReason })));
    else {
      const scope = statement('room_id = ?', [roomId]);
      finalSteps.push({ kind: 'statement', id: 'room_depth', reason: roomReason, database: 'main', table: 'room_depth', op: 'update', statement: statement('UPDATE room_depth SET min_depth = ? WHERE room_id = ?', [minImported, roomId]), scope, rowsExpected: 1 });
    }
  }
  for (const { id, pdu } of threadEvents) {
    const so = newOrdering.get(id) ?? have.get(id)?.stream_ordering;
    if (so === undefined || conflicted.has(id)) continue;
    const t = threadCandidate({ pdu, roomId, streamOrdering: so, receivedTs: 0 });
    if (t && laterInThread(t, threads.get(t.threadId))) threads.set(t.threadId, t);
  }
  finalSteps.push(...(await planThreadRows(target.main, roomId, threads, roomReason)));
  // PostgreSQL sequences, last (setval is not transactional): at least what is in use, also when
  // an earlier run was killed before it got to them.
  if (target.main.capabilities.sequences) {
    const backfillAtLeast = -Math.min(lowest, low);
    if (!sequenceSteps.some((st) => st.kind === 'sequence' && st.sequence === 'events_backfill_stream_seq') && backfillAtLeast > 0) {
      finalSteps.push({ kind: 'sequence', id: 'events_backfill_stream_seq', reason: roomReason, database: 'main', sequence: 'events_backfill_stream_seq', atLeast: backfillAtLeast });
    }
    finalSteps.push(...sequenceSteps);
  }
  if (target.state.capabilities.sequences) {
    const inUse = Math.max(maxNewGroup, await maxStateGroupId(target.state));
    if (inUse > 0) finalSteps.push({ kind: 'sequence', id: 'state_group_id_seq', reason: roomReason, database: 'state', sequence: 'state_group_id_seq', atLeast: inUse });
  }
  for (const s of finalSteps) steps.push(s.kind === 'sequence' ? s : { ...s, unit });

  // Preconditions: the target as it was read. Verification: every source event present.
  const preconditions: Check[] = [
    { id: 'room-events', description: 'the target\'s room holds the events it held when the plan was made', database: 'main', query: statement('SELECT COUNT(*) FROM events WHERE room_id = ?', [roomId]), expect: have.size },
  ];
  const verify: Check[] = [
    { id: 'room-events-after', description: 'every source event is in the target', database: 'main', query: statement('SELECT COUNT(*) FROM events WHERE room_id = ?', [roomId]), expect: have.size + missing.length },
    { id: 'outliers-after', description: 'the timeline events of the source are timeline events in the target', database: 'main', query: statement('SELECT COUNT(*) FROM events WHERE room_id = ? AND outlier = ?', [roomId, false]), expect: [...present.values()].filter(Boolean).length },
    { id: 'backward-extremities-after', description: 'the backward extremities are the prev events no timeline event resolves', database: 'main', query: statement('SELECT COUNT(*) FROM event_backward_extremities WHERE room_id = ?', [roomId]), expect: beAfter.length },
  ];
  const byDepth = [...order];
  const first = byDepth[0];
  const last = byDepth[byDepth.length - 1];
  const summary: ImportSummary = {
    room_id: roomId,
    room_version: rules.id,
    source_events: sourceCount,
    already_present: shared.length,
    missing: missing.length,
    missing_timeline: missing.filter((e) => !e.outlier).length,
    missing_outliers: missing.filter((e) => e.outlier).length,
    de_outliered: deOutliered.length,
    conflicts,
    ...(first ? { oldest: { event_id: first.event_id, origin_server_ts: first.origin_server_ts, depth: first.depth } } : {}),
    ...(last ? { newest: { event_id: last.event_id, origin_server_ts: last.origin_server_ts, depth: last.depth } } : {}),
    state_groups: stateGroupsCopied,
    batches: Math.ceil(newest.length / batchSize),
    backward_extremities: { before: beBefore, after: beAfter },
    lowest_stream_ordering: lowest,
  };
  const notes = describe(summary);
  const plan = makePlan(target, { command, steps, preconditions, verify, notes });
  return { plan, summary, empty: steps.every((st) => st.kind === 'sequence') && !(await sequencesBehind(target, steps)) };
}


/** Would any sequence step move its sequence (PostgreSQL)? */
async function sequencesBehind(target: ReadStore, steps: readonly Step[]): Promise<boolean> {
  for (const st of steps) {
    if (st.kind !== 'sequence') continue;
    const at = await sequencePosition(st.database === 'state' ? target.state : target.main, st.sequence as 'state_group_id_seq' | 'events_backfill_stream_seq');
    if (at === undefined || at < st.atLeast) return true;
  }
  return false;
}

function describe(s: ImportSummary): string[] {
  const lines = [
    `Room ${s.room_id} (room version ${s.room_version}): the source holds ${s.source_events} events, the target ${s.already_present} of them.`,
    `Copies ${s.missing} events (${s.missing_timeline} timeline, ${s.missing_outliers} outliers) as backfilled history, in ${s.batches} batch(es), newest first; de-outliers ${s.de_outliered}; copies ${s.state_groups} state groups.`,
  ];
  if (s.oldest && s.newest) lines.push(`Oldest imported: ${s.oldest.event_id} (${new Date(s.oldest.origin_server_ts).toISOString()}, depth ${s.oldest.depth}); newest: ${s.newest.event_id} (${new Date(s.newest.origin_server_ts).toISOString()}, depth ${s.newest.depth}).`);
  if (s.conflicts.length > 0) {
    lines.push(`Conflicts, left as the target has them: ${s.conflicts.length}`);
    for (const c of s.conflicts.slice(0, 10)) lines.push(`  ${c.event_id}: ${c.why}`);
  }
  lines.push(`Backward extremities: ${s.backward_extremities.before.length} → ${s.backward_extremities.after.length}${s.backward_extremities.after.length === 0 ? ' (the history now reaches the room\'s creation)' : ''}.`);
  lines.push('Not touched: current state, forward extremities, push actions, receipts, sliding sync (history sits behind the room\'s head).');
  return lines;
}
