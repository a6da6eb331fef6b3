/**
 * `explainEvent`: everything about one event — its auth and prev events with their status, each
 * check on receipt of a PDU with the deciding rule and reason (classify.ts), its state group and
 * what that state holds for the keys its authorization depends on, and where it stands (current
 * state, forward extremity, soft-failed, outlier, redacted). Read-only.
 */
import { SynapseDoctorError } from '../errors.js';
import { authTypesForEvent, CREATE_KEY } from '../matrix/auth/index.js';
import { splitStateKey, stateKeyOf, toPdu } from '../matrix/pdu.js';
import { impliedCreateEventId } from '../matrix/state-res/event-access.js';
import type { ReadStore } from '../store/open.js';
import { findEventFacts, findEventsByIds, type StoredEventRow } from '../store/readers/rejections.js';
import { StateGroupReader } from '../store/readers/state-groups.js';
import { classifyRejected, type Classification } from './classify.js';
import { EventCache, keyRing, parseRaw, rulesOf, stateBefore } from './find.js';

export interface RelatedEvent {
  readonly event_id: string;
  /** False when this server does not have it. */
  readonly stored: boolean;
  readonly type?: string;
  readonly state_key?: string | null;
  readonly sender?: string;
  readonly rejected?: string | null;
  readonly outlier?: boolean;
}

export interface EventExplanation {
  readonly format: 1;
  readonly event_id: string;
  readonly room_id: string;
  readonly room_version: string | null;
  readonly type: string;
  readonly state_key: string | null;
  readonly sender: string;
  readonly origin_server_ts: number;
  readonly depth: number;
  readonly stream_ordering: number;
  /** rejections.reason (null: accepted). */
  readonly rejected: string | null;
  readonly outlier: boolean;
  readonly soft_failed: boolean;
  readonly in_current_state: boolean;
  readonly forward_extremity: boolean;
  readonly redacted_by: readonly { readonly event_id: string; readonly have_censored: boolean }[];
  readonly auth_events: readonly RelatedEvent[];
  readonly prev_events: readonly RelatedEvent[];
  /** The receipt checks re-run now (for an accepted event too). */
  readonly checks: Classification;
  /** event_to_state_groups (after the event; before it for a rejected one) and the auth-relevant keys of that state. */
  readonly state_group: number | null;
  /** The group holds this (state) event itself: the state after it, as when it was accepted. */
  readonly state_group_holds_event: boolean;
  readonly state_for_auth: readonly { readonly type: string; readonly state_key: string; readonly event_id: string | null; readonly rejected: string | null }[];
}

function related(id: string, row: StoredEventRow | undefined): RelatedEvent {
  if (!row) return { event_id: id, stored: false };
  return { event_id: id, stored: true, type: row.type, state_key: row.state_key, sender: row.sender, rejected: row.rejection, outlier: row.outlier };
}

export async function explainEvent(store: ReadStore, eventId: string): Promise<EventExplanation> {
  const caps = store.schema.capabilities;
  const row = (await findEventsByIds(store.main, caps, [eventId])).get(eventId);
  if (!row) throw new SynapseDoctorError('EVENT_NOT_FOUND', `event ${eventId} is not in this database`);
  const rules = rulesOf(row.room_version, row.room_id);
  const raw = parseRaw(row);
  if (!raw) throw new SynapseDoctorError('BAD_EVENT_JSON', `the stored JSON of ${eventId} is not a JSON object`);
  const pdu = toPdu(raw, rules, eventId);
  const cache = new EventCache(store);
  cache.add(row);
  const authIds = rules.roomIdFromCreateEvent && pdu.type !== 'm.room.create' ? [...pdu.auth_events, impliedCreateEventId(pdu.room_id)] : [...pdu.auth_events];
  await cache.ensure([...authIds, ...pdu.prev_events]);
  const groups = new StateGroupReader(store.state);
  const checks = await classifyRejected({
    eventId,
    raw,
    rules,
    keys: await keyRing(store),
    lookup: (id) => cache.get(id),
    stateBefore: () => stateBefore(pdu, rules, cache, groups),
  });
  const facts = await findEventFacts(store.main, eventId);
  let softFailed = false;
  try {
    const meta = facts.internal_metadata ? (JSON.parse(facts.internal_metadata) as { soft_failed?: unknown }) : {};
    softFailed = meta.soft_failed === true;
  } catch {
    // unreadable metadata: not soft-failed as far as Synapse can tell either
  }
  const stateForAuth: { type: string; state_key: string; event_id: string | null; rejected: string | null }[] = [];
  let holds = false;
  if (row.state_group !== null) {
    const state = await groups.read(row.state_group);
    holds = pdu.state_key !== undefined && state.get(stateKeyOf(pdu.type, pdu.state_key)) === eventId;
    const keys = [CREATE_KEY, ...authTypesForEvent(pdu, rules).map(([t, k]) => stateKeyOf(t, k))];
    const ids = [...new Set(keys)].map((k) => state.get(k)).filter((x): x is string => x !== undefined);
    await cache.ensure(ids);
    for (const key of new Set(keys)) {
      const [type, stateKey] = splitStateKey(key);
      const id = state.get(key) ?? null;
      stateForAuth.push({ type, state_key: stateKey, event_id: id, rejected: id ? (cache.rows.get(id)?.rejection ?? null) : null });
    }
  }
  return {
    format: 1,
    event_id: eventId,
    room_id: row.room_id,
    room_version: row.room_version,
    type: row.type,
    state_key: row.state_key,
    sender: row.sender,
    origin_server_ts: row.origin_server_ts,
    depth: row.depth,
    stream_ordering: row.stream_ordering,
    rejected: row.rejection,
    outlier: row.outlier,
    soft_failed: softFailed,
    in_current_state: facts.in_current_state,
    forward_extremity: facts.forward_extremity,
    redacted_by: facts.redacted_by,
    auth_events: authIds.map((id) => related(id, cache.rows.get(id))),
    prev_events: pdu.prev_events.map((id) => related(id, cache.rows.get(id))),
    checks,
    state_group: row.state_group,
    state_group_holds_event: holds,
    state_for_auth: stateForAuth,
  };
}
