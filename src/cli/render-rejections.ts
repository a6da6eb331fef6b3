/** Human rendering of the rejections report: per room, each chain's root, why, its dependents and the verdict. */
import type { ChainReport, EventExplanation, RejectedEventReport, RejectionsReport } from '../rejections/index.js';
import { printable } from './table.js';

const p = printable;

function iso(ts: number): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? `ts ${ts}` : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function counts(rec: Readonly<Record<string, number>>): string {
  const e = Object.entries(rec).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return e.length === 0 ? 'none' : e.map(([k, n]) => `${p(k)} ${n}`).join(', ');
}

function eventLine(e: RejectedEventReport): string {
  const key = e.state_key === null ? '' : ` [${p(JSON.stringify(e.state_key))}]`;
  return `${p(e.event_id)} ${p(e.type)}${key} from ${p(e.sender)} at ${iso(e.origin_server_ts)}`;
}

function outcome(o: { outcome: string; rule?: string }): string {
  return `${o.outcome}${o.rule ? ` (rule ${p(o.rule)})` : ''}`;
}

/** The five receipt checks of one event, one line each. */
export function checkLines(e: RejectedEventReport, indent: string): string[] {
  const s = e.classification.checks;
  const ok = (c: { ok: boolean | null; note: string }): string => (c.ok === null ? `not checked: ${p(c.note)}` : c.ok ? `ok (${p(c.note)})` : `FAILS: ${p(c.note)}`);
  return [
    `${indent}1 format:        ${ok(s.format)}`,
    `${indent}2 signatures:    ${ok(s.signatures)}`,
    `${indent}3 content hash:  ${ok(s.hash)}`,
    `${indent}4 auth events:   ${outcome(s.auth_events)}${s.auth_events_if_accepted ? `; with its rejected auth events taken as accepted: ${outcome(s.auth_events_if_accepted)}` : ''}`,
    `${indent}5 state before:  ${outcome(s.state_before)}${s.state_before.outcome === 'skipped' ? ` (${p(s.state_before.reason)})` : ''}`,
  ];
}

function chainLines(c: ChainReport, n: number): string[] {
  const r = c.root;
  const lines = [
    `  Chain ${n}: ${c.verdict === 'looks-wrong' ? 'LOOKS WRONG' : 'genuine'}`,
    `    root   ${eventLine(r)}`,
    `    class  ${r.class}: ${p(r.classification.explanation)}`,
  ];
  lines.push(...checkLines(r, '    '));
  if (c.dependents.count > 0) {
    lines.push(`    ${c.dependents.count} dependent${c.dependents.count === 1 ? '' : 's'} by type: ${counts(c.dependents.by_type)}`);
    lines.push(`    by sender's server: ${counts(c.dependents.by_server)}`);
  } else {
    lines.push('    no dependents');
  }
  lines.push(`    span   ${iso(c.span.from)} to ${iso(c.span.to)}`);
  if (c.accepted_meanwhile.length > 0) {
    lines.push('    still accepted meanwhile:');
    for (const a of c.accepted_meanwhile) lines.push(`      ${p(a.server)}: ${a.events} event${a.events === 1 ? '' : 's'}${a.power_levels.length ? `, citing power levels ${a.power_levels.map(p).join(', ')}` : ''}`);
  }
  lines.push(`    verdict: ${p(c.verdict_text)}`);
  return lines;
}

