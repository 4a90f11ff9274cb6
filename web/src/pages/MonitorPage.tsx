import { useId, useMemo } from 'react';
import { Area, CartesianGrid, ComposedChart, Line, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { MonitorIncident, MonitorPoint, MonitorSeries, MonitorSeriesPage, Severity } from '../../../src/http/schemas';
import { api, query } from '../api';
import { Empty, ErrorText, Field, Loading } from '../components/ui';
import { formatClock, formatDateTime, SEVERITY_LABEL } from '../format';
import { useInterval, useLoad, useTitle } from '../hooks';
import { Link, navigate, useLocation } from '../router';

const HOUR_MS = 3_600_000;
/** The periods offered; the longest stays a few thousand points per status, which a chart can draw. */
const RANGES = [
  { hours: 1, label: 'Last hour' },
  { hours: 6, label: 'Last 6 hours' },
  { hours: 24, label: 'Last 24 hours' },
  { hours: 72, label: 'Last 3 days' },
] as const;
const SOURCES = [
  { value: '', label: 'Both' },
  { value: 'reported', label: 'Reported (POST /v1/monitor)' },
  { value: 'events', label: 'Counted from Vigil’s events' },
] as const;
/** Red for anomalies: 5.9:1 on white, and never the only cue (a ring, the table, the count). */
const ANOMALY_RED = '#c81e1e';
const COUNT_BLUE = '#0b5cad';
const EXPECTED_GREY = '#5b6b7f';

interface ChartRow {
  readonly at: string;
  /** Epoch ms: every chart shares the period's time axis, so the minutes line up across statuses. */
  readonly time: number;
  readonly count: number;
  readonly expected: number | null;
  readonly band: [number, number] | null;
  readonly anomaly: boolean;
}

/**
 * The transaction-volume monitor: each status's per-minute count against what was expected at that
 * time of day and its normal band, the anomalous minutes in red, and the list of them with the
 * reason and the alert each raised. Counts come from POST /v1/monitor and from Vigil's own events.
 */
export function MonitorPage() {
  useTitle('Transaction monitor');
  const { search } = useLocation();
  const hours = Number(search.get('hours') ?? 6);
  const range = RANGES.find((r) => r.hours === hours) ?? RANGES[1];
  const source = search.get('source') ?? '';
  const status = search.get('status') ?? '';

  // The period ends just after the latest minute stored, which the server finds when `to` is absent:
  // a history trained from last July's file shows at once rather than an empty chart of today.
  const series = useLoad(
    async (signal) => {
      const latest = await api.get<MonitorSeriesPage>(`/v1/monitor/series${query({ source, status })}`, { signal });
      const to = Date.parse(latest.to);
      const page =
        range.hours === 6
          ? latest
          : await api.get<MonitorSeriesPage>(
              `/v1/monitor/series${query({ source, status, from: new Date(to - range.hours * HOUR_MS).toISOString(), to: latest.to })}`,
              { signal },
            );
      // The incidents overlapping the same period: shaded on the charts, and the list's groups.
      const incidents = await api.get<{ incidents: MonitorIncident[] }>(
        `/v1/monitor/incidents${query({ source, status, from: page.from, to: page.to, limit: '500' })}`,
        { signal },
      );
      return { ...page, incidents: incidents.incidents };
    },
    [range.hours, source, status],
  );
  useInterval(() => void series.reload(), 60_000);

  const set = (key: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value === '') next.delete(key);
    else next.set(key, value);
    const text = next.toString();
    navigate(`/admin/monitor${text ? `?${text}` : ''}`, { replace: true });
  };

  const shown = useMemo(() => [...(series.data?.series ?? [])].sort(bySourceAndStatus), [series.data]);
  const domain = useMemo<readonly [number, number]>(
    () => (series.data ? [Date.parse(series.data.from), Date.parse(series.data.to) - 60_000] : [0, 0]),
    [series.data],
  );
  const anomalies = useMemo(
    () =>
      shown
        .flatMap((s) => s.points.filter((p) => p.anomaly).map((p) => ({ series: s, point: p })))
        .sort((a, b) => b.point.timestamp.localeCompare(a.point.timestamp)),
    [shown],
  );
  const statuses = useMemo(() => [...new Set(shown.map((s) => s.status))].sort(), [shown]);
  const incidents = series.data?.incidents ?? [];

  return (
    <section className="page">
      <div className="page-head">
        <h1 tabIndex={-1}>Transaction monitor</h1>
        <p className="muted">
          Transactions per minute by status, against the level expected. Anomalous minutes are{' '}
          <strong className="monitor-red">in red</strong>, and the incidents they belong to are shaded: a rise in failed, denied or
          reversed, a drop in approved or a fall of all traffic (<code>total</code>) is one incident and one transaction alert, closed when
          the status is back to normal.
        </p>
      </div>
      <form className="inline-filters" aria-label="Chart options" onSubmit={(e) => e.preventDefault()}>
        <Field label="Period">
          {(props) => (
            <select {...props} value={range.hours} onChange={(e) => set('hours', e.target.value === '6' ? '' : e.target.value)}>
              {RANGES.map((r) => (
                <option key={r.hours} value={r.hours}>
                  {r.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Counts">
          {(props) => (
            <select {...props} value={source} onChange={(e) => set('source', e.target.value)}>
              {SOURCES.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Status">
          {(props) => (
            <select {...props} value={status} onChange={(e) => set('status', e.target.value)}>
              <option value="">All</option>
              {[...new Set([...statuses, status].filter(Boolean))].map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          )}
        </Field>
      </form>
      <ErrorText error={series.error} />
      {series.loading && !series.data && <Loading what="the monitor" />}
      {series.data && shown.length === 0 && (
        <Empty>
          No counts in this period. Send per-minute counts to <code>POST /v1/monitor</code>, let Vigil count its own transaction events, or
          try <code>npx vigil monitor simulate --url … --key …</code>.
        </Empty>
      )}
      {series.data && shown.length > 0 && (
        <>
          <p className="summary" aria-live="polite">
            {anomalies.length === 0
              ? 'No anomalous minute in this period.'
              : `${anomalies.length} anomalous ${anomalies.length === 1 ? 'minute' : 'minutes'} in this period, in ${incidents.length} ${incidents.length === 1 ? 'incident' : 'incidents'}`}
            <span className="muted"> · up to {formatDateTime(series.data.to)}</span>
          </p>
          <div className="monitor-grid">
            {shown.map((s) => (
              <StatusChart
                key={`${s.source}:${s.status}`}
                series={s}
                showSource={source === ''}
                domain={domain}
                incidents={incidents.filter((i) => i.source === s.source && i.status === s.status)}
              />
            ))}
          </div>
          <AnomalyTable rows={anomalies} incidents={incidents} showSource={source === ''} />
        </>
      )}
    </section>
  );
}

function StatusChart({
  series,
  showSource,
  domain,
  incidents,
}: {
  readonly series: MonitorSeries;
  readonly showSource: boolean;
  readonly domain: readonly [number, number];
  readonly incidents: readonly MonitorIncident[];
}) {
  const headingId = useId();
  const rows = useMemo<ChartRow[]>(() => series.points.map(chartRow), [series.points]);
  const title = `${series.status}${showSource ? ` (${series.source === 'reported' ? 'reported' : 'from events'})` : ''}`;
  const total = series.points.reduce((n, p) => n + p.count, 0);
  return (
    <section className="card monitor-card" aria-labelledby={headingId} data-status={series.status} data-source={series.source}>
      <h2 id={headingId}>
        {title}{' '}
        {series.anomalies > 0 && (
          <span className="badge monitor-anomaly-badge">
            {series.anomalies} {series.anomalies === 1 ? 'anomaly' : 'anomalies'}
          </span>
        )}
      </h2>
      <p className="muted small">
        {total.toLocaleString()} in {series.points.length.toLocaleString()} minutes
      </p>
      <div
        className="chart"
        role="img"
        aria-label={`Line chart of ${title} per minute with its expected level and normal band; ${series.anomalies} anomalous minutes, in red, in ${incidents.length} shaded ${incidents.length === 1 ? 'incident' : 'incidents'}.`}
      >
        <ResponsiveContainer width="100%" height={200}>
          <ComposedChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#d9e0e8" />
            <XAxis
              dataKey="time"
              type="number"
              scale="time"
              domain={domain}
              tickFormatter={(t: number) => formatClock(new Date(t).toISOString())}
              tick={{ fontSize: 12, fill: '#44546a' }}
              minTickGap={32}
            />
            <YAxis allowDecimals={false} tick={{ fontSize: 12, fill: '#44546a' }} />
            <Tooltip content={<PointTooltip />} />
            {incidents.map((i) => (
              // From the estimated start to the end of the last anomalous minute (or the latest minute while open).
              <ReferenceArea
                key={i.id}
                className="monitor-incident-span"
                x1={Math.max(domain[0], Date.parse(i.start))}
                x2={Math.min(domain[1], Date.parse(i.state === 'open' ? new Date(domain[1]).toISOString() : i.lastAbnormal) + 60_000)}
                fill={ANOMALY_RED}
                fillOpacity={0.1}
                stroke={ANOMALY_RED}
                strokeOpacity={0.3}
                ifOverflow="hidden"
              />
            ))}
            <Area dataKey="band" name="Normal band" stroke="none" fill="#9fb3c8" fillOpacity={0.35} isAnimationActive={false} />
            <Line
              dataKey="expected"
              name="Expected"
              stroke={EXPECTED_GREY}
              strokeDasharray="4 3"
              dot={false}
              strokeWidth={1.5}
              isAnimationActive={false}
            />
            <Line
              dataKey="count"
              name="Count"
              stroke={COUNT_BLUE}
              strokeWidth={1.5}
              isAnimationActive={false}
              dot={AnomalyDot}
              activeDot={{ r: 4 }}
            />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}

/** Only anomalous minutes get a dot: a red disc with a white ring, visible on the line and the band. */
function AnomalyDot(props: { cx?: number; cy?: number; index?: number; payload?: ChartRow }) {
  const { cx, cy, payload, index } = props;
  if (!payload?.anomaly || cx === undefined || cy === undefined) return <g key={`dot-${index}`} />;
  return <circle key={`dot-${index}`} className="monitor-dot" cx={cx} cy={cy} r={4.5} fill={ANOMALY_RED} stroke="#fff" strokeWidth={1.5} />;
}

function PointTooltip({ active, payload }: { active?: boolean; payload?: ReadonlyArray<{ payload: ChartRow }> }) {
  const row = payload?.[0]?.payload;
  if (!active || !row) return null;
  return (
    <div className="chart-tooltip">
      <strong>{formatDateTime(row.at)}</strong>
      <div>Count {row.count}</div>
      {row.expected !== null && (
        <div>
          Expected {format(row.expected)}
          {row.band && ` (normal ${format(row.band[0])}–${format(row.band[1])})`}
        </div>
      )}
      {row.anomaly && <div className="monitor-red">Anomalous</div>}
    </div>
  );
}

/** The anomalous minutes grouped by incident, newest incident first, each headed by what it amounts to. */
function AnomalyTable({
  rows,
  incidents,
  showSource,
}: {
  readonly rows: ReadonlyArray<{ series: MonitorSeries; point: MonitorPoint }>;
  readonly incidents: readonly MonitorIncident[];
  readonly showSource: boolean;
}) {
  const headingId = useId();
  if (rows.length === 0) return null;
  const byIncident = new Map<string, Array<{ series: MonitorSeries; point: MonitorPoint }>>();
  for (const row of rows) {
    const key = row.point.incidentId ?? '';
    byIncident.set(key, [...(byIncident.get(key) ?? []), row]);
  }
  const known = new Set(incidents.map((i) => i.id));
  const groups: Array<{ incident?: MonitorIncident; rows: Array<{ series: MonitorSeries; point: MonitorPoint }> }> = [
    ...[...incidents]
      .sort((a, b) => b.start.localeCompare(a.start))
      .filter((i) => byIncident.has(i.id))
      .map((incident) => ({ incident, rows: byIncident.get(incident.id) ?? [] })),
    // Minutes stored before incidents existed, or whose incident is outside the list.
    ...[...byIncident.entries()].filter(([id]) => !known.has(id)).map(([, loose]) => ({ rows: loose })),
  ];
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>Incidents and their anomalous minutes</h2>
      <div className="table-wrap">
        <table className="monitor-anomalies">
          <thead>
            <tr>
              <th scope="col">Minute</th>
              <th scope="col">Status</th>
              <th scope="col">Count</th>
              <th scope="col">Expected</th>
              <th scope="col">Severity</th>
              <th scope="col">Why</th>
              <th scope="col">Alert</th>
            </tr>
          </thead>
          {groups.map((group) => (
            <tbody key={group.incident?.id ?? 'loose'} className="monitor-incident" data-incident={group.incident?.id ?? ''}>
              <tr className="incident-head">
                <th scope="rowgroup" colSpan={6}>
                  {group.incident ? <IncidentHead incident={group.incident} showSource={showSource} /> : 'Minutes without an incident'}
                </th>
                <td>
                  {group.incident?.alertId ? <Link to={`/admin/alerts/${encodeURIComponent(group.incident.alertId)}`}>Alert</Link> : '—'}
                </td>
              </tr>
              {group.rows.map(({ series, point }) => (
                <tr key={`${series.source}:${series.status}:${point.timestamp}`} className="row-anomaly">
                  <th scope="row">{formatDateTime(point.timestamp)}</th>
                  <td>
                    {series.status}
                    {showSource && <span className="muted small"> ({series.source === 'reported' ? 'reported' : 'events'})</span>}
                  </td>
                  <td className="monitor-red">
                    <strong>{point.count}</strong> {point.direction === 'drop' ? '↓' : '↑'}
                  </td>
                  <td>{point.expected === null ? '—' : format(point.expected)}</td>
                  <td>{point.severity ? SEVERITY_LABEL[point.severity as Severity] : '—'}</td>
                  <td className="small">{point.reason}</td>
                  <td>{point.alertId ? <Link to={`/admin/alerts/${encodeURIComponent(point.alertId)}`}>Open</Link> : '—'}</td>
                </tr>
              ))}
            </tbody>
          ))}
        </table>
      </div>
    </section>
  );
}

/** "failed above normal from 12:03 to 12:41 (39 minutes): 97 where about 6 are usual; peak 5 at 12:20 · closed". */
function IncidentHead({ incident: i, showSource }: { readonly incident: MonitorIncident; readonly showSource: boolean }) {
  const way = i.direction === 'rise' ? 'above' : 'below';
  const until = i.state === 'open' ? 'still open' : `to ${formatClock(i.lastAbnormal)}`;
  return (
    <>
      <strong>
        {i.status} {way} normal
      </strong>
      {showSource && <span className="muted small"> ({i.source === 'reported' ? 'reported' : 'events'})</span>} from{' '}
      {formatDateTime(i.start)} {until} ({i.minutes} {i.minutes === 1 ? 'minute' : 'minutes'}): {i.count} where about {format(i.expected)}{' '}
      are usual; peak {i.peak.count} at {formatClock(i.peak.timestamp)}
      <span className={`badge ${i.state === 'open' ? 'monitor-anomaly-badge' : ''}`}>{i.state === 'open' ? 'open' : 'closed'}</span>
      {i.note && <span className="muted small"> {i.note}</span>}
    </>
  );
}

function chartRow(p: MonitorPoint): ChartRow {
  return {
    at: p.timestamp,
    time: Date.parse(p.timestamp),
    count: p.count,
    expected: p.expected,
    band: p.lower === null || p.upper === null ? null : [p.lower, p.upper],
    anomaly: p.anomaly,
  };
}

/** The statuses in the order an operator reads them: approvals first, then the ones that rise in incidents. */
const STATUS_ORDER = ['approved', 'denied', 'failed', 'reversed', 'backend_reversed', 'refunded', 'total'];

/** Reported counts (the shop's own figures) before those Vigil counted from events; statuses in the usual order. */
function bySourceAndStatus(a: MonitorSeries, b: MonitorSeries): number {
  if (a.source !== b.source) return a.source === 'reported' ? -1 : 1;
  const rank = (s: string) => (STATUS_ORDER.includes(s) ? STATUS_ORDER.indexOf(s) : STATUS_ORDER.length);
  return rank(a.status) - rank(b.status) || a.status.localeCompare(b.status);
}

const format = (n: number) => (n >= 10 ? Math.round(n).toLocaleString() : n.toFixed(1));
