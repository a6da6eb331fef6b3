/** Human rendering of a room's forward extremities: one table row each, newest first, then how far the ancestry walk went. */
import type { Extremity, ExtremityListing } from '../extremities/index.js';
import { extremityFlags } from '../extremities/index.js';
import { printable, renderTable } from './table.js';

/** A duration in ms as its two largest units ("3d 4h", "12m 5s", "40s"); negative: the event claims a time in the future. */
export function formatAge(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 0) return `in ${formatAge(-ms)}`;
  const units: Array<[string, number]> = [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]];
  const seconds = Math.floor(ms / 1000);
  const first = units.findIndex(([, size]) => seconds >= size);
  if (first < 0) return '0s';
  const [name, size] = units[first]!;
  const major = Math.floor(seconds / size);
  const next = units[first + 1];
  const minor = next ? Math.floor((seconds - major * size) / next[1]) : 0;
  return next && minor > 0 ? `${major}${name} ${minor}${next[0]}` : `${major}${name}`;
}

function what(x: Extremity): string {
  if (x.missing) return '(not in events)';
  return `${x.type ?? '?'}${x.state_key !== null ? ` [${x.state_key}]` : ''}`;
}

export function renderExtremitiesText(listing: ExtremityListing): string {
  const head = `Room ${printable(listing.room_id)}: ${listing.count} forward ${listing.count === 1 ? 'extremity' : 'extremities'}${listing.count > 1 ? ' (newest first, by stream ordering)' : ''}\n`;
  if (listing.count === 0) return head;
  const table = renderTable(
    [
      { header: 'event_id', maxWidth: 48 },
      { header: 'sender', maxWidth: 40 },
      { header: 'depth', align: 'right' },
      { header: 'stream', align: 'right' },
      { header: 'age', align: 'right' },
      { header: 'type', maxWidth: 48 },
      { header: 'flags' },
    ],
    listing.extremities.map((x) => [x.event_id, x.sender, x.depth, x.stream_ordering, formatAge(x.age_ms), what(x), extremityFlags(x).join(', ') || null]),
  );
  const w = listing.walk;
  const walk = listing.count < 2
    ? ''
    : w.complete
      ? `Ancestry: walked ${w.visited} events back to depth ${w.min_depth}; has-descendant = another extremity descends from it.\n`
      : `Ancestry: stopped after ${w.visited} events (--walk-limit ${w.limit}) above depth ${w.min_depth}; descendant? = not known (raise --walk-limit).\n`;
  const descendants = listing.extremities.filter((x) => x.has_descendant === true);
  const lines = descendants.map((x) => `  ${printable(x.event_id)} is an ancestor of ${printable(x.descendant ?? '?')}\n`).join('');
  return head + table + walk + lines;
}
