/**
 * The command line. The single catch of the tool lives here: every failure becomes one line on
 * stderr and an exit code from src/cli/exit-codes.ts. Only this file calls process.exit.
 */
import { Command, CommanderError } from 'commander';
import { EXIT, type ExitCode } from './exit-codes.js';
import { addGlobalOptions, argvHasFlag } from './options.js';
import { newContext, reportError, reportUsage, type CliContext } from './output.js';
import { packageVersion } from './version.js';
import { registerDemo } from './commands/demo.js';
import { registerInspect } from './commands/inspect.js';
import { registerPdu } from './commands/pdu.js';
import { registerUndo } from './commands/undo.js';
import { registerRejections } from './commands/rejections.js';
import { registerExplain } from './commands/explain.js';
import { registerEvent } from './commands/event.js';
import { registerUnreject } from './commands/unreject.js';
import { registerImportHistory } from './commands/import-history.js';
import { registerFsck } from './commands/fsck.js';
import { registerExtremities } from './commands/extremities.js';
import { registerGraph } from './commands/graph.js';

const EXAMPLES = `
Examples:
  $ synapse-doctor demo                                   build a demo database and inspect it
  $ synapse-doctor inspect --db /var/lib/synapse/homeserver.db
  $ synapse-doctor inspect --config /etc/synapse/homeserver.yaml --room '!abc:example.org' --json
  $ SYNAPSE_DOCTOR_DB=postgres://synapse@localhost/synapse synapse-doctor inspect
  $ synapse-doctor rejections --db homeserver.db --room '!abc:example.org'
  $ synapse-doctor explain --db homeserver.db '$rootEventId'
  $ synapse-doctor event --db homeserver.db '$eventId' | synapse-doctor pdu verify --keys-from-db homeserver.db --room-version 10
  $ synapse-doctor unreject --db homeserver.db --room '!abc:example.org' --all-wrong          (dry run; add --apply)
  $ synapse-doctor import-history --from old.db --to postgres://synapse@localhost/synapse --room '!abc:example.org'   (dry run; add --apply)
  $ synapse-doctor fsck --db homeserver.db                 integrity checks; --fix plans the safe repairs
  $ synapse-doctor extremities --db homeserver.db --room '!abc:example.org' --prune               (dry run; add --apply)
  $ synapse-doctor graph --db homeserver.db --room '!abc:example.org' -o graph.html      (the rejection chains; --around '$ev' for one event)
  $ synapse-doctor pdu event-id --room-version 10 event.json
  $ cat event.json | synapse-doctor pdu check-hash --json
  $ synapse-doctor undo homeserver.db.synapse-doctor-unreject-20261201T120000Z.journal.jsonl --apply

Exit codes: 0 ok, 1 findings/denied/invalid, 2 usage or malformed pdu input, 3 bad input,
4 database error, 5 refused for safety, 6 verification failed, 70 internal error, 130 interrupted.`;

function buildProgram(ctx: CliContext): Command {
  const program = new Command('synapse-doctor');
  program
    .description('Diagnose, repair and migrate Matrix Synapse databases offline (SQLite and PostgreSQL).')
    .version(packageVersion(), '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', EXAMPLES);
  addGlobalOptions(program);
  registerInspect(program, ctx);
  registerRejections(program, ctx);
  registerExplain(program, ctx);
  registerEvent(program, ctx);
  registerUnreject(program, ctx);
  registerImportHistory(program, ctx);
  registerFsck(program, ctx);
  registerExtremities(program, ctx);
  registerGraph(program, ctx);
  registerDemo(program, ctx);
  registerPdu(program, ctx);
  registerUndo(program, ctx);
  return program;
}

/** Runs the CLI and returns the exit code without exiting (tests and embedding use this). */
export async function run(argv: readonly string[]): Promise<ExitCode> {
  const json = argvHasFlag(argv, '--json');
  const debug = argvHasFlag(argv, '--debug');
  const ctx = newContext(json, debug);
  const program = buildProgram(ctx);
  if (argv.length === 0) {
    process.stderr.write(program.helpInformation());
    return EXIT.usage;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.success;
      if (err.code === 'commander.help' || err.code === 'commander.executeSubCommandAsync') return EXIT.usage;
      return reportUsage(err.message, ctx);
    }
    return reportError(err, ctx);
  }
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/** Entry point of bin/synapse-doctor.js: runs, flushes output, exits with the code. */
export async function main(argv: string[]): Promise<void> {
  // `synapse-doctor … | head`: a closed pipe ends the output, not with a stack trace
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.success);
      throw e;
    });
  }
  process.once('SIGINT', () => {
    process.stderr.write('synapse-doctor: interrupted\n');
    process.exit(EXIT.interrupted);
  });
  const code = await run(argv);
  process.exitCode = code;
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}
