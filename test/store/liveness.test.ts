import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isSynapseDoctorError } from '../../src/errors.js';
import { PostgresEngine } from '../../src/store/engine/postgres/postgres-engine.js';
import { createSynapseSchema } from '../../src/store/fixture-schema.js';
import { assertWritable, checkSynapseRunning, runningWarning } from '../../src/store/liveness.js';
import { openDatabase } from '../../src/store/open.js';
import { ENGINES, createPgDatabase, dropPgDatabase, freshSynapseDatabase, pgUrlFor, rawEngine, lockStore } from '../support/engines.js';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (isSynapseDoctorError(e)) return e.code;
    throw e;
  }
}

/** A child node process that opens the SQLite file in WAL mode and keeps it open until killed. */
function holdSqliteOpen(path: string): Promise<ChildProcess> {
  const script = `
    const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
    const db = new Database(process.argv[1]);
    db.pragma('journal_mode = WAL');
    db.prepare('SELECT count(*) FROM events').get();
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (c) => reject(new Error(`holder exited with ${c}`)));
  });
}

import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);

for (const engine of ENGINES) {
  describe(`${engine}: liveness and write lock`, () => {
    it('a fresh, closed database shows no running Synapse', async () => {
      const fresh = await freshSynapseDatabase(engine, 94);
      try {
        if (engine === 'sqlite') {
          // created in WAL mode like Synapse, and the WAL is gone after a clean close
          const jm = await fresh.db.main.queryOne<{ journal_mode: string }>('PRAGMA journal_mode');
          expect(jm?.journal_mode).toBe('wal');
        }
        const live = await checkSynapseRunning(fresh.db);
        expect(live).toMatchObject({ running: false, evidence: [] });
        expect(await runningWarning(fresh.db)).toBeUndefined();
        await assertWritable(fresh.db);
        if (engine === 'sqlite') {
          await fresh.db.close();
          expect(existsSync(`${fresh.url}-wal`)).toBe(false);
          const reopened = await openDatabase({ db: fresh.url });
          expect((await checkSynapseRunning(reopened)).running).toBe(false);
          await reopened.close();
        }
      } finally {
        await fresh.cleanup();
      }
    });

    it('a fresh worker_locks row means running; an expired one does not', async () => {
      const fresh = await freshSynapseDatabase(engine, 94);
      try {
        const cols = ['lock_name', 'lock_key', 'instance_name', 'token', 'last_renewed_ts'];
        await rawEngine(fresh.db).insertMany('worker_locks', cols, [['old', 'k', 'gone', 't1', Date.now() - 10 * 60 * 1000]]);
        expect((await checkSynapseRunning(fresh.db)).running).toBe(false);
        await rawEngine(fresh.db).insertMany('worker_locks', cols, [['delete_room', '!r:x', 'abc123', 't2', Date.now() - 20_000]]);
        const live = await checkSynapseRunning(fresh.db);
        expect(live.running).toBe(true);
        expect(live.evidence.join('\n')).toContain('abc123');
        expect(await code(assertWritable(fresh.db))).toBe('SYNAPSE_RUNNING');
        expect((await assertWritable(fresh.db, { force: true })).running).toBe(true);
        expect(await runningWarning(fresh.db)).toMatch(/running/);
      } finally {
        await fresh.cleanup();
      }
    });

    it('another connection is detected', async () => {
      const fresh = await freshSynapseDatabase(engine, 94);
      try {
        if (engine === 'postgres') {
          const other = new pg.Client({ connectionString: fresh.url });
          await other.connect();
          try {
            const live = await checkSynapseRunning(fresh.db);
            expect(live.running).toBe(true);
            expect(live.evidence[0]).toMatch(/session pid \d+/);
          } finally {
            await other.end();
          }
        } else {
          const child = await holdSqliteOpen(fresh.url);
          try {
            expect(existsSync(`${fresh.url}-wal`)).toBe(true);
            const live = await checkSynapseRunning(fresh.db);
            expect(live.running).toBe(true);
            expect(live.evidence.join('\n')).toContain(`process ${child.pid}`);
          } finally {
            child.kill();
            await new Promise((r) => child.once('exit', r));
          }
          expect((await checkSynapseRunning(fresh.db)).running).toBe(false);
        }
      } finally {
        await fresh.cleanup();
      }
    });

    it('a second writer gets LOCK_HELD; the lock is free again after release', async () => {
      const fresh = await freshSynapseDatabase(engine, 94);
      const second = await openDatabase({ db: fresh.url, write: true });
      try {
        const lock = await lockStore(fresh.db);
        await rawEngine(fresh.db).transaction(async (tx) => {
          await tx.run("INSERT INTO users (name, creation_ts) VALUES ('@a:example.org', 1)");
        });
        expect(await code(lockStore(second))).toBe('LOCK_HELD');
        await lock.release();
        const again = await lockStore(second);
        await again.release();
        const n = await second.main.queryOne<{ n: number }>('SELECT count(*) AS n FROM users');
        expect(Number(n?.n)).toBe(1);
      } finally {
        await second.close();
        await fresh.cleanup();
      }
    });
  });
}

if (ENGINES.includes('postgres')) {
  describe('postgres: state tables in a separate database (databases: config)', () => {
    it('opens main and state as two connections and checks both', async () => {
      const mainName = await createPgDatabase();
      const stateName = await createPgDatabase();
      const dir = await mkdtemp(join(tmpdir(), 'synapse-doctor-multi-'));
      try {
        const main = await PostgresEngine.connect({ connectionString: pgUrlFor(mainName) });
        const state = await PostgresEngine.connect({ connectionString: pgUrlFor(stateName) });
        await createSynapseSchema(main, 94, { stateEngine: state });
        await main.close();
        await state.close();
        const u = new URL(pgUrlFor(mainName));
        const args = (db: string) => `{ user: ${u.username}, password: "${decodeURIComponent(u.password)}", database: ${db}, host: ${u.hostname}, port: ${u.port}, cp_min: 1 }`;
        const config = join(dir, 'homeserver.yaml');
        writeFileSync(config, `databases:\n  basement:\n    name: psycopg2\n    args: ${args(mainName)}\n    data_stores: [main]\n  state_db:\n    name: psycopg2\n    args: ${args(stateName)}\n    data_stores: [state]\n`);
        const db = await openDatabase({ config, write: true });
        try {
          expect(db.state).not.toBe(db.main);
          expect(await db.main.queryOne("SELECT 1 FROM information_schema.tables WHERE table_name = 'state_groups'")).toBeUndefined();
          expect(await db.state.queryOne("SELECT 1 AS x FROM information_schema.tables WHERE table_name = 'state_groups'")).toEqual({ x: 1 });
          expect(await db.state.queryOne("SELECT 1 AS x FROM information_schema.tables WHERE table_name = 'events'")).toBeUndefined();
          const stateDeltas = await db.state.query<{ file: string }>("SELECT file FROM applied_schema_deltas WHERE file = '89/01_state_groups_deletion.sql'");
          expect(stateDeltas.length).toBe(1);
          const lock = await lockStore(db);
          await lock.release();
          const other = new pg.Client({ connectionString: pgUrlFor(stateName) });
          await other.connect();
          const live = await checkSynapseRunning(db);
          await other.end();
          expect(live.running).toBe(true);
          expect(live.evidence.join('\n')).toContain(stateName);
        } finally {
          await db.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
        await dropPgDatabase(mainName);
        await dropPgDatabase(stateName);
      }
    });
  });
}
