/**
 * fsck group `dag`: the rows Synapse derives from the event graph: event_edges and event_auth (from
 * each event's prev_events and auth_events), the backward and forward extremities, and
 * room_depth.min_depth.
 *
 * What Synapse writes (synapse/storage/databases/main/events.py):
 * - event_edges: one row per prev event of every accepted event, outliers included
 *   (`_handle_mult_prev_events`, from `_update_metadata_tables_txn`, which rejected events skip);
 * - event_auth: one row per auth event of every state event, rejected ones too
 *   (`_persist_event_auth_chain_txn`);
 * - event_backward_extremities: the prev events of accepted timeline events that are not stored as
 *   timeline events, removed when one is (`_update_backward_extremeties`);
 * - room_depth.min_depth: lowered, per persisted batch holding accepted timeline events, to the
 *   batch's highest depth (`_update_room_depths_txn` → `_update_min_depth_for_room_txn`; purge sets it
 *   from the backward extremities, purge_events.py). So it never exceeds the highest depth of the
 *   room's accepted timeline events, is never negative, and exists once the room has one; Synapse
 *   reads it to decide whether to fetch missing prev events and whether to send push notifications
 *   (federation_event.py `get_min_depth`).
 * - event_forward_extremities: never an event that an accepted, non-outlier, not soft-failed event
 *   cites as a prev event (persist_events.py `_calculate_new_extremities`).
 */
import type { FsckCheckDefinition, FsckContext, FsckFinding, FsckRepair } from '../check.js';
import type { Check, Reason, Step } from '../../plan/plan.js';
import { internalMetadataFlag } from '../../store/internal-metadata.js';
import { findForwardExtremityCounts } from '../../store/readers/inspect.js';
import { findRoomDepths, iterateExtremitiesWithChildren, iterateHeldBackwardExtremities, iterateMissingBackwardExtremities } from '../../store/readers/fsck-dag.js';
import { EVENT_AUTH, EVENT_EDGES, eventRowCountChecks, pairCountChecks, pairDeleteSteps, pairInsertSteps, roomDepthSteps, type PairTable } from '../../store/writers/fsck-repairs.js';
import { roomsOf, tally } from '../sample.js';
import { eventPass, runEventPass, startEventPassAside, type RowDiff } from './event-pass.js';

/** Synapse's `dummy_events_threshold` default (synapse/config/server.py): above it, it sends dummy events to merge extremities. */
export const DUMMY_EVENTS_THRESHOLD = 10;

/** The repair of a JSON-derived relation: for the affected events only, insert the missing pairs and delete the wrong ones. */
async function repairPairs(ctx: FsckContext, findings: readonly FsckFinding[], t: PairTable, which: 'onEdges' | 'onAuth', what: string): Promise<FsckRepair> {
  const diffs: RowDiff[] = [];
  await runEventPass(ctx, { rooms: roomsOf(findings), [which]: (d: RowDiff) => diffs.push(d) });
  const inserts = diffs.flatMap((d) => d.missing.map((other) => ({ event_id: d.event_id, other, room_id: d.room_id })));
  const deletes = diffs.flatMap((d) => d.extra.map((other) => [d.event_id, other] as const));
  const reason: Reason = { text: `${t.table}: rebuilt from each event's ${what} in its stored JSON (rows missing inserted, rows the JSON does not name deleted), as Synapse writes it` };
  const steps: Step[] = [...pairDeleteSteps(t, deletes, reason, ''), ...(await pairInsertSteps(ctx.db.main, t, inserts, reason, ''))];
  // the events' row counts as read: (rows the JSON names and the table has) + (rows it does not name)
  const counts = await countRows(ctx, t, diffs);
  const preconditions: Check[] = eventRowCountChecks(t, counts, 'rows-before', `the ${t.table} rows of the events repaired are as they were read`);
  const inserted = inserts.map((r) => [r.event_id, r.other] as const);
  const verify: Check[] = [
    ...pairCountChecks(t, inserted, 'inserted', `every ${t.table} row the JSON names is present`, 'all'),
    ...pairCountChecks(t, deletes, 'deleted', `no ${t.table} row the JSON does not name is left`, 'none'),
  ];
  return { steps, preconditions, verify };
}

