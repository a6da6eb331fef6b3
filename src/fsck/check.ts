/**
 * The shape of one fsck check, shared by every group in ./checks. A check only reads (through
 * src/store/readers) and returns findings as plain data; a check that can be repaired offline also
 * returns the plan steps of that repair (src/plan), which `fsck --fix` gathers into one plan.
 *
 * Stable ids: `<group>.<name>`, kebab-case, never renamed once released (scripts grep them).
 */
import type { Check as PlanCheck, Step } from '../plan/plan.js';
import type { ReadStore } from '../store/open.js';

export type FsckGroup = 'events' | 'rejections' | 'dag' | 'state' | 'orderings' | 'soft-failure';

/**
 * error: Synapse misbehaves or refuses to start because of it;
 * warning: Synapse copes, but something is off (or will be on the next write);
 * info: worth knowing, not wrong by itself (soft-failed events).
 */
export type FsckSeverity = 'error' | 'warning' | 'info';

export interface FsckContext {
  readonly db: ReadStore;
  /** Only this room (its id, already resolved), or every room. */
  readonly roomId?: string;
  /** Rows kept per finding as its sample. */
  readonly sampleSize: number;
}

/** One thing found wrong: a check's result for one room (or the database, room_id null). */
export interface FsckFinding {
  readonly check: string;
  readonly severity: FsckSeverity;
  readonly room_id: string | null;
  /** How many rows (events, groups, keys…) it concerns in all. */
  readonly count: number;
  /** At most sampleSize of them, as plain JSON-able objects (ids, the values that disagree). */
  readonly sample: readonly Record<string, unknown>[];
  /** One sentence: what Synapse does wrong because of it. */
  readonly why: string;
  /** Whether `--fix` repairs it. */
  readonly fixable: boolean;
  /** What the admin can do when --fix cannot (or a note on what --fix does). */
  readonly advice?: string;
}

/** The repair of a fixable finding: steps plus the checks that guard and verify them. */
export interface FsckRepair {
  readonly steps: readonly Step[];
  readonly preconditions?: readonly PlanCheck[];
  readonly verify?: readonly PlanCheck[];
  /** Printed with the plan, e.g. "restart Synapse so that it rebuilds the auth chain index". */
  readonly notes?: readonly string[];
}

export interface FsckCheckDefinition {
  readonly id: string;
  readonly group: FsckGroup;
  /** A short title for the text report, e.g. "events without event_json". */
  readonly title: string;
  readonly severity: FsckSeverity;
  readonly why: string;
  readonly fixable: boolean;
  /** PostgreSQL-only or SQLite-only checks say so; the runner skips them elsewhere. */
  readonly engines?: readonly ('sqlite' | 'postgres')[];
  run(ctx: FsckContext): Promise<readonly FsckFinding[]>;
  /**
   * Starts shared work this check needs on another thread, before any check runs, where that is
   * possible (the event pass on SQLite); true when it did: the runner then runs this check after
   * those that need nothing from another thread, so that both threads work at once.
   */
  startAside?(ctx: FsckContext): boolean;
  /** For fixable checks: the repair of what `run` found (re-read at planning time, not trusted from the finding). */
  repair?(ctx: FsckContext, findings: readonly FsckFinding[]): Promise<FsckRepair>;
}
