/**
 * Event lookup shared by the state resolution steps: one cache per resolution, the "implied create
 * event" of room version 12, and a strict lookup that names the missing event.
 */
import { impliedCreateEventId } from '../ids.js';
import { MatrixFormatError } from '../matrix-format-error.js';
import type { Pdu } from '../pdu.js';
import type { RoomVersionRules } from '../room-versions.js';

export type FetchEvent = (eventId: string) => Pdu | undefined;

/** Re-exported from ../ids.ts, its one definition. */
export { impliedCreateEventId };

/**
 * The auth events of `pdu` as edges of the auth DAG. From room version 12 the create event is not
 * listed in `auth_events` but is implied by the room id; like Synapse (`auth_event_ids()` of format
 * v4 events appends it) we treat it as an auth event, so auth chains, auth maps and the sender's
 * power level all see it.
 */
export function authEdges(pdu: Pdu, rules: RoomVersionRules | undefined): readonly string[] {
  if (!rules?.roomIdFromCreateEvent || pdu.type === 'm.room.create') return pdu.auth_events;
  const createId = impliedCreateEventId(pdu.room_id);
  return pdu.auth_events.includes(createId) ? pdu.auth_events : [...pdu.auth_events, createId];
}

/** Memoising wrapper around the caller's `fetchEvent`; unknown events are remembered as such. */
export class EventAccess {
  private readonly cache = new Map<string, Pdu | null>();
  private readonly edgeCache = new Map<string, readonly string[]>();

  constructor(
    private readonly fetchEvent: FetchEvent,
    readonly rules: RoomVersionRules | undefined,
  ) {}

  /** The event, or undefined when the caller does not know it. */
  get(eventId: string): Pdu | undefined {
    let pdu = this.cache.get(eventId);
    if (pdu === undefined) {
      pdu = this.fetchEvent(eventId) ?? null;
      this.cache.set(eventId, pdu);
    }
    return pdu ?? undefined;
  }

  /** The event; an unknown event is malformed input here because the algorithm cannot go on. */
  need(eventId: string, why: string): Pdu {
    const pdu = this.get(eventId);
    if (!pdu) throw new MatrixFormatError(`state resolution needs event ${eventId} (${why}) but it is unknown`);
    return pdu;
  }

  /** Auth event ids of a known event (with the implied v12 create event); [] when unknown. */
  authIds(eventId: string): readonly string[] {
    let edges = this.edgeCache.get(eventId);
    if (edges === undefined) {
      const pdu = this.get(eventId);
      edges = pdu ? authEdges(pdu, this.rules) : [];
      this.edgeCache.set(eventId, edges);
    }
    return edges;
  }
}
