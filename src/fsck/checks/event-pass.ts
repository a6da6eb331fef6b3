/**
 * The one pass over every event and its JSON that the checks needing the JSON share (events.missing-json, events.bad-json,
 * events.id-mismatch, events.hash-mismatch, dag.edges-mismatch, dag.auth-mismatch,
 * soft-failure.soft-failed): pages of PAGE events in stream order, each page with one query for its
 * event_edges and one for its event_auth rows. Memory: one page plus each room's counts and sample.
 * Computed once per fsck run (`perContext`) however many of those checks run.
 */
import type { FsckContext } from '../check.js';
import { canonicalJson } from '../../matrix/canonical-json.js';
import { computeEventId } from '../../matrix/event-id.js';
import { checkContentHash } from '../../matrix/hashes.js';
import { isJsonObject, parseStoredEvent, toPdu, type JsonObject, type Pdu } from '../../matrix/pdu.js';
import { fastEventHashes } from '../../matrix/canonical-fast.js';
import { redactEvent } from '../../matrix/redaction.js';
import { ROOM_VERSIONS, type RoomVersionRules } from '../../matrix/room-versions.js';
import { internalMetadataFlag } from '../../store/internal-metadata.js';
import { findAuthOf, findEdgesOf, findMinStreamOrdering, findPassPage, findStreamOrderingSplits, type PassEventRow } from '../../store/readers/fsck-events.js';
import { findRooms } from '../../store/readers/inspect.js';
import { perContext, RoomTally, type RoomTallyData } from '../sample.js';
import { mainForAnotherThread } from '../../store/engine/memory.js';
import { runOneShotWorker, usableWorkerFile } from '../../threads/worker-file.js';

const PAGE = 2000;

/** What differs between an event's JSON list (prev_events, auth_events) and its rows. */
export interface RowDiff {
  readonly event_id: string;
  readonly room_id: string;
  /** In the JSON, no row. */
  readonly missing: readonly string[];
  /** A row, not in the JSON. */
  readonly extra: readonly string[];
}

export interface EventPass {
  readonly missingJson: RoomTally;
  readonly badJson: RoomTally;
  readonly idMismatch: RoomTally;
  readonly hashMismatch: RoomTally;
  readonly edges: RoomTally;
  readonly auth: RoomTally;
  readonly softFailed: RoomTally;
  readonly eventsRead: number;
}

export interface PassOptions {
  /** Only these rooms (a repair re-reading its findings' rooms). */
  readonly rooms?: readonly string[];
  /** Called with every differing event (repairs collect them; the checks keep only samples). */
  readonly onEdges?: (d: RowDiff) => void;
  readonly onAuth?: (d: RowDiff) => void;
  /** Only events with stream_ordering > after and <= through (a part of the pass given to one thread). */
  readonly after?: number;
  readonly through?: number;
}

/** Room versions Synapse may know and we do not (namespaced, experimental ones): not checked, not flagged. */
export function isNamespacedRoomVersion(v: string): boolean {
  return v.includes('.');
}

type Diff = { readonly missing: readonly string[]; readonly extra: readonly string[] };
const NO_DIFF: Diff = Object.freeze({ missing: Object.freeze([]), extra: Object.freeze([]) });

function diff(want: readonly string[], have: readonly string[]): Diff {
  // the usual case, a few ids on both sides and the same ones: no sets to build
  if (want.length === have.length && want.length <= 8 && want.every((x) => have.includes(x)) && have.every((x) => want.includes(x))) return NO_DIFF;
  const w = new Set(want);
  const h = new Set(have);
  return { missing: [...w].filter((x) => !h.has(x)).sort(), extra: [...h].filter((x) => !w.has(x)).sort() };
}

/** Whether the stored JSON is already in its redacted form (Synapse stores an event whose content hash failed pruned). */
function alreadyPruned(raw: JsonObject, rules: RoomVersionRules): boolean {
  try {
    return canonicalJson(redactEvent(raw, rules).content ?? {}, { strictIntegers: false }) === canonicalJson(raw.content ?? {}, { strictIntegers: false });
  } catch {
    return false;
  }
}

