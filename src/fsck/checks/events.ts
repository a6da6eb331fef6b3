/**
 * fsck group `events`: the core rows of each event (events, event_json), its stored JSON against its
 * id and content hash, and its room's version.
 *
 * What Synapse does with these rows (synapse/storage/databases/main/events_worker.py
 * `_fetch_event_rows`, `_get_events_from_db`): an event is loaded by `events JOIN event_json`, its
 * room version read from `rooms` (LEFT JOIN); a room version that is NULL or unknown makes Synapse
 * skip the event ("Event … in room … has unknown room version"), as if it did not exist.
 */
import type { FsckCheckDefinition, FsckContext, FsckFinding } from '../check.js';
import { ROOM_VERSIONS } from '../../matrix/room-versions.js';
import { findRoomsWithEvents, findSomeRoomEvents, iterateJsonWithoutEvents } from '../../store/readers/fsck-events.js';
import { perContext, tally } from '../sample.js';
import { eventPass, isNamespacedRoomVersion, startEventPassAside } from './event-pass.js';

const roomsWithEvents = perContext((ctx) => findRoomsWithEvents(ctx.db.main, ctx.roomId));

const missingJson: FsckCheckDefinition = {
  id: 'events.missing-json',
  group: 'events',
  title: 'events without event_json',
  severity: 'error',
  why: 'Synapse loads an event by joining events to event_json, so an event without its JSON cannot be loaded: everything citing it fails with "Could not find event", and Synapse never fetches it again because the events row says it has it.',
  fixable: false,
  startAside: startEventPassAside,
  async run(ctx) {
    return (await eventPass(ctx)).missingJson.findings(this, () => ({ advice: 'restore the event_json rows from a backup, or fetch the events again from another server (not offline).' }));
  },
};

const orphanJson: FsckCheckDefinition = {
  id: 'events.orphan-json',
  group: 'events',
  title: 'event_json without events',
  severity: 'error',
  why: 'Synapse believes it does not have these events (it looks in events), but persisting one of them again fails on event_json\'s unique event_id, so the event can never be stored and whatever depends on it stalls.',
  fixable: false,
  async run(ctx) {
    const t = tally(ctx);
    for await (const r of iterateJsonWithoutEvents(ctx.db.main, ctx.roomId)) t.add(r.room_id, () => ({ event_id: r.event_id }));
    return t.findings(this, () => ({ advice: 'restore the events rows from a backup; deleting the orphan event_json rows lets Synapse fetch the events again.' }));
  },
};

const badJson: FsckCheckDefinition = {
  id: 'events.bad-json',
  group: 'events',
  title: 'stored event JSON that is not a valid event',
  severity: 'error',
  why: 'Synapse cannot parse the stored JSON of these events, so loading them (and every event or request that needs them) fails.',
  fixable: false,
  startAside: startEventPassAside,
  async run(ctx) {
    return (await eventPass(ctx)).badJson.findings(this, () => ({ advice: 'restore the event_json rows from a backup or from another server\'s copy of the event.' }));
  },
};

const idMismatch: FsckCheckDefinition = {
  id: 'events.id-mismatch',
  group: 'events',
  title: 'stored JSON whose event id does not match (room versions 3+)',
  severity: 'error',
  why: 'In room versions 3 and later the event id is the hash of the event, so JSON that hashes to another id is not the event other servers know: Synapse serves and builds on content that no other server will accept under that id.',
  fixable: false,
  startAside: startEventPassAside,
  async run(ctx) {
    return (await eventPass(ctx)).idMismatch.findings(this, () => ({ advice: 'the stored JSON was altered: restore it from a backup or another server (the id says which event it must be).' }));
  },
};

const hashMismatch: FsckCheckDefinition = {
  id: 'events.hash-mismatch',
  group: 'events',
  title: 'stored JSON whose content hash does not match (not redacted)',
  severity: 'warning',
  why: 'The content of these events is not what was signed: Synapse serves it to clients and other servers as if it were, and other servers redact it on receipt because its hash fails.',
  fixable: false,
  startAside: startEventPassAside,
  async run(ctx) {
    return (await eventPass(ctx)).hashMismatch.findings(this, () => ({ advice: 'the content was altered after the event was received: restore it from a backup or another server.' }));
  },
};

const roomVersion: FsckCheckDefinition = {
  id: 'events.room-version',
  group: 'events',
  title: 'rooms.room_version NULL or unknown',
  severity: 'error',
  why: 'Synapse needs the room version to parse a room\'s events and skips every event of a room whose version is NULL or unknown, so the room looks empty or broken.',
  fixable: false,
  async run(ctx) {
    const t = tally(ctx);
    for (const r of await roomsWithEvents(ctx)) {
      if (!r.has_row) continue;
      const v = r.room_version;
      if (v !== null && (ROOM_VERSIONS.has(v) || isNamespacedRoomVersion(v))) continue;
      t.add(r.room_id, () => ({ room_version: v, events: r.events }));
    }
    return t.findings(this, () => ({ advice: 'set rooms.room_version to the version in the room\'s m.room.create event (content.room_version, "1" when absent).' }));
  },
};

const roomMissing: FsckCheckDefinition = {
  id: 'events.room-missing',
  group: 'events',
  title: 'events of a room missing from rooms',
  severity: 'error',
  why: 'Without a rooms row Synapse has no room version for these events and skips them when loading, and on PostgreSQL refuses to persist new events of the room.',
  fixable: false,
  async run(ctx: FsckContext): Promise<FsckFinding[]> {
    const out: FsckFinding[] = [];
    for (const r of await roomsWithEvents(ctx)) {
      if (r.has_row) continue;
      out.push({
        check: this.id, severity: this.severity, room_id: r.room_id, count: r.events,
        sample: (await findSomeRoomEvents(ctx.db.main, r.room_id, ctx.sampleSize)).map((event_id) => ({ event_id })),
        why: this.why, fixable: false,
        advice: 'recreate the rooms row (room_id, room_version from the m.room.create event, creator, is_public) or purge the room\'s events.',
      });
    }
    return out;
  },
};

export const EVENTS_CHECKS: readonly FsckCheckDefinition[] = [missingJson, orphanJson, roomMissing, roomVersion, badJson, idMismatch, hashMismatch];
