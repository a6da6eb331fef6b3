/**
 * `synapse-doctor inspect`: what is in a Synapse database (read-only). Exit 1 when it finds
 * something wrong (a finding), 0 otherwise.
 */
import type { Command } from 'commander';
import { SynapseDoctorError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { globalOptions } from '../options.js';
import { writeJson, writeOut, type CliContext } from '../output.js';
import { openForReading } from '../open.js';
import { renderInspectText } from '../render-inspect.js';

function parseLimit(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new SynapseDoctorError('USAGE', `--limit ${JSON.stringify(text)} is not a positive whole number of rooms`);
  }
  return Number(text);
}

export function registerInspect(program: Command, ctx: CliContext): void {
  program
    .command('inspect')
    .description('summarise the database: schema, background updates, rooms, events, rejections, outliers, extremities; flag what is wrong (exit 1)')
    .option('--room <room>', 'only this room (id !… or alias #…), with its per-server members')
    .option('--limit <n>', 'show only the first N rooms (those with findings first, then the biggest)')
    .option('--check', 'also check the file itself (SQLite: PRAGMA quick_check; a failure is a finding)')
    .action(async (opts: { room?: string; limit?: string; check?: boolean }, cmd: Command) => {
      const g = globalOptions(cmd);
      const limit = opts.limit === undefined ? undefined : parseLimit(opts.limit);
      const { inspectDatabase } = await import('../../inspect/index.js');
      const db = await openForReading(g, ctx);
      try {
        const { resolveRoomArgument } = await import('../../store/readers/rooms.js');
        const roomId = opts.room === undefined ? undefined : await resolveRoomArgument(db.main, opts.room);
        const report = await inspectDatabase(db, {
          ...(roomId === undefined ? {} : { roomId }),
          ...(limit === undefined ? {} : { limit }),
          ...(opts.check === true ? { check: true } : {}),
        });
        if (g.json) writeJson(report);
        else writeOut(renderInspectText(report, { details: opts.room !== undefined || report.rooms.length <= 10, ...(limit === undefined ? {} : { limit }) }));
        if (report.totals.findings > 0) ctx.exitCode = EXIT.findings;
      } finally {
        await db.close();
      }
    });
}
