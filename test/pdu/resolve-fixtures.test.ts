// Other implementations' state-resolution fixtures through the command line: ruma's PDUs for room
// versions 3+ carry made-up `event_id`s that their state sets and auth_events refer to, so
// `pdu resolve` must take a given `event_id` as the event's id (see src/pdu/events-input.ts).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../vectors/state-res');

interface Fixture {
  kind: string;
  room_version: string;
  events: { event_id: string; pdu: unknown; rejected?: boolean }[];
  state_sets: string[][];
  expected: string[];
}

const fixtures = readdirSync(DIR)
  .filter((f) => f.startsWith('ruma-') && f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Fixture] as const)
  .filter(([, fx]) => fx.kind === 'resolve' && Number(fx.room_version) >= 3 && Array.isArray(fx.expected));

describe('pdu resolve on ruma fixtures (room versions 3+, fixture event ids)', () => {
  it('has fixtures to run', () => expect(fixtures.length).toBeGreaterThan(5));
  for (const [name, fx] of fixtures) {
    it(name, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sd-resolve-'));
      let r: Awaited<ReturnType<typeof runCli>>;
      try {
        const events = fx.events.map((e) => (e.rejected ? { event: e.pdu, rejected: true } : e.pdu));
        writeFileSync(join(dir, 'events.json'), JSON.stringify(events));
        writeFileSync(join(dir, 'sets.json'), JSON.stringify(fx.state_sets));
        r = await runCli(['pdu', 'resolve', '--room-version', fx.room_version, '--state-sets', join(dir, 'sets.json'), '--events', join(dir, 'events.json'), '--json']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const resolved = JSON.parse(r.stdout) as Record<string, string>;
      expect(Object.values(resolved).sort()).toEqual([...fx.expected].sort());
    });
  }
});
