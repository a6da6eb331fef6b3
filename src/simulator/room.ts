/**
 * A simulated room shared by several homeservers. Events are created by one server from its own view
 * (prev_events = its forward extremities, so servers that send concurrently fork the DAG; auth_events
 * by the spec's auth events selection from the sender's current state; depth = max(prev depth) + 1;
 * origin_server_ts from the room's clock) and delivered to servers, each deciding for itself.
 */
import { authTypesForEvent } from '../matrix/auth/auth-events-selection.js';
import type { JsonObject } from '../matrix/pdu.js';
import { stateKeyOf } from '../matrix/pdu.js';
import { roomVersionRules, type RoomVersionRules } from '../matrix/room-versions.js';
import { RoomView, type ReceiveOptions, type StoredEvent } from './room-view.js';
import type { SimServer } from './server.js';
import { buildEvent, type SimEvent } from './sim-event.js';

export interface SendOptions {
  stateKey?: string;
  /** Servers to deliver to besides the origin (default: none). */
  deliverTo?: readonly SimServer[];
  /** The origin does not store its own event (a malicious or buggy sender). */
  skipOrigin?: boolean;
  /** Build prev/auth/depth from another server's view (a make_join template). */
  templateFrom?: SimServer;
  /** Override auth events (ids) instead of the selection from current state. */
  authEvents?: readonly string[];
  /** Override prev events (ids). */
  prevEvents?: readonly string[];
}

let roomCounter = 1;

export class SimRoom {
  readonly rules: RoomVersionRules;
  roomId = '';
  createEventId = '';
  /** Every event created in the room (the federation's union). */
  readonly network = new Map<string, SimEvent>();
  readonly views = new Map<string, RoomView>();
  private clock: number;

  constructor(roomVersion: string, options: { startTs?: number } = {}) {
    this.rules = roomVersionRules(roomVersion);
    this.clock = options.startTs ?? 1_699_990_000_000;
  }

  /** Creates the room on `server`: the create event, the creator's join, then `initialState`. */
  create(server: SimServer, creator: string, extraCreateContent: JsonObject = {}): string {
    const content: JsonObject = { room_version: this.rules.id, ...extraCreateContent };
    if (!this.rules.implicitRoomCreator) content.creator = creator;
    const ev = buildEvent(
      {
        roomId: this.rules.roomIdFromCreateEvent ? undefined : `!sim${(roomCounter++).toString(36)}x${(this.clock % 1_000_000).toString(36)}:${server.name}`,
        type: 'm.room.create',
        sender: creator,
        content,
        stateKey: '',
        prevEvents: [],
        authEvents: [],
        depth: 1,
        originServerTs: this.tick(),
      },
      server.key,
      this.rules,
    );
    this.roomId = ev.pdu.room_id;
    this.createEventId = ev.eventId;
    this.network.set(ev.eventId, ev);
    this.view(server).receive(ev);
    return ev.eventId;
  }

  view(server: SimServer): RoomView {
    let v = this.views.get(server.name);
    if (!v) {
      v = new RoomView(server, this.roomId, this.rules, (id) => this.network.get(id));
      this.views.set(server.name, v);
    }
    return v;
  }

  event(eventId: string): SimEvent {
    const ev = this.network.get(eventId);
    if (!ev) throw new Error(`unknown event ${eventId}`);
    return ev;
  }

  private tick(): number {
    this.clock += 1000;
    return this.clock;
  }

  /** Builds and signs an event from `server`'s view (or a template server's), without delivering it. */
  build(server: SimServer, sender: string, type: string, content: JsonObject, options: SendOptions = {}): SimEvent {
    const base = this.view(options.templateFrom ?? server);
    const prevIds = options.prevEvents ?? base.prevEventsForSend();
    const prevs = prevIds.map((id) => this.event(id));
    let authIds = options.authEvents;
    if (!authIds) {
      const selection = authTypesForEvent(
        { type, sender, content, ...(options.stateKey !== undefined ? { state_key: options.stateKey } : {}) },
        this.rules,
      );
      authIds = selection.map(([t, k]) => base.currentState.get(stateKeyOf(t, k))).filter((id): id is string => id !== undefined);
    }
    const redacts = type === 'm.room.redaction' && typeof content.redacts === 'string' ? content.redacts : undefined;
    const ev = buildEvent(
      {
        roomId: this.roomId,
        type,
        sender,
        content,
        ...(options.stateKey !== undefined ? { stateKey: options.stateKey } : {}),
        prevEvents: prevs,
        authEvents: authIds.map((id) => this.event(id)),
        depth: Math.max(0, ...prevs.map((p) => p.pdu.depth)) + 1,
        originServerTs: this.tick(),
        ...(redacts !== undefined ? { redacts } : {}),
      },
      server.key,
      this.rules,
    );
    this.network.set(ev.eventId, ev);
    return ev;
  }

  /** Builds an event on `server` and delivers it to the origin (unless skipped) and `deliverTo`. */
  send(server: SimServer, sender: string, type: string, content: JsonObject, options: SendOptions = {}): SimEvent {
    const ev = this.build(server, sender, type, content, options);
    if (!options.skipOrigin) this.deliver(server, ev.eventId);
    for (const other of options.deliverTo ?? []) this.deliver(other, ev.eventId);
    return ev;
  }

  /** Delivers a known event to a server, which runs its checks and stores it. */
  deliver(server: SimServer, eventId: string, options: ReceiveOptions = {}): StoredEvent {
    return this.view(server).receive(this.event(eventId), options);
  }

  /** Delivers events (in the given order) to every listed server that lacks them. */
  sync(servers: readonly SimServer[], eventIds: readonly string[]): void {
    for (const s of servers) for (const id of eventIds) if (!this.view(s).has(id)) this.deliver(s, id);
  }

  /** Drops every event from the network map except `keep` (memory bound for load generation). */
  forgetExcept(keep: ReadonlySet<string>): void {
    for (const id of this.network.keys()) if (!keep.has(id)) this.network.delete(id);
  }

  /** All of `from`'s stored events, in its persistence order, delivered to `to` (catch-up). */
  catchUp(to: SimServer, from: SimServer): void {
    this.sync([to], this.view(from).order);
  }
}
