/**
 * What `inspect` flags as wrong, per room: rejected events still in the current state, accepted
 * events citing a rejected auth event, and forward extremities that are rejected or outliers.
 * Each finding is a count and a sample (the earliest events by stream ordering), never the full
 * list: memory grows with the number of rooms, not of events.
 *
 * Accepted events citing a rejected auth event are found two ways:
 * - state events through event_auth (every state event has its rows there): one pass, complete;
 * - other events through their JSON, only where it is cheap: only rooms holding a rejected state
 *   event that was accepted once (a rejection on arrival is cited by nothing accepted: whatever
 *   cites it is rejected by auth rule 2.3), and from that event's stream ordering on, at most
 *   JSON_ROOM_WINDOW events per room and JSON_TOTAL_WINDOW in all. Where the window ends before the
 *   room does, the room's `non_state_auth_check.complete` is false.
 */
import { isJsonObject } from '../matrix/pdu.js';
import type { ReadEngine } from '../store/engine/engine.js';
import { hasTable } from '../store/introspect.js';
import type { SchemaCapabilities } from '../store/schema-version.js';
import {
  findEventJsonByIds,
  findOnceAcceptedRejectedStateEvents,
  findRoomStreamRange,
  iterateStateEventsCitingRejected,
  iterateBadForwardExtremities,
  iterateRejectedInCurrentState,
  type FindingEventRow,
} from '../store/readers/inspect.js';
import type { Finding, FindingId, NonStateAuthCheck } from './report.js';

/** Event ids kept per finding. */
export const SAMPLE_SIZE = 10;
/** Events of one room read (from the first once-accepted rejected state event on) for the JSON check. */
export const JSON_ROOM_WINDOW = 50_000;
/** Events read for the JSON check over all rooms. */
export const JSON_TOTAL_WINDOW = 200_000;
const PAGE = 5000;

export const WHY: Readonly<Record<FindingId, string>> = {
  'rejected-in-current-state':
    "Synapse builds this server's new events on the current state, so they cite this rejected event as an auth event and are refused with 403 (\"found rejected event … in the state\"): local users cannot send what depends on it.",
  'accepted-cites-rejected-auth-event':
    'These events were accepted although an auth event they cite is rejected now (a rejection recorded after they were checked): the room contradicts itself, and every new event citing the same auth event is rejected.',
  'rejected-forward-extremity':
    'Forward extremities become the prev_events of the next local event, and Synapse never makes a rejected event one: new events would point at an event this server considers invalid.',
  'outlier-forward-extremity':
    'Forward extremities become the prev_events of the next local event and feed the current state, and Synapse never makes an outlier one: an outlier has no place in the timeline.',
  'integrity-check-failed':
    'SQLite found structural damage in the file: reads may return wrong rows or fail, and a write may spread the damage; restore a backup (or sqlite3 .recover) before repairing anything.',
};

/** The earliest `size` distinct events by stream ordering, and how many were offered in all. */
class Sample {
  private readonly kept: FindingEventRow[] = [];
  count = 0;
  constructor(private readonly size = SAMPLE_SIZE) {}

  /** Counts `row` (the caller offers each event once) and keeps it if among the earliest. */
  add(row: FindingEventRow): void {
    this.count += 1;
    const k = this.kept;
    if (k.length >= this.size && row.stream_ordering >= k[k.length - 1]!.stream_ordering) return;
    let i = k.length;
    while (i > 0 && k[i - 1]!.stream_ordering > row.stream_ordering) i--;
    k.splice(i, 0, row);
    if (k.length > this.size) k.pop();
  }

  ids(): string[] {
    return this.kept.map((r) => r.event_id);
  }
}

/** Up to SAMPLE_SIZE distinct values (the first seen), listed sorted. */
class FirstDistinct {
  private readonly values = new Set<string>();
  add(v: string): void {
    if (this.values.size < SAMPLE_SIZE) this.values.add(v);
  }
  list(): string[] {
    return [...this.values].sort();
  }
}

export interface RoomFindings {
  findings: Finding[];
  nonStateAuthCheck: NonStateAuthCheck | null;
}

function perRoom<T>(map: Map<string, T>, roomId: string, make: () => T): T {
  let v = map.get(roomId);
  if (v === undefined) map.set(roomId, (v = make()));
  return v;
}

/** auth_events of an event JSON: ids (room v3+) or [id, hashes] pairs (v1, v2). */
function authEventIds(json: string): { ids: string[]; isState: boolean } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!isJsonObject(v) || !Array.isArray(v.auth_events)) return undefined;
  const ids: string[] = [];
  for (const a of v.auth_events) {
    if (typeof a === 'string') ids.push(a);
    else if (Array.isArray(a) && typeof a[0] === 'string') ids.push(a[0]);
  }
  return { ids, isState: typeof v.state_key === 'string' };
}

