import { useId, useMemo, useRef, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ALERT_SEVERITIES, EVENT_TYPES } from '../../../src/domain/vocabulary';
import type { ActivityStats, Severity } from '../../../src/http/schemas';
import { api } from '../api';
import { ErrorText, Loading } from '../components/ui';
import { useFeedMessages } from '../feed';
import { eventLabel, formatClock, SEVERITY_LABEL } from '../format';
import { useInterval, useLoad, useTitle } from '../hooks';

/** Distinct, colour-blind-friendly hues (Okabe–Ito and Tol), one per event type. */
const EVENT_COLOURS: Readonly<Record<string, string>> = {
  'login.succeeded': '#0072B2',
  'login.failed': '#D55E00',
  logout: '#8FA3B8',
  'password.changed': '#CC79A7',
  'email.changed': '#882255',
  'mfa.enabled': '#009E73',
  'mfa.disabled': '#AA4499',
  'payment_method.changed': '#44AA99',
  transaction: '#E69F00',
  'payment.failed': '#7a1f1f',
  'page.viewed': '#56B4E9',
};

/** The same hues as the severity badges. */
const SEVERITY_COLOURS: Readonly<Record<string, string>> = {
  critical: '#7a0f1c',
  high: '#c2410c',
  medium: '#b7791f',
  low: '#2b6cb0',
};

const RANGES = [15, 60, 180, 360] as const;

export function ActivityPage() {
  useTitle('Activity');
  const id = useId();
  const [minutes, setMinutes] = useState<number>(60);
  const stats = useLoad((signal) => api.get<ActivityStats>(`/v1/stats/activity?minutes=${minutes}`, { signal }), [minutes]);
  useInterval(() => void stats.reload(), 30_000);

  // New alerts redraw the chart, at most every few seconds during a burst.
  const pending = useRef<number | undefined>(undefined);
  useFeedMessages(() => {
    if (pending.current !== undefined) return;
    pending.current = window.setTimeout(() => {
      pending.current = undefined;
      void stats.reload();
    }, 3000);
  });

  const data = useMemo(() => {
    const minutesData = stats.data?.minutes ?? [];
    const eventTypes = EVENT_TYPES.filter((t) => minutesData.some((m) => (m.events[t] ?? 0) > 0));
    const severities = ALERT_SEVERITIES.filter((s) => minutesData.some((m) => (m.alerts[s] ?? 0) > 0));
    const rows = minutesData.map((m) => ({ minute: formatClock(m.at), at: m.at, ...m.events, ...prefix(m.alerts) }));
    const eventTotals = Object.fromEntries(eventTypes.map((t) => [t, minutesData.reduce((n, m) => n + (m.events[t] ?? 0), 0)]));
    const alertTotals = Object.fromEntries(severities.map((s) => [s, minutesData.reduce((n, m) => n + (m.alerts[s] ?? 0), 0)]));
    return { rows, eventTypes, severities, eventTotals, alertTotals };
  }, [stats.data]);

  const totalEvents = Object.values(data.eventTotals).reduce((a, b) => a + b, 0);
  const totalAlerts = Object.values(data.alertTotals).reduce((a, b) => a + b, 0);

  return (
    <section className="page">
      <div className="page-head page-head-row">
        <div>
          <h1 tabIndex={-1}>Activity</h1>
          <p className="muted">Events per minute by type, and alerts per minute by severity.</p>
        </div>
        <div className="field field-inline">
          <label htmlFor={`${id}-range`}>Period</label>
          <select id={`${id}-range`} value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
            {RANGES.map((r) => (
              <option key={r} value={r}>
                Last {r < 60 ? `${r} minutes` : r === 60 ? 'hour' : `${r / 60} hours`}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorText error={stats.error} />
      {stats.loading && !stats.data && <Loading what="activity" />}
      {stats.data && (
        <>
          <p className="summary" aria-live="polite">
            {totalEvents.toLocaleString()} events and {totalAlerts.toLocaleString()} alerts in the period.
          </p>
          <StackedBarsCard
            title="Events per minute"
            summary={
              data.eventTypes.length === 0
                ? 'No events in this period.'
                : data.eventTypes.map((t) => `${eventLabel(t)} ${data.eventTotals[t]}`).join(' · ')
            }
            chartLabel={`Stacked bar chart of events per minute by type: ${totalEvents} events in all.`}
            height={280}
            rows={data.rows}
            stack="events"
            bars={data.eventTypes.map((t) => ({ key: t, name: eventLabel(t), colour: EVENT_COLOURS[t] ?? '#666' }))}
          />
          <StackedBarsCard
            title="Alerts per minute"
            summary={
              data.severities.length === 0
                ? 'No alerts in this period.'
                : data.severities.map((s) => `${SEVERITY_LABEL[s as Severity]} ${data.alertTotals[s]}`).join(' · ')
            }
            chartLabel={`Stacked bar chart of alerts per minute by severity: ${totalAlerts} alerts in all.`}
            height={220}
            rows={data.rows}
            stack="alerts"
            bars={data.severities.map((s) => ({
              key: `alert_${s}`,
              name: SEVERITY_LABEL[s as Severity],
              colour: SEVERITY_COLOURS[s] ?? '#666',
            }))}
          />
          <details className="card">
            <summary>The numbers as a table</summary>
            <div className="table-wrap">
              <table>
                <caption className="visually-hidden">Events and alerts per minute</caption>
                <thead>
                  <tr>
                    <th scope="col">Minute</th>
                    <th scope="col">Events</th>
                    <th scope="col">Alerts</th>
                  </tr>
                </thead>
                <tbody>
                  {(stats.data.minutes ?? [])
                    .filter((m) => Object.keys(m.events).length > 0 || Object.keys(m.alerts).length > 0)
                    .map((m) => (
                      <tr key={m.at}>
                        <th scope="row">{formatClock(m.at)}</th>
                        <td>
                          {Object.entries(m.events)
                            .map(([t, n]) => `${eventLabel(t)} ${n}`)
                            .join(', ') || '—'}
                        </td>
                        <td>
                          {Object.entries(m.alerts)
                            .map(([s, n]) => `${SEVERITY_LABEL[s as Severity] ?? s} ${n}`)
                            .join(', ') || '—'}
                        </td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </section>
  );
}

/** One card: a heading, a line of totals, and the per-minute bars stacked by kind. */
function StackedBarsCard({
  title,
  summary,
  chartLabel,
  height,
  rows,
  stack,
  bars,
}: {
  readonly title: string;
  readonly summary: string;
  readonly chartLabel: string;
  readonly height: number;
  readonly rows: ReadonlyArray<Record<string, string | number>>;
  readonly stack: string;
  readonly bars: ReadonlyArray<{ readonly key: string; readonly name: string; readonly colour: string }>;
}) {
  const headingId = useId();
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      <p className="muted small">{summary}</p>
      <div className="chart" role="img" aria-label={chartLabel}>
        <ResponsiveContainer width="100%" height={height}>
          <BarChart data={[...rows]} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#d9e0e8" />
            <XAxis dataKey="minute" tick={{ fontSize: 12, fill: '#44546a' }} minTickGap={24} />
            <YAxis allowDecimals={false} tick={{ fontSize: 12, fill: '#44546a' }} />
            <Tooltip />
            <Legend wrapperStyle={{ fontSize: 13 }} />
            {bars.map((b) => (
              <Bar key={b.key} dataKey={b.key} name={b.name} stackId={stack} fill={b.colour} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}

/** Alert counts under their own keys, so a severity never collides with an event type in one row. */
function prefix(alerts: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(alerts).map(([s, n]) => [`alert_${s}`, n]));
}
