/**
 * Human rendering of the inspect report: a summary, one table of rooms, then per-room details
 * (with each room's findings and why they matter).
 */
import type { Finding, InspectReport, RoomReport } from '../inspect/index.js';
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

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Where the findings are: "2 rooms", "the database", "1 room and the database". */
function where(rooms: number, database: boolean): string {
  return [...(rooms > 0 ? [`in ${plural(rooms, 'room')}`] : []), ...(database ? ['the database'] : [])].join(' and ');
}

function findingLines(f: Finding, indent: string): string[] {
  const what = f.id === 'integrity-check-failed' ? plural(f.count, 'problem') : plural(f.count, 'event');
  const sample = f.sample_event_ids.length === 0 ? '' : `: ${f.sample_event_ids.map(printable).join(', ')}${f.count > f.sample_event_ids.length ? ', …' : ''}`;
  const cited = f.cited_event_ids === undefined || f.cited_event_ids.length === 0 ? '' : `; citing ${f.cited_event_ids.map(printable).join(', ')}`;
  return [`${indent}finding ${f.id}: ${what}${sample}${cited}`, `${indent}  why: ${f.why}`];
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
  if (r.outliers.total > 0 || r.backward_extremities > 0) {
    lines.push(
      `  outliers: ${r.outliers.total} (${r.outliers.negative_stream_ordering} with a negative stream ordering); ` +
        `backward extremities: ${r.backward_extremities}`,
    );
  }
  const oldest = time(r.oldest_event);
  const timelineOldest = time(r.oldest_timeline_event);
  if (r.outliers.total > 0) {
    const from = timelineOldest === null ? 'no timeline events' : `timeline from ${timelineOldest} to ${time(r.newest_timeline_event)}`;
    const older = oldest !== null && oldest !== timelineOldest ? `; the oldest stored event (${oldest}) is an outlier: history before the timeline is missing here` : '';
    lines.push(`  ${from}${older}`);
  }
  for (const f of r.findings) lines.push(...findingLines(f, '  '));
  const c = r.non_state_auth_check;
  if (c !== null && !c.complete) {
    lines.push(`  (auth events of non-state events read for ${c.checked_events} events only: the read window ended before the room did; state events were all checked)`);
  }
  return lines;
}

function integrityLine(report: InspectReport): string | undefined {
  const c = report.integrity_check;
  if (c === null) return undefined;
  if (!c.applicable) return `not applicable: ${c.note ?? 'this engine has no such check'}`;
  if (c.ok) return `ok (${c.method})`;
  return `${plural(c.problems.length, 'problem')} (${c.method}): ${c.problems.map(printable).join('; ')}`;
}

export function renderInspectText(report: InspectReport, options: { details: boolean; limit?: number }): string {
  const db = report.database;
  const bg = report.background_updates;
  const schema = db.schema_version === null ? 'unknown' : `${db.schema_version} (compat ${db.compat_version ?? 'unknown'})`;
  const t = report.totals;
  const pairs: [string, string | number][] = [
    ['database', `${db.engine} ${db.description}`],
    ['schema', schema],
    ['background updates', bg.pending === 0 ? 'none pending' : `${bg.pending} pending: ${listSome(bg.names, 6)}`],
    ['rooms', t.rooms],
    ['events', t.events],
    ['rejected events', t.rejected_events],
    ['findings', t.findings === 0 ? 'none' : `${t.findings} (${where(t.rooms_with_findings, report.findings.length > 0)})`],
  ];
  const integrity = integrityLine(report);
  if (integrity !== undefined) pairs.push(['integrity check', integrity]);
  let out = renderPairs(pairs);
  for (const f of report.findings) out += findingLines(f, '').join('\n') + '\n';
  if (report.rooms.length === 0) {
    return out + (report.rooms_omitted > 0 ? `\n${report.rooms_omitted} rooms not shown (--limit)\n` : '\nno rooms\n');
  }
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
        { header: 'OUTLIERS', align: 'right' },
        { header: 'EXTREMITIES', align: 'right' },
        { header: 'BACKWARD', align: 'right' },
        { header: 'OLDEST' },
        { header: 'NEWEST' },
        { header: 'FINDINGS', align: 'right' },
      ],
      report.rooms.map((r) => [
        r.room_id,
        r.room_version,
        r.name,
        r.joined_members.total,
        r.events,
        r.rejected_events.total,
        r.soft_failed_events,
        r.outliers.total,
        r.forward_extremities,
        r.backward_extremities,
        time(r.oldest_timeline_event),
        time(r.newest_timeline_event),
        r.findings.length,
      ]),
    );
  if (report.rooms_omitted > 0) {
    out += `… ${plural(report.rooms_omitted, 'more room')} not shown (--limit${options.limit === undefined ? '' : ` ${options.limit}`}); the totals above count them\n`;
  }
  out += '(EXTREMITIES: forward, BACKWARD: backward extremities; OLDEST, NEWEST: timeline events, outliers left out)\n';
  const shown = options.details ? report.rooms : report.rooms.filter((r) => r.rejected_events.total > 0 || r.findings.length > 0);
  const limited = shown.slice(0, 50);
  if (limited.length > 0) out += '\n' + limited.flatMap(details).join('\n') + '\n';
  if (shown.length > limited.length) out += `… and ${shown.length - limited.length} more rooms (use --room or --json)\n`;
  return out;
}
