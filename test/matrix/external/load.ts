// Loads the external (other implementations') vector files in test/vectors/external/.
import { readFileSync } from 'node:fs';

export function loadExternal<T>(name: string): T & { source: string } {
  const data = JSON.parse(readFileSync(new URL(`../../vectors/external/${name}`, import.meta.url), 'utf8')) as T & { source: string };
  if (typeof data.source !== 'string' || data.source === '') throw new Error(`${name} has no source`);
  return data;
}

/** The pdu commands print what `canonicalJson` would; compare parsed JSON for objects. */
export const ROOM_VERSION_IDS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];
