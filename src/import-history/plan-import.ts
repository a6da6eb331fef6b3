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
 * - Memory: per event the index's columns and its state group's new id; per slice its state groups
 *   as pairs; rows one or two slices at a time.
 * - Threads: the JSON pass of planning (scan-events.ts) and the making of each slice's rows
 *   (slice-rows.ts) run in a worker thread where they can (scan-feed.ts, slice-pipeline.ts), beside
 *   the planner's reading and the writes.
 */
import { SynapseDoctorError } from '../errors.js';
import { canonicalJson, parseJson } from '../matrix/canonical-json.js';
import { isJsonObject, parseStoredEvent, type JsonObject, type Pdu } from '../matrix/pdu.js';
import { redactEvent } from '../matrix/redaction.js';
import { roomVersionRules, type RoomVersionRules } from '../matrix/room-versions.js';
import { makePlan } from '../plan/make-plan.js';
import type { Check, Plan, Reason, Step } from '../plan/plan.js';
import type { SqlValue } from '../store/engine/engine.js';
import { hasColumn } from '../store/introspect.js';
import type { ReadStore } from '../store/open.js';
import {
  eventJsonByIds,
  findBackwardExtremities,
  findFailedPullAttempts,
  findMinDepth,
  findRoomRow,
  findEventStatusByIds,
  iterateSourceEvents,
  countRoomEvents,
  streamOrderingOfLast,
  lowestStreamOrdering,
  roomEventIndex,
  stateGroupClosure,
  type SourceEvent,
} from '../store/readers/history.js';
import { countStateGroupRows, maxStateGroupId, sequencePosition, stateGroupIdPosition } from '../store/readers/room-dag.js';
import { threadCandidate, type ThreadPosition } from '../store/writers/accepted-event-rows.js';
import { startScan } from './scan-feed.js';
import { COUNTED } from './scan-events.js';
import { Column } from './typed-column.js';
import { SlicePipeline } from './slice-pipeline.js';
import { setPageCache, releaseMemory } from '../store/engine/memory.js';
import type { SliceRequest } from './slice-rows.js';
import { keyedStatements, planThreadRows } from '../store/writers/room-steps.js';
import { backwardExtremityCountCheck, clearAuthChainIndexStep, deOutlierSteps, lowerMinDepthStep, roomEventCountCheck, roomTimelineCountCheck } from '../store/writers/history-steps.js';
import { eventSearchShape, lazyInsertStep, liveColumns, planIdBookkeeping, planInsertRows } from '../store/writers/synapse-rows.js';

export interface ImportRequest {
  readonly roomId: string;
  /** Events per transaction (default 100,000: fewer commits, each rewriting the random index pages it touched). */
  readonly batchSize?: number;
  /** Events whose rows are made and held in memory at a time (default 5,000; at most batchSize). */
  readonly sliceSize?: number;
  /** Use a worker thread (default true): planning's JSON pass, and with an SQLite source the next slice's rows. */
  readonly workers?: boolean;
  /**
   * Hand the rows over in scratch files the slice's maker writes, copied by the target with
   * INSERT … SELECT (default: when a worker makes the slices and the target can). Tests set it to
   * run that path without a worker.
   */
  readonly scratch?: boolean;
  /**
   * Rooms of at least this many events have the planner scan the last quarter of the JSON while
   * the worker scans the rest (default 4,000; only with a worker reading an SQLite source). Tests
   * set it to run both forms on small rooms.
   */
  readonly plannerScanMinEvents?: number;
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

const f64 = (): Column<Float64Array> => new Column((n) => new Float64Array(n));
const u16 = (): Column<Uint16Array> => new Column((n) => new Uint16Array(n));

const OUTLIER = 1;
const REJECTED = 2;
const STATE = 4;
/** The target holds it as an outlier, the source in its timeline: de-outliered, no new rows but its state. */
const DE_OUTLIER = 8;

/**
 * What planning keeps of each source event the import writes: its ordering key (depth, source
 * stream ordering), state group, flags and row counts, in columns; about 40 bytes an event. Ids
 * and JSON are read again, one batch at a time, when the rows are made.
 */
class ImportIndex {
  readonly depth = f64();
  readonly sourceOrdering = f64();
  /** NaN: none. */
  readonly stateGroup = f64();
  readonly flags = u16();
  readonly counts = new Map<string, Column<Uint16Array>>(COUNTED.map((t) => [t, u16()]));
  /** Event ids of the de-outliered events (the target's outliers: bounded by the target), by index. */
  readonly deOutlierIds = new Map<number, string>();

