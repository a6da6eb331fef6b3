/**
 * Read-back checks for simulated databases: plain SQL against what the simulator wrote, compared
 * with the protocol core's own computations (event ids, hashes, signatures).
 */
import { expect } from 'vitest';
import { pduFromJson } from '../../src/matrix/event-id.js';
import { checkContentHash } from '../../src/matrix/hashes.js';
import type { JsonObject } from '../../src/matrix/pdu.js';
import { roomVersionRules } from '../../src/matrix/room-versions.js';
import { encodeBase64 } from '../../src/matrix/base64.js';
import { verifyEventSignatures, type KeyRing } from '../../src/matrix/signatures.js';
import type { Engine } from '../../src/store/engine/engine.js';
import { hasColumn } from '../../src/store/introspect.js';
import type { SimServer } from '../../src/simulator/server.js';
import { stateKeyOf } from '../../src/matrix/pdu.js';

export interface EventRow {
  event_id: string;
  room_id: string;
  type: string;
  stream_ordering: number;
  outlier: boolean;
  rejection_reason: string | null;
  json: JsonObject;
  room_version: string;
  format_version: number;
  state_key: string | null;
}

const truthy = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 't';

export async function readEvents(engine: Engine): Promise<EventRow[]> {
  const rows = await engine.query<Record<string, unknown>>(
    `SELECT e.event_id, e.room_id, e.type, e.stream_ordering, e.outlier, e.rejection_reason, e.state_key,
            j.json, j.format_version, r.room_version
       FROM events e JOIN event_json j ON j.event_id = e.event_id JOIN rooms r ON r.room_id = e.room_id
      ORDER BY e.stream_ordering`,
  );
  return rows.map((r) => ({
    event_id: String(r.event_id),
    room_id: String(r.room_id),
    type: String(r.type),
    stream_ordering: Number(r.stream_ordering),
    outlier: truthy(r.outlier),
    rejection_reason: r.rejection_reason === null ? null : String(r.rejection_reason),
    state_key: r.state_key === null ? null : String(r.state_key),
    json: JSON.parse(String(r.json)) as JsonObject,
    room_version: String(r.room_version),
    format_version: Number(r.format_version),
  }));
}

/** Keys from server_keys_json plus the database's own server's key. */
export async function keyRing(engine: Engine, own: SimServer): Promise<KeyRing> {
  const ring: KeyRing = { [own.name]: { [own.key.keyId]: { key: encodeBase64(own.key.publicKey) } } };
  const rows = await engine.query<{ key_json: Uint8Array | string }>('SELECT key_json FROM server_keys_json');
  for (const r of rows) {
    const text = typeof r.key_json === 'string' ? r.key_json : Buffer.from(r.key_json).toString('utf8');
    const k = JSON.parse(text) as { server_name: string; valid_until_ts: number; verify_keys: Record<string, { key: string }> };
    for (const [id, v] of Object.entries(k.verify_keys)) (ring[k.server_name] ??= {})[id] = { key: v.key, valid_until_ts: k.valid_until_ts };
  }
  return ring;
}

/** Ids recompute, format versions match, content hashes and signatures verify. */
export async function checkEventIntegrity(engine: Engine, own: SimServer): Promise<number> {
  const ring = await keyRing(engine, own);
  const events = await readEvents(engine);
  for (const e of events) {
    const rules = roomVersionRules(e.room_version);
    expect(e.format_version).toBe(rules.eventFormat);
    const pdu = pduFromJson(e.json, rules);
    expect(pdu.event_id).toBe(e.event_id);
    expect(checkContentHash(e.json).ok).toBe(true);
    const report = verifyEventSignatures(e.json, rules, ring);
    expect(report.ok, `${e.event_id}: ${JSON.stringify(report)}`).toBe(true);
  }
  return events.length;
}

async function count(engine: Engine, sql: string, params: string[]): Promise<number> {
  const row = await engine.queryOne<{ n: number | string }>(sql, params);
  return Number(row?.n ?? 0);
}

