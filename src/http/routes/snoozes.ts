import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { MAX_REASON_LENGTH, MEMBER_SNOOZABLE_RULES } from '../../snoozes/snooze-service.js';
import type { System } from '../../system.js';
import { sendProblem } from '../errors.js';
import { actorOf } from '../request-helpers.js';
import { OwnSnoozeSchema, OwnSnoozesSchema, SnoozeSchema, SnoozesSchema } from '../schemas/index.js';
import { presentOwnSnooze, presentSnooze } from '../schemas/present.js';
import type { VigilTypeProvider } from '../type-provider.js';

const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const RuleId = Type.String({ minLength: 1, maxLength: 100, description: 'A rule id, as GET /v1/rules lists them.' });
const Until = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'When the snooze ends: ISO 8601 with a time zone, in the future (at most 90 days ahead; 30 for members).',
});
const Reason = Type.String({ minLength: 1, maxLength: MAX_REASON_LENGTH, description: 'Why, for the audit log and colleagues.' });
const ListQuery = {
  active: Type.Optional(Type.Boolean({ description: 'true: only the snoozes in force now.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
};

const SEMANTICS =
  'While a snooze is in force (until it ends or is cancelled) the rule still runs for that account, and its findings are ' +
  'recorded with the event as suppressed (`suppressedBy: "snooze"`), but they add nothing to risk, decision or alerts. ' +
  'Every creation and cancellation is audited.';

/** The member's own user id: from the session, never from the request. */
const userOf = (request: FastifyRequest): string => request.signedIn?.person.user as string;

/** Rule snoozes: admins for any account and rule; members for their own account and the rules they can speak for. */
export function snoozeRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();
    const snoozes = system.snoozes;
    const now = () => system.clock.now();

    typed.get(
      '/v1/snoozes',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Rule snoozes, newest first',
          tags: ['snoozes'],
          querystring: Type.Object({
            user: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            rule: Type.Optional(RuleId),
            ...ListQuery,
          }),
          response: { 200: SnoozesSchema },
        },
      },
      async (request) => {
        const q = request.query;
        const rows = await snoozes.list({
          limit: q.limit ?? 100,
          ...(q.user !== undefined && { user: q.user }),
          ...(q.rule !== undefined && { rule: q.rule }),
          ...(q.active !== undefined && { active: q.active }),
        });
        const at = now();
        return { snoozes: rows.map((s) => presentSnooze(s, at)) };
      },
    );

    typed.post(
      '/v1/snoozes',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Snooze a rule for one account until a time',
          description: SEMANTICS,
          tags: ['snoozes'],
          body: Type.Object(
            { rule: RuleId, user: Type.String({ minLength: 1, maxLength: 200 }), until: Until, reason: Reason },
            { additionalProperties: false },
          ),
          response: { 201: SnoozeSchema },
        },
      },
      async (request, reply) => {
        const created = await snoozes.create(request.body, actorOf(request), 'admin');
        if (!created.ok) return sendProblem(reply, created.error);
        return reply.code(201).send(presentSnooze(created.value, now()));
      },
    );

    typed.delete(
      '/v1/snoozes/:id',
      {
        config: { role: 'admin' },
        schema: { summary: 'Cancel a snooze', tags: ['snoozes'], params: Params, response: { 200: SnoozeSchema } },
      },
      async (request, reply) => {
        const cancelled = await snoozes.cancel(request.params.id, actorOf(request));
        if (!cancelled.ok) return sendProblem(reply, cancelled.error);
        return presentSnooze(cancelled.value, now());
      },
    );

    typed.get(
      '/v1/me/snoozes',
      {
        config: { role: 'member' },
        schema: {
          summary: 'My snoozes, newest first',
          tags: ['me'],
          querystring: Type.Object(ListQuery),
          response: { 200: OwnSnoozesSchema },
        },
      },
      async (request) => {
        const q = request.query;
        const rows = await snoozes.list(
          { user: userOf(request), limit: q.limit ?? 100, ...(q.active !== undefined && { active: q.active }) },
          true,
        );
        const at = now();
        return { snoozes: rows.map((s) => presentOwnSnooze(s, at)), rules: MEMBER_SNOOZABLE_RULES };
      },
    );

    typed.post(
      '/v1/me/snoozes',
      {
        config: { role: 'member' },
        schema: {
          summary: '"I\'m travelling": snooze a rule on my account until a time',
          description: `${SEMANTICS} Members may snooze ${MEMBER_SNOOZABLE_RULES.join(', ')}, at most 30 days ahead, 5 at a time.`,
          tags: ['me'],
          body: Type.Object({ rule: RuleId, until: Until, reason: Reason }, { additionalProperties: false }),
          response: { 201: OwnSnoozeSchema },
        },
      },
      async (request, reply) => {
        const created = await snoozes.create({ ...request.body, user: userOf(request) }, actorOf(request), 'member');
        if (!created.ok) return sendProblem(reply, created.error);
        return reply.code(201).send(presentOwnSnooze(created.value, now()));
      },
    );

    typed.delete(
      '/v1/me/snoozes/:id',
      {
        config: { role: 'member' },
        schema: { summary: 'Cancel one of my snoozes', tags: ['me'], params: Params, response: { 200: OwnSnoozeSchema } },
      },
      async (request, reply) => {
        const cancelled = await snoozes.cancel(request.params.id, actorOf(request), userOf(request));
        if (!cancelled.ok) return sendProblem(reply, cancelled.error);
        return presentOwnSnooze(cancelled.value, now());
      },
    );
  };
}
