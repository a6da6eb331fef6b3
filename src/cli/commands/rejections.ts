/**
 * `synapse-doctor rejections [--room ROOM] [--since DATE] [--json]`: every rejected event, grouped
 * into chains per room, each root explained against the spec. Read-only. Exit 1 when a chain that
 * looks wrong is found.
 */
import type { Command } from 'commander';
import { SynapseDoctorError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { globalOptions } from '../options.js';
import { writeJson, writeOut, type CliContext } from '../output.js';
import { openForReading } from '../open.js';
import { renderRejectionsText } from '../render-rejections.js';

function parseSince(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new SynapseDoctorError('USAGE', `--since ${JSON.stringify(text)} is neither a date (2026-11-30, 2026-11-30T12:00Z) nor milliseconds since the epoch`);
  return ms;
}

export function registerRejections(program: Command, ctx: CliContext): void {
  program
    .command('rejections')
    .description('find rejected events, group them into chains, and say for each root whether the rejection looks wrong')
    .option('--room <room>', 'only this room (id !… or alias #…)')
    .option('--since <date>', 'only chains whose root is at or after this date (ISO 8601, or ms since the epoch)')
    .action(async (opts: { room?: string; since?: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      const since = opts.since === undefined ? undefined : parseSince(opts.since);
      const { findRejections } = await import('../../rejections/index.js');
      const db = await openForReading(g, ctx);
      try {
        const { resolveRoomArgument } = await import('../../store/readers/rooms.js');
        const roomId = opts.room === undefined ? undefined : await resolveRoomArgument(db.main, opts.room);
        const report = await findRejections(db, { ...(roomId !== undefined ? { roomId } : {}), ...(since !== undefined ? { since } : {}) });
        if (g.json) writeJson(report);
        else writeOut(renderRejectionsText(report));
        if (report.totals.looks_wrong > 0) ctx.exitCode = EXIT.findings;
      } finally {
        await db.close();
      }
    });
}
