import { type Static, type TLiteral, type TObject, type TProperties, type TSchema, type TUnion, Type } from '@sinclair/typebox';
import { DECISIONS } from '../../domain/event-schema.js';
import { SEVERITIES } from '../../domain/severity.js';
import { EVENT_TYPES } from '../../domain/vocabulary.js';

/**
 * Building blocks of the response schemas. Every file of this folder but `*.present.ts` imports
 * nothing but TypeBox and the event schema, so that the dashboard can import its types (web/).
 */

/**
 * An object of exactly these properties. Fastify serializes a response by its schema and drops what
 * the schema does not name; `additionalProperties: false` says so in the document too, and lets the
 * tests' response check (http/response-check.ts) fail on a field a schema forgot.
 */
export const Obj = <P extends TProperties>(properties: P, options: { title?: string; description?: string } = {}): TObject<P> =>
  Type.Object(properties, { additionalProperties: false, ...options });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A time as ISO 8601 (UTC, milliseconds). */
export const IsoTime = Type.String({ description: 'ISO 8601, UTC' });

/** Free JSON: stored and shown as it is. */
export const JsonObject = Type.Record(Type.String(), Type.Unknown());

/** The cursor of the next page of a keyset-paginated list; null on the last page. */
export const NextCursor = Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last.' }));

/** One of these strings. */
export const literals = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as unknown as TUnion<Extract<Literals<T>, TSchema[]>>;

type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K] & string> };

export const SeveritySchema = literals(SEVERITIES);
export const DecisionSchema = literals(DECISIONS);
export const EventTypeSchema = literals(EVENT_TYPES);

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The type of a response body: what its schema says, read-only (presenters may hand over read-only arrays). */
export type Body<T extends TSchema> = DeepReadonly<Static<T>>;

export type Severity = Body<typeof SeveritySchema>;
export type Decision = Body<typeof DecisionSchema>;
export type EventType = Body<typeof EventTypeSchema>;

/**
 * Where an outbound item's attempts stand (a webhook delivery, a staff chat message): the same
 * fields, in the same order, in both logs.
 */
export const AttemptProperties = {
  status: literals(['pending', 'delivered', 'failed']),
  attempts: Type.Integer(),
  nextAttemptAt: Nullable(IsoTime),
  lastStatusCode: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  createdAt: IsoTime,
  deliveredAt: Nullable(IsoTime),
};
