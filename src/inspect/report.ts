/** The report `inspect` gathers: plain data, rendered as text or JSON by the CLI. */

export interface InspectReport {
  format: 1;
  database: {
    engine: 'sqlite' | 'postgres';
    /** Safe to print: passwords masked. */
    description: string;
    schema_version: number | null;
    compat_version: number | null;
  };
  background_updates: { pending: number; names: string[] };
  totals: {
    rooms: number;
    events: number;
    /** Rows of the rejections table (Synapse's authoritative source). */
    rejected_events: number;
    /** Every finding: the rooms' (those left out by `limit` included) and the database's. */
    findings: number;
    rooms_with_findings: number;
  };
  /** The engine's structural check (`check` option); null when not asked for. */
  integrity_check: IntegrityCheck | null;
  /** Findings about the database as a whole (room_id null): a failed integrity check. */
  findings: Finding[];
  /** Sorted by number of findings, then by the number of events they concern, then events; at most `limit`. */
  rooms: RoomReport[];
  /** Rooms left out by `limit` (0 without one). */
  rooms_omitted: number;
}

export type FindingId =
  | 'rejected-in-current-state'
  | 'accepted-cites-rejected-auth-event'
  | 'rejected-forward-extremity'
  | 'outlier-forward-extremity'
  | 'integrity-check-failed';

/** Something wrong that Synapse trips over; any finding makes `inspect` exit 1. */
export interface Finding {
  /** Stable identifier (see FindingId). */
  id: FindingId;
  /** The room, or null for a finding about the whole database. */
  room_id: string | null;
  /** How many events it concerns (for integrity-check-failed: problems reported). */
  count: number;
  /** The earliest of those events by stream ordering, at most 10. */
  sample_event_ids: string[];
  /** accepted-cites-rejected-auth-event only: rejected events they cite, at most 10. */
  cited_event_ids?: string[];
  /** One sentence: why it matters. */
  why: string;
}

export interface IntegrityCheck {
  /** Whether the engine has such a check (SQLite: yes; PostgreSQL: no). */
  applicable: boolean;
  /** What ran, e.g. "PRAGMA quick_check"; null when not applicable. */
  method: string | null;
  /** null when not applicable. */
  ok: boolean | null;
  /** The first problems reported (at most 10). */
  problems: string[];
  /** Why it does not apply, when it does not. */
  note: string | null;
}

/**
 * The JSON check of accepted non-state events against the room's rejected state events that were
 * accepted once (state events are checked through event_auth, always completely).
 */
export interface NonStateAuthCheck {
  /** Non-state events whose auth_events were read. */
  checked_events: number;
  /** False when the read window (bounded per room and in all) ended before the room's events did. */
  complete: boolean;
}

export interface RoomReport {
  room_id: string;
  /** rooms.room_version, else the create event's content.room_version (default "1"); null if unknown. */
  room_version: string | null;
  /** content.name of the current m.room.name event, when it is a string. */
  name: string | null;
  joined_members: { total: number; by_server: Record<string, number> };
  events: number;
  rejected_events: { total: number; by_reason: Record<string, number> };
  /**
   * Where events.rejection_reason disagrees with the rejections table (Synapse follows the table):
   * only_in_events = reason set in events but no rejections row; only_in_rejections = rejections row
   * but events.rejection_reason NULL; reason_differs = both set, different text.
   */
  rejection_disagreements: { only_in_events: number; only_in_rejections: number; reason_differs: number };
  soft_failed_events: number;
  forward_extremities: number;
  /** Oldest and newest stored event, outliers included (by origin_server_ts). */
  oldest_event: EventTime | null;
  newest_event: EventTime | null;
  /**
   * Events stored without their place in the timeline (events.outlier): a joined room's state and
   * auth chain. negative_stream_ordering: those persisted as backfilled, as Synapse persists them.
   */
  outliers: { total: number; negative_stream_ordering: number };
  /** Rows of event_backward_extremities: where history stops and backfill would resume. */
  backward_extremities: number;
  /** Oldest and newest timeline (non-outlier) event: where this server's history really starts. */
  oldest_timeline_event: EventTime | null;
  newest_timeline_event: EventTime | null;
  /** This room's findings, most serious kind first. */
  findings: Finding[];
  /**
   * The JSON check of accepted non-state events citing a rejected auth event; null when the room
   * has no rejected state event that was accepted once (nothing accepted can cite the others).
   */
  non_state_auth_check: NonStateAuthCheck | null;
}

export interface EventTime {
  /** origin_server_ts in milliseconds, as stored. */
  origin_server_ts: number;
  /** ISO 8601 UTC, or null when the stored value is not a representable date. */
  iso: string | null;
}
