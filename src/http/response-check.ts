import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance } from 'fastify';
import { EventInputSchema, EventResultSchema } from '../domain/event-schema.js';

/** Schemas that response schemas name by `$ref`. */
const REFERENCES: TSchema[] = [EventResultSchema, EventInputSchema];

/**
 * For tests (`buildApp(system, { checkResponses: true })`): every answer a route gives is checked
 * against the route's `response` schema for its status before it is serialized, and a mismatch fails
 * the request (500) with the differences on stderr. Serialization by schema drops a property the
 * schema does not name, silently; the schemas forbid unnamed properties (`additionalProperties:
 * false`), so here a presenter's field that a schema forgot fails the test that sent the request.
 */
export function checkResponses(app: FastifyInstance): void {
  app.addHook('preSerialization', async (request, reply, payload) => {
    const responses = request.routeOptions.schema?.response as Record<string, unknown> | undefined;
    const schema = responses?.[reply.statusCode] ?? responses?.[`${String(reply.statusCode)[0]}xx`];
    if (schema === undefined || typeof schema !== 'object' || schema === null || 'content' in schema) return payload;
    if (!Value.Check(schema as TSchema, REFERENCES, payload)) {
      const errors = [...Value.Errors(schema as TSchema, REFERENCES, payload)].slice(0, 5).map((e) => `${e.path}: ${e.message}`);
      const message = `${request.method} ${request.routeOptions.url} answered ${reply.statusCode} outside its response schema: ${errors.join('; ')}`;
      console.error(message);
      throw new Error(message);
    }
    return payload;
  });
}
