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
  };
  rooms: RoomReport[];
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
  oldest_event: EventTime | null;
  newest_event: EventTime | null;
}

export interface EventTime {
  /** origin_server_ts in milliseconds, as stored. */
  origin_server_ts: number;
  /** ISO 8601 UTC, or null when the stored value is not a representable date. */
  iso: string | null;
}
