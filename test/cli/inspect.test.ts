import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLoad } from '../../src/simulator/load.js';
import { buildScenario, type ScenarioResult } from '../../src/simulator/scenarios/index.js';
import { ENGINES, freshSynapseDatabase, rawEngine, type FreshDatabase } from '../support/engines.js';
import { expectedRoom } from '../inspect/expected.js';
import { expectOneErrorLine, runCli } from './run-cli.js';

/** The database section of a homeserver.yaml pointing at `url` (an SQLite path or postgres:// URL). */
function databaseYaml(url: string): string {
  if (!url.startsWith('postgres')) return `database:\n  name: sqlite3\n  args:\n    database: ${JSON.stringify(url)}\n`;
  const u = new URL(url);
  return [
    'database:',
    '  name: psycopg2',
    '  args:',
    `    user: ${JSON.stringify(decodeURIComponent(u.username))}`,
    `    password: ${JSON.stringify(decodeURIComponent(u.password))}`,
    `    host: ${JSON.stringify(u.hostname)}`,
    `    port: ${u.port || 5432}`,
    `    database: ${JSON.stringify(u.pathname.slice(1))}`,
    '',
  ].join('\n');
}

for (const engine of ENGINES) {
  describe(`${engine}: cli inspect`, () => {
    let fresh: FreshDatabase;
    let scenario: ScenarioResult;
    beforeAll(async () => {
      fresh = await freshSynapseDatabase(engine, 94);
      scenario = await buildScenario('rejection-chain', { engine: rawEngine(fresh.db), version: 94 });
      await fresh.db.close(); // our own open connection would look like a running Synapse
    });
    afterAll(async () => {
      await fresh?.cleanup();
    });

    it('prints the stable JSON shape with numbers as numbers', async () => {
      const want = expectedRoom(scenario);
      const r = await runCli(['inspect', '--db', fresh.url, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(Object.keys(report)).toEqual(['format', 'database', 'background_updates', 'totals', 'integrity_check', 'findings', 'rooms', 'rooms_omitted']);
      expect(report).toMatchObject({ integrity_check: null, findings: [], rooms_omitted: 0 });
      expect(report.format).toBe(1);
      expect(report.database).toMatchObject({ engine, schema_version: 94, compat_version: 84 });
      expect(typeof report.background_updates.pending).toBe('number');
      expect(report.background_updates.names.length).toBe(report.background_updates.pending);
      const rejected = want.rejectedByReason.auth_error;
      expect(report.totals).toEqual({ rooms: 1, events: want.events, rejected_events: rejected, findings: 0, rooms_with_findings: 0 });
      expect(report.rooms[0]).toMatchObject({
        room_id: scenario.roomId,
        room_version: '10',
        name: 'Simulated room',
        events: want.events,
        rejected_events: { total: rejected, by_reason: { auth_error: rejected } },
        joined_members: { by_server: want.joinedByServer },
      });
      expect(Object.keys(report.rooms[0])).toEqual([
        'room_id', 'room_version', 'name', 'joined_members', 'events', 'rejected_events', 'rejection_disagreements',
        'soft_failed_events', 'forward_extremities', 'oldest_event', 'newest_event',
        'outliers', 'backward_extremities', 'oldest_timeline_event', 'newest_timeline_event', 'findings', 'non_state_auth_check',
      ]);
      // a rejection chain rejected on arrival is not an inspect finding (`rejections` judges it)
      expect(report.rooms[0]).toMatchObject({ outliers: { total: 0, negative_stream_ordering: 0 }, backward_extremities: 0, findings: [], non_state_auth_check: null });
    });

    it('prints aligned tables for people, with members per server', async () => {
      const want = expectedRoom(scenario);
      const r = await runCli(['inspect', '--db', fresh.url, '--room', scenario.roomId]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^schema\s+94 \(compat 84\)$/m);
      expect(r.stdout).toMatch(new RegExp(`^events\\s+${want.events}$`, 'm'));
      const header = r.stdout.split('\n').find((l) => l.startsWith('ROOM'))!;
      const row = r.stdout.split('\n').find((l) => l.startsWith(scenario.roomId))!;
      expect(header.indexOf('VERSION')).toBe(row.indexOf('10  '));
      for (const [server, n] of Object.entries(want.joinedByServer)) expect(r.stdout).toContain(`${server} ${n}`);
      expect(r.stdout).toContain(`rejected events by reason: auth_error ${want.rejectedByReason.auth_error}`);
    });

    it('reads the database from homeserver.yaml with --config, and refuses a broken one (exit 3)', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'synapse-doctor-config-'));
      try {
        const config = join(dir, 'homeserver.yaml');
        await writeFile(config, `server_name: example.org\n${databaseYaml(fresh.url)}`);
        const r = await runCli(['inspect', '--config', config, '--json']);
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout).rooms[0].room_id).toBe(scenario.roomId);
        await writeFile(config, 'database:\n  name: oracle\n');
        const bad = await runCli(['inspect', '--config', config, '--json']);
        expect(bad.code).toBe(3);
        expect(JSON.parse(bad.stdout).error.code).toBe('CONFIG_INVALID');
        expectOneErrorLine(bad.stderr);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('takes the database from SYNAPSE_DOCTOR_DB', async () => {
      const r = await runCli(['inspect', '--json'], { env: { SYNAPSE_DOCTOR_DB: fresh.url } });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).rooms[0].room_id).toBe(scenario.roomId);
    });
  });
}

