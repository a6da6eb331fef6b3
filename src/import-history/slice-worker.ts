/**
 * A worker thread that makes the rows of an import's slices (slice-rows.ts) from its own read-only
 * connection to an SQLite source, while the main thread writes the slice before: better-sqlite3
 * blocks its thread, so reading the source and writing the target overlap only on two threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SynapseDoctorError } from '../errors.js';
import { openDatabase } from '../store/open.js';
import { makeSliceRows, type SliceRequest } from './slice-rows.js';

export interface SliceWorkerData {
  /** The source's SQLite file. */
  readonly db: string;
}

export type SliceWorkerReply =
  | { readonly id: number; readonly rows: Awaited<ReturnType<typeof makeSliceRows>> }
  | { readonly id: number; readonly error: { readonly code: string; readonly message: string; readonly hint?: string } };

const port = parentPort!;
const store = openDatabase({ db: (workerData as SliceWorkerData).db });
// one slice at a time, in the order asked
let queue: Promise<void> = Promise.resolve();
port.on('message', (m: { id: number; req: SliceRequest }) => {
  queue = queue.then(async () => {
    try {
      port.postMessage({ id: m.id, rows: await makeSliceRows(await store, m.req) } satisfies SliceWorkerReply);
    } catch (e) {
      const err = e instanceof SynapseDoctorError ? { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } : { code: 'INTERNAL', message: (e as Error).message ?? String(e) };
      port.postMessage({ id: m.id, error: err } satisfies SliceWorkerReply);
    }
  });
});
