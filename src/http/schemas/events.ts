import { Type } from '@sinclair/typebox';
import { EventResultSchema, ReasonSchema } from '../../domain/event-schema.js';
import { SCENARIOS } from '../../domain/vocabulary.js';
import { type Body, DecisionSchema, EventTypeSchema, IsoTime, JsonObject, literals, NextCursor, Obj, SeveritySchema } from './common.js';

/**
 * What enrichment found, as stored with the event. The fields the dashboard reads are named; the
 * rest (IP scope, network, familiarity, more of the location and user agent) is shown as stored.
 */
export const EnrichmentSchema = Type.Object(
  {
    geo: Type.Optional(
      Type.Object({ country: Type.Optional(Type.String()), city: Type.Optional(Type.String()) }, { additionalProperties: true }),
    ),
    userAgent: Type.Optional(Type.Object({ summary: Type.String(), deviceClass: Type.String() }, { additionalProperties: true })),
    novelty: Type.Optional(
      Obj({
        hasHistory: Type.Boolean(),
        newDevice: Type.Union([Type.Boolean(), Type.Null()]),
        newCountry: Type.Union([Type.Boolean(), Type.Null()]),
        newNetwork: Type.Union([Type.Boolean(), Type.Null()]),
      }),
    ),
  },
  { additionalProperties: true },
);

/** A stored event with its enrichment and the answer it got. */
export const StoredEventSchema = Obj(
  {
    id: Type.String(),
    type: EventTypeSchema,
    user: Type.String(),
    timestamp: IsoTime,
    receivedAt: IsoTime,
    session: Type.Optional(Type.String()),
    device: Type.Optional(Type.String()),
    ip: Type.Optional(Type.String()),
    userAgent: Type.Optional(Type.String()),
    email: Type.Optional(Type.String()),
    amount: Type.Optional(Type.Number()),
    currency: Type.Optional(Type.String()),
    merchant: Type.Optional(Type.String()),
    paymentMethod: Type.Optional(Type.String()),
    path: Type.Optional(Type.String()),
    attributes: Type.Optional(JsonObject),
    enrichment: EnrichmentSchema,
    decision: DecisionSchema,
    risk: Type.Number(),
    severity: SeveritySchema,
    reasons: Type.Array(ReasonSchema),
    alertId: Type.Optional(Type.String()),
  },
  { title: 'StoredEvent' },
);
export type StoredEvent = Body<typeof StoredEventSchema>;

export const EventPageSchema = Obj(
  { user: Type.String(), events: Type.Array(StoredEventSchema), nextCursor: NextCursor },
  { title: 'EventPage' },
);
export type EventPage = Body<typeof EventPageSchema>;

/** The answer for one event (POST /v1/events), without the `$id` the events route registers it by. */
export const EventAnswerSchema = Type.Object(EventResultSchema.properties);
export type EventAnswer = Body<typeof EventAnswerSchema>;

export const ScenarioSchema = literals(SCENARIOS);
export type Scenario = Body<typeof ScenarioSchema>;

/** POST /v1/me/simulate. */
export const SimulationResultSchema = Obj(
  { scenario: ScenarioSchema, results: Type.Array(EventAnswerSchema) },
  { title: 'SimulationResult' },
);
export type SimulationResult = Body<typeof SimulationResultSchema>;

const ItemErrorSchema = Obj({
  error: Obj({
    code: Type.String(),
    message: Type.String(),
    path: Type.Optional(Type.String()),
    id: Type.Optional(
      Type.String({
        description:
          'With `busy` (several processes only): the id of an event no worker answered in time, given by Vigil if it came without one. Send the event again with it: it is stored once.',
      }),
    ),
  }),
});

/** A JSON batch's answer (200, or 207 when some events were refused). Its results name `EventResult` by `$ref`. */
export const BatchResultSchema = Obj(
  {
    accepted: Type.Integer(),
    rejected: Type.Integer(),
    results: Type.Array(Type.Union([Type.Ref('EventResult'), ItemErrorSchema]), {
      description: 'One entry per submitted event, in order: its answer, or why it was refused.',
    }),
  },
  { title: 'BatchResult' },
);
export type BatchResult = Body<typeof BatchResultSchema>;

/** An NDJSON stream's answer. */
export const StreamSummarySchema = Obj(
  {
    accepted: Type.Integer(),
    rejected: Type.Integer(),
    errors: Type.Array(
      Obj({
        line: Type.Integer(),
        code: Type.String(),
        message: Type.String(),
        path: Type.Optional(Type.String()),
        id: Type.Optional(Type.String({ description: 'With `busy`: the event’s id, to send it again with (as in a batch).' })),
      }),
    ),
    errorsTruncated: Type.Boolean({
      description: 'More lines were rejected than `errors` lists (it keeps the first 1000, and every `busy` line with its id).',
    }),
    notSentFromLine: Type.Optional(
      Type.Integer({
        description:
          'Several processes only: events of the stream were not answered in time (`busy`, each listed with its id), so it was not sent on from this line; send again the `busy` lines with their ids and every line from this one.',
      }),
    ),
  },
  { title: 'StreamSummary' },
);
export type StreamSummary = Body<typeof StreamSummarySchema>;
