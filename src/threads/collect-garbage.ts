/**
 * Full garbage collections asked for where V8 would not run one soon: on a thread that has left a
 * large heap of garbage behind and now mostly waits or runs SQLite (which allocates nothing on the
 * JavaScript heap), V8 lets that garbage stand, and the process's memory with it (an import's
 * target: under 500 MB).
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * V8's own gc(), from a context made with it exposed; a no-op where that is refused. Made on first
 * use, so that merely loading this module (a library user importing synapse-doctor) changes no flag.
 */
export function collectGarbage(): void {
  gc ??= ((): (() => void) => {
    try {
      setFlagsFromString('--expose-gc');
      return runInNewContext('gc') as () => void;
    } catch {
      return () => undefined;
    }
  })();
  gc();
}

/** A full collection when this thread's heap holds more than `bytes`. */
export function collectAbove(bytes: number): void {
  if (getHeapStatistics().used_heap_size > bytes) collectGarbage();
}
