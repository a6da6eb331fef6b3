/**
 * Hands an import's slices their rows in order, making the next slice's rows while the current
 * one is written: in a worker thread (slice-worker.ts) when the source is an SQLite file and the
 * machine has a second core, else here (a PostgreSQL source's queries still overlap the writes,
 * being asynchronous). At most two slices' rows are held at a time.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SynapseDoctorError, type ErrorCode } from '../errors.js';
import type { ReadStore } from '../store/open.js';
import { makeSliceRows, type SliceRequest, type SliceRows } from './slice-rows.js';
import type { SliceWorkerData, SliceWorkerReply } from './slice-worker.js';

/** Runs in the built package (dist/); from TypeScript sources (a test importing src/) there is none and slices are made here. */
const WORKER_FILE = fileURLToPath(new URL('./slice-worker.js', import.meta.url));

class SliceWorker {
  private readonly worker: Worker;
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (r: SliceRows) => void; reject: (e: unknown) => void }>();

  constructor(db: string) {
    this.worker = new Worker(WORKER_FILE, { workerData: { db } satisfies SliceWorkerData });
    this.worker.unref();
    this.worker.on('message', (m: SliceWorkerReply) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) this.worker.unref();
      if ('error' in m) w.reject(new SynapseDoctorError(m.error.code as ErrorCode, m.error.message, m.error.hint ? { hint: m.error.hint } : {}));
      else w.resolve(m.rows);
    });
    const fail = (e: unknown): void => {
      for (const w of this.waiting.values()) w.reject(new SynapseDoctorError('INTERNAL', `the thread reading the source failed: ${(e as Error)?.message ?? String(e)}`));
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`it exited with code ${code}`)));
  }

  run(req: SliceRequest): Promise<SliceRows> {
    const id = ++this.next;
    // a pending answer keeps the process alive; an idle worker does not
    this.worker.ref();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, req });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

export class SlicePipeline {
  private readonly requests: (() => SliceRequest)[] = [];
  private readonly inFlight = new Map<number, Promise<SliceRows>>();
  private last?: { readonly k: number; readonly rows: SliceRows };
  private worker?: SliceWorker;

  constructor(private readonly source: ReadStore, private readonly useWorker: boolean) {}

  /** Whether the source can be read from a worker thread: one SQLite file, a second core, the built worker. */
  static workerPossible(source: ReadStore): boolean {
    return source.main.kind === 'sqlite' && source.state === source.main && availableParallelism() > 1 && existsSync(WORKER_FILE);
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
        this.worker ??= new SliceWorker(this.source.locators.main);
        p = this.worker.run(req);
      } else {
        p = makeSliceRows(this.source, req);
      }
      p.catch(() => undefined); // awaited by rows(); a prefetch nobody asks for must not go unhandled
      this.inFlight.set(k, p);
    }
    return p;
  }
}
