/**
 * `pdu redact`: the redacted form of an event under a room version's redaction algorithm.
 * https://spec.matrix.org/v1.16/client-server-api/#redactions
 */
import type { JsonObject } from '../matrix/pdu.js';
import { redactEvent } from '../matrix/redaction.js';
import { asInput, parseObject, rulesFor } from './json-text.js';

export function pduRedact(text: string, roomVersion: string): JsonObject {
  const rules = rulesFor(roomVersion);
  const event = parseObject(text, 'event');
  return asInput('event', () => redactEvent(event, rules));
}
