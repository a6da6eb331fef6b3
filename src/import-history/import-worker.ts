/**
 * The import's worker thread, doing what would otherwise wait for the main thread's writes:
 * parsing the source's events while planning reads them (scan-events.ts), and making the next
 * slice's rows from its own read-only connection to an SQLite source (slice-rows.ts) while the
 * main thread writes the slice before. better-sqlite3 blocks its thread, so reading and writing
 * overlap only on two threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SynapseDoctorError } from '../errors.js';
import { openDatabase, type SynapseDatabase } from '../store/open.js';
import { EventScanner, type MissingEvent } from './scan-events.js';
import { makeSliceRows, type SliceRequest } from './slice-rows.js';

export interface ImportWorkerData {
  /** The source's SQLite file, when slices are made here. */
  readonly db?: string;
}

/** An event the target holds too: its id, and whether the target has it in its timeline. */
export interface PresentEvent {
  readonly present: string;
  readonly timeline: boolean;
}

export type ImportWorkerMessage =
  | { readonly id: number; readonly kind: 'slice'; readonly req: SliceRequest }
  | { readonly kind: 'scan-begin'; readonly roomId: string; readonly roomVersion: string }
  | { readonly kind: 'scan'; readonly events: readonly (MissingEvent | PresentEvent)[] }
  | { readonly id: number; readonly kind: 'scan-end' };

export type ImportWorkerReply =
  | { readonly id: number; readonly value: unknown }
  | { readonly id: number; readonly error: { readonly code: string; readonly message: string; readonly hint?: string } };

const port = parentPort!;
const { db } = workerData as ImportWorkerData;
let store: Promise<SynapseDatabase> | undefined;
let scanner: EventScanner | undefined;
// one message at a time, in the order sent
let queue: Promise<void> = Promise.resolve();

function reply(id: number, run: () => Promise<{ value: unknown; transfer?: ArrayBuffer[] }>): Promise<void> {
  return run().then(
    ({ value, transfer }) => port.postMessage({ id, value } satisfies ImportWorkerReply, transfer ?? []),
    (e: unknown) => {
      const error = e instanceof SynapseDoctorError ? { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } : { code: 'INTERNAL', message: (e as Error)?.message ?? String(e) };
      port.postMessage({ id, error } satisfies ImportWorkerReply);
    },
  );
}

port.on('message', (m: ImportWorkerMessage) => {
  queue = queue.then(async () => {
    switch (m.kind) {
      case 'scan-begin':
        scanner = new EventScanner(m.roomId, m.roomVersion);
        return;
      case 'scan':
        for (const e of m.events) {
          if ('present' in e) scanner!.present(e.present, e.timeline);
          else scanner!.missing(e);
        }
        return;
      case 'scan-end':
        return reply(m.id, async () => {
          const r = scanner!.result();
          scanner = undefined;
          return { value: r, transfer: [r.counts.buffer as ArrayBuffer, r.at.buffer as ArrayBuffer] };
        });
      case 'slice':
        return reply(m.id, async () => {
          if (!db) throw new SynapseDoctorError('INTERNAL', 'this worker has no source to read');
          store ??= openDatabase({ db });
          return { value: await makeSliceRows(await store, m.req) };
        });
    }
  });
});
