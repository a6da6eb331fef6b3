/**
 * Runs planning's pass over the source's JSON (scan-events.ts) where it overlaps the planner's own
 * reading: in the import's worker thread, reading an SQLite source itself, or fed in batches the
 * JSON the main thread reads (a PostgreSQL source); here when there is no second core.
 */
import { fileForAnotherThread } from '../store/engine/memory.js';
import type { ReadStore } from '../store/open.js';
import { EventScanner, type ScanResult, type ScannedEvent } from './scan-events.js';
import { ImportWorker, workerAvailable } from './worker-client.js';

export interface ScanFeed {
  /** True when the scan reads the source itself: the planner reads it without the JSON. */
  readonly readsSource: boolean;
  /** Every source event, in stream order (only when the scan does not read the source itself). */
  event(e: ScannedEvent): void;
  finish(): Promise<ScanResult>;
}

/** Events handed to the worker at a time. */
const BATCH = 1000;

class LocalFeed implements ScanFeed {
  readonly readsSource = false;
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
  readonly readsSource = false;
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
  readonly readsSource = true;
  private readonly result: Promise<ScanResult>;
  /** `owned`: closed when the scan ends; else the slices' worker (slice-pipeline.ts), lent for the scan. */
  constructor(private readonly worker: ImportWorker, private readonly owned: boolean, roomId: string, roomVersion: string, targetOutliers: ReadonlySet<string>) {
    this.result = this.worker.ask<ScanResult>({ kind: 'scan-source', roomId, roomVersion, targetOutliers: [...targetOutliers] });
    this.result.catch(() => undefined); // awaited in finish()
  }
  event(): void {
    throw new Error('a scan that reads the source is not fed');
  }
  async finish(): Promise<ScanResult> {
    try {
      return await this.result;
    } finally {
      if (this.owned) await this.worker.close();
    }
  }
}

/**
 * `slicesWorker`: the worker that will make the slices' rows, reading the same source. The scan
 * runs in it, so one thread is started, and its connection opened, once for the whole import.
 */
export function startScan(source: ReadStore, roomId: string, roomVersion: string, targetOutliers: ReadonlySet<string>, useWorker: boolean, slicesWorker?: ImportWorker): ScanFeed {
  if (slicesWorker) return new ReadingWorker(slicesWorker, false, roomId, roomVersion, targetOutliers);
  if (!useWorker || !workerAvailable()) return new LocalFeed(roomId, roomVersion, targetOutliers);
  const file = fileForAnotherThread(source.main, source.state);
  if (file !== undefined) return new ReadingWorker(new ImportWorker({ db: file }), true, roomId, roomVersion, targetOutliers);
  return new FedWorker(roomId, roomVersion, targetOutliers);
}
