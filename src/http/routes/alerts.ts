import { Readable } from 'node:stream';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { MAX_COMMENT_LENGTH } from '../../alerts/alert-comments.js';
import { alertSortKey } from '../../alerts/alert-order.js';
import type { Assignee } from '../../alerts/alert-ownership.js';
import { MAX_BULK_ASSIGN } from '../../alerts/alert-ownership.js';
import type { AlertFilter, AlertSort } from '../../alerts/ports.js';
import type { Problem } from '../../core/errors.js';
import type { AlertAction, AlertStatus } from '../../domain/alert.js';
import { SEVERITIES, type Severity } from '../../domain/severity.js';
import {
  ALERT_ACTIONS,
  ALERT_GROUPINGS,
  ALERT_SORTS,
  ALERT_STATUSES,
  BULK_ALERT_ACTIONS,
  MAX_BULK_ALERTS,
} from '../../domain/vocabulary.js';
import type { System } from '../../system.js';
import { sendProblem } from '../errors.js';
import { actorOf, listParam, pageOf, parseTimeBounds, readCursor } from '../request-helpers.js';
import {
  AlertCommentSchema,
  AlertCommentsSchema,
  AlertCountsSchema,
  AlertDetailSchema,
  AlertGroupsSchema,
  AlertPageSchema,
  AlertSchema,
  BulkAlertResultSchema,
  BulkAssignResultSchema,
  literals,
} from '../schemas/index.js';
import { presentBulk, presentComment, presentCounts, presentGroups, presentStaffAlert, presentTransition } from '../schemas/present.js';
import type { VigilTypeProvider } from '../type-provider.js';

/**
 * The filter every alert list takes (the list, its counts, its groups, its export), so that the counts
 * above the feed and a downloaded file always describe the alerts the feed shows.
 */
const FilterQuery = {
  status: Type.Optional(Type.String({ description: `Comma-separated: ${ALERT_STATUSES.join(', ')}.` })),
  severity: Type.Optional(Type.String({ description: `Comma-separated: ${SEVERITIES.join(', ')}.` })),
  user: Type.Optional(Type.String({ maxLength: 256 })),
  ip: Type.Optional(Type.String({ maxLength: 45 })),
  rule: Type.Optional(Type.String({ maxLength: 100 })),
  type: Type.Optional(Type.Union([Type.Literal('security'), Type.Literal('transaction'), Type.Literal('system')])),
  q: Type.Optional(Type.String({ maxLength: 200, description: 'Searches the summary and context.' })),
  owner: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: '`me` (the signed-in person), `none` (nobody owns it) or a person id.',
    }),
  ),
  from: Type.Optional(Type.String({ description: 'Created at or after, ISO 8601.' })),
  to: Type.Optional(Type.String({ description: 'Created before, ISO 8601.' })),
  groupBy: Type.Optional(literals(ALERT_GROUPINGS, { description: 'With groupKey: only the alerts of one group.' })),
  groupKey: Type.Optional(Type.String({ maxLength: 300, description: 'A key from GET /v1/alerts/groups.' })),
};
const FilterQuerySchema = Type.Object(FilterQuery);
const SortQuery = {
  sort: Type.Optional(literals(ALERT_SORTS, { description: 'newest (the default), oldest, or severity (strongest first, then newest).' })),
};

/** The query's filter, or the problem with its first bad parameter. */
function readFilter(q: Static<typeof FilterQuerySchema>, request: FastifyRequest): AlertFilter | Problem {
  const status = listParam(q.status);
  const badStatus = status.find((s) => !(ALERT_STATUSES as readonly string[]).includes(s));
  if (badStatus !== undefined) {
    return { code: 'invalid_query', message: `status "${badStatus}" is not one of ${ALERT_STATUSES.join(', ')}.`, path: '/status' };
  }
  const severity = listParam(q.severity);
  const badSeverity = severity.find((s) => !(SEVERITIES as readonly string[]).includes(s));
  if (badSeverity !== undefined) {
    return { code: 'invalid_query', message: `severity "${badSeverity}" is not one of ${SEVERITIES.join(', ')}.`, path: '/severity' };
  }
  if ((q.groupBy === undefined) !== (q.groupKey === undefined)) {
    return {
      code: 'invalid_query',
      message: 'groupBy and groupKey go together.',
      path: q.groupBy === undefined ? '/groupBy' : '/groupKey',
    };
  }
  let owner: string | null | undefined;
  if (q.owner === 'none') owner = null;
  else if (q.owner === 'me') {
    owner = request.signedIn?.person.id;
    if (owner === undefined) {
      return { code: 'not_a_person', message: 'owner=me is the signed-in person; with an API key, give a person id.', path: '/owner' };
    }
  } else owner = q.owner;
  const bounds = parseTimeBounds(q);
  if ('code' in bounds) return bounds;
  return {
    status: status as AlertStatus[],
    severity: severity as Severity[],
    ...(q.user !== undefined && { user: q.user }),
    ...(q.ip !== undefined && { ip: q.ip }),
    ...(q.rule !== undefined && { rule: q.rule }),
    ...(q.type !== undefined && { type: q.type }),
    ...(q.q !== undefined && { q: q.q }),
    ...(owner !== undefined && { owner }),
    ...(q.groupBy !== undefined && q.groupKey !== undefined && { group: { by: q.groupBy, key: q.groupKey } }),
    ...bounds,
  };
}

