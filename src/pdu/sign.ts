/**
 * `pdu sign`: signs a JSON object, or (with a room version) hashes and signs an event.
 * https://spec.matrix.org/v1.16/appendices/#signing-json
 * https://spec.matrix.org/v1.16/server-server-api/#adding-hashes-and-signatures-to-outgoing-events
 *
 * The key is a Base64 seed with its key id, or Synapse's `signing.key` file (`ed25519 VERSION SEED`
 * per line; the first key signs, as in Synapse, unless a key id picks another). No message ever
 * quotes a seed.
 */
import { SynapseDoctorError } from '../errors.js';
import { decodeBase64 } from '../matrix/base64.js';
import type { JsonObject } from '../matrix/pdu.js';
import { signEvent, signJson } from '../matrix/signatures.js';
import { parseSigningKeyFile, signingKeyFromSeed, type SigningKey } from '../matrix/signing-key.js';
import { asInput, parseObject, rulesFor } from './json-text.js';

export interface SignOptions {
  /** Unpadded Base64 of the 32-byte Ed25519 seed (as in Synapse's signing key file); needs `keyId`. */
  seed?: string;
  /** The text of a Synapse `signing.key` file, instead of `seed`. */
  signingKeyFile?: string;
  server: string;
  /** `ed25519:<version>`: the key id of `seed`, or which key of `signingKeyFile` signs (default: its first). */
  keyId?: string;
  /** When given, the input is an event of this room version. */
  roomVersion?: string;
}

const KEY_ID = /^ed25519:[A-Za-z0-9_]+$/;

function usage(message: string, cause?: unknown): SynapseDoctorError {
  return new SynapseDoctorError('USAGE', message, cause === undefined ? {} : { cause });
}

function checkKeyId(keyId: string): void {
  if (!KEY_ID.test(keyId)) throw usage(`--key-id must look like ed25519:<version> (letters, digits, _), got ${JSON.stringify(keyId)}`);
}

function keyFromFile(text: string, options: SignOptions): SigningKey {
  // the file's contents are a private key: its errors name a line, never its text
  const keys = asInput('signing key file', () => parseSigningKeyFile(text, options.server));
  if (options.keyId === undefined) return keys[0]!;
  checkKeyId(options.keyId);
  const key = keys.find((k) => k.keyId === options.keyId);
  if (!key) throw usage(`--key-id ${options.keyId}: the signing key file holds ${keys.map((k) => k.keyId).join(', ')}`);
  return key;
}

function keyFrom(options: SignOptions): SigningKey {
  if (options.server === '') throw usage('--server must not be empty');
  if (options.seed !== undefined && options.signingKeyFile !== undefined) throw usage('give either --seed or --signing-key, not both');
  if (options.signingKeyFile !== undefined) return keyFromFile(options.signingKeyFile, options);
  if (options.seed === undefined) throw usage("give the key: --signing-key FILE (Synapse's signing.key) or --seed BASE64 with --key-id ed25519:ID");
  if (options.keyId === undefined) throw usage('--seed needs --key-id ed25519:ID');
  let seed: Uint8Array;
  try {
    seed = decodeBase64(options.seed.trim());
  } catch (e) {
    throw usage('--seed must be the Base64 of a 32-byte ed25519 seed', e);
  }
  if (seed.length !== 32) throw usage(`--seed must decode to 32 bytes, got ${seed.length}`);
  checkKeyId(options.keyId);
  return signingKeyFromSeed(options.server, options.keyId, seed);
}

export function pduSign(text: string, options: SignOptions): JsonObject {
  const key = keyFrom(options);
  const rules = options.roomVersion === undefined ? undefined : rulesFor(options.roomVersion);
  const obj = parseObject(text, rules ? 'event' : 'input');
  return asInput(rules ? 'event' : 'input', () => (rules ? signEvent(obj, key, rules) : signJson(obj, key)));
}
