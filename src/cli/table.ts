/**
 * Aligned plain-text tables for human output. Cells are sanitised first: event content is hostile,
 * and a room name must not be able to move the cursor or recolour the terminal.
 */
import { printable } from '../text/printable.js';

export { printable };

export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align?: Align;
  /** Longer cells are cut with an ellipsis. */
  maxWidth?: number;
}

function cut(text: string, max: number | undefined): string {
  const chars = [...text];
  if (max === undefined || chars.length <= max) return text;
  return chars.slice(0, Math.max(0, max - 1)).join('') + '…';
}

function width(text: string): number {
  return [...text].length;
}

function pad(text: string, size: number, align: Align): string {
  const gap = ' '.repeat(Math.max(0, size - width(text)));
  return align === 'right' ? gap + text : text + gap;
}

/** Renders rows under headers, two spaces between columns, no trailing spaces. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly (string | number | null)[])[]): string {
  const cells = rows.map((row) =>
    columns.map((col, i) => {
      const v = row[i];
      return cut(printable(v === null || v === undefined ? '-' : String(v)), col.maxWidth);
    }),
  );
  const widths = columns.map((col, i) => Math.max(width(col.header), ...cells.map((r) => width(r[i]))));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => pad(v, widths[i], columns[i].align ?? 'left'))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** Two-column "label  value" lines, labels padded to the same width. */
export function renderPairs(pairs: readonly (readonly [string, string | number])[]): string {
  const w = Math.max(0, ...pairs.map(([k]) => width(k)));
  return pairs.map(([k, v]) => `${pad(k, w, 'left')}  ${printable(String(v))}`.trimEnd()).join('\n') + '\n';
}
