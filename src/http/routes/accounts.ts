import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { alertUser } from '../../domain/alert.js';
import { LOCK_SCOPES } from '../../domain/lock.js';
import type { CodeProblem } from '../../respond/one-time-codes.js';
import type { System } from '../../system.js';
import { sendProblem } from '../errors.js';
import { actorOf } from '../request-helpers.js';
import { AccountPageSchema, AccountSchema, ConfirmedSchema, DisputedSchema, SentCodeSchema, UnlockedSchema } from '../schemas/index.js';
import { presentAccount, presentAlert, presentSent } from '../schemas/present.js';
import type { VigilTypeProvider } from '../type-provider.js';

export function sendCodeProblem(reply: FastifyReply, problem: CodeProblem): FastifyReply {
  if (problem.retryAfterMs !== undefined) reply.header('retry-after', Math.ceil(problem.retryAfterMs / 1000));
  const { retryAfterMs: _r, attemptsLeft, ...rest } = problem;
  // attemptsLeft travels in the message; the body keeps the one error shape of every route.
  void attemptsLeft;
  return sendProblem(reply, rest);
}

/** The owner acting through the client app: recorded as the user, with the key that carried it. */
const ownerActor = (request: FastifyRequest, user: string) => `user:${user} via ${actorOf(request)}`;

const User = Type.Object({ user: Type.String({ minLength: 1, maxLength: 256 }) });
const AlertId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const Code = Type.String({ minLength: 1, maxLength: 16, description: 'The 6-digit code the user received.' });
const Channel = Type.Union([Type.Literal('email'), Type.Literal('sms')]);

