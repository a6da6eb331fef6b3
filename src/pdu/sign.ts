/**
 * `pdu sign`: signs a JSON object, or (with a room version) hashes and signs an event.
 * https://spec.matrix.org/v1.16/appendices/#signing-json
 * https://spec.matrix.org/v1.16/server-server-api/#adding-hashes-and-signatures-to-outgoing-events
 */
import { SynapseDoctorError } from '../errors.js';
import { decodeBase64 } from '../matrix/base64.js';
import type { JsonObject } from '../matrix/pdu.js';
import { signEvent, signJson } from '../matrix/signatures.js';
import { signingKeyFromSeed, type SigningKey } from '../matrix/signing-key.js';
import { asInput, parseObject, rulesFor } from './json-text.js';

export interface SignOptions {
  /** Unpadded Base64 of the 32-byte Ed25519 seed (as in Synapse's signing key file). */
  seed: string;
  server: string;
  /** `ed25519:<version>`. */
  keyId: string;
  /** When given, the input is an event of this room version. */
  roomVersion?: string;
}

function keyFrom(options: SignOptions): SigningKey {
  let seed: Uint8Array;
  try {
    seed = decodeBase64(options.seed.trim());
  } catch (e) {
    throw new SynapseDoctorError('USAGE', '--seed must be the Base64 of a 32-byte ed25519 seed', { cause: e });
  }
  if (seed.length !== 32) {
    throw new SynapseDoctorError('USAGE', `--seed must decode to 32 bytes, got ${seed.length}`);
  }
  if (!/^ed25519:[A-Za-z0-9_]+$/.test(options.keyId)) {
    throw new SynapseDoctorError('USAGE', `--key-id must look like ed25519:<version> (letters, digits, _), got ${JSON.stringify(options.keyId)}`);
  }
  if (options.server === '') throw new SynapseDoctorError('USAGE', '--server must not be empty');
  return signingKeyFromSeed(options.server, options.keyId, seed);
}

export function pduSign(text: string, options: SignOptions): JsonObject {
  const key = keyFrom(options);
  const rules = options.roomVersion === undefined ? undefined : rulesFor(options.roomVersion);
  const obj = parseObject(text, rules ? 'event' : 'input');
  return asInput(rules ? 'event' : 'input', () => (rules ? signEvent(obj, key, rules) : signJson(obj, key)));
}
