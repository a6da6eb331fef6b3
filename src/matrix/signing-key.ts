/**
 * Ed25519 server signing keys, built on node:crypto.
 * Appendices, "Signing Details" (key identifiers `ed25519:<version>`):
 * https://spec.matrix.org/v1.16/appendices/#signing-details
 * Server-Server API, "Retrieving server keys": https://spec.matrix.org/v1.16/server-server-api/#retrieving-server-keys
 *
 * Node's ed25519 only takes keys as DER/PEM/JWK, so the 32-byte seed is wrapped in a PKCS#8 DER
 * envelope (RFC 8410) and a raw public key in an SPKI DER envelope. The node KeyObjects are cached
 * per seed/public-key array so that signing or verifying millions of events does not rebuild them.
 */
import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64.js';
import { sha256 } from './hashes.js';
import { MatrixFormatError } from './matrix-format-error.js';

export interface SigningKey {
  /** The server whose name goes under `signatures`. */
  serverName: string;
  /** Key identifier, algorithm included: `ed25519:1`. */
  keyId: string;
  /** The 32-byte Ed25519 seed (the private key as Matrix and signedjson store it). */
  seed: Uint8Array;
  /** The 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const privateKeys = new WeakMap<Uint8Array, KeyObject>();
const publicKeys = new WeakMap<Uint8Array, KeyObject>();

/** The node KeyObject for a 32-byte seed (cached per array). */
export function privateKeyObject(seed: Uint8Array): KeyObject {
  let key = privateKeys.get(seed);
  if (!key) {
    if (!(seed instanceof Uint8Array) || seed.length !== 32) {
      throw new MatrixFormatError('an ed25519 seed must be 32 bytes');
    }
    key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    privateKeys.set(seed, key);
  }
  return key;
}

/** The node KeyObject for a raw 32-byte public key (cached per array). */
export function publicKeyObject(publicKey: Uint8Array): KeyObject {
  let key = publicKeys.get(publicKey);
  if (!key) {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
      throw new MatrixFormatError('an ed25519 public key must be 32 bytes');
    }
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
    publicKeys.set(publicKey, key);
  }
  return key;
}

function normaliseKeyId(keyId: string): string {
  if (typeof keyId !== 'string' || keyId === '') throw new MatrixFormatError('a key id must be a non-empty string');
  if (!keyId.includes(':')) return `ed25519:${keyId}`; // a bare version, as Synapse's config writes it
  if (!keyId.startsWith('ed25519:')) throw new MatrixFormatError(`unsupported signing algorithm in key id ${JSON.stringify(keyId)}`);
  return keyId;
}

/**
 * A signing key from its 32-byte seed. `keyId` is `ed25519:<version>`; a bare version is prefixed
 * with `ed25519:`. https://spec.matrix.org/v1.16/appendices/#signing-details
 */
export function signingKeyFromSeed(serverName: string, keyId: string, seed: Uint8Array): SigningKey {
  const id = normaliseKeyId(keyId);
  const ownSeed = Uint8Array.from(seed);
  const spki = createPublicKey(privateKeyObject(ownSeed)).export({ format: 'der', type: 'spki' });
  const publicKey = Uint8Array.from(spki.subarray(spki.length - 32));
  return { serverName, keyId: id, seed: ownSeed, publicKey };
}

/** A fresh random key; the default key id is `ed25519:a_` + 4 random letters, like Synapse's. */
export function generateSigningKey(serverName: string, keyId?: string): SigningKey {
  const id = keyId ?? `ed25519:a_${randomLetters(4)}`;
  return signingKeyFromSeed(serverName, id, randomBytes(32));
}

function randomLetters(n: number): string {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return [...randomBytes(n)].map((b) => letters[b % letters.length]).join('');
}

/**
 * A deterministic key whose seed is sha256(text): the same text always yields the same key, for
 * reproducible simulations and fixtures. Never use it for a real server.
 */
export function signingKeyFromString(serverName: string, keyId: string, text: string): SigningKey {
  return signingKeyFromSeed(serverName, keyId, sha256(text));
}

/** The public key as unpadded Base64, the form `verify_keys` publish. */
export function publicKeyBase64(key: SigningKey): string {
  return encodeBase64(key.publicKey);
}

/** A key version as the spec allows it in a key id (`ed25519:<version>`): letters, digits and `_`. */
const KEY_VERSION = /^[A-Za-z0-9_]+$/;

/**
 * The keys of a Synapse `signing.key` file (signedjson `read_signing_keys`, the file Synapse's
 * `signing_key_path` names): one key per line, `ALGORITHM VERSION SEED`, e.g.
 * `ed25519 a_AbCd <unpadded Base64 of the 32-byte seed>`. Synapse signs with the first key. Blank
 * lines are passed over (signedjson would refuse them); only ed25519 exists. The file does not name
 * the server: `serverName` does. Throws MatrixFormatError naming the line; the message never quotes a
 * seed (this is a private key).
 * https://spec.matrix.org/v1.16/appendices/#signing-details
 */
export function parseSigningKeyFile(text: string, serverName: string): SigningKey[] {
  if (typeof text !== 'string') throw new MatrixFormatError('a signing key file must be text');
  if (text.includes('-----BEGIN')) {
    throw new MatrixFormatError("this is a PEM file (Dendrite's or Conduit's key format); expected Synapse's signing.key: one line \"ed25519 VERSION SEED\"");
  }
  const keys: SigningKey[] = [];
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/);
  lines.forEach((line, i) => {
    const fields = line.trim().split(/[ \t]+/).filter((f) => f !== '');
    if (fields.length === 0) return;
    const where = `line ${i + 1}`;
    if (fields.length !== 3) throw new MatrixFormatError(`${where}: expected "ed25519 VERSION SEED" (3 fields), got ${fields.length}`);
    const [algorithm, version, seedText] = fields as [string, string, string];
    if (algorithm !== 'ed25519') throw new MatrixFormatError(`${where}: unsupported algorithm ${JSON.stringify(algorithm.slice(0, 40))} (only ed25519 signing keys exist)`);
    if (!KEY_VERSION.test(version)) throw new MatrixFormatError(`${where}: the key version must be letters, digits and _, got ${JSON.stringify(version.slice(0, 40))}`);
    let seed: Uint8Array;
    try {
      seed = decodeBase64(seedText);
    } catch {
      throw new MatrixFormatError(`${where}: the seed is not Base64`);
    }
    if (seed.length !== 32) throw new MatrixFormatError(`${where}: the seed must decode to 32 bytes, got ${seed.length}`);
    keys.push(signingKeyFromSeed(serverName, `ed25519:${version}`, seed));
  });
  if (keys.length === 0) throw new MatrixFormatError('no key in the signing key file (expected a line "ed25519 VERSION SEED")');
  return keys;
}

/** The text of a `signing.key` file holding `keys` (the format parseSigningKeyFile reads, as Synapse writes it). */
export function formatSigningKeyFile(keys: readonly SigningKey[]): string {
  return keys.map((k) => `ed25519 ${k.keyId.slice('ed25519:'.length)} ${encodeBase64(k.seed)}\n`).join('');
}
