// The after-image of an insert on a unique key is journalled as given, not read back; undo then
// compares the rows read at undo time with it on the given columns, with each engine's forms of
// the same values (booleans as 0/1 or true/false, integers as numbers or digit strings) equal.
import { describe, expect, it } from 'vitest';
import { encodeRow, holdsGivenRows, imageHolds } from '../../src/plan/row-codec.js';

const given = [encodeRow({ event_id: '$a', outlier: false, depth: 5, json: '{"x":1}' }), encodeRow({ event_id: '$b', outlier: true, depth: 6, json: '{}' })];

describe('after-images as given', () => {
  it('hold against the rows as SQLite and PostgreSQL read them back, extra columns ignored', () => {
    const sqlite = [encodeRow({ event_id: '$b', outlier: 1, depth: 6, json: '{}', content: null }), encodeRow({ event_id: '$a', outlier: 0, depth: 5, json: '{"x":1}', content: null })];
    const postgres = [encodeRow({ event_id: '$a', outlier: false, depth: '5', json: '{"x":1}' }), encodeRow({ event_id: '$b', outlier: true, depth: BigInt(6), json: '{}' })];
    expect(holdsGivenRows(sqlite, given)).toBe(true);
    expect(holdsGivenRows(postgres, given)).toBe(true);
    expect(imageHolds(sqlite, given, true)).toBe(true);
  });

  it('do not hold once a given column changed, a row went or came', () => {
    expect(holdsGivenRows([encodeRow({ event_id: '$a', outlier: 1, depth: 5, json: '{"x":1}' }), encodeRow({ event_id: '$b', outlier: 1, depth: 6, json: '{}' })], given)).toBe(false);
    expect(holdsGivenRows([encodeRow({ event_id: '$a', outlier: 0, depth: 5, json: '{"x":2}' }), encodeRow({ event_id: '$b', outlier: 1, depth: 6, json: '{}' })], given)).toBe(false);
    expect(holdsGivenRows([encodeRow({ event_id: '$a', outlier: 0, depth: 5, json: '{"x":1}' })], given)).toBe(false);
    expect(holdsGivenRows([], [])).toBe(true);
    expect(holdsGivenRows([encodeRow({ event_id: '$c' })], [])).toBe(false);
  });
});