for (const engine of ENGINES) {
  describe(`${engine}: cli inspect findings (rejection-cascade, marked)`, () => {
    let fresh: FreshDatabase;
    let labels: { root: string; acceptedCitingRoot: string[] };
    let roomId: string;
    beforeAll(async () => {
      fresh = await freshSynapseDatabase(engine, 94);
      const s = await buildScenario('rejection-cascade', { engine: rawEngine(fresh.db), version: 94, shape: 'marked' });
      labels = s.labels as typeof labels;
      roomId = s.roomId;
      await fresh.db.close();
    });
    afterAll(async () => {
      await fresh?.cleanup();
    });

    it('exits 1 and lists each finding with its id, count, sample and why (JSON)', async () => {
      const r = await runCli(['inspect', '--db', fresh.url, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout);
      expect(report.totals).toEqual({ rooms: 1, events: 30, rejected_events: 13, findings: 2, rooms_with_findings: 1 });
      const [room] = report.rooms;
      expect(room.findings.map((f: { id: string }) => f.id)).toEqual(['rejected-in-current-state', 'accepted-cites-rejected-auth-event']);
      expect(room.findings[0]).toEqual({ id: 'rejected-in-current-state', room_id: roomId, count: 1, sample_event_ids: [labels.root], why: expect.stringMatching(/403/) });
      expect(room.findings[1]).toEqual({
        id: 'accepted-cites-rejected-auth-event',
        room_id: roomId,
        count: 2,
        sample_event_ids: labels.acceptedCitingRoot,
        cited_event_ids: [labels.root],
        why: expect.stringMatching(/\.$/),
      });
      expect(room.non_state_auth_check).toEqual({ checked_events: 5, complete: true });
    });

    it('exits 1 in text too: the findings line, each finding and why it matters', async () => {
      const r = await runCli(['inspect', '--db', fresh.url]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^findings\s+2 \(in 1 room\)$/m);
      expect(r.stdout).toContain(`finding rejected-in-current-state: 1 event: ${labels.root}`);
      expect(r.stdout).toContain(`finding accepted-cites-rejected-auth-event: 2 events: ${labels.acceptedCitingRoot.join(', ')}; citing ${labels.root}`);
      expect(r.stdout.match(/^\s+why: /gm)?.length).toBe(2);
      const header = r.stdout.split('\n').find((l) => l.startsWith('ROOM'))!;
      const row = r.stdout.split('\n').find((l) => l.startsWith(roomId))!;
      expect(header).toMatch(/OUTLIERS\s+EXTREMITIES\s+BACKWARD\s+OLDEST\s+NEWEST\s+FINDINGS$/);
      expect(row).toMatch(/\s2$/);
    });
  });

  describe(`${engine}: cli inspect --limit and --check`, () => {
    let fresh: FreshDatabase;
    beforeAll(async () => {
      fresh = await freshSynapseDatabase(engine, 94);
      await generateLoad(rawEngine(fresh.db), 94, { events: 300, rooms: 3, members: 4 });
      await fresh.db.close();
    });
    afterAll(async () => {
      await fresh?.cleanup();
    });

    it('--limit N shows the first N rooms and says how many were left out (text and JSON); totals count all', async () => {
      const all = JSON.parse((await runCli(['inspect', '--db', fresh.url, '--json'])).stdout);
      expect(all.rooms.length).toBe(3);
      const r = await runCli(['inspect', '--db', fresh.url, '--limit', '1', '--json']);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.rooms.map((x: { room_id: string }) => x.room_id)).toEqual([all.rooms[0].room_id]);
      expect(report.rooms_omitted).toBe(2);
      expect(report.totals).toEqual(all.totals);
      const text = await runCli(['inspect', '--db', fresh.url, '--limit', '2']);
      expect(text.code).toBe(0);
      const lines = text.stdout.split('\n');
      const start = lines.findIndex((l) => l.startsWith('ROOM'));
      const rows = lines.slice(start + 1, lines.findIndex((l, i) => i > start && !l.startsWith('!')));
      expect(rows.map((l) => l.split(/\s+/)[0])).toEqual(all.rooms.slice(0, 2).map((x: { room_id: string }) => x.room_id));
      expect(text.stdout).toContain('… 1 more room not shown (--limit 2); the totals above count them');
      expect(text.stdout).toMatch(/^rooms\s+3$/m);
      const wide = await runCli(['inspect', '--db', fresh.url, '--limit', '10', '--json']);
      expect(JSON.parse(wide.stdout).rooms_omitted).toBe(0);
    });

    it('refuses a --limit that is not a positive whole number (exit 2, one line)', async () => {
      for (const bad of ['0', '-1', 'many', '1.5']) {
        const r = await runCli(['inspect', '--db', fresh.url, '--limit', bad]);
        expect(r.code, bad).toBe(2);
        expect(expectOneErrorLine(r.stderr).message).toContain('--limit');
        expect(r.stdout).toBe('');
      }
    });

    it(`--check: ${engine === 'sqlite' ? 'PRAGMA quick_check passes' : 'not applicable, one line, no failure'}`, async () => {
      const r = await runCli(['inspect', '--db', fresh.url, '--check', '--json']);
      expect(r.code).toBe(0);
      const check = JSON.parse(r.stdout).integrity_check;
      if (engine === 'sqlite') expect(check).toEqual({ applicable: true, method: 'PRAGMA quick_check', ok: true, problems: [], note: null });
      else expect(check).toMatchObject({ applicable: false, method: null, ok: null, problems: [] });
      const text = await runCli(['inspect', '--db', fresh.url, '--check']);
      expect(text.code).toBe(0);
      const lines = text.stdout.split('\n').filter((l) => l.startsWith('integrity check'));
      expect(lines.length).toBe(1);
      expect(lines[0]).toMatch(engine === 'sqlite' ? /^integrity check\s+ok \(PRAGMA quick_check\)$/ : /^integrity check\s+not applicable: postgres has no PRAGMA quick_check/);
      expect((await runCli(['inspect', '--db', fresh.url])).stdout).not.toContain('integrity check');
    });
  });
}

