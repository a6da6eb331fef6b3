/**
 * A room's forward extremities as an admin wants to see them before pruning: each row of
 * `event_forward_extremities` with its event (sender, depth, stream ordering, age, type), the flags
 * Synapse's own rule would have kept it out for (rejected, soft-failed, outlier: synapse/storage/
 * controllers/persist_events.py `_calculate_new_extremities`), rows naming an event we do not
 * have, and whether another extremity descends from it.
 *
 * Descent is found by walking prev edges (`event_edges`) backwards from every extremity at once,
 * remembering which extremity each visited event was reached from: an edge into an extremity F
 * from an event reached from G means G descends from F (G ≠ F: the DAG has no cycles). The walk is
 * bounded twice: it never goes below the lowest depth of the extremity set (an ancestor is deeper
 * in the past, so lower in depth, than what descends from it — trusting stored depths, which
 * remote servers choose), and it visits at most `walkLimit` events; when that bound stops it, the
 * extremities not yet found to have a descendant are "unknown". Rejected events have no
 * `event_edges` rows (Synapse does not write them), so the walk does not continue through them.
 */
import { internalMetadataFlag } from '../store/internal-metadata.js';
import type { ReadStore } from '../store/open.js';
import { findForwardExtremityRows, findPrevEdges, type ForwardExtremityRow } from '../store/readers/extremities.js';
import { findRoomRow } from '../store/readers/history.js';
import { SynapseDoctorError } from '../errors.js';

export const DEFAULT_WALK_LIMIT = 10_000;

export interface Extremity {
  readonly event_id: string;
  readonly missing: boolean;
  readonly type: string | null;
  readonly state_key: string | null;
  readonly sender: string | null;
  readonly depth: number | null;
  readonly stream_ordering: number | null;
  readonly origin_server_ts: number | null;
  /** now − origin_server_ts, in ms (null for a missing event). */
  readonly age_ms: number | null;
  readonly received_ts: number | null;
  readonly state_group: number | null;
  readonly rejected: boolean;
  readonly rejection_reason: string | null;
  readonly soft_failed: boolean;
  readonly outlier: boolean;
  /** true: another extremity descends from it (`descendant` names one); 'unknown': the walk's bound was hit first, or the event is missing. */
  readonly has_descendant: boolean | 'unknown';
  readonly descendant: string | null;
}

export interface ExtremityListing {
  readonly room_id: string;
  readonly count: number;
  /** Newest first, by stream ordering (the order Synapse's admin API ranks them); missing events last. */
  readonly extremities: readonly Extremity[];
  readonly walk: {
    readonly visited: number;
    readonly limit: number;
    readonly complete: boolean;
    readonly min_depth: number | null;
  };
  readonly now: number;
}

export interface ListOptions {
  readonly walkLimit?: number;
  /** The clock for ages (ms since the epoch); default Date.now(). */
  readonly now?: number;
}

/** Synapse's ranking of the extremities that have an event: highest stream ordering first. */
export function byStreamOrderingDesc(a: { stream_ordering: number | null; event_id: string }, b: { stream_ordering: number | null; event_id: string }): number {
  if (a.stream_ordering === null || b.stream_ordering === null) {
    if (a.stream_ordering === b.stream_ordering) return a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0;
    return a.stream_ordering === null ? 1 : -1;
  }
  return b.stream_ordering - a.stream_ordering;
}

export async function findExtremities(store: ReadStore, roomId: string, options: ListOptions = {}): Promise<ExtremityListing> {
  if (!(await findRoomRow(store.main, roomId))) throw new SynapseDoctorError('ROOM_NOT_FOUND', `room ${roomId} is not in this database`);
  const limit = options.walkLimit ?? DEFAULT_WALK_LIMIT;
  const now = options.now ?? Date.now();
  const rows = await findForwardExtremityRows(store.main, store.schema.capabilities, roomId);
  const walk = await walkDescent(store, roomId, rows, limit);
  const extremities = rows.map((r): Extremity => {
    const d = walk.descendant.get(r.event_id);
    return {
      event_id: r.event_id,
      missing: !r.in_events,
      type: r.type,
      state_key: r.state_key,
      sender: r.sender,
      depth: r.depth,
      stream_ordering: r.stream_ordering,
      origin_server_ts: r.origin_server_ts,
      age_ms: r.origin_server_ts === null ? null : now - r.origin_server_ts,
      received_ts: r.received_ts,
      state_group: r.state_group,
      rejected: r.rejected,
      rejection_reason: r.rejection,
      soft_failed: r.internal_metadata !== null && internalMetadataFlag(r.internal_metadata, 'soft_failed'),
      outlier: r.outlier,
      has_descendant: d !== undefined ? true : r.in_events && walk.complete ? false : 'unknown',
      descendant: d ?? null,
    };
  });
  extremities.sort(byStreamOrderingDesc);
  return { room_id: roomId, count: extremities.length, extremities, walk: { visited: walk.visited, limit, complete: walk.complete, min_depth: walk.minDepth }, now };
}

interface Walk {
  descendant: Map<string, string>;
  visited: number;
  complete: boolean;
  minDepth: number | null;
}

async function walkDescent(store: ReadStore, roomId: string, rows: readonly ForwardExtremityRow[], limit: number): Promise<Walk> {
  const present = rows.filter((r) => r.in_events && r.depth !== null);
  const extremityIds = new Set(present.map((r) => r.event_id));
  const descendant = new Map<string, string>();
  if (present.length < 2) return { descendant, visited: 0, complete: true, minDepth: present[0]?.depth ?? null };
  const minDepth = Math.min(...present.map((r) => r.depth!));
  // origin.get(x): the extremity the walk reached x from
  const origin = new Map<string, string>(present.map((r) => [r.event_id, r.event_id]));
  let frontier = present.map((r) => r.event_id);
  let visited = 0;
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const edge of await findPrevEdges(store.main, roomId, frontier, minDepth)) {
      const from = origin.get(edge.event_id)!;
      if (extremityIds.has(edge.prev_event_id) && edge.prev_event_id !== from && !descendant.has(edge.prev_event_id)) descendant.set(edge.prev_event_id, from);
      if (origin.has(edge.prev_event_id)) continue;
      if (visited >= limit) return { descendant, visited, complete: false, minDepth };
      origin.set(edge.prev_event_id, from);
      visited++;
      next.push(edge.prev_event_id);
    }
    frontier = next;
  }
  return { descendant, visited, complete: true, minDepth };
}
