/**
 * `findRejections`: every rejected event of a database (or one room), classified
 * (classify.ts) and grouped into chains. A chain is a root (own merit or unexplained) and every
 * event rejected transitively because of it: inherited events whose rejected auth events lead,
 * through other inherited events, to that root. Read-only: it takes a ReadStore.
 *
 * Reading: the rejected events with their JSON (one streamed query), then the events they cite and
 * the prev events of candidate roots, by id in batches; state groups for the state before a root.
 * Every other event's JSON is left unread, except accepted events in a chain's time span (who was
 * still heard meanwhile).
 */
import { SynapseDoctorError } from '../errors.js';
import { authTypesForEvent, CREATE_KEY, POWER_LEVELS_KEY } from '../matrix/auth/index.js';
import { domainOf, impliedCreateEventId } from '../matrix/ids.js';
import { parseJson } from '../matrix/canonical-json.js';
import { isJsonObject, stateKeyOf, toPdu, type JsonObject, type Pdu } from '../matrix/pdu.js';
import { roomVersionRules, type RoomVersionRules } from '../matrix/room-versions.js';
import { encodeBase64 } from '../matrix/base64.js';
import type { KeyRing } from '../matrix/signatures.js';
import { resolveState } from '../matrix/state-res/index.js';
import { findEventJson, findEventsByIds, findRoomVersions, findVerifyKeys, iterateAcceptedInRange, iterateRejectedEvents, type StoredEventRow } from '../store/readers/rejections.js';
import { StateGroupReader } from '../store/readers/state-groups.js';
import type { ReadStore } from '../store/open.js';
import { roomExists } from '../store/readers/inspect.js';
import { classifyRejected, type Classification, type KnownEvent, type RejectionClass } from './classify.js';

export interface RejectedEventReport {
  readonly event_id: string;
  readonly type: string;
  readonly state_key: string | null;
  readonly sender: string;
  readonly origin_server_ts: number;
  readonly depth: number;
  readonly stream_ordering: number;
  /** rejections.reason as stored (e.g. auth_error). */
  readonly stored_reason: string;
  readonly class: RejectionClass;
  /** Chain roots it depends on (inherited events). */
  readonly roots: readonly string[];
  readonly classification: Classification;
}

export interface ChainReport {
  readonly root: RejectedEventReport;
  readonly verdict: 'looks-wrong' | 'genuinely-invalid';
  readonly verdict_text: string;
  readonly dependents: {
    readonly count: number;
    readonly event_ids: readonly string[];
    readonly by_type: Readonly<Record<string, number>>;
    readonly by_server: Readonly<Record<string, number>>;
  };
  /** origin_server_ts of the first and last event of the chain. */
  readonly span: { readonly from: number; readonly to: number };
  /** Accepted events this server stored between the chain's first and last (stream order), per sender server, and the power-levels events they cited. */
  readonly accepted_meanwhile: readonly { readonly server: string; readonly events: number; readonly power_levels: readonly string[] }[];
}

export interface RoomRejections {
  readonly room_id: string;
  readonly room_version: string | null;
  readonly rejected: number;
  readonly chains: readonly ChainReport[];
  /** Rejected events that belong to no chain: undecided ones, and inherited ones whose root is undecided. */
  readonly unattached: readonly RejectedEventReport[];
  readonly by_class: Readonly<Record<RejectionClass, number>>;
}

export interface RejectionsReport {
  readonly format: 1;
  readonly rooms: readonly RoomRejections[];
  readonly totals: { readonly rejected: number; readonly chains: number; readonly looks_wrong: number };
}

export interface FindRejectionsOptions {
  readonly roomId?: string;
  /** Only chains whose root is at or after this time (ms since the epoch). */
  readonly since?: number;
}

