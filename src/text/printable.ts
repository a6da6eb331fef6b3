/**
 * Event content is hostile: anything we echo to a terminal (room names in tables, event ids and
 * reasons in messages) goes through `printable` first, so it cannot move the cursor, recolour the
 * terminal, reorder text with bidi overrides or break a line.
 */

// C0/C1 controls, DEL, line/paragraph separators, bidi marks, embeddings, overrides and isolates, BOM
// and lone surrogates.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` with every unprintable character written as a visible `\uXXXX` escape. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
