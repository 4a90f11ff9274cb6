import { CsvError, parse } from 'csv-parse/sync';
import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';

/** The columns Vigil understands by meaning; any other column becomes a feature as it is. */
export const LOGIN_ROLES = ['user', 'timestamp', 'ip', 'location', 'device'] as const;
export type LoginRole = (typeof LOGIN_ROLES)[number];
export const REQUIRED_ROLES: readonly LoginRole[] = ['user', 'timestamp'];

/**
 * Header names each role answers to, best first. Headers are compared lower-cased with everything
 * but letters and digits removed, so `User ID`, `user_id` and `UserId` are the same column. The
 * first alias present wins; a file with both `country` and `city` maps `country` and keeps `city`
 * as an ordinary categorical feature.
 */
const ALIASES: Readonly<Record<LoginRole, readonly string[]>> = {
  user: ['user_id', 'user', 'username', 'user_name', 'account_id', 'account', 'login_id', 'login', 'email'],
  timestamp: ['timestamp', 'time', 'datetime', 'date_time', 'login_time', 'login_timestamp', 'event_time', 'logged_in_at', 'ts'],
  ip: ['ip_address', 'ip', 'ip_addr', 'source_ip', 'src_ip', 'client_ip', 'remote_ip', 'remote_addr'],
  location: ['location', 'country', 'country_code', 'geo_location', 'geolocation', 'geo', 'city', 'region'],
  device: ['device_type', 'device', 'device_id', 'device_name', 'user_agent', 'browser', 'platform'],
};

/** The canonical name of each role, used in messages and in `columns.mapped`. */
export const ROLE_COLUMN: Readonly<Record<LoginRole, string>> = {
  user: 'user_id',
  timestamp: 'timestamp',
  ip: 'ip_address',
  location: 'location',
  device: 'device_type',
};

const squash = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

export interface LoginRow {
  /** The line of the file the row starts on (the header is line 1). */
  readonly line: number;
  /** Trimmed cells, in header order. */
  readonly cells: readonly string[];
  readonly user: string;
  /** Epoch milliseconds. */
  readonly at: number;
  /** The wall-clock time as written in the file: hour with minutes as a fraction, 0 ≤ hour < 24. */
  readonly hour: number;
  /** 0 Monday … 6 Sunday, of the date as written. */
  readonly dayOfWeek: number;
  /** YYYY-MM-DD as written. */
  readonly day: string;
}

export interface LoginTable {
  /** Header names as written (trimmed). */
  readonly header: readonly string[];
  /** Column index of each role found in the header. */
  readonly mapped: Readonly<Partial<Record<LoginRole, number>>>;
  readonly rows: readonly LoginRow[];
}

/** Rows below this cannot be compared with one another: the forest needs two rows to split. */
export const MIN_ROWS = 2;

/**
 * Reads a login-activity CSV (a header row, then one login per row) into rows with parsed times.
 * Every refusal names where it happened: malformed CSV with its line (`invalid_csv`), a missing
 * required column with its name (`missing_column`), a cell that cannot be read with its line and
 * column (`invalid_cell`), and an empty file (`empty_file`). The path of a column is `/<name>`, the
 * name as written in the header (or the canonical name of a missing one).
 */
