import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
      expect(Object.keys(report)).toEqual(['format', 'database', 'background_updates', 'totals', 'rooms']);
      expect(report.format).toBe(1);
      expect(report.database).toMatchObject({ engine, schema_version: 94, compat_version: 84 });
      expect(typeof report.background_updates.pending).toBe('number');
      expect(report.background_updates.names.length).toBe(report.background_updates.pending);
      const rejected = want.rejectedByReason.auth_error;
      expect(report.totals).toEqual({ rooms: 1, events: want.events, rejected_events: rejected });
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
      ]);
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
