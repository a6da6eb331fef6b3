/**
 * Step 1 of the checks on receipt of a PDU, "is a valid event, otherwise it is dropped", as far as
 * the room version's JSON rules go:
 * https://spec.matrix.org/v1.16/server-server-api/#checks-performed-on-receipt-of-a-pdu
 *
 * Since room version 6, servers must strictly enforce canonical JSON: an event holding an integer
 * outside [-(2^53)+1, (2^53)-1] (anywhere in it, content included) is invalid,
 * https://spec.matrix.org/v1.16/rooms/v6/#canonical-json (Synapse: `validate_canonicaljson` in
 * synapse/events/utils.py, called from `event_from_pdu_json` when the room version has
 * `strict_canonicaljson`). Room versions 1–5 accept such integers.
 *
 * Differences from Synapse: none known for the integer rule. Synapse also refuses floats there;
 * canonical JSON cannot encode them at all, so every room version's hashing already refuses them.
 */
import { CANONICAL_JSON_MAX_INT, CANONICAL_JSON_MIN_INT } from './canonical-json.js';
import type { JsonValue } from './pdu.js';
import type { RoomVersionRules } from './room-versions.js';

export type EventFormatResult =
  | { readonly valid: true }
  | { readonly valid: false; readonly rule: 'event-format.integer-range'; readonly path: string; readonly reason: string };

const MAX = BigInt(CANONICAL_JSON_MAX_INT);
const MIN = BigInt(CANONICAL_JSON_MIN_INT);

function outOfRange(v: JsonValue): boolean {
  if (typeof v === 'bigint') return v > MAX || v < MIN;
  if (typeof v === 'number') return Number.isInteger(v) && (v > CANONICAL_JSON_MAX_INT || v < CANONICAL_JSON_MIN_INT);
  return false;
}

/** The first integer out of canonical JSON's range, with its path, or undefined. Iterative: hostile depth cannot overflow the stack. */
function findOutOfRange(root: JsonValue): { path: string; value: JsonValue } | undefined {
  const stack: Array<{ value: JsonValue; path: string }> = [{ value: root, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (outOfRange(value)) return { path: path || '(root)', value };
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i]!, path: `${path}[${i}]` });
    } else if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i]!;
        stack.push({ value: (value as Record<string, JsonValue>)[k]!, path: path ? `${path}.${k}` : k });
      }
    }
  }
  return undefined;
}

/** Is the event valid JSON for its room version (the integer rule of v6+)? */
export function checkEventFormat(event: JsonValue, rules: RoomVersionRules): EventFormatResult {
  if (!rules.strictCanonicalJson) return { valid: true };
  const bad = findOutOfRange(event);
  if (!bad) return { valid: true };
  return {
    valid: false,
    rule: 'event-format.integer-range',
    path: bad.path,
    reason: `${bad.path} holds ${String(bad.value)}, outside canonical JSON's integer range [-(2^53)+1, (2^53)-1], which room version ${rules.id} enforces`,
  };
}
