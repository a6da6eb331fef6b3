/**
 * `synapse-doctor import-history --from SOURCE --to TARGET --room ROOM [--apply]`: copies the
 * history of a room the target lacks from the source database, as Synapse stores history it
 * backfills (src/import-history/plan-import.ts). Each side is an SQLite file or a postgres:// URL
 * (--from/--to) or a homeserver.yaml (--from-config/--to-config). A plan applied in batches, one
 * transaction each: killed half-way, running it again copies the rest; after success it copies
 * nothing.
 */
import { Option, type Command } from 'commander';
import { SynapseDoctorError } from '../../errors.js';
import { collectRepeated, globalOptions, type GlobalOptions } from '../options.js';
import type { CliContext } from '../output.js';
import { writeJson, writeOut } from '../output.js';
import { openForPlan, openForReading } from '../open.js';
import { addPlanOptions, planOptions, runPlan } from '../plan-output.js';
import { printable } from '../../text/printable.js';

function side(g: GlobalOptions, db: unknown, config: unknown, which: string): GlobalOptions {
  if (db !== undefined && config !== undefined) throw new SynapseDoctorError('USAGE', `give either --${which} or --${which}-config, not both`);
  if (db === undefined && config === undefined) throw new SynapseDoctorError('USAGE', `import-history needs --${which} DB (or --${which}-config homeserver.yaml)`);
  const { db: _d, config: _c, stateDb: _s, ...rest } = g;
  return { ...rest, ...(typeof db === 'string' ? { db } : {}), ...(typeof config === 'string' ? { config } : {}) };
}

export function registerImportHistory(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('import-history')
    .description("copy a room's history the target lacks from an old server's database, as Synapse stores backfilled history (dry run unless --apply)")
    .option('--from <path|url>', 'the source database (SQLite file or postgres:// URL)')
    .option('--from-config <homeserver.yaml>', "the source's Synapse config")
    .option('--to <path|url>', 'the target database')
    .option('--to-config <homeserver.yaml>', "the target's Synapse config")
    .option('--room <room>', 'a room (id !… or alias #… known to the target); repeatable', collectRepeated)
    .option('--all-shared-rooms', 'every room both databases hold')
    .option('--batch-size <n>', 'events per transaction, at most (default 100000; rows are made 5000 events at a time; into SQLite the first and last are one slice each, a smaller room up to six equal ones between, so making and copying overlap)')
    .addOption(new Option('--slice-size <n>', 'events whose rows are made at a time (tests)').hideHelp());
  addPlanOptions(cmd).action(async (opts: Record<string, unknown>, command: Command) => {
    const g = globalOptions(command);
    if (g.db !== undefined || g.config !== undefined) throw new SynapseDoctorError('USAGE', 'import-history takes --from/--to (or --from-config/--to-config), not --db/--config');
    const po = planOptions(opts);
    const batchSize = opts.batchSize === undefined ? undefined : Number(opts.batchSize);
    if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) throw new SynapseDoctorError('USAGE', `--batch-size must be a positive whole number, got ${JSON.stringify(opts.batchSize)}`);
    const sliceSize = opts.sliceSize === undefined ? undefined : Number(opts.sliceSize);
    if (sliceSize !== undefined && !(Number.isInteger(sliceSize) && sliceSize > 0)) throw new SynapseDoctorError('USAGE', `--slice-size must be a positive whole number, got ${JSON.stringify(opts.sliceSize)}`);
    const source = await openForReading(side(g, opts.from, opts.fromConfig, 'from'), ctx);
    try {
      const target = await openForPlan(side(g, opts.to, opts.toConfig, 'to'), ctx, po.apply);
      try {
        if (source.locators.main === target.locators.main) throw new SynapseDoctorError('USAGE', '--from and --to name the same database');
        const { resolveRoomArgument } = await import('../../store/readers/rooms.js');
        const rooms = (opts.room as string[] | undefined) ?? [];
        if (rooms.length === 0 && opts.allSharedRooms !== true) throw new SynapseDoctorError('USAGE', 'import-history needs --room ROOM (repeatable) or --all-shared-rooms');
        if (rooms.length > 0 && opts.allSharedRooms === true) throw new SynapseDoctorError('USAGE', '--room and --all-shared-rooms exclude each other');
        const { sharedRooms } = await import('../../store/readers/history.js');
        const roomIds = opts.allSharedRooms === true ? await sharedRooms(source.main, target.main) : [];
        for (const r of rooms) roomIds.push(await resolveRoomArgument(target.main, r));
        const { planImport } = await import('../../import-history/plan-import.js');
        const { verifyImport } = await import('../../import-history/verify-import.js');
        const results: unknown[] = [];
        for (const roomId of [...new Set(roomIds)]) {
          const started = Date.now();
          const { plan, summary, empty } = await planImport(source, target, {
            roomId, ...(batchSize !== undefined ? { batchSize } : {}), ...(sliceSize !== undefined ? { sliceSize } : {}),
            // scratch files serve --apply only: a script (--sql) or a dry run reads each slice's rows as values
            ...(po.apply && po.sql === undefined ? {} : { scratch: false }),
          }, `import-history --room ${roomId}`);
          if (empty) {
            if (g.json) results.push({ format: 1, room_id: roomId, nothing_to_do: true, summary });
            else writeOut(`${plan.notes.map(printable).join('\n')}\nNothing to copy: the target already holds every event of the source's room.`);
            continue;
          }
          if (g.json && roomIds.length > 1) {
            // one JSON document for all rooms: the per-room plans are summarised
            results.push({ room_id: roomId, summary, applied: po.apply });
            if (po.apply) await runPlan({ ...g, json: false }, { ...po }, target, plan, { transactions: 'per-chunk', quiet: true });
            continue;
          }
          const result = await runPlan(g, po, target, plan, { json: { summary }, transactions: 'per-chunk' });
          if (result) {
            const report = await verifyImport(source, target, roomId);
            const seconds = (Date.now() - started) / 1000;
            if (!g.json) {
              writeOut([
                '',
                `Verified: ${report.present}/${report.sourceEvents} source events present, ${report.timelineWithState}/${report.sourceTimeline} timeline events with their state, states equal to the source's: ${report.stateEqual}/${report.stateCompared}; backward extremities: ${report.backwardExtremities}.`,
                `Imported ${summary.missing} events in ${seconds.toFixed(1)} s (${Math.round(summary.missing / Math.max(seconds, 0.001))} events/s).`,
              ].join('\n'));
            }
            if (!report.ok) throw new SynapseDoctorError('VERIFY_FAILED', `the import was written but does not verify: ${report.problems.slice(0, 3).join('; ')}`);
          }
        }
        if (g.json && (roomIds.length > 1 || results.length > 0)) writeJson(results.length === 1 ? results[0] : { format: 1, rooms: results });
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
  });
}
