/**
 * Runs a node script as a child process for the SIGKILL tests. The script prints "start" once
 * applying began; with `killAfterMs`, the child is SIGKILLed that long after. Resolves with its
 * output, the signal that ended it, and how long applying took (start to exit).
 */
import { spawn } from 'node:child_process';

export function runKillableChild(script: string, args: readonly string[], killAfterMs?: number): Promise<{ out: string; signal: string | null; applyMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let startedAt = 0;
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (!startedAt && out.includes('start')) {
        startedAt = Date.now();
        if (killAfterMs !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ out, signal, applyMs: startedAt ? Date.now() - startedAt : 0 });
    });
  });
}
