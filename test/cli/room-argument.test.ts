/** `--room` as an admin types it, through the built CLI: ids, aliases, and one clear line for the rest. */
import { describe, expect, it } from 'vitest';
import { buildScenario } from '../../src/simulator/scenarios/index.js';
import { ENGINES, freshSynapseDatabase, rawEngine } from '../support/engines.js';
import { expectOneErrorLine, runCli } from './run-cli.js';

for (const kind of ENGINES) {
  describe(`${kind}: --room`, () => {
    it('takes a room id or a known alias; refuses empty, sigil-less and unknown ones in one line', async () => {
      const fresh = await freshSynapseDatabase(kind, 94);
      try {
        const s = await buildScenario('rejection-chain', { engine: rawEngine(fresh.db), version: 94 });
        await rawEngine(fresh.db).run('INSERT INTO room_aliases (room_alias, room_id, creator) VALUES (?, ?, ?)', ['#chain:this.example', s.roomId, '@alice:this.example']);
        await fresh.db.close();
        const byId = await runCli(['inspect', '--db', fresh.url, '--room', s.roomId, '--json']);
        expect(byId.code, byId.stderr).toBe(0);
        const byAlias = await runCli(['inspect', '--db', fresh.url, '--room', '#chain:this.example', '--json']);
        expect(byAlias.code, byAlias.stderr).toBe(0);
        expect(JSON.parse(byAlias.stdout).rooms[0].room_id).toBe(s.roomId);
        const rej = await runCli(['rejections', '--db', fresh.url, '--room', '#chain:this.example', '--json']);
        expect(rej.code).toBe(1);
        for (const [arg, code, pattern] of [['', 2, /empty/], ['abc:this.example', 2, /start with ! and aliases with #/], ['#nope:x', 3, /not known/], ['!nope:x', 3, /not in this database|not found/i]] as const) {
          const r = await runCli(['inspect', '--db', fresh.url, '--room', arg]);
          expect(r.code, `${arg}: ${r.stderr}`).toBe(code);
          expect(expectOneErrorLine(r.stderr).message).toMatch(pattern);
        }
      } finally {
        await fresh.cleanup();
      }
    });
  });
}
