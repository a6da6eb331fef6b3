/**
 * Per-room counts with a bounded sample: what every fsck check gathers while it streams rows.
 * Memory grows with the number of rooms concerned, never with the number of rows.
 */
import type { FsckCheckDefinition, FsckContext, FsckFinding } from './check.js';

export interface RoomTallyData {
  readonly size: number;
  readonly rooms: readonly (readonly [string | null, { count: number; sample: Record<string, unknown>[] }])[];
}

export class RoomTally {
  private readonly rooms = new Map<string | null, { count: number; sample: Record<string, unknown>[] }>();
  constructor(private readonly size: number) {}

  /** Counts one row of `roomId`; `make` builds its sample object only while the sample has room. */
  add(roomId: string | null, make: () => Record<string, unknown>, n = 1): void {
    let r = this.rooms.get(roomId);
    if (r === undefined) this.rooms.set(roomId, (r = { count: 0, sample: [] }));
    r.count += n;
    if (r.sample.length < this.size) r.sample.push(make());
  }

  /** Its counts and samples as plain data (to cross a thread boundary). */
  toData(): RoomTallyData {
    return { size: this.size, rooms: [...this.rooms] };
  }

  /** One tally of rows counted in parts, in order: counts add up, each room's sample is its first rows. */
  static fromParts(parts: readonly RoomTallyData[]): RoomTally {
    const t = new RoomTally(parts[0]?.size ?? 0);
    for (const part of parts) {
      for (const [room, r] of part.rooms) {
        const have = t.rooms.get(room);
        if (have === undefined) t.rooms.set(room, { count: r.count, sample: r.sample.slice(0, t.size) });
        else {
          have.count += r.count;
          have.sample.push(...r.sample.slice(0, t.size - have.sample.length));
        }
      }
    }
    return t;
  }

  get size_(): number {
    return this.rooms.size;
  }

  /** One finding per room (rooms sorted, the database-wide null room last). */
  findings(check: FsckCheckDefinition, extra: (roomId: string | null) => Partial<FsckFinding> = () => ({})): FsckFinding[] {
    const keys = [...this.rooms.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0));
    return keys.map((room) => {
      const r = this.rooms.get(room)!;
      return {
        check: check.id,
        severity: check.severity,
        room_id: room,
        count: r.count,
        sample: r.sample,
        why: check.why,
        fixable: check.fixable,
        ...extra(room),
      };
    });
  }
}

export function tally(ctx: FsckContext): RoomTally {
  return new RoomTally(ctx.sampleSize);
}

/** The rooms named by some findings (null: the database-wide ones). */
export function roomsOf(findings: readonly FsckFinding[]): string[] {
  return [...new Set(findings.map((f) => f.room_id).filter((r): r is string => r !== null))].sort();
}

/** Memoises one computation per fsck context (checks of a group sharing one pass over the database). */
export function perContext<T>(compute: (ctx: FsckContext) => Promise<T>): (ctx: FsckContext) => Promise<T> {
  const memo = new WeakMap<FsckContext, Promise<T>>();
  return (ctx) => {
    let p = memo.get(ctx);
    if (p === undefined) memo.set(ctx, (p = compute(ctx)));
    return p;
  };
}
