// A plan exercising every step kind on a simulated database (the rejection-chain scenario): used
// by the write-path tests and, as plain JavaScript on the built library, by the child process the
// SIGKILL test kills. Not a repair: a mechanism test.
import { makePlan, statement } from '../../../dist/index.js';

/** Values that must survive literals, JSON and both engines unchanged. */
export const HOSTILE = [
  "it's a \"quote\" and a back\\slash \\x00 \\\\",
  'tab\tnewline\ncarriage\rreturn',
  '\u001b[31mred\u001b[0m \u0007 bell \u202e bidi \u2028 sep \ufeff bom',
  'emoji 🧪 and 中文 and ?? placeholders ? $1 $$ $tag$ -- comment /* block */',
  "'); DROP TABLE events; --",
];

export async function buildSamplePlan(db, options = {}) {
  const bulk = options.bulkRows ?? 300;
  const room = await db.main.queryOne('SELECT room_id FROM rooms ORDER BY room_id');
  const roomId = room.room_id;
  const rejected = (await db.main.query('SELECT event_id FROM rejections ORDER BY event_id')).map((r) => r.event_id);
  const marks = rejected.map(() => '?').join(', ');
  const scope = statement(`event_id IN (${marks})`, rejected);
  const events = await db.main.queryOne('SELECT count(*) AS n FROM events WHERE room_id = ?', [roomId]);
  const reason = { text: 'write-path test', spec: 'https://spec.matrix.org/v1.16/server-server-api/#checks-performed-on-receipt-of-a-pdu' };
  const search = [];
  for (let i = 0; i < bulk; i++) search.push([`$search${i}:test`, roomId, 'content.body', `${HOSTILE[i % HOSTILE.length]} #${i}`.replace(/\u0000/g, ' ')]);
  const fts = db.main.capabilities.eventSearch === 'fts4';
  const steps = [
    { kind: 'statement', id: 'clear-rejection-reason', reason, database: 'main', table: 'events', op: 'update',
      statement: statement(`UPDATE events SET rejection_reason = NULL WHERE ${scope.sql}`, scope.params), scope, rowsExpected: rejected.length },
    { kind: 'statement', id: 'delete-rejections', reason, database: 'main', table: 'rejections', op: 'delete',
      statement: statement(`DELETE FROM rejections WHERE ${scope.sql}`, scope.params), scope, rowsExpected: rejected.length },
    fts
      ? { kind: 'insert', id: 'search', reason, database: 'main', table: 'event_search', columns: ['event_id', 'room_id', 'key', 'value'], key: ['event_id'], count: search.length, rows: search }
      : { kind: 'insert', id: 'search', reason, database: 'main', table: 'event_search', columns: ['event_id', 'room_id', 'key', 'vector', 'origin_server_ts', 'stream_ordering'],
          expressions: ['?', '?', '?', "to_tsvector('english', ?)", '?', '?'], key: ['event_id'], count: search.length, rows: search.map((r, i) => [...r, 1_700_000_000_000 + i, 10_000 + i]) },
    { kind: 'insert', id: 'keys', reason, database: 'main', table: 'server_signature_keys', columns: ['server_name', 'key_id', 'from_server', 'ts_added_ms', 'verify_key', 'ts_valid_until_ms'],
      key: ['server_name', 'key_id', 'from_server'], count: 1, rows: [['bytes.test', 'ed25519:x', 'bytes.test', 1, Buffer.from([0, 1, 0x27, 0x5c, 0xff]), 2 ** 53 - 1]] },
    { kind: 'insert', id: 'extremities', reason, database: 'main', table: 'event_backward_extremities', columns: ['event_id', 'room_id'], key: ['event_id', 'room_id'],
      count: bulk, rows: Array.from({ length: bulk }, (_v, i) => [`$extremity${i}:test`, roomId]) },
    ...(db.main.capabilities.sequences ? [{ kind: 'sequence', id: 'events-seq', reason, database: 'main', sequence: 'events_stream_seq', atLeast: 5000 }] : []),
  ];
  return makePlan(db, {
    command: 'test write-path',
    preconditions: [
      { id: 'events', description: `room ${roomId} holds ${events.n} events`, database: 'main', query: statement('SELECT count(*) FROM events WHERE room_id = ?', [roomId]), expect: Number(events.n) },
    ],
    steps,
    verify: [
      { id: 'no-rejections', description: 'no rejections left for the chosen events', database: 'main', query: statement(`SELECT count(*) FROM rejections WHERE ${scope.sql}`, scope.params), expect: 0 },
      { id: 'extremities', description: `${bulk} new backward extremities`, database: 'main', query: statement("SELECT count(*) FROM event_backward_extremities WHERE event_id LIKE '$extremity%'"), expect: bulk },
    ],
    notes: ['Restart Synapse afterwards.'],
  });
}

/**
 * An idempotent plan: insert whichever of `count` backward-extremity rows are still missing.
 * Made again after an interrupted per-chunk run, it completes the work.
 */
export async function buildMissingRowsPlan(db, count) {
  const room = await db.main.queryOne('SELECT room_id FROM rooms ORDER BY room_id');
  const have = new Set((await db.main.query("SELECT event_id FROM event_backward_extremities WHERE event_id LIKE '$bulk%'")).map((r) => r.event_id));
  const rows = [];
  for (let i = 0; i < count; i++) {
    const id = `$bulk${String(i).padStart(6, '0')}:test`;
    if (!have.has(id)) rows.push([id, room.room_id]);
  }
  const reason = { text: 'write-path test: bulk rows' };
  return makePlan(db, {
    command: 'test bulk',
    steps: rows.length === 0 ? [] : [{ kind: 'insert', id: 'bulk', reason, database: 'main', table: 'event_backward_extremities', columns: ['event_id', 'room_id'], key: ['event_id', 'room_id'], count: rows.length, rows }],
    verify: [{ id: 'all', description: `all ${count} rows present`, database: 'main', query: statement("SELECT count(*) FROM event_backward_extremities WHERE event_id LIKE '$bulk%'"), expect: count }],
  });
}