  get length(): number {
    return this.depth.length;
  }
  /** Its row counts are 0 until setCounts. */
  add(e: SourceEvent, flags: number): number {
    const i = this.length;
    this.depth.push(e.depth);
    this.sourceOrdering.push(e.stream_ordering);
    this.stateGroup.push(e.state_group ?? Number.NaN);
    this.flags.push(flags);
    for (const t of COUNTED) this.counts.get(t)!.push(0);
    return i;
  }
  /** Its row counts as the scan found them (scan-events.ts: COUNTED.length counts from `offset`). */
  setCounts(i: number, counts: Uint16Array, offset: number): void {
    COUNTED.forEach((t, c) => this.counts.get(t)!.set(i, counts[offset + c]!));
  }
  group(i: number): number | null {
    const g = this.stateGroup.get(i);
    return Number.isNaN(g) ? null : g;
  }
  has(i: number, flag: number): boolean {
    return (this.flags.get(i) & flag) !== 0;
  }
  /** Indexes in import order: by depth, then the source's stream ordering (older lower). */
  ordered(): Uint32Array {
    const idx = new Uint32Array(this.length);
    for (let i = 0; i < idx.length; i++) idx[i] = i;
    return idx.sort((a, b) => this.depth.get(a) - this.depth.get(b) || this.sourceOrdering.get(a) - this.sourceOrdering.get(b));
  }
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
/** The same for the state database's tables. */
const STATE_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  state_groups: ['id', 'room_id', 'event_id'],
  state_group_edges: ['state_group', 'prev_state_group'],
  state_groups_state: ['state_group', 'room_id', 'type', 'state_key', 'event_id'],
};

/**
 * One slice: a run of ranks in import order, [start, end). Its members and orderings are worked out
 * when asked, not kept: every slice's steps live until the plan has run.
 */
class Batch {
  constructor(private readonly order: Uint32Array, private readonly index: ImportIndex, private readonly start: number, private readonly end: number, private readonly orderingAt: (rank: number) => number) {}
  /** The import indexes of its events. */
  get members(): number[] {
    return Array.from(this.order.subarray(this.start, this.end));
  }
  /** Source stream ordering → new stream ordering, for its events. */
  get ordering(): Map<number, number> {
    const out = new Map<number, number>();
    for (let rank = this.start; rank < this.end; rank++) out.set(this.index.sourceOrdering.get(this.order[rank]!), this.orderingAt(rank));
    return out;
  }
}

/**
 * What one slice's rows are made from (slice-rows.ts): its events by source stream ordering with
 * their new orderings, the de-outliered ones, the state groups it copies and the ids they get.
 * Built when the rows are wanted, from what planning kept.
 */
function sliceRequest(
  roomId: string, rules: RoomVersionRules, index: ImportIndex, batch: Batch, fresh: Float64Array,
  groupMap: ReadonlyMap<number, number>,
  columns: SliceRequest['columns'], search: SliceRequest['search'],
): SliceRequest {
  const members = batch.members;
  const ordering = batch.ordering;
  const needed = new Map<number, number>();
  const need = (g: number | null | undefined): void => {
    if (g !== null && g !== undefined && groupMap.has(g)) needed.set(g, groupMap.get(g)!);
  };
  const freshGroups: (readonly [number, number | null])[] = [];
  for (let k = 0; k < fresh.length; k += 2) {
    const g = fresh[k]!;
    const prev = Number.isNaN(fresh[k + 1]!) ? null : fresh[k + 1]!;
    need(g);
    need(prev);
    freshGroups.push([g, prev]);
  }
  const deOutliers: { eventId: string; group: number; ordering: number }[] = [];
  const events: [number, number][] = [];
  for (const i of members) {
    const so = index.sourceOrdering.get(i);
    const group = index.group(i);
    if (index.has(i, DE_OUTLIER)) {
      const g = group !== null ? groupMap.get(group) : undefined;
      if (g !== undefined) deOutliers.push({ eventId: index.deOutlierIds.get(i)!, group: g, ordering: ordering.get(so)! });
      continue;
    }
    need(group);
    events.push([so, ordering.get(so)!]);
  }
  return { roomId, roomVersion: rules.id, freshGroups, groupMap: [...needed], deOutliers, events, columns, search };
}

const REASON: Reason = { text: 'history the target lacks, stored as Synapse stores backfilled events (events.py _persist_events_txn, backfilled)' };

/** Events whose rows are made and held in memory at a time (a transaction holds one or more slices). */
const SLICE = 5000;
/** Events on both sides compared (their JSON) at a time. */
const SHARED_CHUNK = 1000;

/** A slice as planned: its number (step ids), its number in the pipeline, its events, and its state groups' row counts. */
interface PlannedSlice {
  readonly no: number;
  readonly k: number;
  readonly members: readonly number[];
  readonly stateCounts?: Readonly<Record<'state_groups' | 'state_group_edges' | 'state_groups_state', number>>;
}

interface EventMark {
  readonly event_id: string;
  readonly origin_server_ts: number;
  readonly depth: number;
  readonly stream_ordering: number;
}

/** A thread's latest event so far: by depth, then imported (tier 0, source ordering) below present (tier 1, target ordering). */
interface ThreadBest {
  readonly pdu: Pdu;
  readonly depth: number;
  readonly tier: 0 | 1;
  readonly ordering: number;
}

function laterThreadBest(a: ThreadBest, b: ThreadBest | undefined): boolean {
  return !b || a.depth > b.depth || (a.depth === b.depth && (a.tier > b.tier || (a.tier === b.tier && a.ordering > b.ordering)));
}

export async function planImport(source: ReadStore, target: ReadStore, request: ImportRequest, command: string): Promise<ImportPlan> {
  // One worker thread for planning's JSON pass and then the slices' rows, started once
  const pipeline = new SlicePipeline(source, request.workers !== false && SlicePipeline.workerPossible(source));
  try {
    const planned = await planWith(pipeline, source, target, request, command);
    pipeline.planned();
    return planned;
  } catch (e) {
    await pipeline.close();
    throw e;
  }
}

async function planWith(pipeline: SlicePipeline, source: ReadStore, target: ReadStore, request: ImportRequest, command: string): Promise<ImportPlan> {
  const { roomId } = request;
  const batchSize = Math.max(1, request.batchSize ?? 100_000);
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

  // Planning reads the source once, in order: a large page cache would only hold on to memory.
  setPageCache(source.main, 16 << 10);
  // The target's events of the room (what it has: bounded by the target, not the source).
  const have = await roomEventIndex(target.main, roomId);
  const index = new ImportIndex();
  const conflicts: { event_id: string; why: string }[] = [];
  /** Prev events of imported timeline events not seen among the recent ones: resolved against both databases at the end. */
  const prevCandidates = new Set<string>();
  const threads = new Map<string, ThreadBest>();
  let stateEventsImported = false;
  let sourceCount = 0;
  let alreadyPresent = 0;
  let missingCount = 0;
  let missingOutliers = 0;
  let minTimelineDepth = Number.POSITIVE_INFINITY;
  let oldest: EventMark | undefined;
  let newest: EventMark | undefined;
  const mark = (e: SourceEvent): void => {
    const m = { event_id: e.event_id, origin_server_ts: e.origin_server_ts, depth: e.depth, stream_ordering: e.stream_ordering };
    if (!oldest || e.depth < oldest.depth || (e.depth === oldest.depth && e.stream_ordering < oldest.stream_ordering)) oldest = m;
    if (!newest || e.depth > newest.depth || (e.depth === newest.depth && e.stream_ordering > newest.stream_ordering)) newest = m;
  };
  const threadOf = (pdu: Pdu, depth: number, tier: 0 | 1, ordering: number): void => {
    const t = threadCandidate({ pdu, roomId, streamOrdering: 0, receivedTs: 0 });
    if (!t) return;
    const best: ThreadBest = { pdu, depth, tier, ordering };
    if (laterThreadBest(best, threads.get(t.threadId))) threads.set(t.threadId, best);
  };

  // The JSON pass (row counts, prev events, threads) runs beside this one, in a worker when it can.
  const targetOutliers = new Set<string>();
  for (const [id, t] of have) if (t.outlier) targetOutliers.add(id);
  // Whether the worker makes the rows into scratch files an SQLite target copies while it makes the
  // next batch's (slice-pipeline.ts). Decided as --apply would: a dry run or a script reads the rows
  // as values, but plans, and shows, the batches the apply makes.
  const overlapped = pipeline.usesWorker && target.main.capabilities.scratchCopy && target.state.capabilities.scratchCopy;
  // The planner takes a share of the JSON pass into SQLite only: into PostgreSQL the plan is a small
  // part of the import (the writes are the slower), and the planner's own pass adds to its peak
  // memory (1,000,000 events into PostgreSQL peaked at 503 MiB in a run with it, against 484 MiB in
  // the last run without; target 500 MB).
  const scanWorker = pipeline.scanWorker(); // started first: it loads while the planner counts
  const scanFrom = overlapped ? await plannerScanFrom(source, roomId, request.plannerScanMinEvents ?? PLANNER_SCAN_MIN_EVENTS) : undefined;
  const scan = startScan(source, roomId, rules.id, targetOutliers, request.workers !== false, scanWorker, scanFrom);
  /** Per source event, by its place in the stream order: its place in the index, or -1. */
  const placeOf = new Column((n) => new Int32Array(n));

  // Events on both sides: compared in chunks (JSON from both), then de-outliered unless they conflict.
  let shared: { e: SourceEvent; ordinal: number }[] = [];
  const flushShared = async (): Promise<void> => {
    if (shared.length === 0) return;
    const ids = shared.map((x) => x.e.event_id);
    const theirs = await eventJsonByIds(target.main, ids);
    // the JSON of those the planner read without it (the scan read them)
    const unread = shared.filter((x) => x.e.stream_ordering < scan.feedFrom).map((x) => x.e.event_id);
    const ours = unread.length > 0 ? await eventJsonByIds(source.main, unread) : undefined;
    for (const { e, ordinal } of shared) {
      const json = e.stream_ordering >= scan.feedFrom ? e.json : (ours?.get(e.event_id) ?? '');
      const why = conflictBetween(json, theirs.get(e.event_id) ?? '', rules);
      if (why) {
        conflicts.push({ event_id: e.event_id, why });
        continue;
      }
      const t = have.get(e.event_id)!;
      const accepted = !e.outlier && e.rejection === null;
      const pdu = accepted && json.includes('m.thread') ? parseStoredEvent(json, rules, e.event_id)?.pdu : undefined;
      // a de-outliered event is persisted again with a backfill ordering, which its thread sees
      if (pdu) threadOf(pdu, e.depth, t.outlier ? 0 : 1, t.outlier ? e.stream_ordering : t.stream_ordering);
      if (t.outlier && accepted) {
        const i = index.add(e, DE_OUTLIER);
        index.deOutlierIds.set(i, e.event_id);
        placeOf.set(ordinal, i);
        mark(e);
      }
    }
    shared = [];
  };

  for await (const e of iterateSourceEvents(source.main, source.schema.capabilities, roomId, scan.feedFrom)) {
    const ordinal = sourceCount++;
    placeOf.push(-1);
    if (e.stream_ordering >= scan.feedFrom) scan.event({ eventId: e.event_id, json: e.json, outlier: e.outlier, rejected: e.rejection !== null, state: e.state_key !== null });
    const accepted = !e.outlier && e.rejection === null;
    if (accepted && e.depth < minTimelineDepth) minTimelineDepth = e.depth;
    const t = have.get(e.event_id);
    if (t) {
      alreadyPresent++;
      shared.push({ e, ordinal });
      if (shared.length >= SHARED_CHUNK) await flushShared();
      continue;
    }
    placeOf.set(ordinal, index.add(e, (e.outlier ? OUTLIER : 0) | (e.rejection !== null ? REJECTED : 0) | (e.state_key !== null ? STATE : 0)));
    missingCount++;
    if (e.outlier) missingOutliers++;
    if (e.state_key !== null) stateEventsImported = true;
    mark(e);
  }
  await flushShared();
  const scanned = await scan.finish();
  if (scanned.counts.length !== sourceCount * COUNTED.length) {
    throw new SynapseDoctorError('PLAN_STALE', `the source's room ${roomId} changed while the plan was made; make the plan again`);
  }
  // What the scan found, for the events the import writes (missing ones, de-outliered ones)
  for (let k = 0; k < sourceCount; k++) {
    const at = placeOf.get(k);
    if (at >= 0) index.setCounts(at, scanned.counts, k * COUNTED.length);
  }
  for (let j = 0; j < scanned.candidateIds.length; j++) if (placeOf.get(scanned.candidateOrdinals[j]!) >= 0) prevCandidates.add(scanned.candidateIds[j]!);
  for (const { ordinal, pdu } of scanned.threads) {
    const at = placeOf.get(ordinal);
    if (at >= 0 && !index.has(at, DE_OUTLIER)) threadOf(pdu, index.depth.get(at), 0, index.sourceOrdering.get(at));
  }
  const deOutliered = index.deOutlierIds.size;

  // Orderings: all of them below the target's lowest, older lower.
  const order = index.ordered();
  const total = order.length;
  const low = await lowestStreamOrdering(target.main);
  const newOrderingAt = (rank: number): number => low - (total - rank);
  const lowest = total > 0 ? low - total : 0;
  /** The new stream ordering of an imported event, by its (depth, source ordering): its rank in `order`. */
  const newOrderingOf = (depth: number, sourceOrdering: number): number => {
    let lo = 0;
    let hi = total;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const i = order[mid]!;
      const d = index.depth.get(i) - depth || index.sourceOrdering.get(i) - sourceOrdering;
      if (d < 0) lo = mid + 1;
      else hi = mid;
    }
    return newOrderingAt(lo);
  };