export function accountRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();
    const accounts = system.accountService;

    typed.get(
      '/v1/accounts',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Accounts Vigil knows of: locked first, then the least healthy',
          tags: ['accounts'],
          querystring: Type.Object({
            locked: Type.Optional(Type.Boolean({ description: 'Only locked accounts.' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: 'From the previous page.' })),
          }),
          response: { 200: AccountPageSchema },
        },
      },
      async (request) => {
        const limit = request.query.limit ?? 50;
        const offset = Number(request.query.cursor ?? 0);
        const rows = await accounts.list({ ...(request.query.locked && { lockedOnly: true }), limit: limit + 1, offset });
        return { accounts: rows.slice(0, limit).map(presentAccount), nextCursor: rows.length > limit ? String(offset + limit) : null };
      },
    );

    typed.get(
      '/v1/accounts/:user',
      {
        config: { role: ['ingest', 'viewer'] },
        schema: {
          summary: 'Lock state, Security Health and suggestions of one account',
          tags: ['accounts'],
          params: User,
          response: { 200: AccountSchema },
        },
      },
      async (request) => presentAccount(await accounts.view(request.params.user)),
    );

    typed.put(
      '/v1/accounts/:user/contact',
      {
        config: { role: 'ingest' },
        schema: {
          summary: "The user's email and phone, where one-time codes go",
          tags: ['accounts'],
          params: User,
          body: Type.Object(
            {
              email: Type.Optional(Type.String({ format: 'email', maxLength: 320 })),
              phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9][0-9 ()-]{5,24}$', description: 'E.164 preferred: +447700900123.' })),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: AccountSchema },
        },
      },
      async (request) => {
        const { email, phone } = request.body;
        const contact = { ...(email !== undefined && { email }), ...(phone !== undefined && { phone }) };
        return presentAccount(await accounts.setContact(request.params.user, contact, ownerActor(request, request.params.user)));
      },
    );

    typed.post(
      '/v1/accounts/:user/otp',
      {
        config: { role: 'ingest' },
        schema: {
          summary: 'Send the owner a one-time code that unlocks the account',
          description: 'At most one a minute and ten a day per account; the code expires after 10 minutes.',
          tags: ['accounts'],
          params: User,
          body: Type.Optional(Type.Object({ channel: Type.Optional(Channel) }, { additionalProperties: false })),
          response: { 202: SentCodeSchema },
        },
      },
      async (request, reply) => {
        const user = request.params.user;
        const sent = await accounts.requestUnlockCode(user, request.body?.channel, ownerActor(request, user));
        if (!sent.ok) return sendCodeProblem(reply, sent.error);
        return reply.code(202).send(presentSent(sent.value));
      },
    );

    typed.post(
      '/v1/accounts/:user/otp/verify',
      {
        config: { role: 'ingest' },
        schema: {
          summary: 'Unlock with the one-time code',
          description: 'Five wrong codes retire the code: ask for a new one.',
          tags: ['accounts'],
          params: User,
          body: Type.Object({ code: Code }, { additionalProperties: false }),
          response: { 200: UnlockedSchema },
        },
      },
      async (request, reply) => {
        const user = request.params.user;
        const result = await accounts.verifyUnlockCode(user, request.body.code, ownerActor(request, user));
        if (!result.ok) return sendCodeProblem(reply, result.error);
        return { unlocked: true as const, account: presentAccount(result.value) };
      },
    );

    typed.post(
      '/v1/accounts/:user/lock',
      {
        config: { role: 'analyst' },
        schema: {
          summary: 'Lock an account by hand (only an admin unlocks it)',
          tags: ['accounts'],
          params: User,
          body: Type.Object(
            {
              scope: Type.Optional(
                Type.Union(
                  LOCK_SCOPES.map((s) => Type.Literal(s)),
                  { default: 'sensitive' },
                ),
              ),
              reason: Type.String({ minLength: 1, maxLength: 2000 }),
              alertId: Type.Optional(Type.String({ maxLength: 64 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: AccountSchema },
        },
      },
      async (request) => {
        const { scope, reason, alertId } = request.body;
        return presentAccount(await accounts.lock(request.params.user, scope ?? 'sensitive', reason, actorOf(request), alertId));
      },
    );

    typed.post(
      '/v1/accounts/:user/unlock',
      {
        config: { role: 'analyst' },
        schema: {
          summary: 'Unlock an account',
          tags: ['accounts'],
          params: User,
          body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }),
          response: { 200: AccountSchema },
        },
      },
      async (request, reply) => {
        const result = await accounts.unlock(request.params.user, request.body.reason, actorOf(request));
        if (!result.ok) return sendProblem(reply, result.error);
        return presentAccount(result.value);
      },
    );

    typed.post(
      '/v1/alerts/:id/dispute',
      {
        config: { role: 'ingest' },
        schema: {
          summary: '"This wasn\'t me": the owner disowns the flagged activity',
          description:
            'Escalates the alert, locks the account entirely until the client app reports a password change, and marks the device and IP untrusted for this user.',
          tags: ['alerts'],
          params: AlertId,
          body: Type.Optional(Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false })),
          response: { 200: DisputedSchema },
        },
      },
      async (request, reply) => {
        const alert = await system.alerts.get(request.params.id);
        const actor = alert ? ownerActor(request, alertUser(alert)) : actorOf(request);
        const result = await accounts.dispute(request.params.id, request.body?.note ?? null, actor);
        if (!result.ok) return sendProblem(reply, result.error);
        return { alert: presentAlert(result.value.alert), account: presentAccount(result.value.account) };
      },
    );

    typed.post(
      '/v1/alerts/:id/confirm',
      {
        config: { role: 'ingest' },
        schema: {
          summary: '"This was me": the owner proves control with a code, and the alert closes as a false positive',
          description:
            'Without `code`, sends the owner a one-time code (202). With the right `code`, closes the alert as a false positive and trusts its device and country for this user.',
          tags: ['alerts'],
          params: AlertId,
          body: Type.Optional(Type.Object({ code: Type.Optional(Code), channel: Type.Optional(Channel) }, { additionalProperties: false })),
          response: { 200: ConfirmedSchema, 202: SentCodeSchema },
        },
      },
      async (request, reply) => {
        const alert = await system.alerts.get(request.params.id);
        const actor = alert ? ownerActor(request, alertUser(alert)) : actorOf(request);
        const result = await accounts.confirm(request.params.id, request.body?.code, request.body?.channel, actor);
        if (!result.ok) return sendCodeProblem(reply, result.error);
        if (result.value.status === 'code_sent') return reply.code(202).send(presentSent(result.value.sent));
        return { confirmed: true as const, alert: presentAlert(result.value.alert), account: presentAccount(result.value.account) };
      },
    );
  };
}