/**
 * The event as Synapse hashes it when it checks a stored or received event
 * (synapse/crypto/event_signing.py `compute_content_hash`): besides what the spec removes, the
 * top-level `age_ts`, `outlier` and `destinations` keys that older Synapse versions stored in the
 * JSON (seen on a real Synapse 1.67 PostgreSQL database: `age_ts` in a federated membership).
 */
function withoutSynapseExtras(raw: JsonObject): JsonObject {
  if (!('age_ts' in raw || 'outlier' in raw || 'destinations' in raw)) return raw;
  const out: JsonObject = { ...raw };
  delete out.age_ts;
  delete out.outlier;
  delete out.destinations;
  return out;
}

/**
 * JSON.parse is exact unless the text may hold a number JSON.parse would change (16+ digits, a
 * fraction or exponent). A number token follows `:`, `[` or `,` (and blanks): looking only there
 * keeps event ids and hashes ("…3e…" in base64) from sending most events to the slow parser.
 */
const MAYBE_INEXACT = /[:,[]\s*-?(?:\d+[.eE]|\d{16})/;

/** Parses a stored event: native JSON.parse where it is exact, else the bigint-aware parser. */
function parseFast(json: string, rules: RoomVersionRules, eventId: string): { raw: JsonObject; pdu: Pdu } | undefined {
  if (MAYBE_INEXACT.test(json)) return parseStoredEvent(json, rules, eventId);
  try {
    const raw = JSON.parse(json) as unknown;
    if (!isJsonObject(raw)) return undefined;
    return { raw, pdu: toPdu(raw, rules, eventId) };
  } catch {
    return undefined;
  }
}

/** Whether the stored hashes.sha256 is (spelt canonically) the fast content hash. */
function fastHashMatches(raw: JsonObject, computed: string | undefined): boolean {
  if (computed === undefined) return false;
  const h = raw.hashes;
  return isJsonObject(h) && h.sha256 === computed;
}

export async function runEventPass(ctx: FsckContext, options: PassOptions = {}): Promise<EventPass> {
  const engine = ctx.db.main;
  const caps = ctx.db.schema.capabilities;
  const t = (): RoomTally => new RoomTally(ctx.sampleSize);
  const pass = { missingJson: t(), badJson: t(), idMismatch: t(), hashMismatch: t(), edges: t(), auth: t(), softFailed: t(), eventsRead: 0 };
  const rooms: readonly (string | undefined)[] = options.rooms ?? [ctx.roomId];
  const versions = new Map((await findRooms(engine, ctx.roomId)).map((r) => [r.room_id, r.room_version]));
  for (const room of rooms) {
    const min = options.after === undefined ? await findMinStreamOrdering(engine, room) : options.after + 1;
    if (min === null) continue;
    // The next page is asked for before this one is checked: on PostgreSQL the server reads it
    // while we hash (on SQLite the driver is synchronous and this changes nothing).
    let pending: Promise<PassEventRow[]> | undefined = findPassPage(engine, caps, room, min - 1, PAGE, options.through);
    while (pending !== undefined) {
      const page = await pending;
      pending = undefined;
      if (page.length === 0) break;
      if (page.length === PAGE) pending = findPassPage(engine, caps, room, page[page.length - 1]!.stream_ordering, PAGE, options.through);
      pass.eventsRead += page.length;
      try {
        await checkPage(ctx, page, versions, pass, options);
      } catch (e) {
        await pending?.catch(() => undefined); // never leave a rejected read unobserved
        throw e;
      }
    }
  }
  return pass;
}

async function checkPage(ctx: FsckContext, page: readonly PassEventRow[], versions: ReadonlyMap<string, string | null>, pass: EventPass, options: PassOptions): Promise<void> {
  const parsed = new Map<string, { prev: readonly string[]; auth: readonly string[]; isState: boolean; row: PassEventRow }>();
  for (const row of page) {
    if (row.json === null) {
      pass.missingJson.add(row.room_id, () => ({ event_id: row.event_id, stream_ordering: row.stream_ordering }));
      continue;
    }
    const json = row.json;
    if (row.internal_metadata !== null && row.internal_metadata.includes('soft_failed') && internalMetadataFlag(row.internal_metadata, 'soft_failed')) {
      pass.softFailed.add(row.room_id, () => ({ event_id: row.event_id, stream_ordering: row.stream_ordering }));
    }
    const version = versions.get(row.room_id) ?? null;
    const rules = version === null ? undefined : ROOM_VERSIONS.get(version);
    if (rules === undefined) continue; // events.room-version reports the room (or it is an experimental version)
    const p = parseFast(json, rules, row.event_id);
    if (p === undefined) {
      pass.badJson.add(row.room_id, () => ({ event_id: row.event_id, json_start: json.slice(0, 60) }));
      continue;
    }
    // the fast path first (exact where it answers); whatever it flags is computed again exactly
    const fast = fastEventHashes(p.raw, rules);
    if (rules.eventFormat !== 1 && fast?.eventId !== row.event_id) {
      let computed: string | undefined;
      try {
        computed = computeEventId(p.raw, rules);
      } catch {
        computed = undefined;
      }
      if (computed !== row.event_id) pass.idMismatch.add(row.room_id, () => ({ event_id: row.event_id, computed_event_id: computed ?? null }));
    }
    if (!row.redacted && !fastHashMatches(p.raw, fast?.contentHash)) {
      let ok = false;
      let computed: string | null = null;
      let expected: string | null = null;
      try {
        const h = checkContentHash(withoutSynapseExtras(p.raw));
        ok = h.ok;
        computed = h.computed;
        expected = h.expected ?? null;
      } catch {
        ok = false;
      }
      if (!ok && !alreadyPruned(p.raw, rules)) pass.hashMismatch.add(row.room_id, () => ({ event_id: row.event_id, stored_hash: expected, computed_hash: computed }));
    }
    parsed.set(row.event_id, { prev: p.pdu.prev_events, auth: p.pdu.auth_events, isState: p.pdu.state_key !== undefined, row });
  }
  if (parsed.size === 0) return;
  const ids = [...parsed.keys()];
  // event_auth: state events only (Synapse writes none for others since #8868, January 2021)
  const stateIds = ids.filter((id) => parsed.get(id)!.isState);
  const group = (rows: { event_id: string; other: string }[]): Map<string, string[]> => {
    const m = new Map<string, string[]>();
    for (const r of rows) {
      const l = m.get(r.event_id);
      if (l) l.push(r.other);
      else m.set(r.event_id, [r.other]);
    }
    return m;
  };
  const edges = group(await findEdgesOf(ctx.db.main, ids));
  const auth = group(stateIds.length > 0 ? await findAuthOf(ctx.db.main, stateIds) : []);
  for (const [id, e] of parsed) {
    // event_edges: every accepted event, outliers included (events.py _handle_mult_prev_events);
    // a rejected event's edges are rejections.rejected-has-accepted-rows' business.
    if (!e.row.rejected) {
      const d = diff(e.prev, edges.get(id) ?? []);
      if (d.missing.length + d.extra.length > 0) {
        const rd = { event_id: id, room_id: e.row.room_id, ...d };
        pass.edges.add(e.row.room_id, () => ({ event_id: id, missing_prev_events: d.missing.slice(0, 5), extra_rows: d.extra.slice(0, 5) }));
        options.onEdges?.(rd);
      }
    }
    // event_auth: every state event, rejected ones too (events.py _persist_event_auth_chain_txn)
    const have = auth.get(id) ?? [];
    if (e.isState) {
      const d = diff(e.auth, have);
      if (d.missing.length + d.extra.length > 0) {
        const rd = { event_id: id, room_id: e.row.room_id, ...d };
        pass.auth.add(e.row.room_id, () => ({ event_id: id, missing_auth_events: d.missing.slice(0, 5), extra_rows: d.extra.slice(0, 5) }));
        options.onAuth?.(rd);
      }
    }
  }
}

/** What the pass's worker thread (event-pass-worker.ts) is given. */
export interface EventPassRequest {
  /** The main database: its SQLite file, or its PostgreSQL URL with the password (in memory only). */
  readonly db: string;
  readonly roomId?: string;
  readonly sampleSize: number;
  readonly after?: number;
  readonly through?: number;
}

/** Threads the pass is divided among (by stream ordering): with the main thread's checks, enough to keep two cores busy to the end. */
const PASS_THREADS = 2;

type Tallies = Exclude<keyof EventPass, 'eventsRead'>;
const TALLIES: readonly Tallies[] = ['missingJson', 'badJson', 'idMismatch', 'hashMismatch', 'edges', 'auth', 'softFailed'];
export type EventPassData = { readonly [K in Tallies]: RoomTallyData } & { readonly eventsRead: number };

export function eventPassData(p: EventPass): EventPassData {
  return { ...(Object.fromEntries(TALLIES.map((k) => [k, p[k].toData()])) as { [K in Tallies]: RoomTallyData }), eventsRead: p.eventsRead };
}

/** The pass from its parts, in stream order (each room's sample is the first events of the first parts). */
function eventPassFromParts(parts: readonly EventPassData[]): EventPass {
  const tallies = Object.fromEntries(TALLIES.map((k) => [k, RoomTally.fromParts(parts.map((p) => p[k]))])) as { [K in Tallies]: RoomTally };
  return { ...tallies, eventsRead: parts.reduce((n, p) => n + p.eventsRead, 0) };
}

/** Built beside this module in dist/ (absent from TypeScript sources: the pass then runs here). */
const WORKER_URL = new URL('./event-pass-worker.js', import.meta.url);

/**
 * Where the pass can run on other threads, each with its own read-only connection (the built
 * worker, a second core): the main thread meanwhile runs the other checks. On SQLite because
 * better-sqlite3 blocks the thread it reads on; on PostgreSQL because one connection runs one
 * query at a time, so the pass's pages would wait behind the other checks' queries, and its
 * parsing and hashing, most of its time, would use one core.
 */
function anotherThread(ctx: FsckContext): { worker: string; request: EventPassRequest } | undefined {
  const db = mainForAnotherThread(ctx.db.main);
  const worker = db === undefined ? undefined : usableWorkerFile(WORKER_URL);
  if (db === undefined || worker === undefined) return undefined;
  return { worker, request: { db, sampleSize: ctx.sampleSize, ...(ctx.roomId === undefined ? {} : { roomId: ctx.roomId }) } };
}

/**
 * The pass in PASS_THREADS parts of about equal size, each on its own worker thread. A part whose
 * thread failed (its session refused: a role's CONNECTION LIMIT, the server's max_connections; a
 * crashed thread) is done again here, on this thread's connection, as it was before threads.
 */
async function runEventPassAside(ctx: FsckContext, aside: { worker: string; request: EventPassRequest }): Promise<EventPass> {
  const splits = await findStreamOrderingSplits(ctx.db.main, PASS_THREADS, ctx.roomId);
  const bounds = [undefined, ...splits, undefined];
  const range = (i: number): { after?: number; through?: number } => {
    const after = bounds[i];
    const through = bounds[i + 1];
    return { ...(after === undefined ? {} : { after }), ...(through === undefined ? {} : { through }) };
  };
  const parts = await Promise.allSettled(bounds.slice(1).map((_t, i) => runOneShotWorker<EventPassData>(aside.worker, { ...aside.request, ...range(i) }, 'the event pass')));
  const data: EventPassData[] = [];
  for (const [i, part] of parts.entries()) {
    data.push(part.status === 'fulfilled' ? part.value : eventPassData(await runEventPass(ctx, range(i))));
  }
  return eventPassFromParts(data);
}

const passes = perContext((ctx) => {
  const aside = anotherThread(ctx);
  return aside === undefined ? runEventPass(ctx) : runEventPassAside(ctx, aside);
});

/** The pass of this fsck run, computed on first use. */
export function eventPass(ctx: FsckContext): Promise<EventPass> {
  return passes(ctx);
}

/** Starts the pass now if it runs on another thread (so that it overlaps the checks run before its own); whether it did. */
export function startEventPassAside(ctx: FsckContext): boolean {
  if (anotherThread(ctx) === undefined) return false;
  passes(ctx).catch(() => undefined); // its checks await it and report a failure
  return true;
}
