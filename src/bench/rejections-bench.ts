/**
 * `rejections` on a large database: the load generator writes N events in R rooms of which C hold a
 * rejection chain (a wrongly rejected power-levels change that every later event there cites),
 * then `findRejections` runs in a fresh process (rejections-child.ts): wall time and peak memory.
 * Target (issue: rejection chains): 1,000,000 events with 100,000 rejected in ≤ 5 s and ≤ 500 MB.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SqliteEngine } from '../store/engine/sqlite/sqlite-engine.js';
import { createSynapseSchema } from '../store/fixture-schema.js';
import { openEngine } from '../store/open.js';
import { generateLoad } from '../simulator/load.js';

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
  const dir = await mkdtemp(join(tmpdir(), 'synapse-doctor-bench-rej-'));
  const path = join(dir, 'chains.db');
  try {
    const engine = new SqliteEngine(path, { create: true });
    let gen;
    try {
      await createSynapseSchema(engine, 94);
      gen = await generateLoad(engine, 94, { events, rooms, chainRooms });
    } finally {
      await engine.close();
    }
    const r = runChild(path);
    return { engine: 'sqlite', events: gen.events, rejected: r.rejected, chains: r.chains, generateSeconds: gen.seconds, findSeconds: r.seconds, findMaxRssMiB: r.maxRssMiB };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchRejectionsPostgres(adminUrl: string, events: number, rooms: number, chainRooms: number): Promise<RejectionsBenchResult> {
  const name = `synapse_doctor_bench_rej_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    const engine = await openEngine({ kind: 'postgres', url: url.toString() }, true);
    let gen;
    try {
      await createSynapseSchema(engine, 94);
      gen = await generateLoad(engine, 94, { events, rooms, chainRooms });
      await engine.exec('ANALYZE');
    } finally {
      await engine.close();
    }
    const r = runChild(url.toString());
    return { engine: 'postgres', events: gen.events, rejected: r.rejected, chains: r.chains, generateSeconds: gen.seconds, findSeconds: r.seconds, findMaxRssMiB: r.maxRssMiB };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  }
}
