import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Problem } from '../../core/errors.js';
import { MAX_BATCH_ROWS, MINUTE_MS, minuteOf, normaliseStatus } from '../../monitor/minute-counts.js';
import { presentIncident } from '../../monitor/monitor-answer.js';
import { COUNT_SOURCES, type CountSource, type SeriesRow, type StoredAnomaly } from '../../monitor/ports.js';
import type { System } from '../../system.js';
import { sendProblem } from '../errors.js';
import { actorOf, listParam, parseTimeBounds } from '../request-helpers.js';
import {
  MonitorAnomaliesSchema,
  MonitorBaselinesSchema,
  MonitorIncidentSchema,
  MonitorIncidentsSchema,
  MonitorSeriesPageSchema,
} from '../schemas/index.js';
import type { VigilTypeProvider } from '../type-provider.js';

const HOUR_MS = 60 * MINUTE_MS;
/** The default chart: six hours. */
const DEFAULT_RANGE_MS = 6 * HOUR_MS;
/** A week of minutes per status is about 10,000 points: as much as a chart can show. */
const MAX_RANGE_MS = 7 * 24 * HOUR_MS;

const CountRow = Type.Object(
  {
    timestamp: Type.String({
      description: 'The minute: "YYYY-MM-DD HH:MM:SS" (UTC, as in the seed) or ISO 8601 ("2025-07-15T12:00:00Z"); seconds 00.',
      examples: ['2025-07-15 12:00:00'],
    }),
    status: Type.String({
      maxLength: 64,
      description:
        'approved, denied, failed, reversed, backend_reversed, refunded, or any other (lower-cased; spaces and hyphens become _).',
    }),
    count: Type.Integer({ minimum: 0, description: 'Transactions of this status in the minute.' }),
  },
  { additionalProperties: false, title: 'MinuteCount' },
);

const AnswerAnomaly = Type.Object({
  timestamp: Type.String({ description: 'The minute, ISO 8601 UTC.' }),
  status: Type.String(),
  count: Type.Integer(),
  expected: Type.Number({ description: 'The expected count for this status at this time of day.' }),
  lower: Type.Number({ description: 'The normal band: counts between lower and upper are not anomalous.' }),
  upper: Type.Number(),
  score: Type.Number({ description: 'Standard deviations from the expected level (square-root scale); negative for drops.' }),
  direction: Type.Union([Type.Literal('rise'), Type.Literal('drop')]),
  severity: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]),
  reason: Type.String(),
  alertId: Type.Union([Type.String(), Type.Null()]),
  incidentId: Type.Union([Type.String(), Type.Null()], { description: 'The incident the minute belongs to (in `incidents`).' }),
});

const Incident = Type.Object(
  {
    id: Type.String(),
    source: Type.String(),
    status: Type.String({ description: 'A status, or `total` for all outcomes together (a fall in traffic).' }),
    direction: Type.Union([Type.Literal('rise'), Type.Literal('drop')]),
    state: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
    start: Type.String({ description: 'Estimated first minute of the change (where the evidence began to accumulate).' }),
    detectedAt: Type.String({ description: 'The minute whose judgement opened the incident.' }),
    lastAbnormal: Type.String(),
    end: Type.Union([Type.String(), Type.Null()], { description: 'The last anomalous minute, once closed.' }),
    closedAt: Type.Union([Type.String(), Type.Null()]),
    minutes: Type.Integer({ description: 'Minutes from start to the last anomalous one.' }),
    anomalousMinutes: Type.Integer(),
    count: Type.Integer({ description: 'Transactions of this status from start to the last anomalous minute.' }),
    expected: Type.Number({ description: 'What was expected over the same minutes.' }),
    peak: Type.Object({ timestamp: Type.String(), count: Type.Integer(), expected: Type.Number(), score: Type.Number() }),
    note: Type.Union([Type.String(), Type.Null()], { description: 'Why it was closed.' }),
    alertId: Type.Union([Type.String(), Type.Null()], { description: 'The one alert of this incident.' }),
  },
  { title: 'MonitorIncident' },
);

