/**
 * Hands an import's slices their rows in order, making the next slice's rows while the current
 * one is written: in a worker thread (import-worker.ts) when the source is an SQLite file and the
 * machine has a second core, else here (a PostgreSQL source's queries still overlap the writes,
 * being asynchronous). A slice is asked for as values (SliceRows) or, for a target that copies
 * from scratch files, as a scratch file the worker wrote (SliceFile): then no row crosses
 * threads, and the writing thread's copy is SQLite's own INSERT … SELECT. At most two slices are
 * held at a time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileForAnotherThread } from '../store/engine/memory.js';
import type { ReadStore } from '../store/open.js';
import { makeSliceRows, writeSliceFile, type SliceFile, type SliceRequest, type SliceRows } from './slice-rows.js';
import { ImportWorker, workerAvailable } from './worker-client.js';

type Form = 'values' | 'file';
type Made<F extends Form> = F extends 'values' ? SliceRows : SliceFile;

export class SlicePipeline {
  private readonly requests: (() => SliceRequest)[] = [];
  private readonly inFlight = new Map<string, Promise<SliceRows | SliceFile>>();
  private last?: { readonly key: string; readonly made: SliceRows | SliceFile };
  private worker?: ImportWorker;
  private dir?: string;

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

  /** The rows of slice k as values; starts making slice k + 1 the same way. */
  rows(k: number): Promise<SliceRows> {
    return this.get(k, 'values');
  }

  /** The rows of slice k in a scratch file (deleted by the engine that copies it); starts slice k + 1. */
  file(k: number): Promise<SliceFile> {
    return this.get(k, 'file');
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.close();
  }

  private async get<F extends Form>(k: number, form: F): Promise<Made<F>> {
    const key = `${k}:${form}`;
    if (this.last?.key === key) return this.last.made as Made<F>;
    const current = this.start(k, form);
    if (k + 1 < this.requests.length) this.start(k + 1, form);
    try {
      const made = await current;
      this.last = { key, made };
      return made as Made<F>;
    } finally {
      this.inFlight.delete(key);
      if (k + 1 >= this.requests.length) await this.close();
    }
  }

  private start(k: number, form: Form): Promise<SliceRows | SliceFile> {
    const key = `${k}:${form}`;
    let p = this.inFlight.get(key);
    if (!p) {
      const req = this.requests[k]!();
      const into = form === 'file' ? join(this.scratchDir(), `slice-${k}.db`) : undefined;
      if (this.useWorker) {
        this.worker ??= new ImportWorker({ db: fileForAnotherThread(this.source.main, this.source.state)! });
        p = this.worker.ask<SliceRows | SliceFile>({ kind: 'slice', req, ...(into ? { into } : {}) });
      } else {
        p = makeSliceRows(this.source, req).then((rows): Promise<SliceRows | SliceFile> | SliceRows => (into ? writeSliceFile(rows, req, into) : rows));
      }
      p.catch(() => undefined); // awaited by get(); a prefetch nobody asks for must not go unhandled
      this.inFlight.set(key, p);
    }
    return p;
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
