import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';

export const MINUTE_MS = 60_000;
/** Rows in one `POST /v1/monitor`: a week of six statuses fits, a runaway client does not. */
export const MAX_BATCH_ROWS = 10_000;
/**
 * Distinct statuses per source. Every status gets a baseline of its own and is counted as 0 in every
 * later minute, so a client sending random strings must not grow them without bound.
 */
export const MAX_STATUSES = 50;
/** The same tolerance as events: a minute that starts more than 5 minutes from now is a clock error. */
export const MAX_FUTURE_MS = 5 * MINUTE_MS;
/** Larger than any real minute of any shop; keeps counts exact in a double and in an integer column. */
export const MAX_COUNT = 1_000_000_000;

/** One status's count in one minute. `minute` is the minute's start, epoch milliseconds (UTC). */
export interface MinuteCount {
  readonly minute: number;
  readonly status: string;
  readonly count: number;
}

/** The fields of one row, whatever they came from: a JSON object (POST) or a CSV record (train). */
export const ROW_FIELDS = ['timestamp', 'status', 'count'] as const;
export type RowField = (typeof ROW_FIELDS)[number];

/** What is wrong with one row, before it is placed (a JSON index or a CSV line). */
export interface RowProblem {
  readonly field?: RowField | string;
  readonly code: Problem['code'];
  readonly message: string;
}

/**
 * Lower case, trimmed, and spaces or hyphens as underscores, so `Backend-Reversed ` and
 * `backend_reversed` are one status. Undefined when nothing usable is left.
 */
export function normaliseStatus(raw: string): string | undefined {
  const s = raw
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  return /^[a-z0-9][a-z0-9_.:]{0,63}$/.test(s) ? s : undefined;
}

// `2025-07-15 12:00:00` (the seed's format), `2025-07-15 12:00`, ISO 8601 `2025-07-15T12:00:00Z`,
// with an offset, or with fractions of a second that are zero.
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A minute's timestamp as epoch ms. A timestamp without a zone (the seed's `YYYY-MM-DD HH:MM:SS`)
 * is UTC: per-minute counts are exported from databases that keep UTC, and a server-local reading
 * would move every minute when Vigil moves. Seconds must be zero: counts are per whole minute.
 */
export function parseMinute(value: string): Result<number, string> {
  const m = TIMESTAMP.exec(value.trim());
  if (!m) return err(`"${value}" is not a date-time: use "YYYY-MM-DD HH:MM:SS" (UTC) or ISO 8601.`);
  const [year, month, day, hour, minute] = m.slice(1, 6).map(Number) as [number, number, number, number, number];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const fraction = m[7] === undefined ? 0 : Number(m[7]);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    return err(`"${value}" is not a valid date-time.`);
  }
  if (second !== 0 || fraction !== 0) return err(`"${value}" is not the start of a minute: counts are per whole minute (seconds 00).`);
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const sign = digits.startsWith('-') ? -1 : 1;
    const hh = Number(digits.slice(1, 3));
    const mm = Number(digits.slice(3, 5));
    if (hh > 23 || mm > 59) return err(`"${value}" has an invalid time zone offset.`);
    offsetMinutes = sign * (hh * 60 + mm);
  }
  return ok(Date.UTC(year, month - 1, day, hour, minute) - offsetMinutes * MINUTE_MS);
}

/**
 * Checks one row's three fields. `countAsText`: CSV cells are text, so `"120"` is the count 120
 * there, while JSON must send a number (a string count in JSON is a client bug worth naming).
 */
export function readRow(
  fields: Readonly<Record<string, unknown>>,
  options: { readonly countAsText: boolean; readonly now: number },
): Result<MinuteCount, RowProblem> {
  for (const field of ROW_FIELDS) {
    const v = fields[field];
    if (v === undefined || v === null || (options.countAsText && v === '')) {
      return err({ field, code: 'missing_field', message: `${field} is required.` });
    }
  }
  const { timestamp, status, count } = fields;
  if (typeof timestamp !== 'string') return err({ field: 'timestamp', code: 'invalid_timestamp', message: 'timestamp must be a string.' });
  const minute = parseMinute(timestamp);
  if (!minute.ok) return err({ field: 'timestamp', code: 'invalid_timestamp', message: minute.error });
  if (minute.value > options.now + MAX_FUTURE_MS) {
    return err({ field: 'timestamp', code: 'timestamp_in_future', message: `${timestamp} is more than 5 minutes ahead of Vigil's clock.` });
  }
  if (typeof status !== 'string') return err({ field: 'status', code: 'invalid_body', message: 'status must be a string.' });
  const normal = normaliseStatus(status);
  if (normal === undefined) {
    return err({
      field: 'status',
      code: 'invalid_body',
      message: `status "${status.slice(0, 80)}" is not a status name (letters, digits, _ . :, at most 64).`,
    });
  }
  if (normal === 'total') {
    return err({
      field: 'status',
      code: 'invalid_body',
      message: 'status "total" is reserved: Vigil judges the sum of all statuses under that name.',
    });
  }
  let n: number;
  if (options.countAsText && typeof count === 'string') {
    if (!/^\s*\d+\s*$/.test(count))
      return err({ field: 'count', code: 'invalid_body', message: `count "${count}" is not a whole number.` });
    n = Number(count);
  } else if (typeof count === 'number') {
    n = count;
  } else {
    return err({ field: 'count', code: 'invalid_body', message: 'count must be a number.' });
  }
  if (!Number.isInteger(n) || n < 0 || n > MAX_COUNT) {
    return err({ field: 'count', code: 'invalid_body', message: `count must be a whole number from 0 to ${MAX_COUNT} (got ${n}).` });
  }
  return ok({ minute: minute.value, status: normal, count: n });
}