const MonitorAnswer = Type.Object(
  {
    alert: Type.Union([Type.Literal('ok'), Type.Literal('alert')]),
    anomalies: Type.Array(AnswerAnomaly, { description: 'Each abnormal minute and status, oldest first.' }),
    incidents: Type.Array(Incident, { description: 'Every incident this batch opened, grew or closed, as it stands after the batch.' }),
    evaluated: Type.Integer({ description: 'Status-minutes judged (a watched status absent from a new minute counts 0).' }),
    learning: Type.Array(Type.String(), { description: 'Statuses without a baseline yet for some minute (their first 30 minutes).' }),
  },
  { title: 'MonitorAnswer' },
);

const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      path: Type.Optional(Type.String({ description: 'JSON pointer to the first bad field: /3/count.' })),
      requestId: Type.String(),
      errors: Type.Optional(
        Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'Every bad row (up to 100), by index.' }),
      ),
    }),
  },
  { title: 'Error' },
);

const SeriesQuery = Type.Object({
  from: Type.Optional(Type.String({ description: 'ISO 8601 with a zone; default: `to` minus 6 hours.' })),
  to: Type.Optional(Type.String({ description: 'ISO 8601 with a zone, exclusive; default: just after the latest minute stored.' })),
  status: Type.Optional(Type.String({ description: 'Comma-separated statuses; default all.' })),
  source: Type.Optional(
    Type.Union(
      COUNT_SOURCES.map((s) => Type.Literal(s)),
      { description: 'reported or events; default both.' },
    ),
  ),
});

const round2 = (x: number) => Math.round(x * 100) / 100;
const iso = (ms: number) => new Date(ms).toISOString();

function presentAnomaly(a: StoredAnomaly) {
  return {
    id: a.id,
    source: a.source,
    timestamp: iso(a.minute),
    status: a.status,
    count: a.count,
    expected: round2(a.expected),
    spread: round2(a.countSpread),
    lower: round2(a.lower),
    upper: round2(a.upper),
    score: a.score,
    direction: a.direction,
    severity: a.severity,
    basis: a.basis,
    reason: a.reason,
    alertId: a.alertId,
    incidentId: a.incidentId,
    foundAt: iso(a.foundAt),
  };
}

function presentPoint(p: SeriesRow) {
  return {
    timestamp: iso(p.minute),
    count: p.count,
    expected: p.expected,
    lower: p.lower,
    upper: p.upper,
    score: p.score,
    basis: p.basis,
    anomaly: p.anomaly !== undefined,
    ...(p.anomaly && {
      direction: p.anomaly.direction,
      severity: p.anomaly.severity,
      reason: p.anomaly.reason,
      alertId: p.anomaly.alertId,
      incidentId: p.anomaly.incidentId,
    }),
  };
}

/** `a,b` statuses, normalised as the monitor stores them, or the problem with the first bad one. */
function statusesParam(raw: string | undefined): string[] | Problem {
  const statuses: string[] = [];
  for (const s of listParam(raw)) {
    const normal = normaliseStatus(s);
    if (normal === undefined)
      return { code: 'invalid_query', message: `status "${s.slice(0, 80)}" is not a status name.`, path: '/status' };
    statuses.push(normal);
  }
  return statuses;
}