async function countRows(ctx: FsckContext, t: PairTable, diffs: readonly RowDiff[]): Promise<[string, number][]> {
  const { findAuthOf, findEdgesOf } = await import('../../store/readers/fsck-events.js');
  const ids = diffs.map((d) => d.event_id);
  const rows = t.table === 'event_edges' ? await findEdgesOf(ctx.db.main, ids) : await findAuthOf(ctx.db.main, ids);
  const n = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const r of rows) n.set(r.event_id, (n.get(r.event_id) ?? 0) + 1);
  return [...n];
}

const edges: FsckCheckDefinition = {
  id: 'dag.edges-mismatch',
  group: 'dag',
  title: 'accepted events whose event_edges differ from their prev_events',
  severity: 'error',
  why: 'Synapse walks event_edges, not the JSON, to backfill, paginate and compute extremities: missing rows (what un-rejecting events by hand leaves) cut the room\'s history there and leave stale forward extremities, wrong rows invent ancestry.',
  fixable: true,
  startAside: startEventPassAside,
  async run(ctx) {
    return (await eventPass(ctx)).edges.findings(this, () => ({ advice: '--fix rebuilds these rows from the stored JSON.' }));
  },
  repair(ctx, findings) {
    return repairPairs(ctx, findings, EVENT_EDGES, 'onEdges', 'prev_events');
  },
};

const auth: FsckCheckDefinition = {
  id: 'dag.auth-mismatch',
  group: 'dag',
  title: 'state events whose event_auth differs from their auth_events',
  severity: 'error',
  why: 'Synapse reads event_auth for auth chains (state resolution, /event_auth and /state_ids for other servers, the chain cover index), so rows that differ from the JSON give wrong auth chains and wrong resolved state.',
  fixable: true,
  startAside: startEventPassAside,
  async run(ctx) {
    return (await eventPass(ctx)).auth.findings(this, () => ({ advice: '--fix rebuilds these rows from the stored JSON; restart Synapse afterwards (it caches auth chains).' }));
  },
  repair(ctx, findings) {
    return repairPairs(ctx, findings, EVENT_AUTH, 'onAuth', 'auth_events').then((r) => ({ ...r, notes: ['event_auth changed: the auth chain cover index (event_auth_chains) was computed from the old rows; fsck\'s orderings checks say whether it disagrees.'] }));
  },
};

const heldBackward: FsckCheckDefinition = {
  id: 'dag.backward-extremity-held',
  group: 'dag',
  title: 'backward extremities that are timeline events we hold',
  severity: 'warning',
  why: 'Synapse backfills from backward extremities: one that is an event it already holds in the timeline makes it ask other servers for history it has, again on every pagination, and marks a gap in the timeline that is not there.',
  fixable: false,
  async run(ctx) {
    const t = tally(ctx);
    for await (const r of iterateHeldBackwardExtremities(ctx.db.main, ctx.db.schema.capabilities, ctx.roomId)) t.add(r.room_id, () => ({ event_id: r.event_id, depth: r.depth }));
    return t.findings(this, () => ({ advice: 'delete these event_backward_extremities rows (and record the prev events of those events that we lack instead), as Synapse does when it persists the event.' }));
  },
};

const missingBackward: FsckCheckDefinition = {
  id: 'dag.missing-backward-extremity',
  group: 'dag',
  title: 'missing prev events not recorded as backward extremities',
  severity: 'warning',
  why: 'Synapse only backfills from backward extremities: a prev event it lacks that is not one is a hole in the room\'s history that Synapse will never fill, and /messages stops there without saying so.',
  fixable: false,
  async run(ctx) {
    const t = tally(ctx);
    for await (const r of iterateMissingBackwardExtremities(ctx.db.main, ctx.db.schema.capabilities, ctx.roomId)) t.add(r.room_id, () => ({ prev_event_id: r.prev_event_id, cited_by: r.event_id }));
    return t.findings(this, () => ({ advice: 'insert these event ids into event_backward_extremities (room_id, event_id) so that Synapse backfills them, or `import-history` from a server that has them.' }));
  },
};

const depthFinding = (r: { min_depth: number | null; has_row: boolean; max_event_depth: number | null }): string | undefined => {
  if (r.max_event_depth !== null && (!r.has_row || r.min_depth === null)) return 'no min_depth although the room has accepted timeline events';
  if (r.min_depth !== null && r.min_depth < 0) return 'negative';
  if (r.min_depth !== null && r.max_event_depth !== null && r.min_depth > r.max_event_depth) return 'above the depth of every accepted timeline event';
  return undefined;
};

