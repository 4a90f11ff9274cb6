import { Type } from '@sinclair/typebox';
import { type Body, IsoTime, literals, Nullable } from './common.js';

/**
 * The volume monitor's answers, loosely: the fields the dashboard reads are named, and any others are
 * passed through as they are (`additionalProperties: true`), as the monitor's answers are still growing.
 */
const loose = { additionalProperties: true } as const;

const SourceSchema = literals(['reported', 'events']);
const DirectionSchema = literals(['rise', 'drop']);
const AnomalySeveritySchema = literals(['low', 'medium', 'high']);

/** One minute of GET /v1/monitor/series. */
export const MonitorPointSchema = Type.Object(
  {
    timestamp: IsoTime,
    count: Type.Number(),
    expected: Nullable(Type.Number({ description: 'What the minute was judged against; null while the status was still learning.' })),
    lower: Nullable(Type.Number()),
    upper: Nullable(Type.Number()),
    score: Nullable(Type.Number()),
    anomaly: Type.Boolean(),
    direction: Type.Optional(DirectionSchema),
    severity: Type.Optional(AnomalySeveritySchema),
    reason: Type.Optional(Type.String()),
    alertId: Type.Optional(Nullable(Type.String())),
    incidentId: Type.Optional(Nullable(Type.String({ description: 'The incident the minute belongs to.' }))),
  },
  loose,
);
export type MonitorPoint = Body<typeof MonitorPointSchema>;

export const MonitorSeriesSchema = Type.Object(
  { source: SourceSchema, status: Type.String(), anomalies: Type.Integer(), points: Type.Array(MonitorPointSchema) },
  loose,
);
export type MonitorSeries = Body<typeof MonitorSeriesSchema>;

export const MonitorSeriesPageSchema = Type.Object(
  { from: IsoTime, to: IsoTime, series: Type.Array(MonitorSeriesSchema) },
  { ...loose, title: 'MonitorSeriesPage' },
);
export type MonitorSeriesPage = Body<typeof MonitorSeriesPageSchema>;

export const MonitorAnomalySchema = Type.Object(
  {
    id: Type.String(),
    source: SourceSchema,
    timestamp: IsoTime,
    status: Type.String(),
    count: Type.Number(),
    direction: DirectionSchema,
    severity: AnomalySeveritySchema,
    reason: Type.String(),
    alertId: Nullable(Type.String()),
  },
  loose,
);
export const MonitorAnomaliesSchema = Type.Object({ anomalies: Type.Array(MonitorAnomalySchema) }, { ...loose, title: 'MonitorAnomalies' });

export const MonitorBaselinesSchema = Type.Object(
  { settings: Type.Object({}, loose), baselines: Type.Array(Type.Unknown()) },
  { ...loose, title: 'MonitorBaselines' },
);

/** One incident: a status going one way for a while, with its one alert (GET /v1/monitor/incidents). */
export const MonitorIncidentSchema = Type.Object(
  {
    id: Type.String(),
    source: SourceSchema,
    status: Type.String(),
    direction: DirectionSchema,
    state: literals(['open', 'closed']),
    start: IsoTime,
    detectedAt: IsoTime,
    lastAbnormal: IsoTime,
    end: Nullable(IsoTime),
    closedAt: Nullable(IsoTime),
    minutes: Type.Integer(),
    anomalousMinutes: Type.Integer(),
    count: Type.Number(),
    expected: Type.Number(),
    peak: Type.Object({ timestamp: IsoTime, count: Type.Number(), expected: Type.Number(), score: Type.Number() }),
    note: Nullable(Type.String()),
    alertId: Nullable(Type.String()),
  },
  { additionalProperties: false, title: 'MonitorIncident' },
);
export type MonitorIncident = Body<typeof MonitorIncidentSchema>;

export const MonitorIncidentsSchema = Type.Object(
  { incidents: Type.Array(MonitorIncidentSchema) },
  { additionalProperties: false, title: 'MonitorIncidents' },
);
