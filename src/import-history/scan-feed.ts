/**
 * Runs planning's pass over the source's JSON (scan-events.ts) where it overlaps the planner's own
 * reading: in the import's worker thread, reading an SQLite source itself (all of it, or the events
 * below a stream ordering while the planner scans the rest: its own reading, without the JSON, is
 * the quicker), or fed in batches the JSON the main thread reads (a PostgreSQL source); here when
 * there is no second core.
 */
import { fileForAnotherThread } from '../store/engine/memory.js';
import type { ReadStore } from '../store/open.js';
import { COUNTED, EventScanner, type ScanResult, type ScannedEvent } from './scan-events.js';
import { ImportWorker, workerAvailable } from './worker-client.js';

export interface ScanFeed {
  /**
   * The planner feeds the events from this stream ordering on (event(), with their JSON); the scan
   * reads those below it itself. -Infinity: the planner feeds every event; +Infinity: none.
   */
  readonly feedFrom: number;
  /** A source event from `feedFrom` on, in stream order. */
  event(e: ScannedEvent): void;
  finish(): Promise<ScanResult>;
}

/** Events handed to the worker at a time. */
const BATCH = 1000;

class LocalFeed implements ScanFeed {
  readonly feedFrom = Number.NEGATIVE_INFINITY;
  private readonly scanner: EventScanner;
  constructor(roomId: string, roomVersion: string, targetOutliers: ReadonlySet<string>) {
    this.scanner = new EventScanner(roomId, roomVersion, targetOutliers);
  }
  event(e: ScannedEvent): void {
    this.scanner.event(e);
  }
  async finish(): Promise<ScanResult> {
    return this.scanner.result();
  }
}

class FedWorker implements ScanFeed {
  readonly feedFrom = Number.NEGATIVE_INFINITY;
  private readonly worker = new ImportWorker({});
  private batch: ScannedEvent[] = [];
  constructor(roomId: string, roomVersion: string, targetOutliers: ReadonlySet<string>) {
    this.worker.tell({ kind: 'scan-begin', roomId, roomVersion, targetOutliers: [...targetOutliers] });
  }
  event(e: ScannedEvent): void {
    this.batch.push(e);
    if (this.batch.length >= BATCH) {
      this.worker.tell({ kind: 'scan', events: this.batch });
      this.batch = [];
    }
  }
  async finish(): Promise<ScanResult> {
    if (this.batch.length > 0) this.worker.tell({ kind: 'scan', events: this.batch });
    this.batch = [];
    try {
      return await this.worker.ask<ScanResult>({ kind: 'scan-end' });
    } finally {
      await this.worker.close();
    }
  }
}

class ReadingWorker implements ScanFeed {
  private readonly result: Promise<ScanResult>;
  /** Scanned here: the events from `feedFrom` on, when the worker reads those below it. */
  private readonly local?: EventScanner;
  /**
   * `owned`: closed when the scan ends; else the slices' worker (slice-pipeline.ts), lent for the scan.
   * `feedFrom`: the worker reads the events below it, the planner feeds the rest (+Infinity: the worker reads all).
   */
  constructor(private readonly worker: ImportWorker, private readonly owned: boolean, roomId: string, roomVersion: string, targetOutliers: ReadonlySet<string>, readonly feedFrom = Number.POSITIVE_INFINITY) {
    const below = Number.isFinite(feedFrom) ? { below: feedFrom } : {};
    this.result = this.worker.ask<ScanResult>({ kind: 'scan-source', roomId, roomVersion, targetOutliers: [...targetOutliers], ...below });
    this.result.catch(() => undefined); // awaited in finish()
    if (Number.isFinite(feedFrom)) this.local = new EventScanner(roomId, roomVersion, targetOutliers);
  }
  event(e: ScannedEvent): void {
    if (!this.local) throw new Error('a scan that reads the whole source is not fed');
    this.local.event(e);
  }
  async finish(): Promise<ScanResult> {
    try {
      const read = await this.result;
      return this.local ? joinScans(read, this.local.result()) : read;
    } finally {
      if (this.owned) await this.worker.close();
    }
  }
}

/** The scan of a room's events in two parts, `a` the earlier ones: one result, numbered from `a`'s first event. */
export function joinScans(a: ScanResult, b: ScanResult): ScanResult {
  const offset = a.counts.length / COUNTED.length;
  const counts = new Uint16Array(a.counts.length + b.counts.length);
  counts.set(a.counts);
  counts.set(b.counts, a.counts.length);
  const candidateOrdinals = new Uint32Array(a.candidateOrdinals.length + b.candidateOrdinals.length);
  candidateOrdinals.set(a.candidateOrdinals);
  for (let i = 0; i < b.candidateOrdinals.length; i++) candidateOrdinals[a.candidateOrdinals.length + i] = b.candidateOrdinals[i]! + offset;
  return {
    counts,
    candidateOrdinals,
    candidateIds: [...a.candidateIds, ...b.candidateIds],
    threads: [...a.threads, ...b.threads.map((t) => ({ ordinal: t.ordinal + offset, pdu: t.pdu }))],
  };
}

/**
 * `slicesWorker`: the worker that will make the slices' rows, reading the same source. The scan
 * runs in it, so one thread is started, and its connection opened, once for the whole import;
 * given `split`, a stream ordering, it reads the events below it and the planner feeds the rest.
 */
export function startScan(source: ReadStore, roomId: string, roomVersion: string, targetOutliers: ReadonlySet<string>, useWorker: boolean, slicesWorker?: ImportWorker, split?: number): ScanFeed {
  if (slicesWorker) return new ReadingWorker(slicesWorker, false, roomId, roomVersion, targetOutliers, split);
  if (!useWorker || !workerAvailable()) return new LocalFeed(roomId, roomVersion, targetOutliers);
  const file = fileForAnotherThread(source.main, source.state);
  if (file !== undefined) return new ReadingWorker(new ImportWorker({ db: file }), true, roomId, roomVersion, targetOutliers);
  return new FedWorker(roomId, roomVersion, targetOutliers);
}
