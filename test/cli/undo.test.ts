/**
 * `synapse-doctor undo` through the built binary: bad journals get one line and exit 3; a journal
 * that never committed, or points at another engine, is refused with exit 5 / 2; nothing is written.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshSynapseDatabase } from '../support/engines.js';
import { expectOneErrorLine, runCli, stackLines } from './run-cli.js';

describe('cli: undo', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sd-undo-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a missing journal: exit 3, one line', async () => {
    const r = await runCli(['undo', join(dir, 'nope.jsonl')]);
    expect(r.code).toBe(3);
    expect(expectOneErrorLine(r.stderr).message).toMatch(/cannot read journal/);
    expect(stackLines(r.stderr)).toEqual([]);
  });

  it('a file that is not a journal: exit 3, one line', async () => {
    for (const [name, text] of [['garbage.jsonl', 'not json\n'], ['empty.jsonl', ''], ['other.jsonl', '{"hello": 1}\n'], ['hostile.jsonl', '{"synapse_doctor_journal":1,"command":"x"}\n\u001b[31m\n']] as const) {
      await writeFile(join(dir, name), text);
      const r = await runCli(['undo', join(dir, name), '--db', join(dir, 'none.db')]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(3);
      expect(r.stderr).not.toMatch(/\u001b/);
      expectOneErrorLine(r.stderr);
    }
  });

  it('a journal naming a database that is gone: exit 3, and --db is suggested by the message', async () => {
    const header = { synapse_doctor_journal: 1, command: 'test', created: '2026-01-01T00:00:00Z', target: { engine: 'sqlite', description: 'x', schemaVersion: 94 }, databases: { main: join(dir, 'missing.db') } };
    await writeFile(join(dir, 'moved.jsonl'), JSON.stringify(header) + '\n{"end":true,"lines":1}\n');
    const r = await runCli(['undo', join(dir, 'moved.jsonl')]);
    expect(r.code).toBe(3);
    expect(expectOneErrorLine(r.stderr).message).toMatch(/does not exist/);
  });

  it('a journal whose run never committed, or already undone, is refused (exit 5); nothing is written', async () => {
    const fresh = await freshSynapseDatabase('sqlite', 94);
    await fresh.db.close();
    try {
      const header = { synapse_doctor_journal: 1, command: 'test', created: '2026-01-01T00:00:00Z', target: { engine: 'sqlite', description: 'x', schemaVersion: 94 }, databases: { main: fresh.url } };
      await writeFile(join(dir, 'torn.jsonl'), JSON.stringify(header) + '\n');
      const torn = await runCli(['undo', join(dir, 'torn.jsonl'), '--apply']);
      expect(torn.code).toBe(5);
      expect(expectOneErrorLine(torn.stderr).message).toMatch(/never committed/);
      await writeFile(join(dir, 'undone.jsonl'), JSON.stringify(header) + '\n{"end":true,"lines":1}\n{"committed":"2026-01-01T00:00:01Z"}\n{"undone":"2026-01-02T00:00:00Z"}\n');
      const undone = await runCli(['undo', join(dir, 'undone.jsonl'), '--apply', '--json']);
      expect(undone.code).toBe(5);
      expect(JSON.parse(undone.stdout).error.code).toBe('PLAN_STALE');
      const other = await runCli(['undo', join(dir, 'torn.jsonl'), '--db', fresh.url.replace(/homeserver\.db$/, 'nothing-here.db')]);
      expect(other.code).toBe(3);
    } finally {
      await fresh.cleanup();
    }
  });
});
