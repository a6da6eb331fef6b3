import { describe, it, expect } from 'vitest';
import { MatrixFormatError } from '../../src/matrix/matrix-format-error.js';
import type { JsonObject } from '../../src/matrix/pdu.js';
import { redactEvent } from '../../src/matrix/redaction.js';
import { roomVersionRules } from '../../src/matrix/room-versions.js';
import { loadVector } from './vectors.js';

type Cases = { cases: { name: string; room_versions: string[]; event: JsonObject; redacted: JsonObject }[] };

describe('redactEvent: per-version vectors', () => {
  const { cases } = loadVector<Cases>('redaction/per-version.json');
  for (const c of cases) {
    it(`${c.name} (v${c.room_versions.join(',')})`, () => {
      for (const v of c.room_versions) {
        expect(redactEvent(c.event, roomVersionRules(v)), `room version ${v}`).toEqual(c.redacted);
      }
    });
  }
  it('covers every room version 1–12', () => {
    const seen = new Set(cases.flatMap((c) => c.room_versions));
    for (let v = 1; v <= 12; v++) expect(seen.has(String(v))).toBe(true);
  });
});

describe('redactEvent: behaviour', () => {
  const rules = roomVersionRules('10');
  it('does not mutate its input', () => {
    const event: JsonObject = { type: 'm.room.message', content: { body: 'hi' }, unsigned: { age: 1 }, extra: [1] };
    const before = structuredClone(event);
    const out = redactEvent(event, rules);
    expect(event).toEqual(before);
    expect(out).toEqual({ type: 'm.room.message', content: {} });
  });
  it('drops unsigned entirely (the spec key list); age_ts never survives', () => {
    expect(redactEvent({ type: 'X', content: {}, unsigned: { age_ts: 5 }, age_ts: 5 }, rules)).toEqual({ type: 'X', content: {} });
  });
  it('treats non-object content as empty', () => {
    expect(redactEvent({ type: 'm.room.member', content: 'join' }, rules)).toEqual({ type: 'm.room.member', content: {} });
    expect(redactEvent({ type: 'm.room.create', content: [1] }, roomVersionRules('11'))).toEqual({ type: 'm.room.create', content: {} });
  });
  it('keeps only own keys (no prototype lookups)', () => {
    const out = redactEvent({ type: 'm.room.member', content: {} }, rules);
    expect(Object.keys(out.content as JsonObject)).toEqual([]);
  });
  it('refuses events without a string type or without content', () => {
    expect(() => redactEvent({ content: {} }, rules)).toThrow(MatrixFormatError);
    expect(() => redactEvent({ type: 5, content: {} }, rules)).toThrow(MatrixFormatError);
    expect(() => redactEvent({ type: 'X' }, rules)).toThrow(/content is missing/);
    expect(() => redactEvent([] as unknown as JsonObject, rules)).toThrow(MatrixFormatError);
  });
});
