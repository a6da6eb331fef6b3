/**
 * The state and orderings checks on databases a real Synapse 1.67 wrote (../shared/real-synapse,
 * when present; skipped otherwise), through the built CLI, on scratch copies (never the published
 * files):
 * - R, OLD and NEW (SQLite) and Q (PostgreSQL, restored from its dump): healthy, nothing found
 *   (exit 0), for the whole database and for the room;
 * - P: its incident is a join_rules event marked rejected by hand while its state tables were left
 *   as Synapse wrote them (the event stays in the groups and the current state). The state tables
 *   stay consistent with each other — the current state is the resolved state of P's three forward
 *   extremities — so these groups rightly find nothing: the rejection is the rejections group's
 *   finding. A copy of P with join_rules dropped from the current state shows the current-state
 *   check resolving P's three extremities (--room), and its repair applied and undone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { statement } from '../../src/store/engine/engine.js';
import { createPgDatabase, dropPgDatabase, ENGINES, pgUrlFor } from '../support/engines.js';
import { expectRepair, fsck, withWritable } from './support-state.js';

const REAL = fileURLToPath(new URL('../../../shared/real-synapse/', import.meta.url));
const haveReal = existsSync(join(REAL, 'dev-chain', 'hsP-broken.db')) && existsSync(join(REAL, 'dev-migration', 'hsNEW-new.db'));
const havePgRestore = (() => {
  try {
    execFileSync('pg_restore', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

async function withCopy<T>(file: string, fn: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sd-fsck-real-'));
  try {
    const path = join(dir, 'homeserver.db');
    await copyFile(join(REAL, file), path);
    return await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!haveReal)('real Synapse 1.67: fsck state and orderings', () => {
  for (const [file, room] of [
    ['dev-chain/hsR-healthy-peer.db', '!fDWOVaXnUaKpiTdyWw:localhost:8491'],
    ['dev-migration/hsOLD-old.db', '!OyHRGUIKRdqtYVaDJg:localhost:8494'],
    ['dev-migration/hsNEW-new.db', '!OyHRGUIKRdqtYVaDJg:localhost:8494'],
  ] as const) {
    it(`${file}: healthy, nothing found (exit 0)`, async () => {
      await withCopy(file, async (p) => {
        const r = await fsck(p);
        expect(r.findings, JSON.stringify(r.findings, null, 1)).toEqual([]);
        expect(r.code).toBe(0);
        expect((await fsck(p, ['--room', room])).findings).toEqual([]);
      });
    });
  }

  it('dev-chain P: the state tables agree with each other (the rejection is not theirs to find); a reset current state is found and repaired', async () => {
    const truth = JSON.parse(await readFile(join(REAL, 'dev-chain.json'), 'utf8')) as { room_id: string; root_rejected_event_ids: string[] };
    await withCopy('dev-chain/hsP-broken.db', async (p) => {
      const r = await fsck(p);
      expect(r.findings, JSON.stringify(r.findings, null, 1)).toEqual([]);
      // break it: join_rules dropped from the current state, as a state reset would leave it
      await withWritable(p, async (main) => {
        await main.run(statement("DELETE FROM current_state_events WHERE room_id = ? AND type = 'm.room.join_rules'", [truth.room_id]));
      });
      const broken = await fsck(p, ['--room', truth.room_id]);
      expect(broken.findings.map((f) => [f.check, f.count])).toEqual([['state.current-state-not-resolved', 1]]);
      expect(broken.findings[0]!.sample).toEqual([{ type: 'm.room.join_rules', state_key: '', current_event_id: null, resolved_event_id: truth.root_rejected_event_ids[0] }]);
      // --fix puts back what P's groups hold (the rejection itself stays for unreject to cure); undo restores the copy
      await expectRepair('sqlite', p, 'state.current-state-not-resolved');
    });
  });
});

describe.skipIf(!haveReal || !havePgRestore || !ENGINES.includes('postgres'))('real Synapse 1.67: fsck state and orderings on PostgreSQL (dev-chain Q, restored)', () => {
  it('Q: healthy, nothing found (exit 0), sequences and stream positions included', async () => {
    const name = await createPgDatabase();
    const url = pgUrlFor(name);
    try {
      execFileSync('pg_restore', ['--no-owner', '--no-acl', '-d', url, join(REAL, 'dev-chain', 'hsQ-peer.pgdump')], { stdio: 'pipe' });
      const r = await fsck(url);
      expect(r.findings, JSON.stringify(r.findings, null, 1)).toEqual([]);
      expect(r.code).toBe(0);
      expect(r.checks.find((c) => c.id === 'orderings.sequence-behind')?.status).toBe('ok');
    } finally {
      await dropPgDatabase(name);
    }
  });
});
