import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { type Scenario, scenarioEvents } from '../../demo/simulator.js';
import { type Alert, isAboutAccount } from '../../domain/alert.js';
import { SCENARIOS } from '../../domain/vocabulary.js';
import type { System } from '../../system.js';
import { sendProblem } from '../errors.js';
import { actorOf, pageOf, readCursor } from '../request-helpers.js';
import {
  AlertPageSchema,
  ConfirmedSchema,
  DisputedSchema,
  EventPageSchema,
  MyAccountSchema,
  SentCodeSchema,
  SimulationResultSchema,
  UnlockedSchema,
} from '../schemas/index.js';
import { presentAccount, presentAlert, presentEvent, presentSent } from '../schemas/present.js';
import type { VigilTypeProvider } from '../type-provider.js';
import { sendCodeProblem } from './accounts.js';

const AlertId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const Code = Type.String({ minLength: 1, maxLength: 16, description: 'The 6-digit code the member received.' });
const Channel = Type.Union([Type.Literal('email'), Type.Literal('sms')]);
const Page = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 400 })),
});

/** The member's own user id: from the session, never from the request. */
const userOf = (request: FastifyRequest): string => request.signedIn?.person.user as string;

/**
 * A member's own account, through the dashboard: the same services as the client app's routes, with
 * the user taken from the session, so that no parameter can name someone else's account.
 */
export function meRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();
    const accounts = system.accountService;

    /**
     * The alert, if it is about this member's account; anyone else's, and alerts keyed by an IP or
     * device (which name other accounts in their evidence) or a traffic status, are answered as if
     * they did not exist.
     */
    async function ownAlert(request: FastifyRequest, reply: FastifyReply, id: string): Promise<Alert | undefined> {
      const alert = await system.alerts.get(id);
      if (alert && isAboutAccount(alert, userOf(request))) return alert;
      sendProblem(reply, { code: 'not_found', message: `No alert ${id} on your account.` });
      return undefined;
    }

    typed.get(
      '/v1/me',
      {
        config: { role: 'member' },
        schema: { summary: 'My account: lock, Security Health and suggestions', tags: ['me'], response: { 200: MyAccountSchema } },
      },
      // `simulator`: whether POST /v1/me/simulate exists (demo mode only), so the dashboard shows its card.
      async (request) => ({ ...presentAccount(await accounts.view(userOf(request))), simulator: system.config.demo }),
    );

    typed.get(
      '/v1/me/alerts',
      {
        config: { role: 'member' },
        schema: { summary: 'My flagged activity, newest first', tags: ['me'], querystring: Page, response: { 200: AlertPageSchema } },
      },
      async (request, reply) => {
        const cursor = readCursor(request.query.cursor);
        if ('code' in cursor) return sendProblem(reply, cursor);
        const after = cursor.after;
        const limit = request.query.limit ?? 50;
        const rows = await system.alerts.list({
          aboutUser: userOf(request),
          limit: limit + 1,
          ...(after && { after: { key: after.at, id: after.id } }),
        });
        const { page, nextCursor } = pageOf(rows, limit, (r) => [r.createdAt, r.id]);
        return { alerts: page.map(presentAlert), nextCursor };
      },
    );

    typed.get(
      '/v1/me/events',
      {
        config: { role: 'member' },
        schema: { summary: 'My recent activity, newest first', tags: ['me'], querystring: Page, response: { 200: EventPageSchema } },
      },
      async (request, reply) => {
        const cursor = readCursor(request.query.cursor);
        if ('code' in cursor) return sendProblem(reply, cursor);
        const after = cursor.after;
        const limit = request.query.limit ?? 50;
        const user = userOf(request);
        const rows = await system.events.listUserEvents({
          user,
          types: [],
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

    typed.post(
      '/v1/me/alerts/:id/dispute',
      {
        config: { role: 'member' },
        schema: {
          summary: '"This wasn\'t me": locks my account until I change my password',
          tags: ['me'],
          params: AlertId,
          body: Type.Optional(Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false })),
          response: { 200: DisputedSchema },
        },
      },
      async (request, reply) => {
        if (!(await ownAlert(request, reply, request.params.id))) return reply;
        const result = await accounts.dispute(request.params.id, request.body?.note ?? null, actorOf(request));
        if (!result.ok) return sendProblem(reply, result.error);
        return { alert: presentAlert(result.value.alert), account: presentAccount(result.value.account) };
      },
    );

    typed.post(
      '/v1/me/alerts/:id/confirm',
      {
        config: { role: 'member' },
        schema: {
          summary: '"This was me": a code first (202), then the code closes the alert',
          tags: ['me'],
          params: AlertId,
          body: Type.Optional(Type.Object({ code: Type.Optional(Code), channel: Type.Optional(Channel) }, { additionalProperties: false })),
          response: { 200: ConfirmedSchema, 202: SentCodeSchema },
        },
      },
      async (request, reply) => {
        if (!(await ownAlert(request, reply, request.params.id))) return reply;
        const result = await accounts.confirm(request.params.id, request.body?.code, request.body?.channel, actorOf(request));
        if (!result.ok) return sendCodeProblem(reply, result.error);
        if (result.value.status === 'code_sent') return reply.code(202).send(presentSent(result.value.sent));
        return { confirmed: true as const, alert: presentAlert(result.value.alert), account: presentAccount(result.value.account) };
      },
    );

    typed.post(
      '/v1/me/unlock-code',
      {
        config: { role: 'member' },
        schema: {
          summary: 'Send me a one-time code that unlocks my account',
          tags: ['me'],
          body: Type.Optional(Type.Object({ channel: Type.Optional(Channel) }, { additionalProperties: false })),
          response: { 202: SentCodeSchema },
        },
      },
      async (request, reply) => {
        const sent = await accounts.requestUnlockCode(userOf(request), request.body?.channel, actorOf(request));
        if (!sent.ok) return sendCodeProblem(reply, sent.error);
        return reply.code(202).send(presentSent(sent.value));
      },
    );

    typed.post(
      '/v1/me/unlock',
      {
        config: { role: 'member' },
        schema: {
          summary: 'Unlock my account with the code',
          tags: ['me'],
          body: Type.Object({ code: Code }, { additionalProperties: false }),
          response: { 200: UnlockedSchema },
        },
      },
      async (request, reply) => {
        const result = await accounts.verifyUnlockCode(userOf(request), request.body.code, actorOf(request));
        if (!result.ok) return sendCodeProblem(reply, result.error);
        return { unlocked: true as const, account: presentAccount(result.value) };
      },
    );

    // The simulator injects events into the member's own account: only in demo mode (VIGIL_DEMO=true).
    // Outside it the route does not exist, and is answered 404 `not_found` like any unknown route.
    if (!system.config.demo) return;
    typed.post(
      '/v1/me/simulate',
      {
        config: { role: 'member' },
        schema: {
          summary: 'Send real events for my account, to watch detection, locks and codes happen',
          description: `Scenarios: ${SCENARIOS.join(', ')}.`,
          tags: ['me'],
          body: Type.Object({ scenario: Type.Union(SCENARIOS.map((s) => Type.Literal(s))) }, { additionalProperties: false }),
          response: { 200: SimulationResultSchema },
        },
      },
      async (request) => {
        const scenario = request.body.scenario as Scenario;
        const report = await system.ingest.ingest(scenarioEvents(scenario, userOf(request), system.clock.now()));
        const results = report.outcomes.flatMap((o) => ('result' in o ? [o.result] : []));
        return { scenario, results };
      },
    );
  };
}
