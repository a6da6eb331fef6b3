/** `synapse-doctor explain EVENT_ID [--json]`: everything about one event (read-only). */
import type { Command } from 'commander';
import { SynapseDoctorError } from '../../errors.js';
import { globalOptions } from '../options.js';
import { writeJson, writeOut, type CliContext } from '../output.js';
import { openForReading } from '../open.js';
import { renderExplanationText } from '../render-rejections.js';

export function registerExplain(program: Command, ctx: CliContext): void {
  program
    .command('explain <event_id>')
    .description('one event: its auth and prev events, each check on receipt with the deciding rule, its state, where it stands')
    .action(async (eventId: string, _opts: unknown, cmd: Command) => {
      const g = globalOptions(cmd);
      if (!eventId.startsWith('$') || eventId.length < 2) {
        throw new SynapseDoctorError('USAGE', `${JSON.stringify(eventId)} is not an event id (they start with $; quote it in the shell: '$abc…')`);
      }
      const { explainEvent } = await import('../../rejections/index.js');
      const db = await openForReading(g, ctx);
      try {
        const x = await explainEvent(db, eventId);
        if (g.json) writeJson(x);
        else writeOut(renderExplanationText(x));
      } finally {
        await db.close();
      }
    });
}
