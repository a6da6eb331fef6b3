/**
 * The import's worker thread, doing what would otherwise wait for the main thread's writes:
 * parsing the source's events while planning reads them (scan-events.ts), and making the next
 * slice's rows from its own read-only connection to an SQLite source (slice-rows.ts) while the
 * main thread writes the slice before. better-sqlite3 blocks its thread, so reading and writing
 * overlap only on two threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SynapseDoctorError } from '../errors.js';
import { setPageCache } from '../store/engine/memory.js';
import { collectAbove } from '../threads/collect-garbage.js';
import { toThreadError, type ThreadError } from '../threads/worker-file.js';
import { openDatabase, type SynapseDatabase } from '../store/open.js';
import { iterateSourceEventJson } from '../store/readers/history.js';
import { EventScanner, type ScanResult, type ScannedEvent } from './scan-events.js';
import { makeSliceRows, writeSlicesFile, type SliceRequest } from './slice-rows.js';

export interface ImportWorkerData {
  /** The source's SQLite file, when slices are made here. */
  readonly db?: string;
}

export type ImportWorkerMessage =
  | { readonly id: number; readonly kind: 'slice'; readonly req: SliceRequest }
  /** The rows of several slices written to one scratch file (slice-rows.ts writeSlicesFile). */
  | { readonly id: number; readonly kind: 'slices-file'; readonly reqs: readonly SliceRequest[]; readonly into: string }
  /** Planning's JSON pass, fed by the main thread (a PostgreSQL source)… */
  | { readonly kind: 'scan-begin'; readonly roomId: string; readonly roomVersion: string; readonly targetOutliers: readonly string[] }
  | { readonly kind: 'scan'; readonly events: readonly ScannedEvent[] }
  | { readonly id: number; readonly kind: 'scan-end' }
  /** …or read here (an SQLite source; those below stream ordering `below` when given, the planner scanning the rest). */
  | { readonly id: number; readonly kind: 'scan-source'; readonly roomId: string; readonly roomVersion: string; readonly targetOutliers: readonly string[]; readonly below?: number };

export type ImportWorkerReply =
  | { readonly id: number; readonly value: unknown }
  | { readonly id: number; readonly error: ThreadError };

/**
 * Between slices: a full collection once the heap holds more than this. Making a batch's rows
 * leaves a slice's worth of garbage at a time, which V8 would let pile up past 100 MiB first.
 */
const HEAP_LIMIT = 64 << 20;

/**
 * Once a scan or a batch's file is done the worker waits, idle, while the main thread copies the
 * batch, and nothing would collect its garbage all that time; so it collects then, unless its heap
 * is smaller than this (a small room's few MiB of garbage are not worth a full collection each:
 * measured on 10,000 events, 1.30 -> 1.08 s, peak 156 -> 176 MiB).
 */
const IDLE_FLOOR = 32 << 20;

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
      port.postMessage({ id, error: toThreadError(e) } satisfies ImportWorkerReply);
    },
  );
}

function openSource(): Promise<SynapseDatabase> {
  if (!db) return Promise.reject(new SynapseDoctorError('INTERNAL', 'this worker has no source to read'));
  store ??= openDatabase({ db }).then((s) => {
    // slices read events by ordering, scattered: a large page cache would only add to the memory
    setPageCache(s.main, 8 << 10);
    return s;
  });
  return store;
}

function transferable(r: ScanResult): { value: ScanResult; transfer: ArrayBuffer[] } {
  return { value: r, transfer: [r.counts.buffer as ArrayBuffer, r.candidateOrdinals.buffer as ArrayBuffer] };
}

port.on('message', (m: ImportWorkerMessage) => {
  queue = queue.then(async () => {
    switch (m.kind) {
      case 'scan-begin':
        scanner = new EventScanner(m.roomId, m.roomVersion, new Set(m.targetOutliers));
        return;
      case 'scan':
        for (const e of m.events) scanner!.event(e);
        return;
      case 'scan-end':
        return reply(m.id, async () => {
          const r = scanner!.result();
          scanner = undefined;
          return transferable(r);
        });
      case 'scan-source':
        return reply(m.id, async () => {
          const source = await openSource();
          const sc = new EventScanner(m.roomId, m.roomVersion, new Set(m.targetOutliers));
          for await (const e of iterateSourceEventJson(source.main, source.schema.capabilities, m.roomId, m.below)) {
            sc.event({ eventId: e.event_id, json: e.json, outlier: e.outlier, rejected: e.rejected, state: e.state });
          }
          const r = sc.result();
          collectAbove(IDLE_FLOOR);
          return transferable(r);
        });
      case 'slice':
        return reply(m.id, async () => {
          collectAbove(HEAP_LIMIT);
          return { value: await makeSliceRows(await openSource(), m.req) };
        });
      case 'slices-file':
        return reply(m.id, async () => {
          const source = await openSource();
          const into = await writeSlicesFile(m.into, m.reqs, (r) => {
            collectAbove(HEAP_LIMIT);
            return makeSliceRows(source, r);
          });
          collectAbove(IDLE_FLOOR);
          return { value: into };
        });
    }
  });
});
