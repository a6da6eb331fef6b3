/** The main thread's side of the import's worker thread (import-worker.ts). */
import { Worker } from 'node:worker_threads';
import { SynapseDoctorError } from '../errors.js';
import { fromThreadError, usableWorkerFile } from '../threads/worker-file.js';
import type { ImportWorkerData, ImportWorkerMessage, ImportWorkerReply } from './import-worker.js';

/** Exists in the built package (dist/); from TypeScript sources (a test importing src/) there is none and the work is done here. */
const WORKER_URL = new URL('./import-worker.js', import.meta.url);

/** Whether a worker would help: a second core, and the built worker file. */
export function workerAvailable(): boolean {
  return usableWorkerFile(WORKER_URL) !== undefined;
}

type Outgoing = ImportWorkerMessage extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

export class ImportWorker {
  private readonly worker: Worker;
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();

  constructor(data: ImportWorkerData) {
    // a small young generation: the worker's garbage is collected early instead of held (memory target: the whole import under 500 MB)
    this.worker = new Worker(WORKER_URL, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    // an idle worker does not keep the process alive; a pending answer does (see ask)
    this.worker.unref();
    this.worker.on('message', (m: ImportWorkerReply) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) this.worker.unref();
      if ('error' in m) w.reject(fromThreadError(m.error));
      else w.resolve(m.value);
    });
    const fail = (e: unknown): void => {
      for (const w of this.waiting.values()) w.reject(new SynapseDoctorError('INTERNAL', `the import's worker thread failed: ${(e as Error)?.message ?? String(e)}`));
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`it exited with code ${code}`)));
  }

  /** A message that needs no answer. */
  tell(m: Exclude<ImportWorkerMessage, { id: number }>): void {
    this.worker.postMessage(m);
  }

  ask<T>(m: Outgoing): Promise<T> {
    const id = ++this.next;
    this.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...m, id });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