  // State group ids: above the target's.
  let nextGroup = (await stateGroupIdPosition(target.state)) + 1;
  const groupMap = new Map<number, number>();
  let maxNewGroup = 0;

  const steps: Step[] = [];
  const scratch = (request.scratch ?? pipeline.usesWorker) && target.main.capabilities.scratchCopy && target.state.capabilities.scratchCopy;
  let unit = 0;
  let stateGroupsCopied = 0;

  // First, with the first batch: what must hold as soon as any batch is committed. The backfill
  // stream position covers every ordering the import hands out; the chain cover flag is cleared.
  const headSteps: Step[] = [];
  if (stateEventsImported && targetRoom.has_auth_chain_index === true && (await hasColumn(target.main, 'rooms', 'has_auth_chain_index'))) {
    headSteps.push(clearAuthChainIndexStep(roomId, { text: 'the chain cover index is not computed for imported state events: Synapse uses its other auth-difference algorithm for this room' }));
  }
  const bookkeeping = total > 0 ? await planIdBookkeeping(target.main, { maxStreamOrdering: 0, minStreamOrdering: lowest, maxStateGroup: 0, maxChainId: 0 }, { reason: { text: 'the backfill stream position below every imported ordering (id_generators.py reads it on start)' } }) : [];
  headSteps.push(...bookkeeping.filter((st) => st.kind !== 'sequence'));
  const sequenceSteps: Step[] = bookkeeping.filter((st) => st.kind === 'sequence');
  const searchShape = eventSearchShape(target.main);
  // Each table's columns in the target (those it lacks are dropped; a table it lacks is not written)
  const liveCols = new Map<string, string[]>();
  for (const [table, cols] of Object.entries(COLUMNS)) {
    const live = await liveColumns(target.main, table, cols);
    if (live) liveCols.set(table, live);
  }
  for (const [table, cols] of Object.entries(STATE_COLUMNS)) {
    const live = await liveColumns(target.state, table, cols);
    if (live) liveCols.set(table, live);
  }
  const sliceColumns = Object.fromEntries(liveCols);

