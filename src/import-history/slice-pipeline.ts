/**
 * Hands an import's slices their rows in order, making the next slice's rows while the current
 * one is written: in a worker thread (import-worker.ts) when the source is an SQLite file and the
 * machine has a second core, else here (a PostgreSQL source's queries still overlap the writes,
 * being asynchronous). At most two slices' rows are held at a time.
 */
import { fileForAnotherThread } from '../store/engine/memory.js';
import type { ReadStore } from '../store/open.js';
import { makeSliceRows, type SliceRequest, type SliceRows } from './slice-rows.js';
import { ImportWorker, workerAvailable } from './worker-client.js';

export class SlicePipeline {
  private readonly requests: (() => SliceRequest)[] = [];
  private readonly inFlight = new Map<number, Promise<SliceRows>>();
  private last?: { readonly k: number; readonly rows: SliceRows };
  private worker?: ImportWorker;

  constructor(private readonly source: ReadStore, private readonly useWorker: boolean) {}

  get usesWorker(): boolean {
    return this.useWorker;
  }

  /** Whether the source can be read from a worker thread: one SQLite file, a second core, the built worker. */
  static workerPossible(source: ReadStore): boolean {
    return fileForAnotherThread(source.main, source.state) !== undefined && workerAvailable();
  }

  /** Registers a slice; its request is made when its rows are first wanted. Returns its number. */
  add(request: () => SliceRequest): number {
    this.requests.push(request);
    return this.requests.length - 1;
  }

  /** The rows of slice k; starts making slice k + 1. */
  async rows(k: number): Promise<SliceRows> {
    if (this.last?.k === k) return this.last.rows;
    const current = this.start(k);
    if (k + 1 < this.requests.length) this.start(k + 1);
    try {
      const rows = await current;
      this.last = { k, rows };
      return rows;
    } finally {
      this.inFlight.delete(k);
      if (k + 1 >= this.requests.length) await this.close();
    }
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.close();
  }

  private start(k: number): Promise<SliceRows> {
    let p = this.inFlight.get(k);
    if (!p) {
      const req = this.requests[k]!();
      if (this.useWorker) {
        this.worker ??= new ImportWorker({ db: fileForAnotherThread(this.source.main, this.source.state)! });
        p = this.worker.ask<SliceRows>({ kind: 'slice', req });
      } else {
        p = makeSliceRows(this.source, req);
      }
      p.catch(() => undefined); // awaited by rows(); a prefetch nobody asks for must not go unhandled
      this.inFlight.set(k, p);
    }
    return p;
  }
}
