/**
 * `extremities --prune`: what Synapse's admin API `DELETE /_synapse/admin/v1/rooms/<room>/forward_extremities`
 * does, as a plan run offline.
 *
 * What Synapse does, and we reproduce (synapse/rest/admin/rooms.py `ForwardExtremitiesRestServlet.on_DELETE`
 * → synapse/storage/databases/main/events_forward_extremities.py `delete_forward_extremities_for_room`,
 * unchanged since 2021):
 * - it picks the one extremity to keep with `SELECT event_id FROM event_forward_extremities INNER
 *   JOIN events USING (room_id, event_id) WHERE room_id = ? ORDER BY stream_ordering DESC LIMIT 1`:
 *   the highest stream ordering among the rows whose event is stored in that room; nothing else
 *   (depth, rejection, soft failure, outlier) counts;
 * - it deletes every other row of the room from `event_forward_extremities`
 *   (`WHERE event_id != ? AND room_id = ?`), rows naming events it lacks included;
 * - it touches no other table: `stream_ordering_to_exterm`, the current state and the state groups
 *   stay as they were;
 * - it invalidates the `get_latest_event_ids_in_room` cache (and streams the invalidation to
 *   workers). Offline there is no cache to invalidate: Synapse must be restarted after applying
 *   (applyPlan refuses while it runs).
 * - with no row joining `events` it fails (it means to raise a 400, but catches KeyError where the
 *   empty list raises IndexError, so the admin gets a 500). We refuse instead.
 * `--keep N` keeps the first N of that same ranking (N = 1 is the admin API).
 */
import { SynapseDoctorError } from '../errors.js';
import { makePlan } from '../plan/make-plan.js';
import type { Plan, Reason } from '../plan/plan.js';
import type { ReadStore } from '../store/open.js';
import { deleteExtremitySteps, extremitySetChecks } from '../store/writers/extremity-steps.js';
import type { Extremity, ExtremityListing } from './list-extremities.js';

const ADMIN_API = 'https://element-hq.github.io/synapse/latest/admin_api/rooms.html#deleting-forward-extremities';

export interface PruneOptions {
  /** How many to keep, newest by stream ordering first (default 1, as Synapse). */
  readonly keep?: number;
  readonly command: string;
}

export interface PrunePlanResult {
  readonly plan: Plan;
  readonly kept: readonly Extremity[];
  readonly deleted: readonly Extremity[];
  /** Nothing to delete. */
  readonly empty: boolean;
}

/** The flags that make an extremity one Synapse would never have chosen (for the notes). */
export function extremityFlags(x: Extremity): string[] {
  const flags: string[] = [];
  if (x.missing) flags.push('missing');
  if (x.rejected) flags.push('rejected');
  if (x.soft_failed) flags.push('soft-failed');
  if (x.outlier) flags.push('outlier');
  if (x.has_descendant === true) flags.push('has-descendant');
  if (x.has_descendant === 'unknown' && !x.missing) flags.push('descendant?');
  return flags;
}

export function planPruneExtremities(store: ReadStore, listing: ExtremityListing, options: PruneOptions): PrunePlanResult {
  const keep = options.keep ?? 1;
  const room = listing.room_id;
  // Synapse's candidates: rows whose event is in `events` for this room, by stream ordering, newest first.
  const candidates = listing.extremities.filter((x) => !x.missing && x.stream_ordering !== null).sort((a, b) => b.stream_ordering! - a.stream_ordering!);
  if (listing.count > 0 && candidates.length === 0) {
    throw new SynapseDoctorError('NO_EXTREMITY_TO_KEEP', `none of the ${listing.count} forward extremities of ${room} names an event stored in this room: there is none to keep`, {
      hint: "Synapse's admin API fails here too; the room's extremities must be rebuilt from its events, which prune does not do.",
    });
  }
  const kept = candidates.slice(0, keep);
  const keptIds = new Set(kept.map((x) => x.event_id));
  const deleted = listing.extremities.filter((x) => !keptIds.has(x.event_id));
  const allIds = listing.extremities.map((x) => x.event_id);
  const reason: Reason = {
    text: `forward extremities beyond the ${keep === 1 ? 'newest' : `${keep} newest`} by stream ordering, deleted as Synapse's admin API DELETE /_synapse/admin/v1/rooms/<room>/forward_extremities does (events_forward_extremities.py delete_forward_extremities_for_room)`,
    spec: ADMIN_API,
  };
  const steps = deleteExtremitySteps(room, deleted.map((x) => x.event_id), reason);
  const preconditions = extremitySetChecks(room, allIds, 'extremities-before', 'the forward extremities of the room are those the plan was made from');
  const verify = extremitySetChecks(room, kept.map((x) => x.event_id), 'extremities-after', 'exactly the kept forward extremities remain');
  const plan = makePlan(store, { command: options.command, steps, preconditions, verify, notes: describe(listing, kept, deleted, keep) });
  return { plan, kept, deleted, empty: steps.length === 0 };
}

function line(x: Extremity): string {
  const flags = extremityFlags(x);
  const what = x.missing ? '(not in events)' : `${x.type ?? '?'}${x.state_key !== null ? ` [${x.state_key}]` : ''} from ${x.sender ?? '?'}, depth ${x.depth}, stream ${x.stream_ordering}`;
  return `  ${x.event_id}  ${what}${flags.length ? `  (${flags.join(', ')})` : ''}`;
}

function describe(listing: ExtremityListing, kept: readonly Extremity[], deleted: readonly Extremity[], keep: number): string[] {
  const notes: string[] = [];
  notes.push(`Room ${listing.room_id}: ${listing.count} forward ${listing.count === 1 ? 'extremity' : 'extremities'}; keeps ${kept.length} (the ${keep === 1 ? 'one with the highest stream ordering, as Synapse\'s admin API does' : `${keep} with the highest stream orderings; Synapse's admin API keeps 1`}), deletes ${deleted.length}.`);
  notes.push('Keeps:');
  for (const x of kept) notes.push(line(x));
  if (deleted.length > 0) {
    notes.push('Deletes:');
    for (const x of deleted.slice(0, 50)) notes.push(line(x));
    if (deleted.length > 50) notes.push(`  … and ${deleted.length - 50} more (--json lists every one)`);
  }
  const odd = kept.filter((x) => extremityFlags(x).some((f) => f !== 'descendant?'));
  for (const x of odd) notes.push(`Note: the kept ${x.event_id} is ${extremityFlags(x).join(', ')}: Synapse's rule ranks by stream ordering only and keeps it anyway.`);
  notes.push('Left as they are, as the admin API leaves them: the current state, stream_ordering_to_exterm, state groups.');
  notes.push('Synapse caches each room\'s extremities (get_latest_event_ids_in_room; the admin API invalidates it): restart Synapse and every worker after applying. --apply refuses while Synapse runs.');
  return notes;
}