/** The verify keys this server stored, as a KeyRing. */
export async function keyRing(store: ReadStore): Promise<KeyRing> {
  const ring: KeyRing = Object.create(null) as KeyRing;
  for (const k of await findVerifyKeys(store.main)) {
    if (!Object.hasOwn(ring, k.server_name)) ring[k.server_name] = Object.create(null) as KeyRing[string];
    ring[k.server_name]![k.key_id] = { key: encodeBase64(k.verify_key), ...(k.ts_valid_until_ms !== null ? { valid_until_ts: k.ts_valid_until_ms } : {}) };
  }
  return ring;
}

/** The rules of a stored room's version; DB_NOT_SYNAPSE for a version we do not know. */
export function rulesOf(version: string | null, roomId: string): RoomVersionRules {
  try {
    return roomVersionRules(version ?? '');
  } catch {
    throw new SynapseDoctorError('DB_NOT_SYNAPSE', `room ${roomId} has room version ${JSON.stringify(version)}, which synapse-doctor does not know`);
  }
}

/** The stored JSON as an object, or undefined when it is not one (hostile or damaged rows). */
export function parseRaw(row: StoredEventRow): JsonObject | undefined {
  try {
    const v = parseJson(row.json);
    return isJsonObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const EMPTY: JsonObject = Object.freeze({}) as JsonObject;
const NONE: readonly string[] = Object.freeze([]);

/** Stored events as the classifier sees them, loaded on demand and kept (auth events repeat). */
export class EventCache {
  private readonly events = new Map<string, KnownEvent | null>();
  readonly rows = new Map<string, StoredEventRow>();
  constructor(readonly store: ReadStore) {}

  async ensure(ids: Iterable<string>): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => !this.events.has(id));
    if (wanted.length === 0) return;
    const found = await findEventsByIds(this.store.main, this.store.schema.capabilities, wanted);
    for (const id of wanted) {
      const row = found.get(id);
      if (row) this.add(row);
      else this.events.set(id, null);
    }
  }

  /**
   * Keeps what later lookups need, bounded per event: the row without its JSON (prev events' state
   * groups), and the parsed event — in full for state events (they can be auth events), reduced to
   * its shape for the others (only ever looked up to be refused as auth events).
   */
  /** Returns the parsed JSON and the full event (before reduction), when they parse. */
  add(row: StoredEventRow, keepRow = true): { raw: JsonObject; pdu?: Pdu } | undefined {
    if (keepRow) this.rows.set(row.event_id, { ...row, json: '' });
    const raw = parseRaw(row);
    if (!raw) {
      this.events.set(row.event_id, null);
      return undefined;
    }
    try {
      const pdu = toPdu(raw, rulesOf(row.room_version, row.room_id), row.event_id);
      // Non-state events are only ever looked up to be refused as auth events: keep their shape.
      const kept = pdu.state_key === undefined ? { event_id: pdu.event_id, room_id: pdu.room_id, type: pdu.type, sender: pdu.sender, content: EMPTY, origin_server_ts: pdu.origin_server_ts, depth: pdu.depth, prev_events: NONE, auth_events: pdu.auth_events, raw: EMPTY } : pdu;
      this.events.set(row.event_id, { pdu: kept, rejected: row.rejection !== null });
      return { raw, pdu };
    } catch {
      this.events.set(row.event_id, null);
    }
    return { raw };
  }

  get(id: string): KnownEvent | undefined {
    return this.events.get(id) ?? undefined;
  }
}