export function readLoginCsv(text: string): Result<LoginTable, Problem> {
  if (text.replace(/^\uFEFF/, '').trim() === '') {
    return err({ code: 'empty_file', message: 'The file is empty: send a header row and one row per login.' });
  }
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, {
      bom: true,
      delimiter: sniffDelimiter(text),
      skip_empty_lines: true,
      trim: true,
      info: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (error) {
    // Every error csv-parse raises about the text is a CsvError: most codes start with CSV_, but not
    // all (INVALID_OPENING_QUOTE, a quote inside an unquoted cell). Anything else is a bug of ours.
    const e = error as { code?: string; lines?: number; message?: string };
    if (!(error instanceof CsvError)) throw error;
    return err({
      code: 'invalid_csv',
      message: `Malformed CSV: ${(e.message ?? e.code ?? 'unreadable').replace(/\s+/g, ' ')}`,
      ...(typeof e.lines === 'number' && e.lines > 0 && { line: e.lines }),
    });
  }

  const [first, ...body] = records;
  if (!first) return err({ code: 'empty_file', message: 'The file is empty: send a header row and one row per login.' });
  const header = first.record;
  const mapped = mapHeader(header);
  if (!mapped.ok) return mapped;
  if (body.length === 0) return err({ code: 'empty_file', message: 'The file has a header row but no logins under it.' });

  const userCol = mapped.value.user as number;
  const timeCol = mapped.value.timestamp as number;
  const rows: LoginRow[] = [];
  for (const { record, info } of body) {
    // info.lines is where the record ends; a quoted cell may span lines, so count back to its start.
    let newlines = 0;
    for (const cell of record) for (let i = cell.indexOf('\n'); i >= 0; i = cell.indexOf('\n', i + 1)) newlines++;
    const line = info.lines - newlines;
    const user = record[userCol] as string;
    const rawTime = record[timeCol] as string;
    if (user === '') return err(cellProblem(line, header[userCol] as string, 'is empty; every login needs its user.'));
    const time = parseLoginTime(rawTime);
    if (!time) {
      return err(
        cellProblem(
          line,
          header[timeCol] as string,
          rawTime === ''
            ? 'is empty; every login needs its time.'
            : `"${rawTime.slice(0, 64)}" is not a time Vigil can read: use ISO 8601 (2026-11-03T08:15:00Z, or 2026-11-03 08:15:00 read as UTC) or epoch seconds/milliseconds.`,
        ),
      );
    }
    rows.push({ line, cells: record, user, ...time });
  }
  if (rows.length < MIN_ROWS) {
    return err({
      code: 'too_few_rows',
      message: `A single login cannot be compared with others: send at least ${MIN_ROWS} rows.`,
    });
  }
  return ok({ header, mapped: mapped.value, rows });
}

function cellProblem(line: number, column: string, what: string): Problem {
  return { code: 'invalid_cell', message: `Line ${line}, column "${column}": ${what}`, line, path: `/${column}` };
}

function mapHeader(header: readonly string[]): Result<Partial<Record<LoginRole, number>>, Problem> {
  const seen = new Map<string, number>();
  for (const [i, name] of header.entries()) {
    if (name === '') return err({ code: 'invalid_csv', message: `Column ${i + 1} of the header has no name.`, line: 1 });
    const key = squash(name);
    if (seen.has(key)) {
      return err({
        code: 'invalid_csv',
        message: `The header names the column "${name}" twice (as "${header[seen.get(key) as number]}" and "${name}").`,
        line: 1,
        path: `/${name}`,
      });
    }
    seen.set(key, i);
  }
  const mapped: Partial<Record<LoginRole, number>> = {};
  for (const role of LOGIN_ROLES) {
    const index = ALIASES[role].map((alias) => seen.get(squash(alias))).find((i) => i !== undefined);
    if (index !== undefined) mapped[role] = index;
  }
  for (const role of REQUIRED_ROLES) {
    if (mapped[role] === undefined) {
      return err({
        code: 'missing_column',
        message: `The header has no ${ROLE_COLUMN[role]} column (accepted names: ${ALIASES[role].join(', ')}; any case).`,
        line: 1,
        path: `/${ROLE_COLUMN[role]}`,
      });
    }
  }
  return ok(mapped);
}

/**
 * The delimiter of the header line: a comma, a semicolon (spreadsheets in many European locales
 * export with it) or a tab, whichever appears most outside quotes.
 */
function sniffDelimiter(text: string): string {
  const counts = new Map<string, number>([
    [',', 0],
    [';', 0],
    ['\t', 0],
  ]);
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && counts.has(ch)) counts.set(ch, (counts.get(ch) as number) + 1);
  }
  let best = ',';
  for (const [d, n] of counts) if (n > (counts.get(best) as number)) best = d;
  return best;
}

const ISO = /^(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * A login time: ISO 8601 / RFC 3339 with or without seconds and zone (a time without a zone is read
 * as UTC), `YYYY/MM/DD hh:mm`, or epoch seconds (10 digits) or milliseconds (13). Day-first or
 * month-first dates (03/11/2026) are refused: they cannot be told apart. Hour and weekday are those
 * of the time as written, so a 03:00 written in the user's own offset stays 3 a.m.
 */
export function parseLoginTime(value: string): Omit<LoginRow, 'line' | 'cells' | 'user'> | undefined {
  if (/^\d{9,10}(\.\d{1,6})?$|^\d{12,13}$/.test(value)) {
    const ms = value.length >= 12 && !value.includes('.') ? Number(value) : Math.round(Number(value) * 1000);
    return wallClock(ms, ms);
  }
  const m = ISO.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s = 0] = m.slice(1, 7).map((v) => (v === undefined ? undefined : Number(v))) as number[];
  const fraction = m[7] === undefined ? 0 : Math.round(Number(`0.${m[7]}`) * 1000);
  if (h === undefined || mi === undefined || h > 23 || mi > 59 || s > 59) return undefined;
  const wall = Date.UTC(y as number, (mo as number) - 1, d, h, mi, s, fraction);
  const check = new Date(wall);
  // Date.UTC rolls 2026-02-30 over into March: a date that does not exist is refused instead.
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== (mo as number) - 1 || check.getUTCDate() !== d) return undefined;
  const zone = m[8]?.toUpperCase();
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z' && zone !== 'UTC' && zone !== 'GMT') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  return wallClock(wall - offsetMinutes * 60_000, wall);
}

function wallClock(at: number, wall: number): Omit<LoginRow, 'line' | 'cells' | 'user'> | undefined {
  if (!Number.isFinite(at)) return undefined;
  const w = new Date(wall);
  if (Number.isNaN(w.getTime())) return undefined;
  return {
    at,
    hour: w.getUTCHours() + w.getUTCMinutes() / 60 + w.getUTCSeconds() / 3600,
    dayOfWeek: (w.getUTCDay() + 6) % 7,
    day: w.toISOString().slice(0, 10),
  };
}
