/**
 * `event_json.internal_metadata`: Synapse's JSON of per-event flags (`soft_failed`,
 * `recheck_redaction`, `out_of_band_membership`, …; synapse/events/__init__.py
 * `_EventInternalMetadata`). Stored text, read defensively: a row that does not parse has no flag.
 */
export function internalMetadataFlag(json: string, flag: string): boolean {
  try {
    const m = JSON.parse(json) as Record<string, unknown> | null;
    return m !== null && typeof m === 'object' && m[flag] === true;
  } catch {
    return false;
  }
}
