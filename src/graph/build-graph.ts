/**
 * `buildGraph`: the part of a room's DAG an admin wants to look at, as plain data (nodes, prev and
 * auth edges, each node's status). Read-only. What is selected:
 *   - `around`: the event and every event within `depth` hops of it, following prev and auth
 *     references both ways (its ancestors by id, hop by hop; its descendants from the room's
 *     events after it in stream order, one bounded range read);
 *   - otherwise the room's rejection chains (roots and dependents, from findRejections) as the
 *     focus, with the same neighbourhood;
 *   - otherwise (no chain) the room's most recent events.
 * At most `maxEvents` events are kept, the nearest first; `selection.truncated` says when some
 * were left out. Descendants are found in stream order, so an event stored before the focus
 * (a backfilled one, say) is only found as an ancestor.
 */
import { SynapseDoctorError } from '../errors.js';
import { parseJson } from '../matrix/canonical-json.js';
import { impliedCreateEventId } from '../matrix/ids.js';
import { roomVersionRules } from '../matrix/room-versions.js';
import { isJsonObject, type JsonValue } from '../matrix/pdu.js';
import { stringifyJson } from '../pdu/json-text.js';
import { printable } from '../text/printable.js';
import { findRejections } from '../rejections/find.js';
import type { ReadStore } from '../store/open.js';
import { internalMetadataFlag } from '../store/internal-metadata.js';
import { countRoomEvents, findGraphEventsByIds, findRoomVersion, findRecentRoomEvents, findRoomEventsAfter, type GraphEventRow } from '../store/readers/graph.js';

export const DEFAULT_DEPTH = 10;
export const DEFAULT_MAX_EVENTS = 500;
/** The stored JSON shown for one event is cut beyond this many characters. */
export const MAX_JSON_CHARS = 20_000;

export interface GraphNode {
  /** Our own id for the node (`n0`, `n1`, … in stream order): never event content. */
  readonly id: string;
  readonly event_id: string;
  readonly type: string;
  readonly state_key: string | null;
  readonly sender: string;
  readonly origin_server_ts: number;
  readonly depth: number;
  readonly stream_ordering: number;
  /** The rejection reason as stored, or null. */
  readonly rejection: string | null;
  readonly soft_failed: boolean;
  readonly outlier: boolean;
  /** The root of a rejection chain: its verdict (looks-wrong or genuinely-invalid). */
  readonly chain_root: 'looks-wrong' | 'genuinely-invalid' | null;
  /** Roots of the chains this rejected event belongs to (itself for a root). */
  readonly chain_roots: readonly string[];
  /** The event the graph was drawn around (--around). */
  readonly focus: boolean;
  /** Prev and auth events it cites that the graph does not show (not selected or not stored). */
  readonly hidden_references: number;
  /** The stored JSON, indented (cut at MAX_JSON_CHARS). */
  readonly json: string;
}

export interface GraphEdge {
  /** The citing event's node id. */
  readonly from: string;
  /** The cited event's node id. */
  readonly to: string;
  readonly kind: 'prev' | 'auth';
}

export interface RoomGraph {
  readonly format: 1;
  readonly room_id: string;
  readonly selection: {
    readonly mode: 'around' | 'rejection-chains' | 'recent';
    readonly around: string | null;
    readonly depth: number;
    readonly max_events: number;
    /** Events the room has in all. */
    readonly room_events: number;
    /** Some events within reach were left out (max_events, or the bounded read after the focus). */
    readonly truncated: boolean;
  };
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

export interface GraphOptions {
  readonly roomId: string;
  readonly around?: string;
  readonly depth?: number;
  readonly maxEvents?: number;
}

function idsOf(value: JsonValue | undefined): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const x of value) {
    // room versions 1 and 2 reference events as [event_id, hashes]
    if (typeof x === 'string') out.push(x);
    else if (Array.isArray(x) && typeof x[0] === 'string') out.push(x[0]);
  }
  return out;
}

interface Parsed {
  prev: string[];
  auth: string[];
  json: string;
}

