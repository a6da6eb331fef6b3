/**
 * The undo journal: JSON lines written while a plan applies, fsynced before the transaction
 * commits, so that a committed plan always has its journal on disk.
 *
 *   {"synapse_doctor_journal": 1, "command", "created", "target", "databases": {"main", "state"?}}
 *   {"step", "kind": "rows", "database", "table", "scope", "before": [rows], "after": [rows]}   (one or more per step)
 *     inserts that met no row: "before": [], "after": [], "given": true, "digest": {rows, columns, sha256, pieces}
 *   {"step", "kind": "sequence", "database", "sequence", "before": {…}, "after": {…}}
 *   {"unit_end": k} / {"unit_committed": k}   per-chunk runs: around each chunk's COMMIT (entries carry "unit": k)
 *   {"end": true, "lines": N}                  written and fsynced before the (last) COMMIT
 *   {"committed": "<time>"}                    appended after COMMIT
 *   {"undone": "<time>", "journal": "<path>"}  appended when `undo` has reversed it
 * A journal without its end line belongs to a run that never committed.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { SynapseDoctorError } from '../errors.js';
import type { PlanDatabase, PlanTarget, SequenceState } from './plan.js';
import type { GivenDigest, JournalRow } from './row-codec.js';

export const JOURNAL_FORMAT = 1;

export interface JournalHeader {
  readonly synapse_doctor_journal: number;
  readonly command: string;
  readonly created: string;
  readonly target: PlanTarget;
  /** Present when the plan ran one transaction per chunk. */
  readonly transactions?: 'per-chunk';
  /** How to reopen each database: an SQLite path or a postgres:// URL without its password. */
  readonly databases: { readonly main: string; readonly state?: string };
}

export interface RowsEntry {
  readonly step: string;
  /** The chunk (transaction) it belongs to, in per-chunk journals. */
  readonly unit?: number;
  readonly kind: 'rows';
  readonly database: PlanDatabase;
  readonly table: string;
  readonly scope: unknown;
  readonly before: readonly JournalRow[];
  readonly after: readonly JournalRow[];
  /**
   * True when `after` holds the inserted rows as they were given (their columns only), not read
   * back: an insert on a unique key, whose after-image is exactly what it was given. Compared with
   * imageHolds (row-codec.ts).
   */
  readonly given?: true;
  /** With `given`, instead of the rows (`after` empty then): their digest. `before` is empty. */
  readonly digest?: GivenDigest;
}

export interface SequenceEntry {
  readonly step: string;
  readonly unit?: number;
  readonly kind: 'sequence';
  readonly database: PlanDatabase;
  readonly sequence: string;
  readonly before: SequenceState;
  readonly after: SequenceState;
}

export type JournalEntry = RowsEntry | SequenceEntry;

function fsyncDirectory(path: string): void {
  try {
    const fd = openSync(dirname(path), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some filesystems refuse to fsync a directory; the file itself is synced
  }
}

export class JournalWriter {
  private fd: number | undefined;
  private lines = 0;

  private constructor(readonly path: string, fd: number) {
    this.fd = fd;
  }

  /** Creates the journal (never overwrites one) and writes its header. */
  static create(path: string, header: JournalHeader): JournalWriter {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new SynapseDoctorError(code === 'EEXIST' ? 'USAGE' : 'BAD_INPUT', code === 'EEXIST' ? `journal ${path} already exists; synapse-doctor never overwrites a journal` : `cannot create journal ${path}: ${(e as Error).message}`, {
        cause: e,
        hint: 'Choose another path with --journal PATH.',
      });
    }
    const w = new JournalWriter(path, fd);
    w.write(header);
    return w;
  }

  write(value: unknown): void {
    if (this.fd === undefined) throw new Error('journal is closed');
    writeSync(this.fd, JSON.stringify(value) + '\n');
    this.lines++;
  }

  /** Writes a marker line and makes the journal durable up to it (chunk boundaries). */
  mark(value: Record<string, unknown>): void {
    this.write(value);
    fsyncSync(this.fd!);
  }

  /** Writes the end line and makes the journal durable (file and directory). */
  finish(): void {
    this.write({ end: true, lines: this.lines });
    fsyncSync(this.fd!);
    fsyncDirectory(this.path);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Appends a marker line to a finished journal (after commit, after undo) and syncs it. */
export function appendJournalMarker(path: string, marker: Record<string, unknown>): void {
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, JSON.stringify(marker) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface JournalContents {
  header: JournalHeader;
  entries: JournalEntry[];
  ended: boolean;
  /** Per-chunk journals: chunks whose end line was written (before COMMIT), and those marked committed. */
  unitsEnded: Set<number>;
  unitsCommitted: Set<number>;
  committed?: string;
  undone?: { at: string; journal?: string };
}

function bad(path: string, why: string): SynapseDoctorError {
  return new SynapseDoctorError('BAD_INPUT', `${path} is not a synapse-doctor journal: ${why}`);
}

export async function readJournal(path: string): Promise<JournalContents> {
  let header: JournalHeader | undefined;
  const entries: JournalEntry[] = [];
  let ended = false;
  let committed: string | undefined;
  let undone: { at: string; journal?: string } | undefined;
  const unitsEnded = new Set<number>();
  const unitsCommitted = new Set<number>();
  let n = 0;
  const stream = createReadStream(path, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  try {
    await opened;
  } catch (e) {
    throw new SynapseDoctorError('BAD_INPUT', `cannot read journal ${path}: ${(e as Error).message}`, { cause: e });
  }
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    n++;
    if (line.trim() === '') continue;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch {
      if (ended) continue; // a torn marker line after the end: ignore
      throw bad(path, `line ${n} is not JSON`);
    }
    if (n === 1) {
      if (value.synapse_doctor_journal !== JOURNAL_FORMAT) throw bad(path, 'no journal header');
      header = value as unknown as JournalHeader;
    } else if (value.end === true) ended = true;
    else if (typeof value.committed === 'string') committed = value.committed;
    else if (typeof value.unit_end === 'number') unitsEnded.add(value.unit_end);
    else if (typeof value.unit_committed === 'number') unitsCommitted.add(value.unit_committed);
    else if (typeof value.undone === 'string') undone = { at: value.undone, ...(typeof value.journal === 'string' ? { journal: value.journal } : {}) };
    else if (!ended && (value.kind === 'rows' || value.kind === 'sequence')) entries.push(value as unknown as JournalEntry);
    else if (!ended) throw bad(path, `line ${n} is not a journal entry`);
  }
  if (!header) throw bad(path, 'it is empty');
  return { header, entries, ended, unitsEnded, unitsCommitted, ...(committed ? { committed } : {}), ...(undone ? { undone } : {}) };
}
