/**
 * A throw-away Synapse database (schema 94) filled by the load generator, handed to a benchmark and
 * removed afterwards: an SQLite file in a temporary folder, or a PostgreSQL database created on a
 * server where we may CREATE DATABASE (ANALYZEd before use, as a long-running server would be).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SqliteEngine } from '../store/engine/sqlite/sqlite-engine.js';
import { createSynapseSchema } from '../store/fixture-schema.js';
import { openEngine } from '../store/open.js';
import { generateLoad, type LoadOptions, type LoadResult } from '../simulator/load.js';

let counter = 0;

/** `keepDir`: write the file there and leave it (for looking at it afterwards). */
export async function withGeneratedSqlite<T>(load: LoadOptions, use: (path: string, result: LoadResult) => Promise<T>, keepDir?: string): Promise<T> {
  const dir = keepDir ?? (await mkdtemp(join(tmpdir(), 'synapse-doctor-bench-')));
  const path = join(dir, `load-${load.events}-${++counter}.db`);
  try {
    const engine = new SqliteEngine(path, { create: true });
    let result;
    try {
      await createSynapseSchema(engine, 94);
      result = await generateLoad(engine, 94, load);
    } finally {
      await engine.close();
    }
    return await use(path, result);
  } finally {
    if (!keepDir) await rm(dir, { recursive: true, force: true });
  }
}

export async function withGeneratedPostgres<T>(adminUrl: string, load: LoadOptions, use: (url: string, result: LoadResult) => Promise<T>): Promise<T> {
  const name = `synapse_doctor_bench_${process.pid}_${++counter}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    const engine = await openEngine({ kind: 'postgres', url: url.toString() }, true);
    let result;
    try {
      await createSynapseSchema(engine, 94);
      result = await generateLoad(engine, 94, load);
      await engine.exec('ANALYZE');
    } finally {
      await engine.close();
    }
    return await use(url.toString(), result);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  }
}
