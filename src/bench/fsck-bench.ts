/**
 * `fsck` on a large database: the load generator writes N events in R rooms of which C hold a
 * rejection chain, then the whole fsck (every check) runs in a fresh process (fsck-child.ts): wall
 * time, peak memory and the slowest checks. Target (issue 10): 1,000,000 events in ≤ 30 s, ≤ 1 GB.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withGeneratedPostgres, withGeneratedSqlite } from './generated-database.js';

export interface FsckBenchResult {
  engine: 'sqlite' | 'postgres';
  events: number;
  generateSeconds: number;
  fsckSeconds: number;
  /** CPU seconds of the fsck process (the database server's own work on PostgreSQL is not in it). */
  fsckCpuSeconds: number;
  fsckMaxRssMiB: number;
  checks: { id: string; status: string; ms: number; note?: string }[];
  totals: Record<string, number>;
}

const CHILD = fileURLToPath(new URL('./fsck-child.js', import.meta.url));

function runChild(db: string): Pick<FsckBenchResult, 'checks' | 'totals'> & { seconds: number; cpuSeconds: number; maxRssMiB: number } {
  const out = execFileSync(process.execPath, [CHILD, db], { encoding: 'utf8', maxBuffer: 16 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as Pick<FsckBenchResult, 'checks' | 'totals'> & { seconds: number; cpuSeconds: number; maxRssMiB: number };
}

function result(engine: 'sqlite' | 'postgres', events: number, generateSeconds: number, r: ReturnType<typeof runChild>): FsckBenchResult {
  return { engine, events, generateSeconds, fsckSeconds: r.seconds, fsckCpuSeconds: r.cpuSeconds, fsckMaxRssMiB: r.maxRssMiB, checks: r.checks, totals: r.totals };
}

/** `keepDir`: leave the generated file there (to run fsck on it again: `node dist/bench/fsck-child.js FILE`). */
export async function benchFsckSqlite(events: number, rooms: number, chainRooms: number, keepDir?: string): Promise<FsckBenchResult> {
  return withGeneratedSqlite({ events, rooms, chainRooms }, async (path, gen) => result('sqlite', gen.events, gen.seconds, runChild(path)), keepDir);
}

export async function benchFsckPostgres(adminUrl: string, events: number, rooms: number, chainRooms: number): Promise<FsckBenchResult> {
  return withGeneratedPostgres(adminUrl, { events, rooms, chainRooms }, async (url, gen) => result('postgres', gen.events, gen.seconds, runChild(url)));
}
