/**
 * Feeds planning's pass over the source to an EventScanner (scan-events.ts): in the import's
 * worker thread when there is a second core, in batches, so that parsing the JSON overlaps reading
 * it; else here.
 */
import type { PresentEvent } from './import-worker.js';
import { EventScanner, type MissingEvent, type ScanResult } from './scan-events.js';
import { ImportWorker, workerAvailable } from './worker-client.js';

export interface ScanFeed {
  present(eventId: string, timeline: boolean): void;
  missing(e: MissingEvent): void;
  finish(): Promise<ScanResult>;
}

/** Events handed to the worker at a time. */
const BATCH = 1000;

class LocalFeed implements ScanFeed {
  private readonly scanner: EventScanner;
  constructor(roomId: string, roomVersion: string) {
    this.scanner = new EventScanner(roomId, roomVersion);
  }
  present(eventId: string, timeline: boolean): void {
    this.scanner.present(eventId, timeline);
  }
  missing(e: MissingEvent): void {
    this.scanner.missing(e);
  }
  async finish(): Promise<ScanResult> {
    return this.scanner.result();
  }
}

class WorkerFeed implements ScanFeed {
  private readonly worker = new ImportWorker({});
  private batch: (MissingEvent | PresentEvent)[] = [];
  constructor(roomId: string, roomVersion: string) {
    this.worker.tell({ kind: 'scan-begin', roomId, roomVersion });
  }
  private push(e: MissingEvent | PresentEvent): void {
    this.batch.push(e);
    if (this.batch.length >= BATCH) this.flush();
  }
  private flush(): void {
    if (this.batch.length === 0) return;
    this.worker.tell({ kind: 'scan', events: this.batch });
    this.batch = [];
  }
  present(eventId: string, timeline: boolean): void {
    if (timeline) this.push({ present: eventId, timeline });
  }
  missing(e: MissingEvent): void {
    this.push(e);
  }
  async finish(): Promise<ScanResult> {
    this.flush();
    try {
      return await this.worker.ask<ScanResult>({ kind: 'scan-end' });
    } finally {
      await this.worker.close();
    }
  }
}

export function startScan(roomId: string, roomVersion: string, useWorker: boolean): ScanFeed {
  return useWorker && workerAvailable() ? new WorkerFeed(roomId, roomVersion) : new LocalFeed(roomId, roomVersion);
}