/** The transaction-volume monitor: counts in (ingest keys), series, baselines and anomalies out (admins). */
export function monitorRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();

    typed.post(
      '/v1/monitor',
      {
        config: { role: 'ingest' },
        schema: {
          summary: 'Judge per-minute counts per status, and learn from them',
          description:
            `The seed's format: an array of {timestamp, status, count}, at most ${MAX_BATCH_ROWS} rows. Each minute is judged against ` +
            'what the status usually does at that time of day, then learned (unless anomalous). A watched status missing from a minute ' +
            'sent for the first time counts 0 in it. A rise of failed, denied, reversed, backend_reversed, refunded or an unknown status, ' +
            'or a drop of approved, raises a `transaction` alert. Any bad row refuses the whole batch (nothing is learned) and is named ' +
            'by its index: `/3/count`.',
          tags: ['monitor'],
          body: Type.Array(CountRow, { maxItems: MAX_BATCH_ROWS }),
          response: { 200: MonitorAnswer, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 413: ErrorBody },
        },
        // The schemas above document the contract; the rows are checked by the monitor itself, so
        // that each problem names its row and field with Vigil's codes, and a batch over the limit
        // is a 413 rather than a schema error.
        validatorCompiler: () => () => true,
        serializerCompiler: () => (data) => JSON.stringify(data),
      },
      async (request, reply) => {
        const result = await system.monitor.submit(request.body as unknown);
        if (!result.ok) return sendProblem(reply, result.error.problem, result.error.errors.length > 0 ? result.error.errors : undefined);
        const answer = result.value;
        return { ...answer, anomalies: [...answer.anomalies], incidents: [...answer.incidents], learning: [...answer.learning] };
      },
    );

    typed.get(
      '/v1/monitor/series',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Per-minute counts per status, with the expected level, the normal band and the anomalies, for charts',
          description:
            'One series per source and status, oldest minute first. `expected`, `lower` and `upper` are what the minute was judged ' +
            'against (null while the status was still learning); `anomaly` marks the minutes found abnormal, with the reason and the alert.',
          tags: ['monitor'],
          querystring: SeriesQuery,
          response: { 200: MonitorSeriesPageSchema },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const statuses = statusesParam(q.status);
        if (!Array.isArray(statuses)) return sendProblem(reply, statuses);
        const bounds = parseTimeBounds(q);
        if ('code' in bounds) return sendProblem(reply, bounds);
        const source = q.source as CountSource | undefined;
        // Without bounds, the six hours up to the latest minute stored: a history trained from a file
        // of last July shows at once, not an empty chart of today.
        let to = bounds.to ?? (bounds.from === undefined ? undefined : bounds.from + DEFAULT_RANGE_MS);
        if (to === undefined) to = ((await system.monitor.latestMinute(source, statuses)) ?? minuteOf(system.clock.now())) + MINUTE_MS;
        const from = bounds.from ?? to - DEFAULT_RANGE_MS;
        if (from >= to) return sendProblem(reply, { code: 'invalid_query', message: 'from must be before to.', path: '/from' });
        if (to - from > MAX_RANGE_MS) {
          return sendProblem(reply, { code: 'invalid_query', message: 'A series covers at most 7 days; narrow from and to.', path: '/to' });
        }
        const rows = await system.monitor.series({ from, to, ...(source !== undefined && { source }), statuses });
        const series: Array<{ source: CountSource; status: string; anomalies: number; points: ReturnType<typeof presentPoint>[] }> = [];
        for (const row of rows) {
          let current = series[series.length - 1];
          if (!current || current.source !== row.source || current.status !== row.status) {
            current = { source: row.source, status: row.status, anomalies: 0, points: [] };
            series.push(current);
          }
          current.points.push(presentPoint(row));
          if (row.anomaly) current.anomalies++;
        }
        return { from: iso(from), to: iso(to), series };
      },
    );

    typed.get(
      '/v1/monitor/anomalies',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Minutes found anomalous, newest first',
          tags: ['monitor'],
          querystring: Type.Object({
            from: Type.Optional(Type.String({ description: 'ISO 8601 with a zone.' })),
            to: Type.Optional(Type.String({ description: 'ISO 8601 with a zone, exclusive.' })),
            status: Type.Optional(Type.String({ description: 'Comma-separated statuses.' })),
            source: Type.Optional(Type.Union(COUNT_SOURCES.map((s) => Type.Literal(s)))),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          }),
          response: { 200: MonitorAnomaliesSchema },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const statuses = statusesParam(q.status);
        if (!Array.isArray(statuses)) return sendProblem(reply, statuses);
        const bounds = parseTimeBounds(q);
        if ('code' in bounds) return sendProblem(reply, bounds);
        const anomalies = await system.monitor.anomalies({
          ...bounds,
          ...(q.source !== undefined && { source: q.source as CountSource }),
          statuses,
          limit: q.limit ?? 100,
        });
        return { anomalies: anomalies.map(presentAnomaly) };
      },
    );

    typed.get(
      '/v1/monitor/incidents',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Incidents: one status going one way for a while, newest first',
          description:
            'Each with its start, peak, end, minutes affected and counts against expected; open ones are updated while they last ' +
            'and closed with a note once the status is back to normal. `from`/`to` select incidents overlapping that period.',
          tags: ['monitor'],
          querystring: Type.Object({
            from: Type.Optional(Type.String({ description: 'ISO 8601 with a zone.' })),
            to: Type.Optional(Type.String({ description: 'ISO 8601 with a zone, exclusive.' })),
            status: Type.Optional(Type.String({ description: 'Comma-separated statuses (`total` for all outcomes).' })),
            source: Type.Optional(Type.Union(COUNT_SOURCES.map((s) => Type.Literal(s)))),
            state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          }),
          response: { 200: MonitorIncidentsSchema },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const statuses = statusesParam(q.status);
        if (!Array.isArray(statuses)) return sendProblem(reply, statuses);
        const bounds = parseTimeBounds(q);
        if ('code' in bounds) return sendProblem(reply, bounds);
        const incidents = await system.monitor.incidents({
          ...bounds,
          ...(q.source !== undefined && { source: q.source as CountSource }),
          ...(q.state !== undefined && { state: q.state }),
          statuses,
          limit: q.limit ?? 100,
        });
        return { incidents: incidents.map(presentIncident) };
      },
    );

    typed.post(
      '/v1/monitor/incidents/:id/accept',
      {
        config: { role: 'admin' },
        schema: {
          summary: "Mark an open incident's level as the new normal",
          description:
            'The status is learned at the level its minutes showed during the incident (a new merchant, a changed process), its ' +
            'CUSUM starts again, and the incident and its alert are closed with a note naming who accepted it. Audited.',
          tags: ['monitor'],
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          response: { 200: MonitorIncidentSchema },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const before = await system.monitor.incident(request.params.id);
        if (!before) return sendProblem(reply, { code: 'not_found', message: 'No such incident.' });
        if (before.state === 'closed') {
          return sendProblem(reply, {
            code: 'invalid_transition',
            message: 'The incident is already closed: its status is being learned again.',
          });
        }
        const accepted = await system.monitor.acceptAsNormal(request.params.id, actor);
        if (!accepted) return sendProblem(reply, { code: 'not_found', message: 'No such incident.' });
        // Another accept (or the monitor) closed it between the check above and this one's turn:
        // the same answer as when it was closed before, and only the first accept is audited.
        if (accepted.outcome === 'already_closed') {
          return sendProblem(reply, {
            code: 'invalid_transition',
            message: 'The incident is already closed: its status is being learned again.',
          });
        }
        return presentIncident(accepted.incident);
      },
    );

    typed.get(
      '/v1/monitor/baselines',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'What the monitor has learned: per source and status, the recent level and each hour of the day, with bands',
          tags: ['monitor'],
          response: { 200: MonitorBaselinesSchema },
        },
      },
      async () => {
        const s = system.monitor.settings;
        return {
          settings: {
            cusumK: s.cusumK,
            cusumH: s.cusumH,
            rareH: s.rareH,
            minuteZ: s.minuteZ,
            minAbsoluteChange: s.minAbsoluteChange,
            closeAfterMinutes: s.closeAfterMinutes,
            adoptAfterMinutes: s.adoptAfterMinutes,
            timeOfDayAfterDays: s.timeOfDayAfterDays,
            minRecentSamples: s.minRecentSamples,
            sensitivity: s.sensitivity,
          },
          baselines: await system.monitor.baselines(),
        };
      },
    );
  };
}