const minDepth: FsckCheckDefinition = {
  id: 'dag.min-depth',
  group: 'dag',
  title: 'room_depth.min_depth wrong',
  severity: 'warning',
  why: 'Synapse fetches missing prev events of an incoming event and sends push notifications for it only when its depth is above room_depth.min_depth: a missing or too high value silently stops both for the room.',
  fixable: true,
  async run(ctx) {
    const t = tally(ctx);
    for (const r of await findRoomDepths(ctx.db.main, ctx.db.schema.capabilities, ctx.roomId)) {
      const problem = depthFinding(r);
      if (problem) t.add(r.room_id, () => ({ min_depth: r.min_depth, lowest_event_depth: r.min_event_depth, highest_event_depth: r.max_event_depth, problem }));
    }
    return t.findings(this, () => ({ advice: '--fix sets min_depth to the lowest depth of the room\'s accepted timeline events (what Synapse reaches when it persists them one batch at a time).' }));
  },
  async repair(ctx, findings) {
    const rooms = new Set(roomsOf(findings));
    const fixes = [];
    for (const r of await findRoomDepths(ctx.db.main, ctx.db.schema.capabilities, ctx.roomId)) {
      if (!rooms.has(r.room_id) || depthFinding(r) === undefined) continue;
      // no accepted timeline event (a negative value alone): 0, as Synapse's purge leaves a room without such events
      fixes.push({ room_id: r.room_id, has_row: r.has_row, before: r.min_depth, min_depth: r.min_event_depth ?? 0 });
    }
    const reason: Reason = { text: 'room_depth.min_depth: the lowest depth of the room\'s accepted timeline events (events.py _update_min_depth_for_room_txn)' };
    return roomDepthSteps(ctx.db.main, fixes, reason, '');
  },
};

const tooMany: FsckCheckDefinition = {
  id: 'dag.too-many-forward-extremities',
  group: 'dag',
  title: `more than ${DUMMY_EVENTS_THRESHOLD} forward extremities`,
  severity: 'warning',
  why: `Every event sent in the room resolves the state of all its forward extremities, so beyond Synapse's dummy_events_threshold (${DUMMY_EVENTS_THRESHOLD}) sending and federation get slower with each one (Synapse then sends dummy events to merge them).`,
  fixable: false,
  async run(ctx) {
    const t = tally(ctx);
    for (const r of await findForwardExtremityCounts(ctx.db.main, ctx.roomId)) {
      if (r.n > DUMMY_EVENTS_THRESHOLD) t.add(r.room_id, () => ({ forward_extremities: r.n, threshold: DUMMY_EVENTS_THRESHOLD }), r.n);
    }
    return t.findings(this, () => ({ advice: '`extremities --prune --room ROOM` keeps the latest ones (or let a local user send a message: Synapse then merges them with dummy events).' }));
  },
};

const withChildren: FsckCheckDefinition = {
  id: 'dag.forward-extremity-has-child',
  group: 'dag',
  title: 'forward extremities that a later accepted event descends from',
  severity: 'warning',
  why: 'A forward extremity must be a latest event: one that an accepted timeline event already cites as a prev event makes Synapse build new events on stale ancestors and resolve state across them on every send.',
  fixable: false,
  async run(ctx) {
    const t = tally(ctx);
    let last = '';
    for await (const r of iterateExtremitiesWithChildren(ctx.db.main, ctx.db.schema.capabilities, ctx.roomId)) {
      if (r.internal_metadata !== null && internalMetadataFlag(r.internal_metadata, 'soft_failed')) continue;
      const key = JSON.stringify([r.room_id, r.event_id]);
      if (key === last) continue; // one per extremity (rows come ordered by extremity)
      last = key;
      t.add(r.room_id, () => ({ event_id: r.event_id, cited_by: r.child_id }));
    }
    return t.findings(this, () => ({ advice: '`extremities --prune --room ROOM` removes them.' }));
  },
};

export const DAG_CHECKS: readonly FsckCheckDefinition[] = [edges, auth, heldBackward, missingBackward, minDepth, tooMany, withChildren];
