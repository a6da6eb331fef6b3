/** Human rendering of the inspect report: a summary, one table of rooms, then per-room details. */
import type { InspectReport, RoomReport } from '../inspect/index.js';
import { printable, renderPairs, renderTable } from './table.js';

function counts(rec: Record<string, number>): string {
  const entries = Object.entries(rec).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${printable(k)} ${n}`).join(', ');
}

function listSome(names: readonly string[], max: number): string {
  const shown = names.slice(0, max).map(printable).join(', ');
  return names.length > max ? `${shown}, … (${names.length - max} more; --json lists all)` : shown;
}

function time(t: RoomReport['oldest_event']): string | null {
  if (t === null) return null;
  return t.iso === null ? `ts ${t.origin_server_ts}` : t.iso.replace(/\.\d{3}Z$/, 'Z');
}

function details(r: RoomReport): string[] {
  const lines = [`${printable(r.room_id)}${r.name === null ? '' : `  "${printable(r.name)}"`}`];
  lines.push(`  joined members by server: ${counts(r.joined_members.by_server)}`);
  if (r.rejected_events.total > 0) lines.push(`  rejected events by reason: ${counts(r.rejected_events.by_reason)}`);
  const d = r.rejection_disagreements;
  if (d.only_in_events + d.only_in_rejections + d.reason_differs > 0) {
    lines.push(
      `  events.rejection_reason disagrees with the rejections table: ${d.only_in_events} only in events, ` +
        `${d.only_in_rejections} only in rejections, ${d.reason_differs} with a different reason (Synapse follows the rejections table)`,
    );
  }
  return lines;
}

export function renderInspectText(report: InspectReport, options: { details: boolean }): string {
  const db = report.database;
  const bg = report.background_updates;
  const schema = db.schema_version === null ? 'unknown' : `${db.schema_version} (compat ${db.compat_version ?? 'unknown'})`;
  let out = renderPairs([
    ['database', `${db.engine} ${db.description}`],
    ['schema', schema],
    ['background updates', bg.pending === 0 ? 'none pending' : `${bg.pending} pending: ${listSome(bg.names, 6)}`],
    ['rooms', report.totals.rooms],
    ['events', report.totals.events],
    ['rejected events', report.totals.rejected_events],
  ]);
  if (report.rooms.length === 0) return out + '\nno rooms\n';
  out +=
    '\n' +
    renderTable(
      [
        { header: 'ROOM', maxWidth: 48 },
        { header: 'VERSION' },
        { header: 'NAME', maxWidth: 30 },
        { header: 'JOINED', align: 'right' },
        { header: 'EVENTS', align: 'right' },
        { header: 'REJECTED', align: 'right' },
        { header: 'SOFT-FAILED', align: 'right' },
        { header: 'EXTREMITIES', align: 'right' },
        { header: 'OLDEST' },
        { header: 'NEWEST' },
      ],
      report.rooms.map((r) => [
        r.room_id,
        r.room_version,
        r.name,
        r.joined_members.total,
        r.events,
        r.rejected_events.total,
        r.soft_failed_events,
        r.forward_extremities,
        time(r.oldest_event),
        time(r.newest_event),
      ]),
    );
  const shown = options.details ? report.rooms : report.rooms.filter((r) => r.rejected_events.total > 0);
  const limited = shown.slice(0, 50);
  if (limited.length > 0) out += '\n' + limited.flatMap(details).join('\n') + '\n';
  if (shown.length > limited.length) out += `… and ${shown.length - limited.length} more rooms (use --room or --json)\n`;
  return out;
}
