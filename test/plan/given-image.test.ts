// The after-image of an insert on a unique key is journalled as given, not read back; undo then
// compares the rows read at undo time with it on the given columns, with each engine's forms of
// the same values (booleans as 0/1 or true/false, integers as numbers or digit strings) equal.
import { describe, expect, it } from 'vitest';
import { digestGiven, encodeRow, holdsDigest, holdsGivenRows, imageHolds } from '../../src/plan/row-codec.js';

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

describe('digests of rows as given', () => {
  const columns = ['event_id', 'outlier', 'depth', 'json'];
  const values = [['$a', false, 5, '{"x":1}'], ['$b', true, 6, 'x'.repeat(5000)]];
  const d = digestGiven(columns, ['event_id'], values, [2]);

  it('hold against the rows as either engine reads them back, in any order, extra columns ignored', () => {
    expect(d.rows).toBe(2);
    expect(JSON.stringify(d)).not.toContain('xxxx'); // the journal keeps no row text
    const sqlite = [encodeRow({ event_id: '$b', outlier: 1, depth: 6, json: 'x'.repeat(5000), content: null }), encodeRow({ event_id: '$a', outlier: 0, depth: 5, json: '{"x":1}', content: null })];
    const postgres = [encodeRow({ event_id: '$a', outlier: false, depth: '5', json: '{"x":1}' }), encodeRow({ event_id: '$b', outlier: true, depth: BigInt(6), json: 'x'.repeat(5000) })];
    expect(holdsDigest(sqlite, d)).toBe(true);
    expect(holdsDigest(postgres, d)).toBe(true);
  });

  it('do not hold once a cell changed, a row went or came', () => {
    expect(holdsDigest([encodeRow({ event_id: '$a', outlier: 0, depth: 5, json: '{"x":1}' }), encodeRow({ event_id: '$b', outlier: 1, depth: 6, json: 'x'.repeat(4999) + 'y' })], d)).toBe(false);
    expect(holdsDigest([encodeRow({ event_id: '$a', outlier: 0, depth: 5, json: '{"x":1}' })], d)).toBe(false);
    expect(holdsDigest([], digestGiven(columns, ['event_id'], [], [0]))).toBe(true);
    expect(holdsDigest([encodeRow({ event_id: '$c' })], digestGiven(columns, ['event_id'], [], [0]))).toBe(false);
  });
});
