/**
 * The `pdu` capability: protocol tools on JSON documents given as text. Pure, no I/O. (Reading
 * their input from a Synapse database is ./stored.ts, kept out of this index.)
 */
export { pduCanonical } from './canonical.js';
export { pduEventId, type EventIdResult } from './event-id.js';
export { pduRedact } from './redact.js';
export { pduCheckHash, type CheckHashResult } from './check-hash.js';
export { pduSign, type SignOptions } from './sign.js';
export { pduVerify, parseKeyRing, mergeKeyRings, looksLikePdu, type SignatureCheck, type SignatureStatus, type VerifyResult } from './verify.js';
export { pduAuth, authInputConflict, type AuthOptions, type PduAuthResult } from './auth.js';
export { pduResolve, toPipeKey, fromPipeKey, type StateMapJson } from './resolve.js';
export { stringifyJson } from './json-text.js';
