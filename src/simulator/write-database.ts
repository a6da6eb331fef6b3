/**
 * Writes one simulated server's view to a Synapse database (an Engine on a schema created by
 * createSynapseSchema), as Synapse would have left it: the per-event rows of event-rows.ts, the state
 * groups, then the per-room rows (current state, memberships, extremities, depth, stats), local users,
 * the remote servers' keys, and the id generators' positions.
 */
import type { Engine, ReadEngine } from '../store/engine/engine.js';
import { planEventSearch, planIdBookkeeping, planInsertRows, type IdBookkeeping, type SynapseRow } from '../store/writers/synapse-rows.js';
import { storeFromEngine, type SynapseDatabase } from '../store/open.js';
import { applyPlan } from '../plan/apply.js';
import { makePlan } from '../plan/make-plan.js';
import type { Reason, Step } from '../plan/plan.js';
import { encodeBase64 } from '../matrix/base64.js';
import { canonicalJson } from '../matrix/canonical-json.js';
import { signJson } from '../matrix/signatures.js';
import { addEventRows, RowBatch, TABLE_ORDER, threadRows } from './event-rows.js';
import type { RoomView } from './room-view.js';
import type { SimRoom } from './room.js';
import type { SimServer } from './server.js';
import { splitStateKey, stateKeyOf } from '../matrix/pdu.js';
import type { StateGroup } from './state-groups.js';

export interface WriteSummary {
  readonly events: number;
  readonly rejected: number;
  readonly outliers: number;
  readonly stateGroups: number;
}

const stores = new WeakMap<Engine, SynapseDatabase>();

const SIMULATED: Reason = { text: 'simulated homeserver: rows as Synapse writes them' };

/** Insert steps for a batch's tables in `order` (foreign keys, triggers), then the rest, then event_search. */
export async function planBatch(engine: ReadEngine, batch: RowBatch, order: readonly string[] = TABLE_ORDER, reason: Reason = SIMULATED): Promise<Step[]> {
  const steps: Step[] = [];
  for (const table of order) steps.push(...(await planInsertRows(engine, table, batch.tables.get(table) ?? [], { reason })));
  for (const [table, rows] of batch.tables) if (!order.includes(table)) steps.push(...(await planInsertRows(engine, table, rows, { reason })));
  steps.push(...planEventSearch(engine, batch.search, { reason }));
  return steps;
}

/**
 * Applies simulator steps to a fixture database through applyPlan, in one transaction. Fixtures
 * are new databases nobody else knows: no journal, no liveness check (the write lock is still
 * taken).
 */
export async function applySimulatorSteps(engine: Engine, command: string, steps: readonly Step[], ids?: IdBookkeeping): Promise<void> {
  let store = stores.get(engine);
  if (!store) stores.set(engine, (store = await storeFromEngine(engine))); // the schema is fixed while we write
  const all = ids ? [...steps, ...(await planIdBookkeeping(engine, ids, { reason: SIMULATED, idPrefix: 'ids-' }))] : steps;
  await applyPlan(store, makePlan(store, { command, steps: all }), { journal: false, skipLivenessCheck: true });
}

export function addStateGroupRows(batch: RowBatch, groups: readonly StateGroup[]): void {
  for (const g of groups) {
    batch.add('state_groups', { id: g.id, room_id: g.roomId, event_id: g.eventId });
    if (g.prevGroup !== undefined) batch.add('state_group_edges', { state_group: g.id, prev_state_group: g.prevGroup });
    for (const [key, eventId] of g.rows) {
      const [type, stateKey] = splitStateKey(key);
      batch.add('state_groups_state', { state_group: g.id, room_id: g.roomId, type, state_key: stateKey, event_id: eventId });
    }
  }
}

/** The `rooms` row (written before any event). */
export function roomRow(view: RoomView, createEventId: string): SynapseRow {
  const create = view.pdu(createEventId);
  const creator = create
    ? view.rules.implicitRoomCreator
      ? create.sender
      : typeof create.content.creator === 'string'
        ? create.content.creator
        : create.sender
    : null;
  return { room_id: view.roomId, is_public: false, creator, room_version: view.rules.id, has_auth_chain_index: true };
}

