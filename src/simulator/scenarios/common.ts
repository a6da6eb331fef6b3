/**
 * Shared pieces of the scenarios: the options, the result shape, and the usual room set-up
 * (power levels, join rules, history visibility, a name and topic) as a room's creator sends them.
 */
import type { Engine } from '../../store/engine/engine.js';
import type { JsonObject } from '../../matrix/pdu.js';
import type { HopCounting } from '../state-groups.js';
import type { SimRoom } from '../room.js';
import type { SimServer } from '../server.js';
import type { WriteSummary } from '../write-database.js';

export type SchemaVersion = 72 | 94;

export interface ScenarioOptions {
  /** The database this scenario's main server is written to (an empty Synapse schema). */
  engine: Engine;
  version: SchemaVersion;
  roomVersion?: string;
  /** Databases for the other servers' views, when a scenario writes them too (same schema). */
  otherEngines?: readonly Engine[];
  /**
   * 'rejection-cascade' only: how the root came to be rejected on this server: 'arrival' (rejected
   * when it arrived, the default) or 'marked' (accepted, later marked rejected).
   */
  shape?: RejectionShape;
  /**
   * 'history-gap' only: a third database (same schema and engine kind as `otherEngines[0]`) for the
   * new server's view as if it had backfilled the whole missing history from the old server itself:
   * the reference a history import must equal (see history-gap.ts `backfillNewFromOld`).
   */
  backfilledTwin?: Engine;
}

export type RejectionShape = 'arrival' | 'marked';

export interface ScenarioResult {
  readonly name: string;
  readonly roomId: string;
  readonly roomVersion: string;
  /** Every simulated server; `written[i]` is the server written to the i-th database. */
  readonly servers: readonly SimServer[];
  readonly written: ReadonlyArray<{ server: string; engine: Engine; summary: WriteSummary }>;
  /** Interesting event ids by label. */
  readonly labels: Record<string, string | string[]>;
  readonly room: SimRoom;
}

export function hopCountingFor(engine: Engine): HopCounting {
  return engine.capabilities.stateGroupHops === 'groups' ? 'postgres' : 'sqlite';
}

/** Sends the usual initial state of a private room from its creator. */
export function setUpRoom(room: SimRoom, server: SimServer, creator: string, users: Record<string, number>): void {
  const content: JsonObject = {
    users: room.rules.privilegedCreators ? { ...users } : { [creator]: 100, ...users },
    users_default: 0,
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 0,
    events: { 'm.room.name': 50, 'm.room.power_levels': 100, 'm.room.history_visibility': 100 },
  };
  if (room.rules.privilegedCreators) delete (content.users as JsonObject)[creator];
  room.send(server, creator, 'm.room.member', { membership: 'join', displayname: 'Creator' }, { stateKey: creator });
  room.send(server, creator, 'm.room.power_levels', content, { stateKey: '' });
  room.send(server, creator, 'm.room.join_rules', { join_rule: 'public' }, { stateKey: '' });
  room.send(server, creator, 'm.room.history_visibility', { history_visibility: 'shared' }, { stateKey: '' });
  room.send(server, creator, 'm.room.name', { name: 'Simulated room' }, { stateKey: '' });
  room.send(server, creator, 'm.room.topic', { topic: 'A room built by synapse-doctor' }, { stateKey: '' });
}

/** A member joining from its own server through a make_join template from `via`, then shared. */
export function joinVia(room: SimRoom, server: SimServer, via: SimServer, userId: string, everyone: readonly SimServer[]): string {
  const ev = room.build(server, userId, 'm.room.member', { membership: 'join', displayname: userId.slice(1, userId.indexOf(':')) }, { stateKey: userId, templateFrom: via });
  room.deliver(via, ev.eventId);
  for (const s of everyone) if (s !== via && room.view(s).has(room.createEventId)) room.deliver(s, ev.eventId);
  return ev.eventId;
}

export function message(body: string, extra: JsonObject = {}): JsonObject {
  return { msgtype: 'm.text', body, ...extra };
}
