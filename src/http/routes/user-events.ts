import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { EventType } from '../../domain/event-schema.js';
import { EVENT_TYPES } from '../../domain/vocabulary.js';
import type { System } from '../../system.js';
import { sendProblem } from '../errors.js';
import { listParam, pageOf, parseTimeBounds, readCursor } from '../request-helpers.js';
import { EventPageSchema } from '../schemas/index.js';
import { presentEvent } from '../schemas/present.js';
import type { VigilTypeProvider } from '../type-provider.js';

const MAX_PAGE = 500;

export function userEventRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();
    typed.get(
      '/v1/users/:user/events',
      {
        config: { role: 'viewer' },
        schema: {
          summary: "A user's events, newest first, with their enrichment",
          tags: ['events'],
          params: Type.Object({ user: Type.String({ minLength: 1, maxLength: 256 }) }),
          querystring: Type.Object({
            type: Type.Optional(Type.String({ description: `Comma-separated event types: ${EVENT_TYPES.join(', ')}.` })),
            from: Type.Optional(Type.String({ description: 'Inclusive start of event time, ISO 8601.' })),
            to: Type.Optional(Type.String({ description: 'Exclusive end of event time, ISO 8601.' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 400, description: 'nextCursor of the previous page.' })),
          }),
          response: { 200: EventPageSchema },
        },
      },
      async (request, reply) => {
        const { user } = request.params;
        const q = request.query;
        const types = listParam(q.type);
        const unknown = types.find((t) => !(EVENT_TYPES as readonly string[]).includes(t));
        if (unknown !== undefined) {
          return sendProblem(reply, {
            code: 'invalid_query',
            message: `type "${unknown}" is not one of: ${EVENT_TYPES.join(', ')}.`,
            path: '/type',
          });
        }
        const bounds = parseTimeBounds(q);
        if ('code' in bounds) return sendProblem(reply, bounds);
        const cursor = readCursor(q.cursor);
        if ('code' in cursor) return sendProblem(reply, cursor);
        const after = cursor.after;
        const limit = q.limit ?? 50;
        // One extra row tells whether there is a next page without a count query.
        const rows = await system.events.listUserEvents({
          user,
          types: types as EventType[],
          ...bounds,
          limit: limit + 1,
          ...(after && { after: { occurredAt: after.at, id: after.id } }),
        });
        const { page, nextCursor } = pageOf(rows, limit, (r) => [r.occurredAt, r.id]);
        return {
          user,
          events: page.map(presentEvent),
          nextCursor,
        };
      },
    );
  };
}
