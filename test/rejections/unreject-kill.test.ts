/**
 * SIGKILL at random points while `unreject` applies its cure (a generated chain of a few thousand
 * events): afterwards the database is either untouched or fully cured, on both engines.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateLoad } from '../../src/simulator/load.js';
import { openDatabase } from '../../src/store/open.js';
import { createPgDatabase, dropPgDatabase, ENGINES, freshSynapseDatabase, pgUrlFor, rawEngine } from '../support/engines.js';
import { killOutcome, tableFingerprints } from '../support/fingerprint.js';
import { runKillableChild } from '../support/kill-child.js';

const CHILD = fileURLToPath(new URL('./support/unreject-child.mjs', import.meta.url));

function runChild(url: string, journal: string, room: string, killAfterMs?: number): Promise<{ out: string; applyMs: number }> {
  return runKillableChild(CHILD, [url, journal, room], killAfterMs);
}

async function fingerprintOf(url: string): Promise<Record<string, string>> {
  const db = await openDatabase({ db: url, write: true }); // write: SQLite rolls a hot journal back on open
  try {
    return await tableFingerprints(db.main);
  } finally {
    await db.close();
  }
}

for (const kind of ENGINES) {
  describe(`${kind}: unreject under SIGKILL`, () => {
    it('killed at 10 random points during --apply: untouched or fully cured, never torn', async () => {
      const original = await freshSynapseDatabase(kind, 94);
      const dir = await mkdtemp(join(tmpdir(), 'sd-unreject-kill-'));
      const copies: Array<() => Promise<void>> = [];
      const copy = async (): Promise<string> => {
        if (kind === 'sqlite') {
          const d = await mkdtemp(join(dir, 'c-'));
          const path = join(d, 'homeserver.db');
          await copyFile(original.url, path);
          return path;
        }
        const name = await createPgDatabase(new URL(original.url).pathname.slice(1));
        copies.push(() => dropPgDatabase(name));
        return pgUrlFor(name);
      };
      try {
        const load = await generateLoad(rawEngine(original.db), 94, { events: 4000, rooms: 1, chainRooms: 1, batchSize: 1000 });
        const room = load.roomIds[0]!;
        await original.db.close();
        const before = await fingerprintOf(original.url);
        const full = await copy();
        const done = await runChild(full, join(dir, 'full.jsonl'), room);
        expect(done.out).toMatch(/applied/);
        const complete = await fingerprintOf(full);
        expect(killOutcome(complete, before, complete)).toBe('complete');
        const outcomes: string[] = [];
        for (let i = 0; i < 10; i++) {
          const target = await copy();
          const at = Math.round(((i + Math.random()) / 10) * done.applyMs * 1.1);
          await runChild(target, join(dir, `kill-${i}.jsonl`), room, at);
          const now = await fingerprintOf(target);
          const outcome = killOutcome(now, before, complete);
          outcomes.push(outcome.startsWith('torn') ? `${outcome} after ${at} ms` : outcome);
        }
        console.log(`${kind}: SIGKILL during unreject --apply (${done.applyMs} ms run): ${outcomes.join(', ')}`);
        expect(outcomes.filter((o) => o.startsWith('torn'))).toEqual([]);
        expect(outcomes).toContain('untouched');
      } finally {
        for (const c of copies) await c();
        await rm(dir, { recursive: true, force: true });
        await original.cleanup();
      }
    }, 240_000);
  });
}
