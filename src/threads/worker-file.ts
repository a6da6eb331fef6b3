/**
 * What the worker threads of several capabilities (import-history, fsck) share: whether a built
 * worker file can help (a second core, and the file exists: from TypeScript sources under vitest
 * there is none and the caller does the work on its own thread), how an error crosses the thread
 * boundary, and one-shot workers (start with data, one answer, exit).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parentPort, Worker } from 'node:worker_threads';
import { SynapseDoctorError, type ErrorCode } from '../errors.js';

/** The worker file beside a built module, when a worker would help; undefined otherwise. */
export function usableWorkerFile(url: URL): string | undefined {
  const file = fileURLToPath(url);
  return availableParallelism() > 1 && existsSync(file) ? file : undefined;
}

/** An error as a worker posts it. */
export interface ThreadError {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

export function toThreadError(e: unknown): ThreadError {
  return e instanceof SynapseDoctorError ? { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } : { code: 'INTERNAL', message: (e as Error)?.message ?? String(e) };
}

export function fromThreadError(e: ThreadError): SynapseDoctorError {
  return new SynapseDoctorError(e.code as ErrorCode, e.message, e.hint ? { hint: e.hint } : {});
}

type OneShotReply<T> = { readonly value: T } | { readonly error: ThreadError };

/** Runs a one-shot worker (see `answerOnce`) and resolves with its one answer. */
export function runOneShotWorker<T>(file: string, data: unknown, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(file, { workerData: data });
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      f();
      void worker.terminate();
    };
    worker.on('message', (m: OneShotReply<T>) => settle(() => ('error' in m ? reject(fromThreadError(m.error)) : resolve(m.value))));
    worker.on('error', (e: Error) => settle(() => reject(new SynapseDoctorError('INTERNAL', `${what}'s worker thread failed: ${e?.message ?? String(e)}`))));
    worker.on('exit', (code) => settle(() => reject(new SynapseDoctorError('INTERNAL', `${what}'s worker thread exited with code ${code} before answering`))));
  });
}

/** Inside a one-shot worker: computes the answer and posts it (or the error) to the thread that started it. */
export function answerOnce<T>(compute: () => Promise<T>): void {
  const port = parentPort!;
  compute().then(
    (value) => port.postMessage({ value } satisfies OneShotReply<T>),
    (e: unknown) => port.postMessage({ error: toThreadError(e) } satisfies OneShotReply<T>),
  );
}
