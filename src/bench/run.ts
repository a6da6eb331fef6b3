/**
 * `npm run bench`: the speed figures we promise, measured outside the tests.
 *
 *   npm run bench                                   # everything, SQLite, 1,000,000 events
 *   npm run bench -- --only auth,state-res          # just the protocol core
 *   npm run bench -- --events 200000 --engines sqlite,postgres [--pg postgres://…]
 *   npm run bench -- --only rejections              # rejections on 1,000,000 events, 10% in chains
 *   npm run bench -- --only unreject                # unreject --apply on a chain of 10,000 events
 *   npm run bench -- --only import --import-events 10000,100000,1000000 --engines sqlite,postgres
 *   npm run bench -- --only fsck --engines sqlite,postgres   # the whole fsck on 1,000,000 events
 *
 * Without --pg, PostgreSQL runs use a throw-away embedded server.
 */
import { parseArgs } from 'node:util';
import { benchAuth } from './auth-bench.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { benchLoadPostgres, benchLoadSqlite, type LoadBenchResult } from './load-bench.js';
import { benchStateRes } from './state-res-bench.js';
import { benchImport, type ImportBenchResult } from './import-bench.js';
import { benchUnrejectPostgres, benchUnrejectSqlite, type UnrejectBenchResult } from './unreject-bench.js';
import { benchRejectionsPostgres, benchRejectionsSqlite, type RejectionsBenchResult } from './rejections-bench.js';
import { benchFsckPostgres, benchFsckSqlite, type FsckBenchResult } from './fsck-bench.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'auth,state-res,load,rejections,unreject,import,fsck' },
    'chain-events': { type: 'string', default: '10000' },
    'import-events': { type: 'string', default: '1000000' },
    'chain-rooms': { type: 'string', default: '10' },
    events: { type: 'string', default: '1000000' },
    rooms: { type: 'string', default: '100' },
    engines: { type: 'string', default: 'sqlite' },
    pg: { type: 'string' },
    keep: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const only = new Set(values.only.split(','));
const results: Record<string, unknown> = {};
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const say = (line: string): void => {
  if (!values.json) console.log(line);
};

if (only.has('auth')) {
  say('Auth checks per second (in-process, one core), each event against its own auth events:');
  const rows = ['10', '11', '12'].map((v) => benchAuth(v));
  for (const r of rows) {
    say(`  room v${r.roomVersion.padEnd(3)} ${fmt(r.checksPerSecond).padStart(10)} checks/s (checkAuthEvents)  ${fmt(r.rulesPerSecond).padStart(10)} /s (rules only)  over ${r.events} events, ${r.denied} denied`);
  }
  results.auth = rows;
}

if (only.has('state-res')) {
  say('State resolution of a 1,000-event conflict:');
  const rows = ['10', '12'].map((v) => benchStateRes(v));
  for (const r of rows) {
    say(`  room v${r.roomVersion.padEnd(3)} ${r.conflictedEvents} conflicted events, ${r.stateSize} keys resolved: median ${fmt(r.millisecondsMedian, 1)} ms (best ${fmt(r.millisecondsMin, 1)} ms)`);
  }
  results.stateRes = rows;
}

if (only.has('load')) {
  const events = Number(values.events);
  const rooms = Number(values.rooms);
  const rows: LoadBenchResult[] = [];
  for (const engine of values.engines.split(',')) {
    say(`Simulator: ${fmt(events)} events in ${rooms} rooms on ${engine}, then inspect …`);
    let r: LoadBenchResult;
    if (engine === 'sqlite') {
      r = await benchLoadSqlite(events, rooms, values.keep);
    } else {
      const server = values.pg ? { url: values.pg, stop: async () => undefined } : await startEmbeddedPostgres();
      try {
        r = await benchLoadPostgres(server.url, events, rooms);
      } finally {
        await server.stop();
      }
    }
    const size = r.databaseBytes !== undefined ? `, ${fmt(r.databaseBytes / 2 ** 20)} MiB` : '';
    say(`  ${engine}: ${fmt(r.events)} events generated in ${fmt(r.generateSeconds, 1)} s (${fmt(r.eventsPerSecond)} events/s${size})`);
    say(`  ${engine}: inspect (all ${r.rooms} rooms) ${fmt(r.inspectSeconds, 2)} s; inspect --room ${fmt(r.inspectRoomSeconds, 2)} s`);
    rows.push(r);
  }
  results.load = rows;
}