/** `impliedCreate`: v12 events cite the create event through the room id, not in auth_events. */
function parseRow(row: GraphEventRow, impliedCreate: string | undefined): Parsed {
  try {
    const v = parseJson(row.json);
    if (!isJsonObject(v)) return { prev: [], auth: [], json: cut(row.json) };
    const auth = idsOf(v.auth_events);
    if (impliedCreate !== undefined && row.event_id !== impliedCreate && !auth.includes(impliedCreate)) auth.push(impliedCreate);
    return { prev: idsOf(v.prev_events), auth, json: cut(stringifyJson(v)) };
  } catch {
    return { prev: [], auth: [], json: cut(row.json) };
  }
}

function cut(text: string): string {
  return text.length <= MAX_JSON_CHARS ? text : `${text.slice(0, MAX_JSON_CHARS)}\n… (${text.length - MAX_JSON_CHARS} more characters not shown)`;
}

function positiveInt(n: number | undefined, fallback: number, what: string): number {
  if (n === undefined) return fallback;
  if (!Number.isSafeInteger(n) || n < (what === '--depth' ? 0 : 1)) throw new SynapseDoctorError('USAGE', `${what} must be a whole number${what === '--depth' ? '' : ' above 0'}`);
  return n;
}

export async function buildGraph(store: ReadStore, options: GraphOptions): Promise<RoomGraph> {
  const depth = positiveInt(options.depth, DEFAULT_DEPTH, '--depth');
  const maxEvents = positiveInt(options.maxEvents, DEFAULT_MAX_EVENTS, '--max-events');
  const caps = store.schema.capabilities;
  const roomId = options.roomId;
  // findRejections refuses an unknown room (ROOM_NOT_FOUND) and tells roots and chains apart
  const report = await findRejections(store, { roomId });
  const rootVerdict = new Map<string, 'looks-wrong' | 'genuinely-invalid'>();
  const chainOf = new Map<string, string[]>();
  const addChain = (id: string, root: string): void => {
    const l = chainOf.get(id) ?? [];
    if (!l.includes(root)) l.push(root);
    chainOf.set(id, l);
  };
  for (const room of report.rooms) {
    for (const c of room.chains) {
      rootVerdict.set(c.root.event_id, c.verdict);
      addChain(c.root.event_id, c.root.event_id);
      for (const d of c.dependents.event_ids) addChain(d, c.root.event_id);
    }
  }

  let impliedCreate: string | undefined;
  try {
    if (roomVersionRules((await findRoomVersion(store.main, roomId)) ?? '').roomIdFromCreateEvent) impliedCreate = impliedCreateEventId(roomId);
  } catch {
    // a room version we do not know: its events' references are drawn as they are listed
  }
  const rows = new Map<string, GraphEventRow>();
  const parsed = new Map<string, Parsed>();
  const parse = (row: GraphEventRow): Parsed => {
    let p = parsed.get(row.event_id);
    if (!p) {
      p = parseRow(row, impliedCreate);
      parsed.set(row.event_id, p);
    }
    return p;
  };
  let mode: RoomGraph['selection']['mode'];
  let seeds: string[];
  let truncated = false;
  const hop = new Map<string, number>();

  if (options.around !== undefined) {
    mode = 'around';
    const found = await findGraphEventsByIds(store.main, caps, [options.around]);
    const row = found.get(options.around);
    if (!row) throw new SynapseDoctorError('EVENT_NOT_FOUND', printable(`event ${options.around} is not in this database`));
    if (row.room_id !== roomId) throw new SynapseDoctorError('EVENT_NOT_FOUND', printable(`event ${options.around} is in room ${row.room_id}, not in ${roomId}`));
    rows.set(row.event_id, row);
    seeds = [row.event_id];
  } else if (chainOf.size > 0) {
    mode = 'rejection-chains';
    // roots first, then dependents, and never more than maxEvents of them read
    const ordered = [...new Set([...rootVerdict.keys(), ...chainOf.keys()])];
    if (ordered.length > maxEvents) truncated = true;
    const found = await findGraphEventsByIds(store.main, caps, ordered.slice(0, maxEvents));
    seeds = [...found.values()].filter((r) => r.room_id === roomId).sort(byStream).map((r) => r.event_id);
    for (const id of seeds) rows.set(id, found.get(id)!);
  } else {
    mode = 'recent';
    seeds = [];
    const recent = await findRecentRoomEvents(store.main, caps, roomId, maxEvents);
    for (const r of recent) {
      rows.set(r.event_id, r);
      hop.set(r.event_id, 0);
    }
  }

  if (mode !== 'recent') {
    for (const s of seeds) hop.set(s, 0);
    // Ancestors: by id, one hop at a time, never more than maxEvents of them.
    let frontier = seeds;
    for (let h = 1; h <= depth && frontier.length > 0 && hop.size < maxEvents + seeds.length; h++) {
      const wanted = new Set<string>();
      for (const id of frontier) {
        const p = parse(rows.get(id)!);
        for (const x of [...p.prev, ...p.auth]) if (!hop.has(x)) wanted.add(x);
      }
      const ids = [...wanted].sort();
      if (ids.length > maxEvents) truncated = true;
      const found = await findGraphEventsByIds(store.main, caps, ids.slice(0, maxEvents));
      const next: string[] = [];
      for (const r of [...found.values()].sort(byStream)) {
        if (r.room_id !== roomId || hop.has(r.event_id)) continue;
        rows.set(r.event_id, r);
        hop.set(r.event_id, h);
        next.push(r.event_id);
      }
      frontier = next;
    }
    // Descendants: the room's events after the earliest seed, in stream order, one bounded read.
    const from = seeds.reduce((m, s) => Math.min(m, rows.get(s)!.stream_ordering), Infinity);
    const scan = Math.max(maxEvents * 4, 2000);
    const after = seeds.length === 0 ? [] : await findRoomEventsAfter(store.main, caps, roomId, from, scan);
    if (after.length === scan) truncated = true;
    const down = new Map<string, number>(seeds.map((s) => [s, 0]));
    for (const r of after) {
      if (down.has(r.event_id)) continue;
      const p = parse(r);
      let best = Infinity;
      for (const x of [...p.prev, ...p.auth]) {
        const d = down.get(x);
        if (d !== undefined && d < best) best = d;
      }
      if (best + 1 > depth) continue;
      down.set(r.event_id, best + 1);
      if (!rows.has(r.event_id)) rows.set(r.event_id, r);
      const h = hop.get(r.event_id);
      if (h === undefined || best + 1 < h) hop.set(r.event_id, best + 1);
    }
  }

  // Keep the nearest maxEvents, then order by stream ordering (deterministic ids).
  let kept = [...hop.keys()].map((id) => rows.get(id)!);
  if (kept.length > maxEvents) {
    truncated = true;
    kept.sort((a, b) => hop.get(a.event_id)! - hop.get(b.event_id)! || byStream(a, b));
    kept = kept.slice(0, maxEvents);
  }
  kept.sort(byStream);
  const nodeId = new Map<string, string>(kept.map((r, i) => [r.event_id, `n${i}`]));
  const focus = new Set(mode === 'around' ? seeds : []);
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (const r of kept) {
    const p = parse(r);
    const from = nodeId.get(r.event_id)!;
    let hidden = 0;
    for (const [kind, list] of [['prev', p.prev], ['auth', p.auth]] as const) {
      for (const x of new Set(list)) {
        const to = nodeId.get(x);
        if (to === undefined) hidden++;
        else edges.push({ from, to, kind });
      }
    }
    nodes.push({
      id: from,
      event_id: r.event_id,
      type: r.type,
      state_key: r.state_key,
      sender: r.sender,
      origin_server_ts: r.origin_server_ts,
      depth: r.depth,
      stream_ordering: r.stream_ordering,
      rejection: r.rejection,
      soft_failed: internalMetadataFlag(r.internal_metadata, 'soft_failed'),
      outlier: r.outlier,
      chain_root: rootVerdict.get(r.event_id) ?? null,
      chain_roots: r.rejection !== null ? (chainOf.get(r.event_id) ?? []) : [],
      focus: focus.has(r.event_id),
      hidden_references: hidden,
      json: p.json,
    });
  }
  return {
    format: 1,
    room_id: roomId,
    selection: { mode, around: options.around ?? null, depth, max_events: maxEvents, room_events: await countRoomEvents(store.main, roomId), truncated },
    nodes,
    edges,
  };
}

function byStream(a: GraphEventRow, b: GraphEventRow): number {
  return a.stream_ordering - b.stream_ordering || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0);
}
