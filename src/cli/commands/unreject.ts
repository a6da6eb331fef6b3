/**
 * `synapse-doctor unreject --room ROOM (--root EVENT_ID … | --all-wrong) [--apply]`: cures the
 * rejection chains of one room (src/rejections/cure.ts): un-rejects the roots and every event of
 * their chains that passes the checks on receipt again, recomputes the state, the current state
 * and the forward extremities. A plan: a dry run unless --apply; --sql saves it as a script;
 * `undo JOURNAL` reverses an applied cure.
 */
import type { Command } from 'commander';
import { SynapseDoctorError } from '../../errors.js';
import { collectRepeated, globalOptions } from '../options.js';
import type { CliContext } from '../output.js';
import { writeJson, writeOut } from '../output.js';
import { openForPlan } from '../open.js';
import { addPlanOptions, planOptions, runPlan } from '../plan-output.js';
import { printable } from '../../text/printable.js';

export function registerUnreject(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('unreject')
    .description('cure rejection chains in one room: un-reject, re-check, recompute state (dry run unless --apply)')
    .requiredOption('--room <room>', 'the room (id !… or alias #…)')
    .option('--root <event_id>', 'a chain root to cure (repeatable); see `rejections`', collectRepeated)
    .option('--all-wrong', 'cure every chain of the room whose root looks wrong');
  addPlanOptions(cmd).action(async (opts: Record<string, unknown>, command: Command) => {
    const g = globalOptions(command);
    const po = planOptions(opts);
    const roots = (opts.root as string[] | undefined) ?? [];
    const allWrong = opts.allWrong === true;
    if (roots.length === 0 && !allWrong) throw new SynapseDoctorError('USAGE', 'unreject needs --root EVENT_ID (repeatable) or --all-wrong');
    if (roots.length > 0 && allWrong) throw new SynapseDoctorError('USAGE', '--root and --all-wrong exclude each other');
    for (const r of roots) if (!r.startsWith('$')) throw new SynapseDoctorError('USAGE', `--root ${JSON.stringify(r)} is not an event id (they start with $)`);
    const db = await openForPlan(g, ctx, po.apply);
    try {
      const { resolveRoomArgument } = await import('../../store/readers/rooms.js');
      const roomId = await resolveRoomArgument(db.main, opts.room as string);
      const { computeCure } = await import('../../rejections/cure.js');
      const { planUnreject } = await import('../../rejections/unreject-plan.js');
      const cure = await computeCure(db, { roomId, roots: allWrong ? 'all-wrong' : roots });
      const command = `unreject --room ${roomId} ${allWrong ? '--all-wrong' : roots.map((r) => `--root ${r}`).join(' ')}`;
      const { plan, empty } = await planUnreject(db, cure, command);
      const summary = {
        room_id: roomId,
        unrejected: cure.decisions.filter((d) => d.unreject),
        kept_rejected: cure.decisions.filter((d) => !d.unreject),
        current_state: { before: Object.fromEntries(cure.stateBefore), after: Object.fromEntries(cure.stateAfter) },
        forward_extremities: { before: cure.extremitiesBefore, after: cure.extremitiesAfter },
      };
      if (empty) {
        if (g.json) writeJson({ format: 1, nothing_to_do: true, ...summary });
        else writeOut(`${plan.notes.map(printable).join('\n')}\nNothing to do: no row would change.`);
        return;
      }
      await runPlan(g, po, db, plan, { json: { cure: summary } });
    } finally {
      await db.close();
    }
  });
}