describe.skipIf(!ENGINES.includes('sqlite'))('sqlite: cli inspect --check on a damaged file', () => {
  it('reports the first problems of PRAGMA quick_check as a finding (exit 1); without --check the rooms still read', async () => {
    const fresh = await freshSynapseDatabase('sqlite', 94);
    try {
      await buildScenario('healthy', { engine: rawEngine(fresh.db), version: 94 });
      const pageSize = Number((await fresh.db.main.queryOne<{ page_size: number }>('PRAGMA page_size'))!.page_size);
      // the root page of `users`, a table inspect does not read: a cell count far beyond its cells
      const root = Number((await fresh.db.main.queryOne<{ rootpage: number }>("SELECT rootpage FROM sqlite_master WHERE name = 'users'"))!.rootpage);
      await fresh.db.close();
      const fd = openSync(fresh.url, 'r+');
      try {
        writeSync(fd, Buffer.from([0x00, 0x50]), 0, 2, (root - 1) * pageSize + 3);
      } finally {
        closeSync(fd);
      }
      const bytes = readFileSync(fresh.url);
      const r = await runCli(['inspect', '--db', fresh.url, '--check', '--json']);
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout);
      expect(report.integrity_check).toMatchObject({ applicable: true, method: 'PRAGMA quick_check', ok: false });
      expect(report.integrity_check.problems.length).toBeGreaterThan(0);
      expect(report.integrity_check.problems.length).toBeLessThanOrEqual(10);
      expect(report.integrity_check.problems.join('\n')).toMatch(new RegExp(`page ${root}\\b`));
      expect(report.findings).toEqual([
        { id: 'integrity-check-failed', room_id: null, count: report.integrity_check.problems.length, sample_event_ids: [], why: expect.stringMatching(/backup/) },
      ]);
      expect(report.totals).toMatchObject({ findings: 1, rooms_with_findings: 0 });
      const text = await runCli(['inspect', '--db', fresh.url, '--check']);
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(/^integrity check\s+\d+ problems? \(PRAGMA quick_check\): /m);
      expect(text.stdout).toMatch(/^findings\s+1 \(the database\)$/m);
      expect(text.stdout).toMatch(/^finding integrity-check-failed: /m);
      const plain = await runCli(['inspect', '--db', fresh.url, '--json']);
      expect(plain.code).toBe(0);
      expect(JSON.parse(plain.stdout).rooms.length).toBe(1);
      expect(readFileSync(fresh.url).equals(bytes)).toBe(true); // read-only: the file is unchanged
    } finally {
      await fresh.cleanup();
    }
  });
});