/** Rejected events have exactly the reduced row set; accepted ones the full set. */
/** `marked`: events marked rejected after they were accepted, which keep the accepted row set. */
export async function checkRowSets(engine: Engine, marked: ReadonlySet<string> = new Set()): Promise<{ rejected: number; accepted: number }> {
  const events = await readEvents(engine);
  let rejected = 0;
  for (const e of events) {
    const id = [e.event_id];
    const rules = roomVersionRules(e.room_version);
    const pdu = pduFromJson(e.json, rules);
    const isState = e.state_key !== null;
    expect(await count(engine, 'SELECT count(*) AS n FROM state_events WHERE event_id = ?', id)).toBe(isState ? 1 : 0);
    expect(await count(engine, 'SELECT count(*) AS n FROM event_auth WHERE event_id = ?', id) > 0).toBe(isState && e.type !== 'm.room.create');
    expect(await count(engine, 'SELECT count(*) AS n FROM event_to_state_groups WHERE event_id = ?', id)).toBe(e.outlier ? 0 : 1);
    const rej = await count(engine, 'SELECT count(*) AS n FROM rejections WHERE event_id = ?', id);
    const edges = await count(engine, 'SELECT count(*) AS n FROM event_edges WHERE event_id = ?', id);
    const members = await count(engine, 'SELECT count(*) AS n FROM room_memberships WHERE event_id = ?', id);
    const relations = await count(engine, 'SELECT count(*) AS n FROM event_relations WHERE event_id = ?', id);
    const redactions = await count(engine, 'SELECT count(*) AS n FROM redactions WHERE event_id = ?', id);
    const search = await count(engine, 'SELECT count(*) AS n FROM event_search WHERE event_id = ?', id);
    const fwd = await count(engine, 'SELECT count(*) AS n FROM event_forward_extremities WHERE event_id = ?', id);
    if (e.rejection_reason !== null) {
      rejected++;
      expect(rej).toBe(1);
    }
    if (e.rejection_reason !== null && !marked.has(e.event_id)) {
      expect([edges, members, relations, redactions, search, fwd]).toEqual([0, 0, 0, 0, 0, 0]);
    } else {
      if (e.rejection_reason === null) expect(rej).toBe(0);
      expect(edges).toBe(pdu.prev_events.length);
      expect(members).toBe(e.type === 'm.room.member' ? 1 : 0);
      const rel = pdu.content['m.relates_to'] as JsonObject | undefined;
      expect(relations).toBe(rel && typeof rel.rel_type === 'string' ? 1 : 0);
      expect(redactions).toBe(e.type === 'm.room.redaction' ? 1 : 0);
      const searchable = (e.type === 'm.room.message' && typeof pdu.content.body === 'string') || e.type === 'm.room.name' || e.type === 'm.room.topic';
      expect(search).toBe(searchable ? 1 : 0);
    }
  }
  return { rejected, accepted: events.length - rejected };
}

/** Collapses a state group by walking its edges (the first value found for a key wins). */
export async function collapseGroup(engine: Engine, group: number): Promise<Map<string, string>> {
  const state = new Map<string, string>();
  let g: number | undefined = group;
  let hops = 0;
  while (g !== undefined) {
    const rows = await engine.query<{ type: string; state_key: string; event_id: string }>(
      'SELECT type, state_key, event_id FROM state_groups_state WHERE state_group = ?',
      [g as unknown as string],
    );
    for (const r of rows) {
      const k = stateKeyOf(r.type, r.state_key);
      if (!state.has(k)) state.set(k, r.event_id);
    }
    const edge: { prev_state_group: number } | undefined = await engine.queryOne<{ prev_state_group: number }>(
      'SELECT prev_state_group FROM state_group_edges WHERE state_group = ?',
      [g as unknown as string],
    );
    g = edge ? Number(edge.prev_state_group) : undefined;
    if (g !== undefined) hops++;
  }
  expect(hops).toBeLessThanOrEqual(100);
  return state;
}

/** prev < child on every edge; ≤100 hops; one edge per group at most. */
export async function checkStateGroupChains(engine: Engine): Promise<void> {
  const edges = await engine.query<{ state_group: number; prev_state_group: number }>('SELECT state_group, prev_state_group FROM state_group_edges');
  for (const e of edges) expect(Number(e.prev_state_group)).toBeLessThan(Number(e.state_group));
  const prev = new Map(edges.map((e) => [Number(e.state_group), Number(e.prev_state_group)]));
  expect(prev.size).toBe(edges.length);
  for (const start of prev.keys()) {
    let hops = 0;
    for (let g: number | undefined = start; g !== undefined && prev.has(g); g = prev.get(g)) hops++;
    expect(hops).toBeLessThanOrEqual(100);
  }
}

/** With one forward extremity, its collapsed state group equals current_state_events. */
export async function checkCurrentState(engine: Engine, roomId: string): Promise<void> {
  const fwd = await engine.query<{ event_id: string }>('SELECT event_id FROM event_forward_extremities WHERE room_id = ?', [roomId]);
  expect(fwd.length).toBeGreaterThan(0);
  const current = await engine.query<{ type: string; state_key: string; event_id: string }>(
    'SELECT type, state_key, event_id FROM current_state_events WHERE room_id = ?',
    [roomId],
  );
  const cur = new Map(current.map((r) => [stateKeyOf(r.type, r.state_key), r.event_id]));
  if (fwd.length === 1) {
    const g = await engine.queryOne<{ state_group: number }>('SELECT state_group FROM event_to_state_groups WHERE event_id = ?', [fwd[0]!.event_id]);
    expect(await collapseGroup(engine, Number(g!.state_group))).toEqual(cur);
  }
}

/** Stream orderings unique; the membership tables agree with events (what the triggers enforce). */
export async function checkOrderingsAndTriggers(engine: Engine): Promise<void> {
  const r = await engine.queryOne<{ n: number; d: number }>('SELECT count(*) AS n, count(DISTINCT stream_ordering) AS d FROM events');
  expect(Number(r!.n)).toBe(Number(r!.d));
  for (const table of ['current_state_events', 'room_memberships', 'local_current_membership']) {
    if (!(await hasColumn(engine, table, 'event_stream_ordering'))) continue; // added in schema 74
    const bad = await engine.queryOne<{ n: number }>(
      `SELECT count(*) AS n FROM ${table} t JOIN events e ON e.event_id = t.event_id WHERE e.stream_ordering <> t.event_stream_ordering`,
    );
    expect(Number(bad!.n)).toBe(0);
  }
  const joinedRejected = await engine.queryOne<{ n: number }>(
    'SELECT count(*) AS n FROM room_memberships m JOIN events e ON e.event_id = m.event_id WHERE e.rejection_reason IS NOT NULL',
  );
  expect(Number(joinedRejected!.n)).toBe(0);
}
