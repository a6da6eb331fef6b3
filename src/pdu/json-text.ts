/**
 * Reading and writing the JSON documents `pdu` commands take and print.
 *
 * Input is parsed with the protocol core's `parseJson`, which keeps integers beyond 2^53 exact (as
 * bigint) so hashes and ids of stored events stay right; output therefore needs a writer that
 * prints those bigints digit for digit, which JSON.stringify cannot.
 */
import { SynapseDoctorError } from '../errors.js';
import { parseJson } from '../matrix/canonical-json.js';
import { MatrixFormatError } from '../matrix/matrix-format-error.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../matrix/pdu.js';
import { roomVersionRules, type RoomVersionRules } from '../matrix/room-versions.js';
import { printable } from '../text/printable.js';

export { printable };

/** Malformed input to a pdu command (exit 2 on the command line); the message is made printable. */
export function malformed(message: string, cause?: unknown): SynapseDoctorError {
  return new SynapseDoctorError('BAD_EVENT_JSON', printable(message), cause === undefined ? {} : { cause });
}

/** Runs a protocol-core call, turning its MatrixFormatError into malformed-input errors. */
export function asInput<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MatrixFormatError) throw malformed(`${what}: ${e.message}`, e);
    throw e;
  }
}

/** Parses one JSON document; `what` names it in errors ("event", "keys file"). */
export function parseDocument(text: string, what: string): JsonValue {
  if (text.trim() === '') throw malformed(`${what}: empty input, expected one JSON document`);
  if (text.charCodeAt(0) === 0xfeff) throw malformed(`${what}: starts with a byte order mark (U+FEFF), which JSON does not allow`);
  return asInput(what, () => parseJson(text));
}


export function parseObject(text: string, what: string): JsonObject {
  const value = parseDocument(text, what);
  if (!isJsonObject(value)) throw malformed(`${what}: expected a JSON object, got ${kindOf(value)}`);
  return value;
}

export function parseArray(text: string, what: string): JsonValue[] {
  const value = parseDocument(text, what);
  if (!Array.isArray(value)) throw malformed(`${what}: expected a JSON array, got ${kindOf(value)}`);
  return value;
}

export function kindOf(value: JsonValue | undefined): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** The rules of a room version given on the command line; unknown versions are usage errors. */
export function rulesFor(version: string): RoomVersionRules {
  try {
    return roomVersionRules(version);
  } catch (e) {
    throw new SynapseDoctorError('USAGE', `--room-version: ${(e as Error).message}`, { cause: e });
  }
}

/** JSON text of a value that may hold bigints; `indent` 0 writes one line. */
export function stringifyJson(value: unknown, indent = 2): string {
  const nl = indent > 0 ? '\n' : '';
  const write = (v: unknown, depth: number): string => {
    if (typeof v === 'bigint') return v.toString();
    if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
    const inner = ' '.repeat(indent * (depth + 1));
    const outer = ' '.repeat(indent * depth);
    const sep = indent > 0 ? ': ' : ':';
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[${nl}${v.map((x) => inner + write(x, depth + 1)).join(`,${nl}`)}${nl}${outer}]`;
    }
    const keys = Object.keys(v);
    if (keys.length === 0) return '{}';
    const obj = v as Record<string, unknown>;
    return `{${nl}${keys.map((k) => `${inner}${JSON.stringify(k)}${sep}${write(obj[k], depth + 1)}`).join(`,${nl}`)}${nl}${outer}}`;
  };
  return write(value, 0);
}
