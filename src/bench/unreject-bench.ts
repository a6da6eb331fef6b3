/**
 * `unreject --apply` on a long chain: the load generator writes one room whose power levels were
 * wrongly rejected early, so about `events` later events (one state event every 10) are rejected
 * in one chain; the cure runs in a fresh process (unreject-child.ts): wall time and peak memory.
 * Target (issue: rejection chains): a chain of 10,000 events holding 1,000 state events in ≤ 20 s
 * and ≤ 500 MB.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withGeneratedPostgres, withGeneratedSqlite } from './generated-database.js';

export interface UnrejectBenchResult {
  engine: 'sqlite' | 'postgres';
  events: number;
  unrejected: number;
  stateEvents: number;
  newGroups: number;
  rows: number;
  generateSeconds: number;
  seconds: number;
  cureSeconds: number;
  maxRssMiB: number;
}

const CHILD = fileURLToPath(new URL('./unreject-child.js', import.meta.url));

async function runChild(db: string, room: string): Promise<Omit<UnrejectBenchResult, 'engine' | 'events' | 'generateSeconds'>> {
  const dir = await mkdtemp(join(tmpdir(), 'synapse-doctor-bench-journal-'));
  try {
    const out = execFileSync(process.execPath, [CHILD, db, room, join(dir, 'cure.jsonl')], { encoding: 'utf8', maxBuffer: 1 << 20 });
    return JSON.parse(out.trim().split('\n').pop()!) as Omit<UnrejectBenchResult, 'engine' | 'events' | 'generateSeconds'>;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const load = (events: number) => ({ events, rooms: 1, chainRooms: 1, stateEvery: 10, members: 40 });

export async function benchUnrejectSqlite(events: number): Promise<UnrejectBenchResult> {
  return withGeneratedSqlite(load(events), async (path, gen) => ({ engine: 'sqlite', events: gen.events, generateSeconds: gen.seconds, ...(await runChild(path, gen.roomIds[0]!)) }));
}

export async function benchUnrejectPostgres(adminUrl: string, events: number): Promise<UnrejectBenchResult> {
  return withGeneratedPostgres(adminUrl, load(events), async (url, gen) => ({ engine: 'postgres', events: gen.events, generateSeconds: gen.seconds, ...(await runChild(url, gen.roomIds[0]!)) }));
}