if (only.has('rejections')) {
  const events = Number(values.events);
  const rooms = Number(values.rooms);
  const chainRooms = Number(values['chain-rooms']);
  const rows: RejectionsBenchResult[] = [];
  for (const engine of values.engines.split(',')) {
    say(`rejections: ${fmt(events)} events in ${rooms} rooms, ${chainRooms} of them with a rejection chain, on ${engine} …`);
    let r: RejectionsBenchResult;
    if (engine === 'sqlite') {
      r = await benchRejectionsSqlite(events, rooms, chainRooms);
    } else {
      const server = values.pg ? { url: values.pg, stop: async () => undefined } : await startEmbeddedPostgres();
      try {
        r = await benchRejectionsPostgres(server.url, events, rooms, chainRooms);
      } finally {
        await server.stop();
      }
    }
    say(`  ${engine}: ${fmt(r.rejected)} rejected events in ${r.chains} chains found in ${fmt(r.findSeconds, 2)} s, peak ${fmt(r.findMaxRssMiB)} MiB (target ≤ 5 s, ≤ 500 MB; generated in ${fmt(r.generateSeconds, 1)} s)`);
    rows.push(r);
  }
  results.rejections = rows;
}

if (only.has('fsck')) {
  const events = Number(values.events);
  const rooms = Number(values.rooms);
  const chainRooms = Number(values['chain-rooms']);
  const rows: FsckBenchResult[] = [];
  for (const engine of values.engines.split(',')) {
    say(`fsck: ${fmt(events)} events in ${rooms} rooms, ${chainRooms} of them with a rejection chain, on ${engine} …`);
    let r: FsckBenchResult;
    if (engine === 'sqlite') {
      r = await benchFsckSqlite(events, rooms, chainRooms, values.keep);
    } else {
      const server = values.pg ? { url: values.pg, stop: async () => undefined } : await startEmbeddedPostgres();
      try {
        r = await benchFsckPostgres(server.url, events, rooms, chainRooms);
      } finally {
        await server.stop();
      }
    }
    say(`  ${engine}: every check (${r.checks.length}) in ${fmt(r.fsckSeconds, 2)} s (${fmt(r.fsckCpuSeconds, 1)} s CPU in the fsck process), peak ${fmt(r.fsckMaxRssMiB)} MiB (target ≤ 30 s, ≤ 1 GB; generated in ${fmt(r.generateSeconds, 1)} s)`);
    const slow = [...r.checks].sort((a, b) => b.ms - a.ms).slice(0, 6);
    say(`  slowest: ${slow.map((c) => `${c.id} ${fmt(c.ms / 1000, 2)} s`).join(', ')}`);
    const failed = r.checks.filter((c) => c.status === 'failed');
    if (failed.length > 0) say(`  FAILED: ${failed.map((c) => `${c.id}: ${c.note}`).join('; ')}`);
    say(`  findings: ${JSON.stringify(r.totals)}`);
    rows.push(r);
  }
  results.fsck = rows;
}

if (only.has('unreject')) {
  const events = Number(values['chain-events']);
  const rows: UnrejectBenchResult[] = [];
  for (const engine of values.engines.split(',')) {
    say(`unreject --apply: one room of ${fmt(events)} events, nearly all of them one rejection chain (a state event every 10), on ${engine} …`);
    let r: UnrejectBenchResult;
    if (engine === 'sqlite') {
      r = await benchUnrejectSqlite(events);
    } else {
      const server = values.pg ? { url: values.pg, stop: async () => undefined } : await startEmbeddedPostgres();
      try {
        r = await benchUnrejectPostgres(server.url, events);
      } finally {
        await server.stop();
      }
    }
    say(`  ${engine}: ${fmt(r.unrejected)} events un-rejected (${fmt(r.stateEvents)} state events), ${fmt(r.newGroups)} new state groups, ${fmt(r.rows)} rows written in ${fmt(r.seconds, 2)} s (cure computed in ${fmt(r.cureSeconds, 2)} s), peak ${fmt(r.maxRssMiB)} MiB (target ≤ 20 s, ≤ 500 MB; generated in ${fmt(r.generateSeconds, 1)} s)`);
    rows.push(r);
  }
  results.unreject = rows;
}

if (only.has('import')) {
  // a comma list (e.g. 10000,100000,1000000) shows whether the cost per event stays flat
  const sizes = values['import-events'].split(',').map(Number);
  const rows: ImportBenchResult[] = [];
  for (const events of sizes) {
    say(`import-history: one room of ${fmt(events)} events into a target that lacks them all, on ${values.engines}, next to a raw copy of the same rows …`);
    for (const r of await benchImport(events, values.engines.split(','), async () => (values.pg ? { url: values.pg, stop: async () => undefined } : startEmbeddedPostgres()))) {
      say(`  ${r.engine}: ${fmt(r.events)} events (${fmt(r.rows)} rows) in ${fmt(r.seconds, 1)} s = ${fmt(r.eventsPerSecond)} events/s, ${fmt((1e6 * r.seconds) / r.events, 1)} µs/event (planning ${fmt(r.planSeconds, 1)} s), peak ${fmt(r.maxRssMiB)} MiB; raw copy ${fmt(r.rawSeconds, 1)} s = ${fmt(r.rawEventsPerSecond)} events/s; ratio ${fmt(r.eventsPerSecond / r.rawEventsPerSecond, 2)} (target ≥ 0.5, < 500 MB)`);
      rows.push(r);
    }
  }
  results.import = rows;
}

if (values.json) console.log(JSON.stringify(results, null, 2));