  // Batches newest first, as Synapse backfills: each one transaction, its rows made (and held in
  // memory) one slice of at most SLICE events at a time. Written slice by slice, each slice's
  // tables in turn; or, copied from a scratch file, the whole batch one table at a time (each
  // table's random index pages are then worked on together, not all tables' at once).
  const slice = Math.max(1, Math.min(request.sliceSize ?? SLICE, batchSize));
  // With the worker making a batch's rows while the one before is copied, batches are cut so that
  // the two overlap (batchSizes; --batch-size is an upper bound).
  const sizes = batchSizes(total, slice, batchSize, overlapped);
  let sliceNo = 0;
  let batchEnd = total;
  for (const size of sizes) {
    unit++;
    const batchStart = batchEnd - size;
    const u = <T extends Step>(s: T): T => ({ ...s, unit });
    if (unit === 1) for (const st of headSteps) steps.push(u(st));
    const slices: PlannedSlice[] = [];
    // Within a batch, slices oldest first: each table's rows then go in in ascending stream (and
    // roughly depth and time) order, which SQLite's and PostgreSQL's b-trees append to; rows going in
    // below the ones before them split pages instead (events at 100,000: 0.81 -> 0.4 s).
    for (let start = batchStart; start < batchEnd; start += slice) {
      sliceNo++;
      const end = Math.min(batchEnd, start + slice);
      const batch = new Batch(order, index, start, end, newOrderingAt);
      const members = batch.members;
      // The state groups this slice needs that earlier slices did not copy.
      const wanted = members.filter((i) => !index.has(i, OUTLIER) && index.group(i) !== null).map((i) => index.group(i)!);
      const closure = await stateGroupClosure(source.state, wanted.filter((g) => !groupMap.has(g)));
      const fresh = [...closure.keys()].filter((g) => !groupMap.has(g)).sort((x, y) => x - y);
      for (const g of fresh) {
        groupMap.set(g, nextGroup);
        maxNewGroup = nextGroup++;
      }
      stateGroupsCopied += fresh.length;
      // kept until the slice is written: its groups and what each is a delta on, as pairs (NaN: none)
      const freshPairs = new Float64Array(fresh.length * 2);
      fresh.forEach((g, k) => {
        freshPairs[2 * k] = g;
        freshPairs[2 * k + 1] = closure.get(g) ?? Number.NaN;
      });
      const k = pipeline.add(() => sliceRequest(roomId, rules, index, batch, freshPairs, groupMap, sliceColumns, target.main.capabilities.eventSearch), unit);
      slices.push({
        no: sliceNo, k, members,
        stateCounts: fresh.length === 0 ? undefined : {
          state_groups: fresh.length,
          state_group_edges: fresh.filter((g) => closure.get(g) !== null && closure.get(g) !== undefined).length,
          state_groups_state: await countStateGroupRows(source.state, fresh),
        },
      });
    }
    for (const group of scratch ? [slices] : slices.map((x) => [x])) {
      const prefix = `batch${group[0]!.no}-`;
      const rowsOf = (table: string) => async function* (): AsyncIterable<readonly (readonly SqlValue[])[]> {
        for (const x of group) yield (await pipeline.rows(x.k)).tables.get(table) ?? [];
      };
      const thisUnit = unit; // the unit number as it is now (the closure runs when the plan is applied)
      const inFile = scratch ? () => pipeline.file(thisUnit) : undefined;
      const stateReason: Reason = { text: 'the source\'s state groups of these events (and the groups they are deltas on), with fresh ids' };
      for (const table of ['state_groups', 'state_group_edges', 'state_groups_state'] as const) {
        const cols = liveCols.get(table);
        const n = group.reduce((a, x) => a + (x.stateCounts?.[table] ?? 0), 0);
        const st = cols && lazyInsertStep(table, cols, n, rowsOf(table), { reason: stateReason, database: 'state', idPrefix: prefix }, inFile);
        if (st) steps.push(u(st));
      }
      // The events of the group: counted now, made when they are written.
      const count = (table: string): number => {
        let n = 0;
        for (const x of group) {
          for (const i of x.members) {
            const timelineGroup = !index.has(i, OUTLIER) && index.group(i) !== null;
            if (index.has(i, DE_OUTLIER)) n += (table === 'event_to_state_groups' || table === 'ex_outlier_stream') && timelineGroup && groupMap.has(index.group(i)!) ? 1 : 0;
            else if (table === 'events' || table === 'event_json') n++;
            else if (table === 'state_events') n += index.has(i, STATE) ? 1 : 0;
            else if (table === 'rejections') n += index.has(i, REJECTED) ? 1 : 0;
            else if (table === 'event_to_state_groups') n += timelineGroup ? 1 : 0;
            else if (table === 'ex_outlier_stream') n += 0;
            else n += index.counts.get(table)?.get(i) ?? 0;
          }
        }
        return n;
      };
      for (const table of ['events', 'event_json', 'state_events', 'event_auth', 'rejections', 'event_edges', 'room_memberships', 'event_relations', 'redactions', 'event_to_state_groups', 'ex_outlier_stream']) {
        const cols = liveCols.get(table);
        const st = cols && lazyInsertStep(table, cols, count(table), rowsOf(table), { reason: REASON, idPrefix: prefix }, inFile);
        if (st) steps.push(u(st));
      }
      const searchCount = count('event_search');
      if (searchCount > 0) {
        steps.push(u({
          kind: 'insert', id: `${prefix}event_search`, reason: REASON, database: 'main', table: 'event_search', key: ['event_id'], count: searchCount,
          columns: searchShape.columns, ...(searchShape.expressions ? { expressions: searchShape.expressions } : {}),
          rows: async function* () {
            for (const x of group) yield (await pipeline.rows(x.k)).search;
          },
          ...(inFile ? { scratch: inFile } : {}),
        }));
      }
      for (const x of group) {
        const deOutlierIds = x.members.filter((i) => index.has(i, DE_OUTLIER)).map((i) => index.deOutlierIds.get(i)!);
        for (const st of deOutlierSteps(roomId, deOutlierIds, `batch${x.no}-`, { text: 'the source holds these in its timeline: no longer outliers (events.py _update_outliers_txn)' })) steps.push(u(st));
      }
    }
    batchEnd = batchStart;
  }

