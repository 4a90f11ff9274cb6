import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AlertAction, AlertStatus } from '../../domain/alert.js';
import { SEVERITIES, type Severity } from '../../domain/severity.js';
import { ALERT_ACTIONS, ALERT_STATUSES } from '../../domain/vocabulary.js';
import type { System } from '../../system.js';
import { sendProblem } from '../errors.js';
import { actorOf, listParam, pageOf, parseTimeBounds, readCursor } from '../request-helpers.js';
import { AlertDetailSchema, AlertPageSchema, AlertSchema } from '../schemas/index.js';
import { presentAlert, presentTransition } from '../schemas/present.js';
import type { VigilTypeProvider } from '../type-provider.js';

export function alertRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();

    typed.get(
      '/v1/alerts',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Alerts, newest first, filtered and searched',
          tags: ['alerts'],
          querystring: Type.Object({
            status: Type.Optional(Type.String({ description: `Comma-separated: ${ALERT_STATUSES.join(', ')}.` })),
            severity: Type.Optional(Type.String({ description: `Comma-separated: ${SEVERITIES.join(', ')}.` })),
            user: Type.Optional(Type.String({ maxLength: 256 })),
            ip: Type.Optional(Type.String({ maxLength: 45 })),
            rule: Type.Optional(Type.String({ maxLength: 100 })),
            type: Type.Optional(Type.Union([Type.Literal('security'), Type.Literal('transaction'), Type.Literal('system')])),
            q: Type.Optional(Type.String({ maxLength: 200, description: 'Searches the summary and context.' })),
            from: Type.Optional(Type.String({ description: 'Created at or after, ISO 8601.' })),
            to: Type.Optional(Type.String({ description: 'Created before, ISO 8601.' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 400 })),
          }),
          response: { 200: AlertPageSchema },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const status = listParam(q.status);
        const badStatus = status.find((s) => !(ALERT_STATUSES as readonly string[]).includes(s));
        if (badStatus !== undefined) {
          return sendProblem(reply, {
            code: 'invalid_query',
            message: `status "${badStatus}" is not one of ${ALERT_STATUSES.join(', ')}.`,
            path: '/status',
          });
        }
        const severity = listParam(q.severity);
        const badSeverity = severity.find((s) => !(SEVERITIES as readonly string[]).includes(s));
        if (badSeverity !== undefined) {
          return sendProblem(reply, {
            code: 'invalid_query',
            message: `severity "${badSeverity}" is not one of ${SEVERITIES.join(', ')}.`,
            path: '/severity',
          });
        }
        const bounds = parseTimeBounds(q);
        if ('code' in bounds) return sendProblem(reply, bounds);
        const cursor = readCursor(q.cursor);
        if ('code' in cursor) return sendProblem(reply, cursor);
        const after = cursor.after;
        const limit = q.limit ?? 50;
        const rows = await system.alerts.list({
          status: status as AlertStatus[],
          severity: severity as Severity[],
          ...(q.user !== undefined && { user: q.user }),
          ...(q.ip !== undefined && { ip: q.ip }),
          ...(q.rule !== undefined && { rule: q.rule }),
          ...(q.type !== undefined && { type: q.type }),
          ...(q.q !== undefined && { q: q.q }),
          ...bounds,
          limit: limit + 1,
          ...(after && { after: { createdAt: after.at, id: after.id } }),
        });
        const { page, nextCursor } = pageOf(rows, limit, (r) => [r.createdAt, r.id]);
        return { alerts: page.map(presentAlert), nextCursor };
      },
    );

    typed.get(
      '/v1/alerts/:id',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'One alert with its full context and history',
          tags: ['alerts'],
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          response: { 200: AlertDetailSchema },
        },
      },
      async (request, reply) => {
        const alert = await system.alerts.get(request.params.id);
        if (!alert) return sendProblem(reply, { code: 'not_found', message: `No alert ${request.params.id}.` });
        const transitions = await system.alerts.transitions(alert.id);
        return { ...presentAlert(alert), transitions: transitions.map(presentTransition) };
      },
    );

    typed.post(
      '/v1/alerts/:id/:action',
      {
        config: { role: 'analyst' },
        schema: {
          summary: 'Acknowledge, escalate, resolve or mark an alert as a false positive',
          tags: ['alerts'],
          params: Type.Object({ id: Type.String({ maxLength: 64 }), action: Type.Union(ALERT_ACTIONS.map((a) => Type.Literal(a))) }),
          body: Type.Optional(Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false })),
          response: { 200: AlertSchema },
        },
      },
      async (request, reply) => {
        const result = await system.alertService.act(
          request.params.id,
          request.params.action as AlertAction,
          actorOf(request),
          request.body?.note ?? null,
        );
        if (!result.ok) return sendProblem(reply, result.error);
        return presentAlert(result.value);
      },
    );
  };
}
