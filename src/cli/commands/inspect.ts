/** `synapse-doctor inspect`: what is in a Synapse database (read-only). */
import type { Command } from 'commander';
import { globalOptions } from '../options.js';
import { writeJson, writeOut, type CliContext } from '../output.js';
import { openForReading } from '../open.js';
import { renderInspectText } from '../render-inspect.js';

export function registerInspect(program: Command, ctx: CliContext): void {
  program
    .command('inspect')
    .description('summarise the database: schema, background updates, rooms, events, rejections')
    .option('--room <room>', 'only this room (id !… or alias #…), with its per-server members')
    .action(async (opts: { room?: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      const { inspectDatabase } = await import('../../inspect/index.js');
      const db = await openForReading(g, ctx);
      try {
        const { resolveRoomArgument } = await import('../../store/readers/rooms.js');
        const roomId = opts.room === undefined ? undefined : await resolveRoomArgument(db.main, opts.room);
        const report = await inspectDatabase(db, roomId === undefined ? {} : { roomId });
        if (g.json) writeJson(report);
        else writeOut(renderInspectText(report, { details: opts.room !== undefined || report.rooms.length <= 10 }));
      } finally {
        await db.close();
      }
    });
}