  // the row counts served the steps' counts, made above: not needed while the plan runs
  index.counts.clear();

  // Room-wide rows, last.
  unit++;
  const roomReason: Reason = { text: 'the room\'s backfill bookkeeping (events.py _update_backward_extremeties, _update_min_depth_for_room_txn)' };
  const finalSteps: Step[] = [];
  const beBefore = await findBackwardExtremities(target.main, roomId);
  const failedBefore = await findFailedPullAttempts(target.main, roomId);
  // Whether an event is stored after the import, and as a timeline event: asked of both databases
  // for the few ids that matter (backward extremities before, prev events no recent event resolved,
  // failed pulls).
  const conflicted = new Set(conflicts.map((c) => c.event_id));
  const asked = [...new Set([...beBefore, ...prevCandidates, ...failedBefore])];
  const inSource = await findEventStatusByIds(source.main, source.schema.capabilities, roomId, asked);
  const statusInTarget = (id: string): { outlier: boolean } | undefined => have.get(id);
  const timelineAfter = (id: string): boolean => {
    const t = statusInTarget(id);
    const s = inSource.get(id);
    if (t && !t.outlier) return true;
    if (!s || s.outlier) return false;
    if (!t) return true; // imported now (a missing event of the source's room)
    return !s.rejected && !conflicted.has(id) && have.has(id); // de-outliered
  };
  const beAfter = [...new Set([...beBefore, ...prevCandidates])].filter((id) => !timelineAfter(id)).sort();
  const beGone = beBefore.filter((id) => !beAfter.includes(id));
  const beAdded = beAfter.filter((id) => !beBefore.includes(id));
  finalSteps.push(...keyedStatements(roomId, { id: 'event_backward_extremities-resolved', table: 'event_backward_extremities', roomColumn: 'room_id', column: 'event_id', ids: beGone, exact: true }, roomReason));
  finalSteps.push(...(await planInsertRows(target.main, 'event_backward_extremities', beAdded.map((event_id) => ({ event_id, room_id: roomId })), { reason: roomReason })));
  const failed = failedBefore.filter((id) => statusInTarget(id) !== undefined || inSource.has(id));
  finalSteps.push(...keyedStatements(roomId, { id: 'event_failed_pull_attempts-present', table: 'event_failed_pull_attempts', roomColumn: 'room_id', column: 'event_id', ids: failed, exact: true }, roomReason));

