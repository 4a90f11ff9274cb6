import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type { Problem } from '../core/errors.js';
import { EventInputSchema } from '../domain/event-schema.js';
import type { LineRecord } from './stream-ingest.js';

const FIELDS = new Set(Object.keys(EventInputSchema.properties));
const NUMERIC = new Set(['amount']);

export class CsvHeaderError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.message);
    this.problem = problem;
  }
}

/**
 * CSV rows as event objects: a header row names the event fields; `attributes.NAME` columns fill
 * `attributes`. Empty cells are left out. An unknown column stops the import at the header, before
 * any row is stored, rather than refusing every row for the same reason.
 */
export async function* csvRecords(source: Readable): AsyncGenerator<LineRecord> {
  const skipped: LineRecord[] = [];
  let header: string[] | undefined;
  const parser = source.pipe(
    parse({
      columns: (names: string[]) => {
        header = names.map((n) => n.trim());
        const unknown = header.find((n) => !FIELDS.has(n) && !n.startsWith('attributes.'));
        if (unknown !== undefined) {
          throw new CsvHeaderError({
            code: 'unknown_field',
            message: `Unknown column "${unknown}" in the header; columns are event fields (${[...FIELDS].join(', ')}) or attributes.NAME.`,
            line: 1,
          });
        }
        return header;
      },
      info: true,
      bom: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        const line = (error as { lines?: number } | undefined)?.lines ?? 0;
        skipped.push({ line, problem: { code: 'invalid_event', message: `Line ${line}: ${error?.message ?? 'malformed CSV'}.`, line } });
      },
    }),
  );
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    while (skipped.length > 0) yield skipped.shift() as LineRecord;
    yield { line: info.lines, value: toEvent(record) };
  }
  while (skipped.length > 0) yield skipped.shift() as LineRecord;
}

function toEvent(row: Record<string, string>): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  let attributes: Record<string, unknown> | undefined;
  for (const [column, cell] of Object.entries(row)) {
    if (cell === '') continue;
    if (column.startsWith('attributes.')) {
      attributes ??= {};
      attributes[column.slice('attributes.'.length)] = cell;
    } else if (column === 'attributes') {
      try {
        attributes = { ...attributes, ...(JSON.parse(cell) as Record<string, unknown>) };
      } catch {
        event.attributes = cell; // refused by validation with the field named
      }
    } else if (NUMERIC.has(column)) {
      const n = Number(cell);
      // A cell that is not a plain number is passed on as text, so validation names the field.
      event[column] = /^-?\d+(\.\d+)?$/.test(cell.trim()) ? n : cell;
    } else event[column] = cell;
  }
  if (attributes) event.attributes = attributes;
  return event;
}
