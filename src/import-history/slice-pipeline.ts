/**
 * Hands an import's slices their rows in order, making the next slice's rows while the current
 * one is written: in a worker thread (import-worker.ts) when the source is an SQLite file and the
 * machine has a second core, else here (a PostgreSQL source's queries still overlap the writes,
 * being asynchronous). Slices are asked for one at a time as values (SliceRows), or, for a target
 * that copies from scratch files, a group of them (a transaction's) as one scratch file the worker
 * wrote, the next group's made while the current one is copied: then no row crosses threads, and
 * the copy is SQLite's own INSERT … SELECT, one table at a time. At most two slices' rows (or two
 * files) are held at a time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileForAnotherThread } from '../store/engine/memory.js';
import { collectAbove } from '../threads/collect-garbage.js';
import type { ReadStore } from '../store/open.js';
import { makeSliceRows, writeSlicesFile, type SliceRequest, type SliceRows } from './slice-rows.js';
import { ImportWorker, workerAvailable } from './worker-client.js';

/**
 * The main thread's heap, between batches copied from scratch files: a full collection once it holds
 * more than this. The copies are SQLite's, but planning's garbage and the apply's own (progress,
 * journal) pile up, and V8, seeing little allocation, collected them seldom: at 1,000,000 events
 * the heap grew from 57 to 126 MiB during the copy, its live part under 25.
 */
const MAIN_HEAP_LIMIT = 48 << 20;

/**
 * The same for slices handed over as values (a PostgreSQL target): two slices' rows live, about
 * 90 MiB at 1,000,000 events, which V8 let grow to 230 MiB of heap before it collected.
 */
const ROWS_HEAP_LIMIT = 144 << 20;

/** How long a worker with nothing asked of it is kept once planning is done. */
const IDLE_MS = 2000;

export class SlicePipeline {
  private readonly requests: { readonly make: () => SliceRequest; readonly group: number }[] = [];
  private readonly inFlight = new Map<string, Promise<SliceRows | string>>();
  private last?: { readonly key: string; readonly made: SliceRows | string };
  private worker?: ImportWorker;
  private dir?: string;
  private idleTimer?: NodeJS.Timeout;

  constructor(private readonly source: ReadStore, private readonly useWorker: boolean) {}

  get usesWorker(): boolean {
    return this.useWorker;
  }

  /** Whether the source can be read from a worker thread: one SQLite file, a second core, the built worker. */
  static workerPossible(source: ReadStore): boolean {
    return fileForAnotherThread(source.main, source.state) !== undefined && workerAvailable();
  }

  /** The worker, started now, for planning's scan to run in before it makes slices (scan-feed.ts); none when the slices are made here. */
  scanWorker(): ImportWorker | undefined {
    return this.useWorker ? this.ensureWorker() : undefined;
  }

  /**
   * Planning is done. A plan that is not applied (a dry run) asks for no rows: the worker, idle,
   * is let go after a moment rather than held, and started again should rows be asked for later.
   */
  planned(): void {
    if (!this.worker || this.inFlight.size > 0) return;
    this.idleTimer = setTimeout(() => void this.close(), IDLE_MS);
    this.idleTimer.unref();
  }

  /** Registers a slice of a group (groups numbered in order); its request is made when first wanted. Returns its number. */
  add(request: () => SliceRequest, group: number): number {
    this.requests.push({ make: request, group });
    return this.requests.length - 1;
  }

  /** The rows of slice k as values; starts making slice k + 1. */
  rows(k: number): Promise<SliceRows> {
    collectAbove(ROWS_HEAP_LIMIT);
    return this.take(`slice:${k}`, () => this.slice(k), k + 1 < this.requests.length ? () => this.slice(k + 1) : undefined);
  }

  /**
   * The rows of a group's slices in one scratch file (deleted by the engine that copies it); starts
   * the next group's. One ahead, not two: at 1,000,000 events a worker two batches ahead made the
   * import slower (112.5 s against 107.1 s), its files' writes competing with the target's commits.
   */
  file(group: number): Promise<string> {
    collectAbove(MAIN_HEAP_LIMIT);
    return this.take(`group:${group}`, () => this.group(group), group < (this.requests.at(-1)?.group ?? group) ? () => this.group(group + 1) : undefined);
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const w = this.worker;
    this.worker = undefined;
    await w?.close();
  }

  /** What `start` makes (made once), starting `next` beside it; after the last one the worker goes. */
  private async take<T extends SliceRows | string>(key: string, start: () => Promise<T>, next?: () => unknown): Promise<T> {
    if (this.last?.key === key) return this.last.made as T;
    const current = start();
    next?.();
    try {
      const made = await current;
      this.last = { key, made };
      return made;
    } finally {
      this.inFlight.delete(key);
      if (!next) await this.close();
    }
  }

  private once<T extends SliceRows | string>(key: string, run: () => Promise<T>): Promise<T> {
    let p = this.inFlight.get(key);
    if (!p) {
      p = run();
      p.catch(() => undefined); // awaited by take(); a prefetch nobody asks for must not go unhandled
      this.inFlight.set(key, p);
    }
    return p as Promise<T>;
  }

  private slice(k: number): Promise<SliceRows> {
    return this.once(`slice:${k}`, () => {
      const req = this.requests[k]!.make();
      return this.useWorker ? this.ensureWorker().ask<SliceRows>({ kind: 'slice', req }) : makeSliceRows(this.source, req);
    });
  }

  private group(group: number): Promise<string> {
    return this.once(`group:${group}`, () => {
      const reqs = this.requests.filter((r) => r.group === group).map((r) => r.make());
      const into = join(this.scratchDir(), `group-${group}.db`);
      return this.useWorker ? this.ensureWorker().ask<string>({ kind: 'slices-file', reqs, into }) : writeSlicesFile(into, reqs, (r) => makeSliceRows(this.source, r));
    });
  }

  private ensureWorker(): ImportWorker {
    clearTimeout(this.idleTimer);
    this.worker ??= new ImportWorker({ db: fileForAnotherThread(this.source.main, this.source.state)! });
    return this.worker;
  }

  /** Where scratch files go: a directory of our own, removed when the process exits (a copied file is deleted at once). */
  private scratchDir(): string {
    if (!this.dir) {
      const dir = mkdtempSync(join(tmpdir(), 'synapse-doctor-import-'));
      this.dir = dir;
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    }
    return this.dir;
  }
}