function contentString(view: RoomView, key: string, field: string): string | null {
  const id = view.currentState.get(key);
  const v = id ? view.pdu(id)?.content[field] : undefined;
  return typeof v === 'string' ? v : null;
}

/** Per-room rows written after all the room's events: current state, extremities, depth, stats. */
export function addRoomTailRows(batch: RowBatch, view: RoomView): void {
  const roomId = view.roomId;
  const counts = { join: 0, invite: 0, leave: 0, ban: 0, knock: 0 };
  let localJoined = 0;
  for (const [key, eventId] of view.currentState) {
    const [type, stateKey] = splitStateKey(key);
    const s = view.events.get(eventId)!;
    const membership = type === 'm.room.member' && typeof s.ev.pdu.content.membership === 'string' ? s.ev.pdu.content.membership : null;
    batch.add('current_state_events', {
      event_id: eventId,
      room_id: roomId,
      type,
      state_key: stateKey,
      membership,
      event_stream_ordering: s.streamOrdering,
    });
    if (membership !== null) {
      if (membership in counts) counts[membership as keyof typeof counts]++;
      if (view.server.isLocal(stateKey)) {
        if (membership === 'join') localJoined++;
        batch.add('local_current_membership', {
          room_id: roomId,
          user_id: stateKey,
          event_id: eventId,
          membership,
          event_stream_ordering: s.streamOrdering,
        });
      }
    }
  }
  for (const d of view.stateDeltas) {
    const [type, stateKey] = splitStateKey(d.key);
    batch.add('current_state_delta_stream', {
      stream_id: d.streamId,
      room_id: roomId,
      type,
      state_key: stateKey,
      event_id: d.eventId,
      prev_event_id: d.prevEventId,
      instance_name: 'master',
    });
  }
  for (const e of view.forwardExtremities) batch.add('event_forward_extremities', { event_id: e, room_id: roomId });
  for (const e of view.backwardExtremities) batch.add('event_backward_extremities', { event_id: e, room_id: roomId });
  for (const snap of view.extremitySnapshots) {
    for (const e of snap.eventIds) batch.add('stream_ordering_to_exterm', { stream_ordering: snap.streamOrdering, room_id: roomId, event_id: e });
  }
  for (const e of view.gapEvents) {
    batch.add('timeline_gaps', { room_id: roomId, instance_name: 'master', stream_ordering: view.events.get(e)!.streamOrdering });
  }
  if (view.minDepth !== undefined) batch.add('room_depth', { room_id: roomId, min_depth: view.minDepth });
  for (const row of threadRows(view, view.events.values())) batch.add('threads', row);
  const createId = view.currentState.get(stateKeyOf('m.room.create', ''));
  const createContent = createId ? view.pdu(createId)?.content : undefined;
  batch.add('room_stats_state', {
    room_id: roomId,
    name: contentString(view, stateKeyOf('m.room.name', ''), 'name'),
    canonical_alias: contentString(view, stateKeyOf('m.room.canonical_alias', ''), 'alias'),
    join_rules: contentString(view, stateKeyOf('m.room.join_rules', ''), 'join_rule'),
    history_visibility: contentString(view, stateKeyOf('m.room.history_visibility', ''), 'history_visibility'),
    encryption: contentString(view, stateKeyOf('m.room.encryption', ''), 'algorithm'),
    avatar: contentString(view, stateKeyOf('m.room.avatar', ''), 'url'),
    guest_access: contentString(view, stateKeyOf('m.room.guest_access', ''), 'guest_access'),
    is_federatable: createContent?.['m.federate'] !== false,
    topic: contentString(view, stateKeyOf('m.room.topic', ''), 'topic'),
    room_type: typeof createContent?.type === 'string' ? createContent.type : null,
  });
  const lastDelta = view.stateDeltas.length > 0 ? view.stateDeltas[view.stateDeltas.length - 1]!.streamId : 0;
  batch.add('room_stats_current', {
    room_id: roomId,
    current_state_events: view.currentState.size,
    joined_members: counts.join,
    invited_members: counts.invite,
    left_members: counts.leave,
    banned_members: counts.ban,
    knocked_members: counts.knock,
    local_users_in_room: localJoined,
    completed_delta_stream_id: lastDelta,
  });
}

