/**
 * A `--room` argument as an admin types it: a room id (`!…`) or a room alias (`#…:server`, looked
 * up in `room_aliases`, the aliases this server knows). Anything else is refused in one line.
 */
import { SynapseDoctorError } from '../../errors.js';
import type { ReadEngine } from '../engine/engine.js';
import { statement } from '../engine/engine.js';
import { printable } from '../../text/printable.js';

export async function resolveRoomArgument(engine: ReadEngine, text: string): Promise<string> {
  if (text === '') throw new SynapseDoctorError('USAGE', '--room is empty', { hint: "Give a room id ('!abc:example.org') or an alias ('#room:example.org'); quote them in the shell." });
  if (text.startsWith('!')) return text;
  if (text.startsWith('#')) {
    const row = await engine.queryOne<{ room_id: string }>(statement('SELECT room_id FROM room_aliases WHERE room_alias = ?', [text]));
    if (!row) throw new SynapseDoctorError('ROOM_NOT_FOUND', `room alias ${printable(text)} is not known to this server (room_aliases)`, { hint: 'Give the room id instead (in Element: Room settings, Advanced).' });
    return row.room_id;
  }
  throw new SynapseDoctorError('USAGE', `${printable(JSON.stringify(text))} is not a room id or alias: room ids start with ! and aliases with #`, {
    hint: "Quote it in the shell, e.g. --room '!abc:example.org' (a bare ! may be eaten by bash history expansion).",
  });
}
