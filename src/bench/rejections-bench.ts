/**
 * `rejections` on a large database: the load generator writes N events in R rooms of which C hold a
 * rejection chain (a wrongly rejected power-levels change that every later event there cites),
 * then `findRejections` runs in a fresh process (rejections-child.ts): wall time and peak memory.
 * Target (issue: rejection chains): 1,000,000 events with 100,000 rejected in ≤ 5 s and ≤ 500 MB.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withGeneratedPostgres, withGeneratedSqlite } from './generated-database.js';

export interface RejectionsBenchResult {
  engine: 'sqlite' | 'postgres';
  events: number;
  rejected: number;
  chains: number;
  generateSeconds: number;
  findSeconds: number;
  findMaxRssMiB: number;
}

const CHILD = fileURLToPath(new URL('./rejections-child.js', import.meta.url));

function runChild(db: string): { seconds: number; maxRssMiB: number; rejected: number; chains: number } {
  const out = execFileSync(process.execPath, [CHILD, db], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as { seconds: number; maxRssMiB: number; rejected: number; chains: number };
}

export async function benchRejectionsSqlite(events: number, rooms: number, chainRooms: number): Promise<RejectionsBenchResult> {
  return withGeneratedSqlite({ events, rooms, chainRooms }, async (path, gen) => {
    const r = runChild(path);
    return { engine: 'sqlite', events: gen.events, rejected: r.rejected, chains: r.chains, generateSeconds: gen.seconds, findSeconds: r.seconds, findMaxRssMiB: r.maxRssMiB };
  });
}

export async function benchRejectionsPostgres(adminUrl: string, events: number, rooms: number, chainRooms: number): Promise<RejectionsBenchResult> {
  return withGeneratedPostgres(adminUrl, { events, rooms, chainRooms }, async (url, gen) => {
    const r = runChild(url);
    return { engine: 'postgres', events: gen.events, rejected: r.rejected, chains: r.chains, generateSeconds: gen.seconds, findSeconds: r.seconds, findMaxRssMiB: r.maxRssMiB };
  });
}