/** The state before an event: its prev events' states after them, resolved when they differ. */
export async function stateBefore(pdu: Pdu, rules: RoomVersionRules, cache: EventCache, groups: StateGroupReader): Promise<{ state: ReadonlyMap<string, Pdu> } | { unknown: string }> {
  if (pdu.prev_events.length === 0) return { unknown: 'it has no prev events' };
  const prevRows = await findEventsByIds(cache.store.main, cache.store.schema.capabilities, pdu.prev_events);
  const sets: Map<string, string>[] = [];
  const seen = new Set<number>();
  for (const prev of pdu.prev_events) {
    const row = prevRows.get(prev);
    if (!row) return { unknown: `prev event ${prev} is not stored here` };
    if (row.state_group === null) return { unknown: `prev event ${prev} has no state group (an outlier)` };
    if (seen.has(row.state_group)) continue;
    seen.add(row.state_group);
    sets.push(await groups.read(row.state_group));
  }
  let ids: ReadonlyMap<string, string> = sets[0]!;
  if (sets.length > 1) {
    // Every event of the state sets and its auth chain, for state resolution (the auth difference
    // is taken over the full auth chains of the sets, not only of the conflicted events).
    const members = new Set<string>();
    for (const s of sets) for (const v of s.values()) members.add(v);
    let frontier = [...members];
    const loaded = new Set<string>();
    while (frontier.length > 0) {
      await cache.ensure(frontier);
      const next: string[] = [];
      for (const id of frontier) {
        loaded.add(id);
        for (const a of cache.get(id)?.pdu.auth_events ?? []) if (!loaded.has(a)) next.push(a);
      }
      frontier = [...new Set(next)];
    }
    ids = resolveState({
      stateSets: sets,
      rules,
      fetchEvent: (id) => {
        const k = cache.get(id);
        return k ? (k.rejected ? { ...k.pdu, rejected: true } : k.pdu) : undefined;
      },
    });
  }
  const needed = [CREATE_KEY, ...authTypesForEvent(pdu, rules).map(([t, k]) => stateKeyOf(t, k))];
  const neededIds = needed.map((k) => ids.get(k)).filter((x): x is string => x !== undefined);
  await cache.ensure(neededIds);
  const state = new Map<string, Pdu>();
  for (const key of needed) {
    const id = ids.get(key);
    const k = id ? cache.get(id) : undefined;
    if (k) state.set(key, k.pdu);
  }
  return { state };
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

export async function findRejections(store: ReadStore, options: FindRejectionsOptions = {}): Promise<RejectionsReport> {
  if (options.roomId !== undefined && !(await roomExists(store.main, options.roomId))) {
    throw new SynapseDoctorError('ROOM_NOT_FOUND', `room ${options.roomId} is not in this database`);
  }
  const keys = await keyRing(store);
  const versions = await findRoomVersions(store.main);
  const cache = new EventCache(store);
  const groups = new StateGroupReader(store.state);
  const byRoom = new Map<string, { version: string | null; events: RejectedEventReport[] }>();
  let batch: StoredEventRow[] = [];
  const classifyBatch = async (): Promise<void> => {
    const raws = new Map<string, { raw: JsonObject; pdu?: Pdu } | undefined>();
    for (const row of batch) {
      row.room_version = versions.get(row.room_id) ?? null;
      raws.set(row.event_id, cache.add(row, false));
    }
    const cited: string[] = [];
    for (const row of batch) {
      const pdu = cache.get(row.event_id)?.pdu;
      if (!pdu) continue;
      for (const a of pdu.auth_events) cited.push(a);
      // v12: the create event is implied by the room id, not listed
      if (rulesOf(row.room_version, row.room_id).roomIdFromCreateEvent) cited.push(impliedCreateEventId(pdu.room_id));
    }
    await cache.ensure(cited);
    for (const row of batch) {
      const rules = rulesOf(row.room_version, row.room_id);
      const parsed = raws.get(row.event_id);
      let room = byRoom.get(row.room_id);
      if (!room) byRoom.set(row.room_id, (room = { version: row.room_version, events: [] }));
      const classification = parsed
        ? await classifyRejected({
            eventId: row.event_id,
            raw: parsed.raw,
            ...(parsed.pdu ? { pdu: parsed.pdu } : {}),
            rules,
            keys,
            lookup: (id) => cache.get(id),
            stateBefore: async () => (parsed.pdu ? stateBefore(parsed.pdu, rules, cache, groups) : { unknown: 'not parsable' }),
          })
        : malformedClassification();
      room.events.push({
        event_id: row.event_id,
        type: row.type,
        state_key: row.state_key,
        sender: row.sender,
        origin_server_ts: row.origin_server_ts,
        depth: row.depth,
        stream_ordering: row.stream_ordering,
        stored_reason: row.rejection ?? '',
        class: classification.class,
        roots: [],
        classification,
      });
    }
    batch = [];
  };
  for await (const row of iterateRejectedEvents(store.main, store.schema.capabilities, options.roomId)) {
    batch.push(row);
    if (batch.length >= 1000) await classifyBatch();
  }
  await classifyBatch();

  const rooms: RoomRejections[] = [];
  for (const [roomId, room] of byRoom) {
    room.events.sort((a, b) => a.stream_ordering - b.stream_ordering);
    rooms.push(await chainsOf(store, roomId, room.version, room.events, options));
  }
  rooms.sort((a, b) => b.chains.filter((c) => c.verdict === 'looks-wrong').length - a.chains.filter((c) => c.verdict === 'looks-wrong').length || b.rejected - a.rejected);
  const chains = rooms.flatMap((r) => r.chains);
  return {
    format: 1,
    rooms,
    totals: { rejected: rooms.reduce((n, r) => n + r.rejected, 0), chains: chains.length, looks_wrong: chains.filter((c) => c.verdict === 'looks-wrong').length },
  };
}

function malformedClassification(): Classification {
  const skipped = { outcome: 'skipped' as const, reason: 'not run' };
  return {
    class: 'own-merit', cites_rejected: [], missing: [],
    checks: { format: { ok: false, note: 'the stored JSON is not a JSON object' }, signatures: { ok: null, note: 'not run' }, hash: { ok: null, note: 'not run' }, auth_events: skipped, state_before: skipped },
    explanation: 'step 1: the stored JSON is not a JSON object',
  };
}

async function chainsOf(store: ReadStore, roomId: string, version: string | null, events: RejectedEventReport[], options: FindRejectionsOptions): Promise<RoomRejections> {
  const isRoot = (e: RejectedEventReport): boolean => e.class === 'own-merit' || e.class === 'unexplained';
  // Roots of each inherited event: the roots of the rejected auth events it cites, to a fixpoint.
  // Iterative (chains can be thousands of events deep); events come in stream order, so one pass
  // usually settles it and a second confirms.
  const roots = new Map<string, Set<string>>();
  for (const e of events) if (isRoot(e)) roots.set(e.event_id, new Set([e.event_id]));
  const inherited = events.filter((e) => e.class === 'inherited');
  for (let changed = true, passes = 0; changed && passes < 1000; passes++) {
    changed = false;
    for (const e of inherited) {
      let mine = roots.get(e.event_id);
      for (const c of e.classification.cites_rejected) {
        for (const r of roots.get(c) ?? []) {
          if (!mine) roots.set(e.event_id, (mine = new Set()));
          if (!mine.has(r)) {
            mine.add(r);
            changed = true;
          }
        }
      }
    }
  }
  const withRoots = events.map((e) => (e.class === 'inherited' ? { ...e, roots: [...(roots.get(e.event_id) ?? [])] } : e));
  const dependentsOf = new Map<string, RejectedEventReport[]>();
  for (const e of withRoots) for (const r of e.roots) (dependentsOf.get(r) ?? dependentsOf.set(r, []).get(r)!).push(e);
  const chains: ChainReport[] = [];
  for (const root of withRoots.filter(isRoot)) {
    if (options.since !== undefined && root.origin_server_ts < options.since) continue;
    const deps = dependentsOf.get(root.event_id) ?? [];
    const byType: Record<string, number> = {};
    const byServer: Record<string, number> = {};
    for (const d of deps) {
      count(byType, d.type);
      count(byServer, domainOf(d.sender) ?? '?');
    }
    let from = root.origin_server_ts;
    let to = root.origin_server_ts;
    let fromStream = root.stream_ordering;
    let toStream = root.stream_ordering;
    for (const d of deps) {
      if (d.origin_server_ts < from) from = d.origin_server_ts;
      if (d.origin_server_ts > to) to = d.origin_server_ts;
      if (d.stream_ordering < fromStream) fromStream = d.stream_ordering;
      if (d.stream_ordering > toStream) toStream = d.stream_ordering;
    }
    const span = { from, to };
    const looksWrong = root.class === 'unexplained';
    chains.push({
      root,
      verdict: looksWrong ? 'looks-wrong' : 'genuinely-invalid',
      verdict_text: looksWrong
        ? 'the root passes the spec\'s auth rules against its own auth events and the state before it: this rejection looks wrong'
        : `the root is genuinely invalid: keep it${deps.length ? ` (its ${deps.length} dependents were rightly rejected with it)` : ''}`,
      dependents: { count: deps.length, event_ids: deps.map((d) => d.event_id), by_type: byType, by_server: byServer },
      span,
      accepted_meanwhile: await acceptedMeanwhile(store, roomId, { fromStream, toStream }),
    });
  }
  const inChain = new Set(chains.flatMap((c) => [c.root.event_id, ...c.dependents.event_ids]));
  const byClass: Record<RejectionClass, number> = { inherited: 0, 'own-merit': 0, unexplained: 0, undecided: 0 };
  for (const e of withRoots) byClass[e.class]++;
  chains.sort((a, b) => (a.verdict === b.verdict ? a.span.from - b.span.from : a.verdict === 'looks-wrong' ? -1 : 1));
  return {
    room_id: roomId,
    room_version: version,
    rejected: events.length,
    chains,
    unattached: withRoots.filter((e) => !inChain.has(e.event_id) && !isRoot(e)),
    by_class: byClass,
  };
}

/** Accepted events whose JSON is read to see which power levels were cited (the latest of the span). */
const CITED_SAMPLE = 200;

/**
 * Who was still accepted while the chain was being rejected (counted per sender server, one range
 * scan, no JSON), and which power levels they cited (from the JSON of the latest CITED_SAMPLE).
 */
async function acceptedMeanwhile(store: ReadStore, roomId: string, span: { fromStream: number; toStream: number }): Promise<ChainReport['accepted_meanwhile']> {
  const caps = store.schema.capabilities;
  const perServer = new Map<string, { events: number; cites: Set<string> }>();
  const entry = (server: string): { events: number; cites: Set<string> } => {
    let s = perServer.get(server);
    if (!s) perServer.set(server, (s = { events: 0, cites: new Set() }));
    return s;
  };
  const sample: { event_id: string; server: string }[] = [];
  for await (const e of iterateAcceptedInRange(store.main, caps, roomId, span.fromStream, span.toStream)) {
    const server = domainOf(e.sender) ?? '?';
    entry(server).events++;
    if (sample.length < CITED_SAMPLE) sample.push({ event_id: e.event_id, server });
  }
  const json = await findEventJson(store.main, sample.map((x) => x.event_id));
  const cited = new Set<string>();
  for (const x of sample) {
    const s = entry(x.server);
    try {
      const raw = JSON.parse(json.get(x.event_id) ?? '{}') as { auth_events?: unknown };
      if (Array.isArray(raw.auth_events)) {
        for (const a of raw.auth_events) {
          const id = typeof a === 'string' ? a : Array.isArray(a) && typeof a[0] === 'string' ? a[0] : undefined;
          if (id) {
            s.cites.add(id);
            cited.add(id);
          }
        }
      }
    } catch {
      // unreadable JSON: counted, cites nothing
    }
  }
  const types = await findEventsByIds(store.main, caps, cited);
  const isPl = (id: string): boolean => {
    const t = types.get(id);
    return t !== undefined && t.state_key !== null && stateKeyOf(t.type, t.state_key) === POWER_LEVELS_KEY;
  };
  return [...perServer].map(([server, s]) => ({ server, events: s.events, power_levels: [...s.cites].filter(isPl) })).sort((a, b) => b.events - a.events);
}
