/**
 * `synapse-doctor event EVENT_ID [--with-auth-events] [--json]`: one event from the database as
 * `pdu` input (read-only). Plain output is the document a `pdu` command reads: the event as stored,
 * or with --with-auth-events the list of its auth events for `pdu auth --auth-events` (the ones this
 * server rejected as {"event": …, "rejected": true}). --json prints both with the room version and
 * the event's status. The logic is src/pdu/stored.ts.
 */
import type { Command } from 'commander';
import { SynapseDoctorError } from '../../errors.js';
import { globalOptions } from '../options.js';
import { warn, writeOut, type CliContext } from '../output.js';
import { openForReading } from '../open.js';
import { printable } from '../table.js';

export function registerEvent(program: Command, ctx: CliContext): void {
  program
    .command('event <event_id>')
    .description('print an event from the database as pdu input (its JSON as stored); --with-auth-events: its auth events instead, as pdu auth --auth-events reads them')
    .option('--with-auth-events', 'print the auth events it cites, rejected ones as {"event": …, "rejected": true} (--json: both)')
    .action(async (eventId: string, opts: { withAuthEvents?: boolean }, cmd: Command) => {
      const g = globalOptions(cmd);
      if (!eventId.startsWith('$') || eventId.length < 2) {
        throw new SynapseDoctorError('USAGE', `${printable(JSON.stringify(eventId))} is not an event id (they start with $; quote it in the shell: '$abc…')`);
      }
      const { storedEventInput } = await import('../../pdu/stored.js');
      const { stringifyJson } = await import('../../pdu/json-text.js');
      const db = await openForReading(g, ctx);
      try {
        const x = await storedEventInput(db, eventId, { withAuthEvents: opts.withAuthEvents === true });
        const missing = x.missing_auth_events ?? [];
        if (missing.length > 0) warn(ctx, printable(`this database does not hold ${missing.length === 1 ? 'the auth event' : 'the auth events'} ${missing.join(', ')} that ${eventId} cites; pdu auth will call the input incomplete`));
        // stringifyJson: stored events may hold integers beyond 2^53, which must be printed exactly
        if (g.json) writeOut(stringifyJson(x));
        else {
          writeOut(stringifyJson(opts.withAuthEvents === true ? x.auth_events : x.event));
          // what the pdu commands need to know, beside the document (stderr: stdout is the document)
          const status = x.rejected === null ? 'accepted' : `rejected by this server (${x.rejected})`;
          process.stderr.write(`synapse-doctor: ${printable(`${x.event_id}: ${x.type} in ${x.room_id}, ${status}; room version ${x.room_version ?? 'unknown'}${x.room_version ? ` (pdu commands: --room-version ${x.room_version})` : ''}`)}\n`);
        }
      } finally {
        await db.close();
      }
    });
}
