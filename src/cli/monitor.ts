import fs from 'node:fs';
import { Transform } from 'node:stream';
import { SingleBar } from 'cli-progress';
import { parse } from 'csv-parse';
import { AuditTrail } from '../audit/audit-trail.js';
import type { Config } from '../config/config.js';
import { systemClock } from '../core/clock.js';
import { DEFAULT_BASELINE_SETTINGS } from '../monitor/baseline.js';
import {
  formatMinute,
  MAX_BATCH_ROWS,
  MAX_STATUSES,
  MINUTE_MS,
  type MinuteCount,
  minuteOf,
  ROW_FIELDS,
  readRow,
  toSeedRows,
} from '../monitor/minute-counts.js';
import type { AnswerAnomaly, MonitorAnswer } from '../monitor/monitor-answer.js';
import { VolumeMonitor } from '../monitor/monitor-service.js';
import { DAY_MS, type Incident, syntheticMinutes } from '../monitor/synthetic.js';
import { incidentSummary } from '../monitor/volume-alert.js';
import { DEFAULT_MONITOR_SETTINGS } from '../monitor/volume-model.js';
import { SqlAuditStore } from '../store/audit-store.js';
import { openDatabase } from '../store/database.js';
import { SqlMonitorStore } from '../store/monitor-store.js';

const MAX_LISTED = 20;

interface CsvProblem {
  readonly line: number;
  readonly message: string;
}

/**
 * Reads a `timestamp,status,count` CSV (the seed's format, header row first, columns in any order)
 * into minute counts, or every problem found (line and column named). All rows are checked before
 * anything is learned: a history with a bad line is refused whole, as a bad batch is.
 */
export async function readHistoryCsv(
  source: NodeJS.ReadableStream,
  now: number,
): Promise<{ rows: MinuteCount[]; problems: CsvProblem[]; problemCount: number }> {
  const rows: MinuteCount[] = [];
  const problems: CsvProblem[] = [];
  let problemCount = 0;
  const note = (p: CsvProblem) => {
    problemCount++;
    if (problems.length < MAX_LISTED) problems.push(p);
  };
  let columns: string[] = [];
  let headerProblem = false;
  const parser = source.pipe(
    parse({
      columns: (names: string[]) => {
        columns = names.map((n) => n.trim().toLowerCase());
        const unknown = columns.findIndex((n) => !(ROW_FIELDS as readonly string[]).includes(n));
        const missing = ROW_FIELDS.filter((f) => !columns.includes(f));
        if (unknown >= 0) {
          note({ line: 1, message: `column ${unknown + 1}: unknown column "${names[unknown]}"; the header is timestamp,status,count.` });
          headerProblem = true;
        } else if (missing.length > 0) {
          note({ line: 1, message: `the header lacks ${missing.join(', ')}; it is timestamp,status,count.` });
          headerProblem = true;
        }
        return columns;
      },
      info: true,
      bom: true,
      trim: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        const line = (error as { lines?: number } | undefined)?.lines ?? 0;
        note({ line, message: error?.message ?? 'malformed CSV' });
      },
    }),
  );
  const seen = new Map<string, number>();
  const statuses = new Set<string>();
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    if (headerProblem) break;
    const line = info.lines;
    const row = readRow(record, { countAsText: true, now });
    if (!row.ok) {
      const column = row.error.field === undefined ? undefined : columns.indexOf(row.error.field) + 1;
      note({ line, message: `${column ? `column ${column} (${row.error.field}): ` : ''}${row.error.message}` });
      continue;
    }
    const key = `${row.value.minute}|${row.value.status}`;
    const first = seen.get(key);
    if (first !== undefined) {
      note({ line, message: `repeats line ${first} (the same minute and status); each minute's count appears once.` });
      continue;
    }
    seen.set(key, line);
    statuses.add(row.value.status);
    rows.push(row.value);
  }
  if (statuses.size > MAX_STATUSES)
    note({ line: 0, message: `at most ${MAX_STATUSES} distinct statuses are watched; the file has ${statuses.size}.` });
  return { rows, problems, problemCount };
}

/**
 * `vigil monitor train FILE.csv`: learns the baselines of reported counts afresh from a history.
 * Exit codes: 0 learned; 2 the file cannot be read or has a bad line (nothing learned).
 */