/** Every room's findings (rooms without any are absent), by room id. */
export async function findRoomFindings(
  engine: ReadEngine,
  caps: Pick<SchemaCapabilities, 'rejectionsTable' | 'stateEventsTable'>,
  roomId?: string,
  window: { room: number; total: number } = { room: JSON_ROOM_WINDOW, total: JSON_TOTAL_WINDOW },
): Promise<Map<string, RoomFindings>> {
  const inState = new Map<string, Sample>();
  for await (const row of iterateRejectedInCurrentState(engine, caps, roomId)) perRoom(inState, row.room_id, () => new Sample()).add(row);

  // Accepted events citing a rejected auth event: the sample of citing events, and which they cite.
  const citing = new Map<string, { events: Sample; cited: FirstDistinct }>();
  const newCiting = (): { events: Sample; cited: FirstDistinct } => ({ events: new Sample(), cited: new FirstDistinct() });
  if (await hasTable(engine, 'event_auth')) {
    let last = '';
    for await (const row of iterateStateEventsCitingRejected(engine, caps, roomId)) {
      if (row.rejected) continue; // a rejection chain: `rejections` explains those
      const c = perRoom(citing, row.room_id, newCiting);
      c.cited.add(row.auth_id);
      // one row per (event, rejected auth event), ordered by event: count each event once
      const key = JSON.stringify([row.room_id, row.event_id]);
      if (key !== last) c.events.add(row);
      last = key;
    }
  }

  const checks = new Map<string, NonStateAuthCheck>();
  if (await hasTable(engine, 'event_edges')) {
    const onceAccepted = new Map<string, FindingEventRow[]>();
    for (const row of await findOnceAcceptedRejectedStateEvents(engine, caps, roomId)) perRoom(onceAccepted, row.room_id, () => []).push(row);
    let budget = window.total;
    for (const room of [...onceAccepted.keys()].sort()) {
      const rows = onceAccepted.get(room)!;
      const rejected = new Set(rows.map((r) => r.event_id));
      let from = rows.reduce((m, r) => Math.min(m, r.stream_ordering), Infinity);
      const check: NonStateAuthCheck = { checked_events: 0, complete: false };
      checks.set(room, check);
      let walked = 0;
      while (walked < window.room && budget > 0) {
        const want = Math.min(PAGE, window.room - walked, budget);
        const page = await findRoomStreamRange(engine, caps, room, from, want);
        walked += page.length;
        budget -= page.length;
        const candidates = page.filter((r) => r.accepted && r.non_state);
        const json = await findEventJsonByIds(engine, candidates.map((r) => r.event_id));
        for (const r of candidates) {
          const text = json.get(r.event_id);
          const auth = text === undefined ? undefined : authEventIds(text);
          if (auth === undefined || auth.isState) continue; // state events: event_auth above
          check.checked_events += 1;
          const hit = auth.ids.filter((id) => rejected.has(id));
          if (hit.length === 0) continue;
          // pages are disjoint and event_auth never holds a non-state event: each event once
          const c = perRoom(citing, room, newCiting);
          for (const id of hit) c.cited.add(id);
          c.events.add({ room_id: room, event_id: r.event_id, stream_ordering: r.stream_ordering });
        }
        if (page.length < want) {
          check.complete = true;
          break;
        }
        from = page[page.length - 1]!.stream_ordering + 1;
      }
    }
  }

  const rejectedExtremities = new Map<string, Sample>();
  const outlierExtremities = new Map<string, Sample>();
  for await (const row of iterateBadForwardExtremities(engine, caps, roomId)) {
    if (row.rejected) perRoom(rejectedExtremities, row.room_id, () => new Sample()).add(row);
    if (row.outlier) perRoom(outlierExtremities, row.room_id, () => new Sample()).add(row);
  }

  const out = new Map<string, RoomFindings>();
  const room = (id: string): RoomFindings => perRoom(out, id, () => ({ findings: [], nonStateAuthCheck: checks.get(id) ?? null }));
  const finding = (id: FindingId, roomIdOf: string, s: Sample, extra: Partial<Finding> = {}): Finding => ({
    id,
    room_id: roomIdOf,
    count: s.count,
    sample_event_ids: s.ids(),
    ...extra,
    why: WHY[id],
  });
  for (const [r, s] of inState) room(r).findings.push(finding('rejected-in-current-state', r, s));
  for (const [r, c] of citing) {
    if (c.events.count > 0) room(r).findings.push(finding('accepted-cites-rejected-auth-event', r, c.events, { cited_event_ids: c.cited.list() }));
  }
  for (const [r, s] of rejectedExtremities) room(r).findings.push(finding('rejected-forward-extremity', r, s));
  for (const [r, s] of outlierExtremities) room(r).findings.push(finding('outlier-forward-extremity', r, s));
  for (const [r, check] of checks) if (!out.has(r)) out.set(r, { findings: [], nonStateAuthCheck: check });
  return out;
}

/** The database-wide finding of a failed integrity check. */
export function integrityFinding(problems: readonly string[]): Finding {
  return { id: 'integrity-check-failed', room_id: null, count: problems.length, sample_event_ids: [], why: WHY['integrity-check-failed'] };
}
