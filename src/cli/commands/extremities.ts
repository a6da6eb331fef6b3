/**
 * `synapse-doctor extremities --room ROOM [--prune [--keep N]] [--apply]`: lists a room's forward
 * extremities (src/extremities/list-extremities.ts; read-only, exit 0), or with --prune plans what
 * Synapse's admin API `DELETE /_synapse/admin/v1/rooms/<room>/forward_extremities` does
 * (src/extremities/prune-plan.ts): a dry run unless --apply; --sql saves it as a script; `undo
 * JOURNAL` puts the rows back.
 */
import type { Command } from 'commander';
import { SynapseDoctorError } from '../../errors.js';
import { globalOptions } from '../options.js';
import { writeJson, writeOut, type CliContext } from '../output.js';
import { openForPlan } from '../open.js';
import { addPlanOptions, planOptions, runPlan } from '../plan-output.js';
import { printable } from '../../text/printable.js';

function positiveInteger(flag: string, text: unknown): number | undefined {
  if (text === undefined) return undefined;
  if (typeof text !== 'string' || !/^[1-9]\d{0,8}$/.test(text)) throw new SynapseDoctorError('USAGE', `${flag} ${printable(JSON.stringify(text))} is not a whole number from 1 up`);
  return Number(text);
}

export function registerExtremities(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('extremities')
    .description("list a room's forward extremities; --prune plans what Synapse's admin API DELETE …/forward_extremities does (dry run unless --apply)")
    .requiredOption('--room <room>', 'the room (id !… or alias #…)')
    .option('--prune', 'delete every forward extremity but the newest by stream ordering, as Synapse\'s admin API does')
    .option('--keep <n>', 'with --prune: keep the N newest by stream ordering (default 1)')
    .option('--walk-limit <n>', 'at most this many events visited to find which extremities descend from others (default 10000)');
  addPlanOptions(cmd).action(async (opts: Record<string, unknown>, command: Command) => {
    const g = globalOptions(command);
    const po = planOptions(opts);
    const prune = opts.prune === true;
    const keep = positiveInteger('--keep', opts.keep);
    const walkLimit = positiveInteger('--walk-limit', opts.walkLimit);
    if (!prune) {
      const planFlag = po.apply ? '--apply' : po.sql !== undefined ? '--sql' : po.journal !== undefined ? '--journal' : keep !== undefined ? '--keep' : undefined;
      if (planFlag) throw new SynapseDoctorError('USAGE', `${planFlag} needs --prune (without it, extremities only lists)`);
    }
    const db = await openForPlan(g, ctx, prune && po.apply);
    try {
      const { resolveRoomArgument } = await import('../../store/readers/rooms.js');
      const roomId = await resolveRoomArgument(db.main, opts.room as string);
      const { findExtremities, planPruneExtremities } = await import('../../extremities/index.js');
      const listing = await findExtremities(db, roomId, walkLimit !== undefined ? { walkLimit } : {});
      if (!prune) {
        if (g.json) writeJson({ format: 1, ...listing });
        else {
          const { renderExtremitiesText } = await import('../render-extremities.js');
          writeOut(renderExtremitiesText(listing));
        }
        return;
      }
      const k = keep ?? 1;
      const { plan, kept, deleted, empty } = planPruneExtremities(db, listing, { keep: k, command: `extremities --room ${roomId} --prune --keep ${k}` });
      const summary = { room_id: roomId, keep: k, kept, deleted };
      if (empty) {
        if (g.json) writeJson({ format: 1, nothing_to_do: true, ...summary });
        else writeOut(`${plan.notes.map(printable).join('\n')}\nNothing to do: no row would change.`);
        return;
      }
      await runPlan(g, po, db, plan, { json: { extremities: summary } });
    } finally {
      await db.close();
    }
  });
}
