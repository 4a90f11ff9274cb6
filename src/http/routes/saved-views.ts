import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { MAX_VIEW_NAME_LENGTH, MAX_VIEW_QUERY_LENGTH } from '../../alerts/saved-views.js';
import type { System } from '../../system.js';
import { sendProblem } from '../errors.js';
import { actorOf, ownerOf } from '../request-helpers.js';
import { NoContentSchema, SavedViewListSchema, SavedViewSchema } from '../schemas/index.js';
import { presentSavedView } from '../schemas/present.js';
import type { VigilTypeProvider } from '../type-provider.js';

/**
 * The alert feed's saved views: each staff member sees and changes only their own (the owner comes
 * from the key or session, never from the request). A view is shared as a link: its query is the feed's.
 */
export function savedViewRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();

    typed.get(
      '/v1/saved-views',
      {
        config: { role: 'viewer' },
        schema: { summary: 'Your saved views of the alert feed, by name', tags: ['alerts'], response: { 200: SavedViewListSchema } },
      },
      async (request) => ({ views: (await system.savedViews.list(ownerOf(request))).map(presentSavedView) }),
    );

    typed.post(
      '/v1/saved-views',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Save the alert feed’s filter under a name (the same name again replaces it)',
          tags: ['alerts'],
          body: Type.Object(
            {
              name: Type.String({ minLength: 1, maxLength: MAX_VIEW_NAME_LENGTH }),
              query: Type.String({
                maxLength: MAX_VIEW_QUERY_LENGTH,
                description: 'The feed’s query string, e.g. status=new&severity=high.',
              }),
            },
            { additionalProperties: false },
          ),
          response: { 201: SavedViewSchema },
        },
      },
      async (request, reply) => {
        const saved = await system.savedViews.save(ownerOf(request), actorOf(request), request.body);
        if (!saved.ok) return sendProblem(reply, saved.error);
        return reply.code(201).send(presentSavedView(saved.value));
      },
    );

    typed.delete(
      '/v1/saved-views/:id',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Delete one of your saved views',
          tags: ['alerts'],
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          response: { 204: NoContentSchema },
        },
      },
      async (request, reply) => {
        const deleted = await system.savedViews.delete(ownerOf(request), actorOf(request), request.params.id);
        if (!deleted.ok) return sendProblem(reply, deleted.error);
        return reply.code(204).send();
      },
    );
  };
}