export function renderRejectionsText(report: RejectionsReport): string {
  const lines: string[] = [];
  const t = report.totals;
  lines.push(`${t.rejected} rejected event${t.rejected === 1 ? '' : 's'} in ${report.rooms.length} room${report.rooms.length === 1 ? '' : 's'}; ${t.chains} chain${t.chains === 1 ? '' : 's'}, ${t.looks_wrong} that look${t.looks_wrong === 1 ? 's' : ''} wrong`);
  for (const room of report.rooms) {
    lines.push('', `Room ${p(room.room_id)} (version ${p(room.room_version ?? '?')}): ${room.rejected} rejected (${counts(room.by_class)})`);
    room.chains.forEach((c, i) => lines.push(...chainLines(c, i + 1)));
    if (room.unattached.length > 0) {
      lines.push(`  ${room.unattached.length} rejected event${room.unattached.length === 1 ? '' : 's'} in no chain:`);
      for (const e of room.unattached.slice(0, 10)) lines.push(`    ${eventLine(e)}: ${e.class}: ${p(e.classification.explanation)}`);
      if (room.unattached.length > 10) lines.push(`    … and ${room.unattached.length - 10} more (--json lists them all)`);
    }
  }
  if (t.looks_wrong > 0) {
    lines.push('', 'A chain that looks wrong can be cured room by room (coming next: `unreject --room ROOM --root EVENT_ID`).');
  }
  return lines.join('\n') + '\n';
}

function relatedLine(e: EventExplanation['auth_events'][number]): string {
  if (!e.stored) return `${p(e.event_id)}  NOT STORED here`;
  const key = e.state_key === null || e.state_key === undefined ? '' : ` [${p(JSON.stringify(e.state_key))}]`;
  const status = e.rejected ? `REJECTED (${p(e.rejected)})` : e.outlier ? 'accepted, outlier' : 'accepted';
  return `${p(e.event_id)}  ${p(e.type ?? '?')}${key} from ${p(e.sender ?? '?')}: ${status}`;
}

export function renderExplanationText(x: EventExplanation): string {
  const lines: string[] = [];
  const key = x.state_key === null ? '' : ` [${p(JSON.stringify(x.state_key))}]`;
  lines.push(`${p(x.event_id)}  ${p(x.type)}${key} from ${p(x.sender)}`);
  lines.push(`  room ${p(x.room_id)} (version ${p(x.room_version ?? '?')}), depth ${x.depth}, stream ordering ${x.stream_ordering}, sent ${iso(x.origin_server_ts)}`);
  const where = [
    x.rejected ? `REJECTED (${p(x.rejected)})` : 'accepted',
    x.outlier ? 'an outlier' : 'in the timeline',
    ...(x.soft_failed ? ['soft-failed'] : []),
    x.in_current_state ? 'in the current state' : x.state_key !== null ? 'not in the current state' : '',
    ...(x.forward_extremity ? ['a forward extremity'] : []),
    ...(x.redacted_by.length ? [`redacted by ${x.redacted_by.map((r) => `${p(r.event_id)}${r.have_censored ? ' (pruned)' : ''}`).join(', ')}`] : []),
  ].filter((s) => s !== '');
  lines.push(`  ${where.join('; ')}`);
  const c = x.checks;
  if (x.rejected) lines.push(`  why: ${c.class}: ${p(c.explanation)}`);
  else lines.push(`  re-checked now: ${c.class === 'unexplained' ? 'passes every check on receipt' : p(c.explanation)}`);
  lines.push('  checks on receipt, in the spec\'s order:');
  lines.push(...checkLines({ classification: c } as RejectedEventReport, '    '));
  lines.push(`  auth events (${x.auth_events.length}):`);
  for (const a of x.auth_events) lines.push(`    ${relatedLine(a)}`);
  lines.push(`  prev events (${x.prev_events.length}):`);
  for (const a of x.prev_events) lines.push(`    ${relatedLine(a)}`);
  if (x.state_group === null) lines.push('  state group: none (an outlier, or not stored)');
  else {
    const which = x.state_group_holds_event
      ? `holds this event: the state after it${x.rejected ? ', as written when it was still accepted' : ''}`
      : x.rejected ? 'the state before it, as Synapse maps a rejected event' : 'the state after it';
    lines.push(`  state group ${x.state_group} (${which}), for the keys its authorization depends on:`);
    for (const s of x.state_for_auth) lines.push(`    ${p(s.type)} [${p(JSON.stringify(s.state_key))}]: ${s.event_id === null ? 'none' : `${p(s.event_id)}${s.rejected ? ` REJECTED (${p(s.rejected)})` : ''}`}`);
  }
  return lines.join('\n') + '\n';
}