export function alertRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();

    typed.get(
      '/v1/alerts',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Alerts, newest first (or oldest, or by severity), filtered and searched',
          tags: ['alerts'],
          querystring: Type.Object({
            ...FilterQuery,
            ...SortQuery,
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 400 })),
          }),
          response: { 200: AlertPageSchema },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const filter = readFilter(q, request);
        if ('code' in filter) return sendProblem(reply, filter);
        const cursor = readCursor(q.cursor);
        if ('code' in cursor) return sendProblem(reply, cursor);
        const after = cursor.after;
        const limit = q.limit ?? 50;
        const sort: AlertSort = q.sort ?? 'newest';
        const rows = await system.alerts.list({
          ...filter,
          sort,
          limit: limit + 1,
          ...(after && { after: { key: after.at, id: after.id } }),
        });
        const { page, nextCursor } = pageOf(rows, limit, (r) => [alertSortKey(r, sort), r.id]);
        return { alerts: page.map(presentStaffAlert), nextCursor };
      },
    );

    typed.get(
      '/v1/alerts/counts',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'How many alerts a filter selects, per status and per severity (one query)',
          tags: ['alerts'],
          querystring: FilterQuerySchema,
          response: { 200: AlertCountsSchema },
        },
      },
      async (request, reply) => {
        const filter = readFilter(request.query, request);
        if ('code' in filter) return sendProblem(reply, filter);
        return presentCounts(await system.alerts.counts(filter));
      },
    );

    typed.get(
      '/v1/alerts/groups',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'The alerts a filter selects, grouped by story, user or rule: each group’s key and count',
          tags: ['alerts'],
          querystring: Type.Object({
            ...FilterQuery,
            by: literals(ALERT_GROUPINGS),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          }),
          response: { 200: AlertGroupsSchema },
        },
      },
      async (request, reply) => {
        const filter = readFilter(request.query, request);
        if ('code' in filter) return sendProblem(reply, filter);
        const limit = request.query.limit ?? 100;
        const groups = await system.alerts.groups(filter, request.query.by, limit + 1);
        return presentGroups(request.query.by, groups, limit);
      },
    );

    typed.get(
      '/v1/alerts/export.csv',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'The alerts a filter selects as CSV, streamed (cells a spreadsheet would run as a formula are escaped)',
          tags: ['alerts'],
          querystring: Type.Object({ ...FilterQuery, ...SortQuery }),
          response: { 200: { description: 'CSV (RFC 4180), a header line first', content: { 'text/csv': { schema: Type.String() } } } },
        },
      },
      async (request, reply) => {
        const filter = readFilter(request.query, request);
        if ('code' in filter) return sendProblem(reply, filter);
        const lines = await system.alertExport.start(filter, request.query.sort ?? 'newest', actorOf(request));
        const day = new Date(system.clock.now()).toISOString().slice(0, 10);
        return (
          reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="vigil-alerts-${day}.csv"`)
            .header('cache-control', 'no-store')
            // The schema documents the body as text; Fastify sends a stream as it is read, page by page.
            .send(Readable.from(lines) as unknown as string)
        );
      },
    );

    typed.post(
      '/v1/alerts/bulk',
      {
        config: { role: 'analyst' },
        schema: {
          summary: `Acknowledge, resolve or mark as false positive up to ${MAX_BULK_ALERTS} alerts at once; one result per alert`,
          tags: ['alerts'],
          body: Type.Object(
            {
              ids: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: MAX_BULK_ALERTS }),
              action: literals(BULK_ALERT_ACTIONS),
              note: Type.Optional(Type.String({ maxLength: 2000 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: BulkAlertResultSchema },
        },
      },
      async (request) => {
        const { ids, action, note } = request.body;
        const outcomes = await system.alertService.actOnMany(ids, action, actorOf(request), note ?? null);
        return presentBulk(action, outcomes);
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
        return { ...presentStaffAlert(alert), transitions: transitions.map(presentTransition) };
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
        return presentStaffAlert(result.value);
      },
    );

    const ownerField = Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()], {
      description: '`me` (the signed-in person), a person id (an analyst or admin), or null to leave the alert to nobody.',
    });

    typed.put(
      '/v1/alerts/:id/owner',
      {
        config: { role: 'analyst' },
        schema: {
          summary: 'Give an alert to a member of staff, to yourself, or to nobody',
          description:
            'Audited as `alert.assigned` or `alert.unassigned`. 400 `invalid_assignee` for anyone but an analyst or admin; 400 `not_a_person` for `me` with an API key.',
          tags: ['alerts'],
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          body: Type.Object({ owner: ownerField }, { additionalProperties: false }),
          response: { 200: AlertSchema },
        },
      },
      async (request, reply) => {
        const result = await system.alertOwners.assign(request.params.id, assigneeOf(request, request.body.owner), actorOf(request));
        if (!result.ok) return sendProblem(reply, result.error);
        return presentStaffAlert(result.value);
      },
    );

    typed.post(
      '/v1/alerts/assign',
      {
        config: { role: 'analyst' },
        schema: {
          summary: 'Give many alerts to one member of staff (or to nobody)',
          description: `At most ${MAX_BULK_ASSIGN} ids. The assignee is checked once; then each alert is assigned and audited on its own, and its outcome reported by id (\`ok\`, the alert, or the error).`,
          tags: ['alerts'],
          body: Type.Object(
            {
              ids: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: MAX_BULK_ASSIGN }),
              owner: ownerField,
            },
            { additionalProperties: false },
          ),
          response: { 200: BulkAssignResultSchema },
        },
      },
      async (request, reply) => {
        const result = await system.alertOwners.assignMany(request.body.ids, assigneeOf(request, request.body.owner), actorOf(request));
        if (!result.ok) return sendProblem(reply, result.error);
        return {
          results: result.value.map((o) =>
            'alert' in o
              ? { id: o.id, ok: true, alert: presentStaffAlert(o.alert) }
              : { id: o.id, ok: false, error: { code: o.problem.code, message: o.problem.message } },
          ),
        };
      },
    );

    const alertParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

    typed.get(
      '/v1/alerts/:id/comments',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'An alert’s comment thread, oldest first',
          tags: ['alerts'],
          params: alertParams,
          response: { 200: AlertCommentsSchema },
        },
      },
      async (request, reply) => {
        const result = await system.alertComments.list(request.params.id);
        if (!result.ok) return sendProblem(reply, result.error);
        return { comments: result.value.map(presentComment) };
      },
    );

    typed.post(
      '/v1/alerts/:id/comments',
      {
        config: { role: 'analyst' },
        schema: {
          summary: 'Add a comment to an alert',
          description: `Plain text, 1 to ${MAX_COMMENT_LENGTH} characters, kept as written. Audited as \`alert.commented\` (who and where; the text stays in the thread).`,
          tags: ['alerts'],
          params: alertParams,
          body: Type.Object({ text: Type.String({ minLength: 1, maxLength: MAX_COMMENT_LENGTH }) }, { additionalProperties: false }),
          response: { 201: AlertCommentSchema },
        },
      },
      async (request, reply) => {
        const result = await system.alertComments.add(request.params.id, request.body.text, actorOf(request));
        if (!result.ok) return sendProblem(reply, result.error);
        return reply.code(201).send(presentComment(result.value));
      },
    );
  };
}

/** Who an `owner` field names: `me` (the signed-in person, if any), a person id, or nobody. */
function assigneeOf(request: FastifyRequest, owner: string | null): Assignee {
  if (owner === null) return null;
  if (owner === 'me') {
    const person = request.signedIn?.person;
    return { kind: 'me', me: person && { id: person.id, email: person.email } };
  }
  return { kind: 'person', id: owner };
}