  const minImported = minTimelineDepth;
  const minDepth = await findMinDepth(target.main, roomId);
  if (Number.isFinite(minImported) && (minDepth === undefined || minDepth === null || minImported < minDepth)) {
    if (minDepth === undefined) finalSteps.push(...(await planInsertRows(target.main, 'room_depth', [{ room_id: roomId, min_depth: minImported }], { reason: roomReason })));
    else finalSteps.push(lowerMinDepthStep(roomId, minImported, roomReason));
  }
  const threadRows = new Map<string, ThreadPosition>();
  for (const best of threads.values()) {
    const so = best.tier === 1 ? best.ordering : newOrderingOf(best.depth, best.ordering);
    const t = threadCandidate({ pdu: best.pdu, roomId, streamOrdering: so, receivedTs: 0 });
    if (t) threadRows.set(t.threadId, t);
  }
  finalSteps.push(...(await planThreadRows(target.main, roomId, threadRows, roomReason)));
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
  let timelineAfterImport = deOutliered + (missingCount - missingOutliers);
  for (const t of have.values()) if (!t.outlier) timelineAfterImport++;
  const preconditions: Check[] = [
    roomEventCountCheck('room-events', 'the target\'s room holds the events it held when the plan was made', roomId, have.size),
  ];
  const verify: Check[] = [
    roomEventCountCheck('room-events-after', 'every source event is in the target', roomId, have.size + missingCount),
    roomTimelineCountCheck('outliers-after', 'the timeline events of the source are timeline events in the target', roomId, timelineAfterImport),
    backwardExtremityCountCheck('backward-extremities-after', 'the backward extremities are the prev events no timeline event resolves', roomId, beAfter.length),
  ];
  const summary: ImportSummary = {
    room_id: roomId,
    room_version: rules.id,
    source_events: sourceCount,
    already_present: alreadyPresent,
    missing: missingCount,
    missing_timeline: missingCount - missingOutliers,
    missing_outliers: missingOutliers,
    de_outliered: deOutliered,
    conflicts,
    ...(oldest ? { oldest: { event_id: oldest.event_id, origin_server_ts: oldest.origin_server_ts, depth: oldest.depth } } : {}),
    ...(newest ? { newest: { event_id: newest.event_id, origin_server_ts: newest.origin_server_ts, depth: newest.depth } } : {}),
    state_groups: stateGroupsCopied,
    batches: sizes.length,
    backward_extremities: { before: beBefore, after: beAfter },
    lowest_stream_ordering: lowest,
  };
  // the slices are read by the worker: this connection's cache of the planning pass is not needed again
  if (pipeline.usesWorker) releaseMemory(source.main);
  const notes = describe(summary);
  const plan = makePlan(target, { command, steps, preconditions, verify, notes });
  return { plan, summary, empty: steps.every((st) => st.kind === 'sequence') && !(await sequencesBehind(target, steps)) };
}

