import { describe, expect, it } from 'vitest';
import { checkEventFormat } from '../../src/matrix/event-format.js';
import { parseJson } from '../../src/matrix/canonical-json.js';
import { roomVersionRules } from '../../src/matrix/room-versions.js';
import type { JsonValue } from '../../src/matrix/pdu.js';
import { runCli } from '../cli/run-cli.js';

const event = (content: string): JsonValue =>
  parseJson(`{"type":"m.room.message","sender":"@a:x","room_id":"!r:x","depth":3,"origin_server_ts":1,"prev_events":[],"auth_events":[],"hashes":{"sha256":"x"},"signatures":{},"content":${content}}`);

describe('event format: canonical JSON integers (v6+)', () => {
  it('refuses an integer beyond 2^53-1 anywhere in a v6+ event, with its path', () => {
    for (const v of ['6', '10', '11', '12']) {
      const r = checkEventFormat(event('{"n":[1,{"big":9007199254740992}]}'), roomVersionRules(v));
      expect(r).toMatchObject({ valid: false, rule: 'event-format.integer-range', path: 'content.n[1].big' });
      expect(checkEventFormat(event('{"n":-9007199254740992}'), roomVersionRules(v)).valid).toBe(false);
      expect(checkEventFormat(event('{"n":9007199254740991,"m":-9007199254740991}'), roomVersionRules(v)).valid).toBe(true);
    }
  });

  it('accepts them in room versions 1–5', () => {
    for (const v of ['1', '3', '5']) expect(checkEventFormat(event('{"n":18446744073709551616}'), roomVersionRules(v)).valid).toBe(true);
  });

  it('survives hostile depth without overflowing the stack', () => {
    const deep = '['.repeat(400) + '9007199254740993' + ']'.repeat(400);
    const r = checkEventFormat(parseJson(deep), roomVersionRules('10'));
    expect(r.valid).toBe(false);
  });

  it('pdu event-id --room-version 6+ computes the id (as Synapse does for stored events) and warns that the event is not valid on receipt', async () => {
    const text = JSON.stringify({ type: 'm.room.message', sender: '@a:x', room_id: '!r:x', depth: 3, origin_server_ts: 1, prev_events: [], auth_events: [], content: { body: 'x' } }).replace('"depth":3', '"depth":9007199254740993');
    const v10 = await runCli(['pdu', 'event-id', '--room-version', '10'], { input: text });
    expect(v10.code).toBe(0);
    expect(v10.stdout).toMatch(/^\$[A-Za-z0-9_-]{43}\n$/);
    expect(v10.stderr).toMatch(/^synapse-doctor: warning: not a valid event on receipt in room version 10: depth holds 9007199254740993, outside canonical JSON's integer range/);
    const v5 = await runCli(['pdu', 'event-id', '--room-version', '5'], { input: text });
    expect(v5.code, v5.stderr).toBe(0);
    expect(v5.stderr).toBe('');
  });
});
