// Event id vectors from Synapse (rust/src/events/utils.rs) and the spec, through the library and
// the built CLI (`pdu event-id --json` → {"event_id"}).
import { describe, expect, it } from 'vitest';
import { parseJson } from '../../../src/matrix/canonical-json.js';
import { computeEventId } from '../../../src/matrix/event-id.js';
import { MatrixFormatError } from '../../../src/matrix/matrix-format-error.js';
import type { JsonObject } from '../../../src/matrix/pdu.js';
import { roomVersionRules } from '../../../src/matrix/room-versions.js';
import { runCli } from '../../cli/run-cli.js';
import { loadExternal } from './load.js';

interface Case {
  name: string;
  origin: string;
  room_version: string;
  event?: JsonObject;
  event_text?: string;
  event_id?: string;
  error?: true;
  computable?: true;
}
const { cases } = loadExternal<{ cases: Case[] }>('event-id.json');
const textOf = (c: Case): string => c.event_text ?? JSON.stringify(c.event);

describe('event ids: external vectors (library)', () => {
  for (const c of cases) {
    it(`v${c.room_version}: ${c.name}`, () => {
      const event = parseJson(textOf(c)) as JsonObject;
      const rules = roomVersionRules(c.room_version);
      if (c.error) expect(() => computeEventId(event, rules)).toThrow(MatrixFormatError);
      else if (c.event_id) expect(computeEventId(event, rules)).toBe(c.event_id);
      else {
        const id = computeEventId(event, rules);
        expect(id).toMatch(rules.eventFormat === 2 ? /^\$[A-Za-z0-9+/]{43}$/ : /^\$[A-Za-z0-9_-]{43}$/);
        // the big integer is hashed exactly: one digit less gives another id
        const smaller = parseJson(textOf(c).replace('18446744073709551615', '18446744073709551614')) as JsonObject;
        expect(computeEventId(smaller, rules)).not.toBe(id);
      }
    });
  }
});

describe('event ids: external vectors (CLI)', () => {
  for (const c of cases.filter((x) => x.room_version !== '6' && x.room_version !== '8')) {
    it(`pdu event-id --room-version ${c.room_version}: ${c.name}`, async () => {
      const r = await runCli(['pdu', 'event-id', '--room-version', c.room_version, '--json'], { input: textOf(c) });
      if (c.error) {
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/^synapse-doctor: .*event_id/);
        return;
      }
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { event_id: string };
      expect(Object.keys(out)).toStrictEqual(['event_id']);
      if (c.event_id) expect(out.event_id).toBe(c.event_id);
      else expect(out.event_id).toBe(computeEventId(parseJson(textOf(c)) as JsonObject, roomVersionRules(c.room_version)));
    });
  }
});