/**
 * The batches' sizes, newest first, summing to `total`: at most `batchSize` each. With a worker
 * making the rows of the batches ahead while one is copied (`overlapped`): the writer, about as fast
 * as the worker, can start a batch only once it is made whole, so the first and the last are one
 * slice each (the writer starts as soon as a slice is made; once the worker is done only a slice is
 * left to copy), and those between are of equal size, up to six of whole slices for a room smaller
 * than six batches (smaller ones would make the writer wait less, but each commit rewrites the
 * random index pages it touched). At 100,000 events: 5, then six of 15, then 5 thousand; with four
 * batches of 25,000 the writer waited 1.4 s for the first.
 */
export function batchSizes(total: number, slice: number, batchSize: number, overlapped: boolean): number[] {
  const sizes: number[] = [];
  const fill = (n: number, size: number): void => {
    for (let left = n; left > 0; left -= size) sizes.push(Math.min(left, size));
  };
  if (!overlapped) {
    fill(total, batchSize);
    return sizes;
  }
  const one = Math.min(slice, batchSize);
  const first = Math.min(total, one);
  const last = total - first > one ? one : 0;
  const middle = total - first - last;
  fill(first, one);
  fill(middle, Math.min(batchSize, Math.max(one, Math.ceil(middle / 6 / one) * one)));
  fill(last, one);
  return sizes;
}

/**
 * The planner's share of planning's JSON pass when the worker reads an SQLite source for an SQLite
 * target: the last quarter of the room's events. Reading the room without the JSON costs the
 * planner about half what the worker's pass costs, so with a quarter each is done at about the same
 * time (the plan of 100,000 events in 1.28 s instead of 1.59 s, of 1,000,000 in 15.4 s instead of
 * 16.7 s). None for a small room.
 */
const PLANNER_SCAN_SHARE = 0.25;
const PLANNER_SCAN_MIN_EVENTS = 4000;

async function plannerScanFrom(source: ReadStore, roomId: string, minEvents: number): Promise<number | undefined> {
  const n = await countRoomEvents(source.main, roomId);
  if (n < Math.max(minEvents, 2)) return undefined;
  return streamOrderingOfLast(source.main, roomId, Math.floor(n * PLANNER_SCAN_SHARE));
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