export async function trainMonitor(config: Config, file: string): Promise<number> {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    process.stderr.write(`vigil monitor train: cannot read ${file}.\n`);
    return 2;
  }
  const bar = new SingleBar({
    format: 'reading [{bar}] {percentage}% | {value}/{total} bytes',
    stream: process.stderr,
    noTTYOutput: false,
    hideCursor: true,
  });
  let read = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      read += chunk.length;
      bar.update(read);
      done(null, chunk);
    },
  });
  bar.start(size, 0);
  const { rows, problems, problemCount } = await readHistoryCsv(fs.createReadStream(file).pipe(counter), systemClock.now());
  bar.update(size);
  bar.stop();
  if (problemCount > 0) {
    process.stderr.write(`vigil monitor train: ${file} has ${problemCount} bad line(s); nothing was learned.\n`);
    for (const p of problems) process.stderr.write(`  line ${p.line}: ${p.message}\n`);
    if (problemCount > problems.length) process.stderr.write(`  … and ${problemCount - problems.length} more.\n`);
    return 2;
  }
  if (rows.length === 0) {
    process.stderr.write(`vigil monitor train: ${file} has no rows; nothing was learned.\n`);
    return 2;
  }

  const handle = await openDatabase(config.database, { migrate: true });
  try {
    // Training raises no alert (the history is over), so nothing is published. It judges the history
    // with the server's settings, so that it keeps out of the baselines what the server would.
    const monitor = new VolumeMonitor({
      store: new SqlMonitorStore(handle),
      bus: { publish: async () => {} },
      clock: systemClock,
      // Open incidents closed by the retraining are audited, as the command line's.
      audit: new AuditTrail(new SqlAuditStore(handle), systemClock),
      settings: {
        ...DEFAULT_MONITOR_SETTINGS,
        sensitivity: config.monitorSensitivity,
        closeAfterMinutes: config.monitorCloseAfterMinutes,
      },
    });
    const started = Date.now();
    const summary = await monitor.train(rows, 'cli');
    const out = process.stdout;
    out.write(
      `Learned from ${file}: ${summary.rows} rows, ${summary.minutes} minutes, ` +
        `${formatMinute(summary.from as number)} to ${formatMinute(summary.to as number)} (${Date.now() - started} ms).\n`,
    );
    out.write(`Baselines of reported counts (previous ones replaced):\n`);
    const width = Math.max(...summary.statuses.map((s) => s.status.length));
    for (const s of summary.statuses) {
      const hours =
        s.hoursKnown === 24
          ? 'time of day known for every hour'
          : s.hoursKnown === 0
            ? `time of day: flat (the recent level) until ${DEFAULT_BASELINE_SETTINGS.timeOfDayAfterDays} days of history`
            : `time of day known for ${s.hoursKnown} of 24 hours (an hour needs ${DEFAULT_BASELINE_SETTINGS.minHourSamples} minutes)`;
      out.write(`  ${s.status.padEnd(width)}  ${s.learned} minutes learned, ${s.anomalous} anomalous; ${hours}\n`);
    }
    out.write(`Incidents in the history (kept out of the baselines, no alert raised): ${summary.incidents.length}\n`);
    for (const i of summary.incidents.slice(0, MAX_LISTED)) out.write(`  ${incidentSummary(i)}\n`);
    out.write(`Anomalous minutes in the history: ${summary.anomalies.length}\n`);
    for (const a of summary.anomalies.slice(0, MAX_LISTED)) out.write(`  ${a.reason}\n`);
    if (summary.anomalies.length > MAX_LISTED)
      out.write(`  … and ${summary.anomalies.length - MAX_LISTED} more (GET /v1/monitor/anomalies).\n`);
    return 0;
  } finally {
    await handle.close();
  }
}

export interface SimulateOptions {
  readonly minutes: number;
  readonly historyDays: number;
  readonly seed: number;
  /** First live minute (epoch ms, a minute start); default: the live minutes end with the last complete minute. */
  readonly start?: number;
  readonly url?: string;
  readonly key?: string;
}

/** One POST /v1/monitor, to a running Vigil or to an in-process monitor. */
type Send = (rows: readonly MinuteCount[]) => Promise<MonitorAnswer>;

/** The incidents `simulate` injects, spread over its live minutes; strong enough to show at any time of day. */
export function simulatedIncidents(liveStart: number, minutes: number): Incident[] {
  const at = (share: number) => liveStart + Math.floor(minutes * share) * MINUTE_MS;
  return [
    { label: 'failed spike', status: 'failed', start: at(0.15), minutes: 3, factor: 5, extra: 20 },
    { label: 'denied spike', status: 'denied', start: at(0.35), minutes: 4, factor: 3, extra: 25 },
    { label: 'approved drop', status: 'approved', start: at(0.55), minutes: 5, factor: 0.1, extra: 0 },
    { label: 'reversed burst', status: 'reversed', start: at(0.8), minutes: 2, factor: 1, extra: 12 },
  ];
}

/**
 * `vigil monitor simulate`: sends a synthetic history (so there is a baseline), then live minutes
 * one by one with injected incidents, and logs every anomaly and alert. With `--url` and `--key` it
 * talks to a running Vigil; without, to a monitor in this process on a throwaway in-memory database,
 * so nothing real is touched. Exit 0 when every injected incident was found, 1 when one was missed
 * or a request failed.
 */
