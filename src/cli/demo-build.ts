/**
 * Builds the demo: an empty Synapse schema (94) in a new SQLite file, the simulator's
 * "rejection-chain" scenario written into it, and a few event files next to it so the `pdu`
 * examples printed afterwards run as they are.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { JsonObject } from '../matrix/pdu.js';
import { SqliteEngine } from '../store/engine/sqlite/sqlite-engine.js';
import { createSynapseSchema } from '../store/fixture-schema.js';
import { buildScenario } from '../simulator/scenarios/index.js';
import { shellQuote as quote } from './shell-quote.js';

export interface DemoDatabase {
  scenario: string;
  description: string;
  roomId: string;
  roomVersion: string;
  /** The wrongly rejected event at the root of the chain. */
  rootEventId: string;
  files: { path: string; command: string }[];
}

export async function buildDemoDatabase(path: string): Promise<DemoDatabase> {
  const engine = new SqliteEngine(path, { create: true });
  let result;
  try {
    await createSynapseSchema(engine, 94);
    result = await buildScenario('rejection-chain', { engine, version: 94 });
  } finally {
    await engine.close();
  }
  const { room } = result;
  const thisServer = result.servers[0];
  const view = room.view(thisServer);
  const raw = (id: string): JsonObject => room.event(id).json;
  const authEntries = (id: string): unknown[] => {
    const ids = [...room.event(id).pdu.auth_events];
    if (room.rules.roomIdFromCreateEvent && !ids.includes(room.createEventId)) ids.push(room.createEventId);
    return ids.map((a) => (view.events.get(a)?.rejectionReason !== undefined ? { event: raw(a), rejected: true } : raw(a)));
  };
  const dir = dirname(path);
  const root = result.labels.root as string;
  const cascade = (result.labels.cascadeMessages as string[])[0];
  const files: Record<string, unknown> = {
    'root-event.json': raw(root),
    'root-auth-events.json': authEntries(root),
    'cascade-event.json': raw(cascade),
    'cascade-auth-events.json': authEntries(cascade),
  };
  for (const [name, value] of Object.entries(files)) await writeFile(join(dir, name), JSON.stringify(value, null, 2) + '\n');
  const v = result.roomVersion;
  const f = (name: string): string => quote(join(dir, name));
  return {
    scenario: result.name,
    description:
      `Room ${result.roomId} (version ${v}) as ${thisServer.name} stored it: a valid power-levels change from ` +
      `another server was wrongly rejected, and every later event citing it was rejected in turn.`,
    roomId: result.roomId,
    roomVersion: v,
    rootEventId: root,
    files: [
      { path: join(dir, 'root-event.json'), command: `npx synapse-doctor pdu event-id --room-version ${v} ${f('root-event.json')}` },
      {
        path: join(dir, 'root-auth-events.json'),
        command: `npx synapse-doctor pdu auth --room-version ${v} --event ${f('root-event.json')} --auth-events ${f('root-auth-events.json')}   # allowed: the rejection was wrong`,
      },
      {
        path: join(dir, 'cascade-auth-events.json'),
        command: `npx synapse-doctor pdu auth --room-version ${v} --event ${f('cascade-event.json')} --auth-events ${f('cascade-auth-events.json')}   # denied: it cites the rejected event`,
      },
      { path: join(dir, 'cascade-event.json'), command: `npx synapse-doctor pdu check-hash ${f('cascade-event.json')}` },
    ],
  };
}
