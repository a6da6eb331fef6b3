/**
 * Gathers the `inspect` report: a handful of grouped queries over the whole database (or one
 * room), merged per room in memory. Memory grows with the number of rooms and of (room, server)
 * pairs, never with the number of events.
 */
import { domainOf } from '../matrix/auth/ids.js';
import { isJsonObject } from '../matrix/pdu.js';
import { SynapseDoctorError } from '../errors.js';
import type { ReadEngine } from '../store/engine/engine.js';
import { hasTable } from '../store/introspect.js';
import type { SchemaInfo } from '../store/schema-version.js';
import {
  countRejections,
  findBackwardExtremityCounts,
  findCurrentStateJson,
  findEventStats,
  findForwardExtremityCounts,
  findRejectionStats,
  findRejectionStatsFromEvents,
  findRooms,
  iterateJoinedMembers,
  iterateSoftFailedCandidates,
  roomExists,
  runQuickCheck,
} from '../store/readers/inspect.js';
import { findRoomFindings, integrityFinding } from './findings.js';
import type { EventTime, Finding, InspectReport, IntegrityCheck, RoomReport } from './report.js';

export interface InspectTarget {
  main: ReadEngine;
  schema: Pick<SchemaInfo, 'version' | 'compatVersion' | 'backgroundUpdates' | 'capabilities'>;
}

export interface InspectOptions {
  /** Only this room; ROOM_NOT_FOUND when the database does not know it. */
  roomId?: string;
  /** Report only the first N rooms (in the report's order); the totals still cover all. */
  limit?: number;
  /** Also run the engine's structural check (SQLite PRAGMA quick_check); a failure is a finding. */
  check?: boolean;
  /**
   * Events read for the JSON check of non-state events, per room and in all (default 50,000 and
   * 200,000; see findings.ts). For tests and tuning.
   */
  authJsonWindow?: { room: number; total: number };
}

/** Problems of the integrity check kept in the report. */
const INTEGRITY_PROBLEMS = 10;

function emptyRoom(roomId: string): RoomReport {
  return {
    room_id: roomId,
    room_version: null,
    name: null,
    joined_members: { total: 0, by_server: Object.create(null) as Record<string, number> },
    events: 0,
    rejected_events: { total: 0, by_reason: Object.create(null) as Record<string, number> },
    rejection_disagreements: { only_in_events: 0, only_in_rejections: 0, reason_differs: 0 },
    soft_failed_events: 0,
    forward_extremities: 0,
    oldest_event: null,
    newest_event: null,
    outliers: { total: 0, negative_stream_ordering: 0 },
    backward_extremities: 0,
    oldest_timeline_event: null,
    newest_timeline_event: null,
    findings: [],
    non_state_auth_check: null,
  };
}

