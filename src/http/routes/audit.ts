import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { isAuditAction } from '../../audit/audit-entry.js';
import { AUDIT_ACTIONS } from '../../domain/vocabulary.js';
import type { System } from '../../system.js';
import { sendProblem } from '../errors.js';
import { pageOf, readCursor } from '../request-helpers.js';
import { AuditPageSchema, AuditVerifySchema } from '../schemas/index.js';
import { presentAuditEntry } from '../schemas/present.js';
import type { VigilTypeProvider } from '../type-provider.js';

export function auditRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();

    typed.get(
      '/v1/audit',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'The audit trail, newest first: every action by Vigil or a person, hash-chained',
          tags: ['audit'],
          querystring: Type.Object({
            subject: Type.Optional(Type.String({ maxLength: 300, description: 'e.g. account:alice, alert:alrt_…, rule:…, key:…' })),
            action: Type.Optional(Type.String({ maxLength: 64, description: `One of: ${AUDIT_ACTIONS.join(', ')}.` })),
            actor: Type.Optional(Type.String({ maxLength: 300, description: 'Exactly as recorded, e.g. vigil, cli, "ops (key_…)".' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 400 })),
          }),
          response: { 200: AuditPageSchema },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const action = q.action;
        if (action !== undefined && !isAuditAction(action)) {
          return sendProblem(reply, {
            code: 'invalid_query',
            message: `action "${action}" is not one of ${AUDIT_ACTIONS.join(', ')}.`,
            path: '/action',
          });
        }
        const cursor = readCursor(q.cursor);
        if ('code' in cursor) return sendProblem(reply, cursor);
        // An audit cursor's id is the entry's number.
        const beforeSeq = cursor.after && /^\d{1,15}$/.test(cursor.after.id) ? Number(cursor.after.id) : undefined;
        if (cursor.after && beforeSeq === undefined)
          return sendProblem(reply, { code: 'invalid_cursor', message: 'cursor is not one this API returned.', path: '/cursor' });
        const limit = q.limit ?? 50;
        const rows = await system.audit.list({
          ...(q.subject !== undefined && { subject: q.subject }),
          ...(action !== undefined && { action }),
          ...(q.actor !== undefined && { actor: q.actor }),
          limit: limit + 1,
          ...(beforeSeq !== undefined && { beforeSeq }),
        });
        const { page, nextCursor } = pageOf(rows, limit, (r) => [r.at, String(r.seq)]);
        return {
          entries: page.map(presentAuditEntry),
          nextCursor,
        };
      },
    );

    typed.get(
      '/v1/audit/verify',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Re-hash the whole audit chain and name the first broken entry',
          description:
            'Reads every entry oldest first. `broken.reason` is `hash mismatch` (the entry was edited), `chain break` ' +
            '(its prevHash is not the previous hash) or `gap` (the entry numbered `seq` is missing).',
          tags: ['audit'],
          response: { 200: AuditVerifySchema },
        },
      },
      async () => system.audit.verify(),
    );
  };
}