/** A refused batch: the first problem, and every problem (at most `MAX_LISTED`) with its index. */
export interface BatchProblem {
  readonly problem: Problem;
  readonly errors: ReadonlyArray<Problem & { readonly index: number }>;
}

const MAX_LISTED = 100;

/**
 * The body of `POST /v1/monitor`: the seed's array of `{timestamp, status, count}`. All or nothing:
 * a batch with any bad row is refused whole, so nothing is learned from it. Paths are JSON pointers
 * into the body (`/3/count`). Two rows for the same minute and status are refused too: summing them
 * would hide a client sending a minute twice.
 */
export function readBatch(body: unknown, now: number, knownStatuses: ReadonlySet<string>): Result<MinuteCount[], BatchProblem> {
  if (!Array.isArray(body)) {
    const problem: Problem = {
      code: 'invalid_body',
      message: 'The body is a JSON array of per-minute counts: [{"timestamp":"2025-07-15 12:00:00","status":"approved","count":120}, …].',
    };
    return err({ problem, errors: [] });
  }
  if (body.length > MAX_BATCH_ROWS) {
    const problem: Problem = {
      code: 'batch_too_large',
      message: `A batch holds at most ${MAX_BATCH_ROWS} rows (got ${body.length}); send the rest in another request.`,
    };
    return err({ problem, errors: [] });
  }
  const rows: MinuteCount[] = [];
  const errors: Array<Problem & { index: number }> = [];
  let problems = 0;
  const note = (p: Problem & { index: number }) => {
    problems++;
    if (errors.length < MAX_LISTED) errors.push(p);
  };
  const seen = new Map<string, number>();
  const statuses = new Set(knownStatuses);
  body.forEach((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      note({ index, code: 'invalid_body', message: `Row ${index} must be an object {timestamp, status, count}.`, path: `/${index}` });
      return;
    }
    const unknown = Object.keys(item).find((k) => !(ROW_FIELDS as readonly string[]).includes(k));
    if (unknown !== undefined) {
      note({
        index,
        code: 'unknown_field',
        message: `Row ${index}: unknown field "${unknown}"; a row has timestamp, status and count.`,
        path: `/${index}/${unknown}`,
      });
      return;
    }
    const row = readRow(item as Record<string, unknown>, { countAsText: false, now });
    if (!row.ok) {
      note({ index, code: row.error.code, message: `Row ${index}: ${row.error.message}`, path: `/${index}/${row.error.field}` });
      return;
    }
    const key = `${row.value.minute}|${row.value.status}`;
    const first = seen.get(key);
    if (first !== undefined) {
      note({
        index,
        code: 'invalid_body',
        message: `Row ${index} repeats row ${first} (the same minute and status); send each minute's count once.`,
        path: `/${index}`,
      });
      return;
    }
    seen.set(key, index);
    statuses.add(row.value.status);
    rows.push(row.value);
  });
  const first = errors[0];
  if (first) {
    const { index: _index, ...problem } = first;
    const more =
      problems > 1 ? ` (${problems} rows are invalid; nothing was learned from this batch)` : ' (nothing was learned from this batch)';
    return err({ problem: { ...problem, message: `${problem.message}${more}` }, errors });
  }
  if (statuses.size > MAX_STATUSES) {
    const problem: Problem = {
      code: 'invalid_body',
      message: `At most ${MAX_STATUSES} distinct statuses are watched; this batch would make ${statuses.size}.`,
    };
    return err({ problem, errors: [] });
  }
  return ok(rows);
}

/** The minute (start) that contains `ms`. */
export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/** `2025-07-15 12:07 UTC`: alerts are read days later, so the date is always there. */
/** Minute counts as POST /v1/monitor takes them, in the seed's format ("2025-07-15 12:00:00", UTC). */
export function toSeedRows(rows: readonly MinuteCount[]): Array<{ timestamp: string; status: string; count: number }> {
  return rows.map((r) => ({
    timestamp: new Date(r.minute).toISOString().replace('T', ' ').slice(0, 19),
    status: r.status,
    count: r.count,
  }));
}

export function formatMinute(minute: number): string {
  const iso = new Date(minute).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
