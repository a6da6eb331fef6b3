/**
 * How the CLI talks: results on stdout (text or one JSON document), everything else on stderr,
 * failures as one line `synapse-doctor: <message>` (+ `hint: …`), passwords always masked.
 */
import { isSynapseDoctorError } from '../errors.js';
import { MatrixFormatError } from '../matrix/matrix-format-error.js';
import { EXIT, exitCodeForClass, type ExitCode } from './exit-codes.js';
import { scrub } from './mask.js';
import { packageVersion } from './version.js';

export interface CliContext {
  json: boolean;
  debug: boolean;
  /** Set by `pdu` commands: malformed input is a usage error there (exit 2). */
  malformedInputIsUsage: boolean;
  /** Exit code a successful command wants (0, or 1 for findings). */
  exitCode: ExitCode;
}

export function newContext(json: boolean, debug: boolean): CliContext {
  return { json, debug, malformedInputIsUsage: false, exitCode: EXIT.success };
}

export function writeOut(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

export function writeJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A warning on stderr (never on stdout, which may carry JSON). */
export function warn(_ctx: CliContext, message: string): void {
  process.stderr.write(`synapse-doctor: warning: ${oneLine(scrub(message))}\n`);
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ').trim();
}

interface Described {
  code: string;
  message: string;
  hint: string | null;
  exit: ExitCode;
}

function describe(err: unknown, ctx: CliContext): Described {
  if (isSynapseDoctorError(err)) {
    const malformed = err.code === 'BAD_EVENT_JSON' && ctx.malformedInputIsUsage;
    return {
      code: err.code,
      message: err.message,
      hint: err.hint ?? null,
      exit: malformed ? EXIT.usage : exitCodeForClass(err.exitClass),
    };
  }
  if (err instanceof MatrixFormatError) {
    return {
      code: 'BAD_EVENT_JSON',
      message: err.message,
      hint: null,
      exit: ctx.malformedInputIsUsage ? EXIT.usage : EXIT.input,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    code: 'INTERNAL',
    message: `internal error: ${message}`,
    hint: `this is a bug, please report it with the version (synapse-doctor ${packageVersion()}, node ${process.version}) and the command you ran (--debug shows the stack)`,
    exit: EXIT.internal,
  };
}

function causeChain(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    if (current instanceof Error) {
      parts.push(depth === 0 ? (current.stack ?? current.message) : `caused by: ${current.stack ?? current.message}`);
      current = (current as { cause?: unknown }).cause;
    } else {
      parts.push(`caused by: ${String(current)}`);
      break;
    }
  }
  return parts.join('\n');
}

/** Prints a failure the one way the CLI prints failures and returns its exit code. */
export function reportError(err: unknown, ctx: CliContext): ExitCode {
  const d = describe(err, ctx);
  const message = oneLine(scrub(d.message));
  const hint = d.hint === null ? null : oneLine(scrub(d.hint));
  let text = `synapse-doctor: ${message}\n`;
  if (hint !== null) text += `hint: ${hint}\n`;
  if (ctx.debug) text += scrub(causeChain(err)) + '\n';
  process.stderr.write(text);
  if (ctx.json) writeJson({ error: { code: d.code, message, hint } });
  return d.exit;
}

/** A usage error found by the argument parser (unknown flag, missing argument). */
export function reportUsage(message: string, ctx: CliContext): ExitCode {
  const line = oneLine(scrub(message.replace(/^error:\s*/, '')));
  const hint = 'run synapse-doctor --help (or synapse-doctor <command> --help) for usage';
  process.stderr.write(`synapse-doctor: ${line}\nhint: ${hint}\n`);
  if (ctx.json) writeJson({ error: { code: 'USAGE', message: line, hint } });
  return EXIT.usage;
}