export async function simulateMonitor(options: SimulateOptions): Promise<number> {
  const out = process.stdout;
  if (options.url !== undefined && options.key === undefined) {
    process.stderr.write('vigil monitor simulate: --url needs --key (an ingest or admin key).\n');
    return 2;
  }
  if (options.start !== undefined && options.start + options.minutes * MINUTE_MS > minuteOf(systemClock.now())) {
    process.stderr.write(
      'vigil monitor simulate: --start is too late: the live minutes would reach past now, and minutes that have not happened are refused.\n',
    );
    return 2;
  }
  let close = async () => {};
  let send: Send;
  if (options.url !== undefined) {
    const endpoint = `${options.url.replace(/\/+$/, '')}/v1/monitor`;
    send = async (rows) => {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(toSeedRows(rows)),
      });
      const body = (await res.json()) as MonitorAnswer & { error?: { code: string; message: string } };
      if (!res.ok) throw new Error(`${res.status} ${body.error?.code ?? ''}: ${body.error?.message ?? ''}`);
      return body;
    };
    out.write(`Sending to ${endpoint}\n`);
  } else {
    const handle = await openDatabase({ dialect: 'sqlite', file: ':memory:', synchronous: 'normal' }, { migrate: true });
    close = () => handle.close();
    const monitor = new VolumeMonitor({
      store: new SqlMonitorStore(handle),
      bus: { publish: async () => {} },
      clock: systemClock,
      audit: new AuditTrail(new SqlAuditStore(handle), systemClock),
    });
    send = async (rows) => {
      const answer = await monitor.submit(toSeedRows(rows));
      if (!answer.ok) throw new Error(`${answer.error.problem.code}: ${answer.error.problem.message}`);
      return answer.value;
    };
    out.write('In process, on a throwaway in-memory database (pass --url and --key to send to a running Vigil).\n');
  }

  try {
    // By default the live minutes end with the last complete minute; the history comes just before them.
    const liveStart = options.start ?? minuteOf(systemClock.now()) - options.minutes * MINUTE_MS;
    const historyStart = liveStart - options.historyDays * DAY_MS;
    const incidents = simulatedIncidents(liveStart, options.minutes);
    if (options.historyDays > 0) {
      const history = syntheticMinutes({ from: historyStart, minutes: options.historyDays * 1440, seed: options.seed });
      out.write(`History: ${options.historyDays} day(s), ${history.length} rows, from ${formatMinute(historyStart)}.\n`);
      const perBatch = Math.floor(MAX_BATCH_ROWS / 6) * 6;
      let historyAnomalies = 0;
      for (let i = 0; i < history.length; i += perBatch) historyAnomalies += (await send(history.slice(i, i + perBatch))).anomalies.length;
      out.write(`History sent; ${historyAnomalies} anomalous minute(s) in it.\n`);
    }
    const live = syntheticMinutes({ from: liveStart, minutes: options.minutes, seed: options.seed + 1, incidents });
    out.write(`Live: ${options.minutes} minutes from ${formatMinute(liveStart)}, one request per minute; injected:\n`);
    for (const i of incidents) out.write(`  ${formatMinute(i.start)}  ${i.label} (${i.minutes} min)\n`);

    const found = new Set<Incident>();
    const alerts = new Set<string>();
    let outside = 0;
    for (let m = 0; m < options.minutes; m++) {
      const minute = liveStart + m * MINUTE_MS;
      const answer = await send(live.filter((r) => r.minute === minute));
      for (const a of answer.anomalies) {
        const incident = incidents.find((i) => i.status === a.status && minute >= i.start && minute < i.start + i.minutes * MINUTE_MS);
        if (incident) found.add(incident);
        else outside++;
        out.write(`${describe(a)}${alertNote(a, alerts)}${incident ? `  [injected: ${incident.label}]` : '  [not injected]'}\n`);
      }
    }
    const missed = incidents.filter((i) => !found.has(i));
    out.write(
      `Done: ${options.minutes} minutes sent; ${found.size} of ${incidents.length} injected incidents found` +
        `${missed.length > 0 ? ` (missed: ${missed.map((i) => i.label).join(', ')})` : ''}; ` +
        `${alerts.size} alert(s); ${outside} anomalous minute(s) outside the incidents.\n`,
    );
    return missed.length === 0 ? 0 : 1;
  } catch (error) {
    process.stderr.write(`vigil monitor simulate: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await close();
  }
}

function describe(a: AnswerAnomaly): string {
  return `${formatMinute(Date.parse(a.timestamp))}  ${a.severity.toUpperCase()}  ${a.reason}`;
}

function alertNote(a: AnswerAnomaly, seen: Set<string>): string {
  if (a.alertId === null) return '';
  const fresh = !seen.has(a.alertId);
  seen.add(a.alertId);
  return fresh ? `  -> new alert ${a.alertId}` : `  -> updates alert ${a.alertId}`;
}
