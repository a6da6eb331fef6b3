/**
 * Gathering a check's offending rows into findings, one per room: a count of every row and a
 * sample of the first `sampleSize`, so memory stays bounded by the number of rooms concerned
 * however many rows there are.
 */
import type { FsckCheckDefinition, FsckFinding, FsckSeverity } from '../check.js';

export class RoomFindings {
  private readonly rooms = new Map<string | null, { count: number; sample: Record<string, unknown>[]; severity: FsckSeverity; advice?: string }>();

  constructor(private readonly check: Pick<FsckCheckDefinition, 'id' | 'severity' | 'why' | 'fixable'>, private readonly sampleSize: number) {}

  /** One offending row of `room` (null: the database as a whole). */
  add(room: string | null, row: Record<string, unknown>, options: { severity?: FsckSeverity; advice?: string; weight?: number } = {}): void {
    let r = this.rooms.get(room);
    if (!r) this.rooms.set(room, (r = { count: 0, sample: [], severity: options.severity ?? this.check.severity, ...(options.advice ? { advice: options.advice } : {}) }));
    r.count += options.weight ?? 1;
    if (r.sample.length < this.sampleSize) r.sample.push(row);
    if (options.severity === 'error') r.severity = 'error';
  }

  findings(extra: { why?: (room: string | null) => string; advice?: string; fixable?: boolean } = {}): FsckFinding[] {
    return [...this.rooms].map(([room, r]) => ({
      check: this.check.id,
      severity: r.severity,
      room_id: room,
      count: r.count,
      sample: r.sample,
      why: extra.why?.(room) ?? this.check.why,
      fixable: extra.fixable ?? this.check.fixable,
      ...(r.advice ?? extra.advice ? { advice: r.advice ?? extra.advice } : {}),
    }));
  }
}