/** Local users (users, profiles) and the keys of the remote servers whose events were stored. */
export function addServerRows(batch: RowBatch, server: SimServer, remotes: readonly SimServer[]): void {
  for (const u of server.users.values()) {
    batch.add('users', { name: u.userId, password_hash: null, creation_ts: 1_690_000_000, admin: 0, is_guest: 0, deactivated: 0 });
    const localpart = u.userId.slice(1, u.userId.indexOf(':'));
    batch.add('profiles', { user_id: localpart, full_user_id: u.userId, displayname: u.displayName, avatar_url: u.avatarUrl ?? null });
  }
  const added = 1_699_000_000_000;
  const validUntil = 4_102_444_800_000;
  for (const r of remotes) {
    const keyJson = signJson(
      {
        old_verify_keys: {},
        server_name: r.name,
        valid_until_ts: validUntil,
        verify_keys: { [r.key.keyId]: { key: encodeBase64(r.key.publicKey) } },
      },
      r.key,
    );
    batch.add('server_keys_json', {
      server_name: r.name,
      key_id: r.key.keyId,
      from_server: r.name,
      ts_added_ms: added,
      ts_valid_until_ms: validUntil,
      key_json: Buffer.from(canonicalJson(keyJson), 'utf8'),
    });
    batch.add('server_signature_keys', {
      server_name: r.name,
      key_id: r.key.keyId,
      from_server: r.name,
      ts_added_ms: added,
      verify_key: r.key.publicKey,
      ts_valid_until_ms: validUntil,
    });
  }
}

const TAIL_ORDER = [
  'users',
  'profiles',
  'server_keys_json',
  'server_signature_keys',
  'state_groups',
  'state_group_edges',
  'state_groups_state',
  'current_state_events',
  'current_state_delta_stream',
  'local_current_membership',
  'event_forward_extremities',
  'event_backward_extremities',
  'stream_ordering_to_exterm',
  'timeline_gaps',
  'room_depth',
  'threads',
  'room_stats_state',
  'room_stats_current',
];

/**
 * Writes `server`'s view of the given rooms into an empty Synapse schema: one plan, applied in one
 * transaction.
 * `remotes` are the other servers whose keys Synapse would have fetched.
 */
export async function writeServerDatabase(
  engine: Engine,
  server: SimServer,
  rooms: readonly SimRoom[],
  remotes: readonly SimServer[] = [],
): Promise<WriteSummary> {
  let events = 0;
  let rejected = 0;
  let outliers = 0;
  const groups = server.stateGroups.all();
  const roomViews = rooms.map((r) => ({ room: r, view: r.views.get(server.name) })).filter((x) => x.view !== undefined);
  const head = new RowBatch();
  for (const x of roomViews) head.add('rooms', roomRow(x.view!, x.room.createEventId));
  const batch = new RowBatch();
  for (const { view } of roomViews) {
    for (const id of view!.order) {
      const s = view!.events.get(id)!;
      addEventRows(batch, view!, s);
      events++;
      if (s.rejectionReason !== undefined) rejected++;
      if (s.outlier) outliers++;
    }
  }
  const tail = new RowBatch();
  addServerRows(tail, server, remotes);
  addStateGroupRows(tail, groups);
  for (const { view } of roomViews) addRoomTailRows(tail, view!);
  const steps = [
    ...(await planBatch(engine, head, ['rooms'])),
    ...(await planBatch(engine, batch)),
    ...(await planBatch(engine, tail, TAIL_ORDER)),
  ];
  await applySimulatorSteps(engine, `simulate ${server.name}`, steps, {
    maxStreamOrdering: server.maxStreamOrdering,
    minStreamOrdering: server.minStreamOrdering,
    maxStateGroup: server.stateGroups.maxId,
    maxChainId: server.chainCover.maxChainId,
  });
  return { events, rejected, outliers, stateGroups: groups.length };
}
