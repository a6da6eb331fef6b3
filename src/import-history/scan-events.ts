/**
 * What planning an import needs from the JSON of the source's events: how many rows of each
 * derived table each missing event gets, the prev events that the last timeline events seen do
 * not resolve (checked against both databases at the end), and the events that move a thread.
 * Fed in the source's stream order; runs here or in the import's worker thread (import-worker.ts),
 * so that parsing overlaps reading.
 */
import { parseStoredEvent, type Pdu } from '../matrix/pdu.js';
import { roomVersionRules, type RoomVersionRules } from '../matrix/room-versions.js';
import { acceptedEventRows } from '../store/writers/accepted-event-rows.js';
import { Column } from './typed-column.js';

/** Tables whose rows per event depend on its JSON (accepted-event-rows.ts, and event_auth for state events). */
export const COUNTED = ['event_auth', 'event_edges', 'room_memberships', 'event_relations', 'redactions', 'event_search'] as const;

/** A source event, in the source's stream order. */
export interface ScannedEvent {
  readonly eventId: string;
  readonly json: string;
  readonly outlier: boolean;
  readonly rejected: boolean;
  readonly state: boolean;
}

/** Every source event is numbered by its place in the stream order (its ordinal). */
export interface ScanResult {
  /** Per event: COUNTED.length counts. */
  readonly counts: Uint16Array;
  /** Prev events of timeline events that the recent ones did not resolve: the citing event's ordinal, and the id. */
  readonly candidateOrdinals: Uint32Array;
  readonly candidateIds: string[];
  /** Accepted timeline events in an `m.thread` relation. */
  readonly threads: { readonly ordinal: number; readonly pdu: Pdu }[];
}

/** The last timeline events seen while reading the source in stream order: most prev events are among them. */
class RecentIds {
  private readonly ring: (string | undefined)[];
  private readonly set = new Set<string>();
  private at = 0;
  constructor(size: number) {
    this.ring = new Array<string | undefined>(size);
  }
  add(id: string): void {
    const old = this.ring[this.at];
    if (old !== undefined) this.set.delete(old);
    this.ring[this.at] = id;
    this.set.add(id);
    this.at = (this.at + 1) % this.ring.length;
  }
  has(id: string): boolean {
    return this.set.has(id);
  }
}

/** Timeline events seen last, kept to tell most prev events present without asking the database. */
const RECENT_WINDOW = 20_000;

/** How many rows of each accepted-only table an event gets. */
function rowCounts(pdu: Pdu, roomId: string): Record<string, number> {
  const rows = acceptedEventRows({ pdu, roomId, streamOrdering: 0, receivedTs: 0 });
  const counts: Record<string, number> = {};
  for (const [table] of rows.tables) counts[table] = (counts[table] ?? 0) + 1;
  if (rows.search) counts.event_search = 1;
  return counts;
}

/**
 * `targetOutliers`: the events the target holds as outliers. A source timeline event among them
 * does not count as resolving a prev event (it may stay an outlier: a conflict, or rejected), so
 * those prev events are asked of both databases at the end like any other candidate.
 */
export class EventScanner {
  private readonly rules: RoomVersionRules;
  private readonly recent = new RecentIds(RECENT_WINDOW);
  private readonly counts = new Column((n) => new Uint16Array(n));
  private readonly candidateOrdinals = new Column((n) => new Uint32Array(n));
  private readonly candidateIds: string[] = [];
  private readonly threads: { ordinal: number; pdu: Pdu }[] = [];
  private ordinal = 0;

  constructor(private readonly roomId: string, roomVersion: string, private readonly targetOutliers: ReadonlySet<string>) {
    this.rules = roomVersionRules(roomVersion);
  }

  event(e: ScannedEvent): void {
    const ordinal = this.ordinal++;
    const parsed = parseStoredEvent(e.json, this.rules, e.eventId)?.pdu;
    const pdu = e.rejected ? undefined : parsed;
    const counts: Record<string, number> = pdu ? rowCounts(pdu, this.roomId) : {};
    if (e.state) counts.event_auth = new Set(parsed?.auth_events ?? []).size;
    for (const t of COUNTED) this.counts.push(Math.min(counts[t] ?? 0, 0xffff));
    if (e.outlier) return;
    if (pdu) {
      for (const p of new Set(pdu.prev_events)) {
        if (this.recent.has(p) && !this.targetOutliers.has(p)) continue;
        this.candidateOrdinals.push(ordinal);
        this.candidateIds.push(p);
      }
      if (e.json.includes('m.thread')) this.threads.push({ ordinal, pdu });
    }
    this.recent.add(e.eventId);
  }

  result(): ScanResult {
    return {
      counts: this.counts.values(),
      candidateOrdinals: this.candidateOrdinals.values(),
      candidateIds: this.candidateIds,
      threads: this.threads,
    };
  }
}
