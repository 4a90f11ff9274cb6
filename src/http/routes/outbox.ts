import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { System } from '../../system.js';
import { sendProblem } from '../errors.js';
import { pageOf, readCursor } from '../request-helpers.js';
import { OutboxPageSchema } from '../schemas/index.js';
import { presentOutboxMessage } from '../schemas/present.js';
import type { VigilTypeProvider } from '../type-provider.js';

export function outboxRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();

    typed.get(
      '/v1/outbox',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Messages kept instead of sent, newest first: the mailbox of a Vigil without SMTP server or SMS gateway',
          description:
            'When VIGIL_SMTP_URL is not set, email goes here instead of to a mail server; when VIGIL_SMS_GATEWAY_URL is not set, ' +
            'SMS does too. It is the stand-in mailbox of a demo with no mail server (the dashboard shows it), so messages keep their ' +
            'full text, one-time codes included, for admins to read. A production deployment configures both transports, and ' +
            'this list stays empty.',
          tags: ['notifications'],
          querystring: Type.Object({
            user: Type.Optional(Type.String({ maxLength: 256, description: 'Only messages about this account.' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 400 })),
          }),
          response: { 200: OutboxPageSchema },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const cursor = readCursor(q.cursor);
        if ('code' in cursor) return sendProblem(reply, cursor);
        const after = cursor.after;
        const limit = q.limit ?? 50;
        const rows = await system.outbox.list({
          ...(q.user !== undefined && { user: q.user }),
          limit: limit + 1,
          ...(after && { after: { createdAt: after.at, id: after.id } }),
        });
        const { page, nextCursor } = pageOf(rows, limit, (r) => [r.createdAt, r.id]);
        return {
          messages: page.map(presentOutboxMessage),
          nextCursor,
        };
      },
    );
  };
}