export function eventTime(ts: number | null): EventTime | null {
  if (ts === null || !Number.isFinite(ts)) return null;
  const date = new Date(ts);
  return { origin_server_ts: ts, iso: Number.isNaN(date.getTime()) ? null : date.toISOString() };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return isJsonObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function contentOf(json: string): Record<string, unknown> | undefined {
  const c = parseObject(json)?.content;
  return isJsonObject(c) ? c : undefined;
}

/** The server name of a user id: everything after the first colon. */
function serverOf(userId: string): string {
  return domainOf(userId) ?? '(invalid user id)';
}

/** Tables every Synapse database at schema 72+ has and inspect reads. */
const REQUIRED_TABLES = ['rooms', 'events', 'event_json', 'current_state_events', 'room_memberships', 'event_forward_extremities'];

export async function inspectDatabase(target: InspectTarget, options: InspectOptions = {}): Promise<InspectReport> {
  const engine = target.main;
  const { roomId } = options;
  const missing: string[] = [];
  for (const table of REQUIRED_TABLES) if (!(await hasTable(engine, table))) missing.push(table);
  if (missing.length > 0) {
    throw new SynapseDoctorError('DB_NOT_SYNAPSE', `${engine.description} lacks Synapse tables: ${missing.join(', ')}`, {
      hint: 'the database has a schema_version table but not the tables Synapse creates; is it a partial copy?',
    });
  }
  if (roomId !== undefined && !(await roomExists(engine, roomId))) {
    throw new SynapseDoctorError('ROOM_NOT_FOUND', `room ${roomId} is not in this database`, {
      hint: 'run synapse-doctor inspect without --room to list the rooms',
    });
  }
  const rooms = new Map<string, RoomReport>();
  const room = (id: string): RoomReport => {
    let r = rooms.get(id);
    if (!r) rooms.set(id, (r = emptyRoom(id)));
    return r;
  };

  for (const row of await findRooms(engine, roomId)) room(row.room_id).room_version = row.room_version;

  for (const s of await findEventStats(engine, roomId)) {
    const r = room(s.room_id);
    r.events = s.events;
    r.oldest_event = eventTime(s.oldest_ts);
    r.newest_event = eventTime(s.newest_ts);
    r.outliers = { total: s.outliers, negative_stream_ordering: s.outliers_negative };
    r.oldest_timeline_event = eventTime(s.timeline_oldest_ts);
    r.newest_timeline_event = eventTime(s.timeline_newest_ts);
    r.rejection_disagreements.only_in_events = s.with_rejection_reason; // minus matches below
  }

  const withTable = target.schema.capabilities.rejectionsTable;
  const rejections = withTable ? await findRejectionStats(engine, roomId) : await findRejectionStatsFromEvents(engine, roomId);
  for (const s of rejections) {
    if (s.room_id === null) continue; // a rejections row for an event we do not have
    const r = room(s.room_id);
    r.rejected_events.total += s.n;
    r.rejected_events.by_reason[s.reason] = (r.rejected_events.by_reason[s.reason] ?? 0) + s.n;
    if (s.rejection_reason === null) r.rejection_disagreements.only_in_rejections += s.n;
    else {
      r.rejection_disagreements.only_in_events -= s.n;
      if (s.rejection_reason !== s.reason) r.rejection_disagreements.reason_differs += s.n;
    }
  }

  for await (const c of iterateSoftFailedCandidates(engine, roomId)) {
    if (parseObject(String(c.internal_metadata))?.soft_failed === true) room(String(c.room_id)).soft_failed_events += 1;
  }

  for (const x of await findForwardExtremityCounts(engine, roomId)) room(x.room_id).forward_extremities = x.n;
  if (await hasTable(engine, 'event_backward_extremities')) {
    for (const x of await findBackwardExtremityCounts(engine, roomId)) room(x.room_id).backward_extremities = x.n;
  }
  for (const [id, f] of await findRoomFindings(engine, target.schema.capabilities, roomId, options.authJsonWindow)) {
    const r = room(id);
    r.findings = f.findings;
    r.non_state_auth_check = f.nonStateAuthCheck;
  }

  for await (const m of iterateJoinedMembers(engine, roomId)) {
    const r = room(String(m.room_id));
    const server = serverOf(String(m.state_key));
    r.joined_members.total += 1;
    r.joined_members.by_server[server] = (r.joined_members.by_server[server] ?? 0) + 1;
  }

  for (const n of await findCurrentStateJson(engine, 'm.room.name', roomId)) {
    const name = contentOf(n.json)?.name;
    if (typeof name === 'string' && name !== '') room(n.room_id).name = name;
  }

  if ([...rooms.values()].some((r) => r.room_version === null)) {
    for (const c of await findCurrentStateJson(engine, 'm.room.create', roomId)) {
      const r = rooms.get(c.room_id);
      if (!r || r.room_version !== null) continue;
      const content = contentOf(c.json);
      if (content) r.room_version = typeof content.room_version === 'string' ? content.room_version : '1';
    }
  }

  const list = [...rooms.values()].sort(byFindingsThenSize);
  for (const r of list) r.joined_members.by_server = sortedRecord(r.joined_members.by_server);
  for (const r of list) r.rejected_events.by_reason = sortedRecord(r.rejected_events.by_reason);
  const pending = target.schema.backgroundUpdates.map((u) => u.update_name);
  const integrity = options.check ? await integrityCheck(engine) : null;
  const databaseFindings: Finding[] = integrity?.ok === false ? [integrityFinding(integrity.problems)] : [];
  const limit = options.limit === undefined ? list.length : Math.max(0, Math.floor(options.limit));
  const shown = list.slice(0, limit);
  return {
    format: 1,
    database: {
      engine: engine.kind,
      description: engine.description,
      schema_version: target.schema.version,
      compat_version: target.schema.compatVersion,
    },
    background_updates: { pending: pending.length, names: pending },
    totals: {
      rooms: list.length,
      events: list.reduce((sum, r) => sum + r.events, 0),
      rejected_events:
        roomId === undefined && withTable ? await countRejections(engine) : list.reduce((s, r) => s + r.rejected_events.total, 0),
      findings: databaseFindings.length + list.reduce((s, r) => s + r.findings.length, 0),
      rooms_with_findings: list.filter((r) => r.findings.length > 0).length,
    },
    integrity_check: integrity,
    findings: databaseFindings,
    rooms: shown,
    rooms_omitted: list.length - shown.length,
  };
}

const affected = (r: RoomReport): number => r.findings.reduce((s, f) => s + f.count, 0);

/** Rooms with more findings first, then those whose findings concern more events, then bigger rooms. */
function byFindingsThenSize(a: RoomReport, b: RoomReport): number {
  return (
    b.findings.length - a.findings.length ||
    affected(b) - affected(a) ||
    b.events - a.events ||
    (a.room_id < b.room_id ? -1 : a.room_id > b.room_id ? 1 : 0)
  );
}

async function integrityCheck(engine: InspectTarget['main']): Promise<IntegrityCheck> {
  const problems = await runQuickCheck(engine, INTEGRITY_PROBLEMS);
  if (problems === undefined) {
    return {
      applicable: false,
      method: null,
      ok: null,
      problems: [],
      note: `${engine.kind} has no PRAGMA quick_check (an SQLite check); it checks its own pages (data checksums, pg_amcheck)`,
    };
  }
  return { applicable: true, method: 'PRAGMA quick_check', ok: problems.length === 0, problems, note: null };
}

/** Keys sorted; Object.fromEntries defines own properties, so a key "__proto__" stays data. */
function sortedRecord(rec: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(rec).sort().map((k) => [k, rec[k]]));
}
