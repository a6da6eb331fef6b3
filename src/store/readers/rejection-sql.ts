/**
 * How a query reads whether an event is rejected, one piece for every reader: Synapse's
 * authoritative `rejections` table (research notes §3.2) while the schema has it, and from
 * schema 95, which drops it, `events.rejection_reason`. Every fragment names only the alias it is
 * given (`rj` for the joined rejections row).
 */
import type { SchemaCapabilities } from '../schema-version.js';

export type RejectionCaps = Pick<SchemaCapabilities, 'rejectionsTable'>;

export interface RejectionJoin {
  /** The rejection reason, NULL when the event is not rejected. */
  readonly column: string;
  /** rejections.last_check (NULL where the schema has no such table). */
  readonly check: string;
  /** The LEFT JOIN the two columns need ('' when none is needed). */
  readonly join: string;
  /** A condition true when the event is rejected (needs `join`). */
  readonly rejected: string;
}

/** The columns and join that read the rejection of `events AS alias`. */
export function rejectionJoin(caps: RejectionCaps, alias = 'e'): RejectionJoin {
  return caps.rejectionsTable
    ? { column: 'rj.reason', check: 'rj.last_check', join: `LEFT JOIN rejections rj ON rj.event_id = ${alias}.event_id`, rejected: 'rj.event_id IS NOT NULL' }
    : { column: `${alias}.rejection_reason`, check: 'NULL', join: '', rejected: `${alias}.rejection_reason IS NOT NULL` };
}

/** A condition, needing no join, true when `events AS alias` is rejected. */
export function isRejectedSql(caps: RejectionCaps, alias = 'e'): string {
  return caps.rejectionsTable ? `EXISTS (SELECT 1 FROM rejections rj WHERE rj.event_id = ${alias}.event_id)` : `${alias}.rejection_reason IS NOT NULL`;
}
