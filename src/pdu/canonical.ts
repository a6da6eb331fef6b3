/**
 * `pdu canonical`: the canonical JSON form of a document.
 * https://spec.matrix.org/v1.16/appendices/#canonical-json
 */
import { canonicalJson } from '../matrix/canonical-json.js';
import { asInput, parseDocument } from './json-text.js';

/** Canonical JSON of any JSON document; malformed input when the value cannot be canonical. */
export function pduCanonical(text: string): string {
  const value = parseDocument(text, 'input');
  return asInput('cannot be canonical JSON', () => canonicalJson(value));
}
