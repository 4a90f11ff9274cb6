import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { System } from '../../system.js';
import { type Delivery, WEBHOOK_EVENT_TYPES, type Webhook } from '../../webhooks/ports.js';
import { sendProblem } from '../errors.js';
import { actorOf, pageOf, readCursor } from '../request-helpers.js';
import { CreatedWebhookSchema, DeliveryPageSchema, DeliverySchema, WebhookSchema, WebhooksSchema } from '../schemas/index.js';
import { presentAttempts } from '../schemas/present.js';
import type { VigilTypeProvider } from '../type-provider.js';

function iso(ms: number): string;
function iso(ms: number | null): string | null;
function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A webhook as the API shows it. There is no secret on it to leave out: the type has none. */
function presentWebhook(w: Webhook) {
  return {
    id: w.id,
    url: w.url,
    events: w.events,
    description: w.description,
    active: w.disabledAt === null,
    createdAt: iso(w.createdAt),
    createdBy: w.createdBy,
    disabledAt: iso(w.disabledAt),
  };
}

function presentDelivery(d: Delivery) {
  return {
    id: d.id,
    webhookId: d.webhookId,
    eventType: d.eventType,
    ...presentAttempts(d),
    payload: JSON.parse(d.payloadJson) as unknown,
  };
}

const EventTypeSchema = Type.Union(
  WEBHOOK_EVENT_TYPES.map((t) => Type.Literal(t)),
  { description: 'An event a client app can subscribe to.' },
);

const SIGNATURE_DOC =
  'Each delivery is a POST of `{"id", "type", "createdAt", "data"}` as JSON with the headers `Vigil-Delivery` (the delivery id, ' +
  'the same on every retry) and `Vigil-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. ' +
  'Verify the signature over the raw body and refuse a `t` more than 5 minutes away. A 2xx answer within 5 s delivers it; ' +
  'anything else is retried after 10 s, 1 min, 5 min, 30 min, 2 h and 6 h, then given up. Redirects are not followed.';

export function webhookRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();
    const params = Type.Object({ id: Type.String({ maxLength: 64 }) });

    typed.post(
      '/v1/webhooks',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Register a webhook; the answer carries its signing secret, shown this once',
          description: SIGNATURE_DOC,
          tags: ['webhooks'],
          body: Type.Object(
            {
              url: Type.String({
                minLength: 1,
                maxLength: 2048,
                description:
                  'An https:// (or http://) URL that receives the POSTs. Its host must be, and resolve only to, public addresses ' +
                  '(400 webhook_target_not_allowed otherwise) unless VIGIL_WEBHOOK_ALLOW_CIDRS allows the range.',
              }),
              events: Type.Array(EventTypeSchema, { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length, uniqueItems: true }),
              description: Type.Optional(Type.String({ maxLength: 500 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: CreatedWebhookSchema },
        },
      },
      async (request, reply) => {
        const created = await system.webhooks.register(request.body, actorOf(request));
        if (!created.ok) return sendProblem(reply, created.error);
        // The one time the secret leaves Vigil: it is stored sealed and never shown again.
        return reply.code(201).send({ ...presentWebhook(created.value.webhook), secret: created.value.secret });
      },
    );

    typed.get(
      '/v1/webhooks',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Registered webhooks, newest first (never their secrets)',
          tags: ['webhooks'],
          response: { 200: WebhooksSchema },
        },
      },
      async () => ({ webhooks: (await system.webhooks.list()).map(presentWebhook) }),
    );

    typed.get(
      '/v1/webhooks/:id',
      { config: { role: 'admin' }, schema: { summary: 'One webhook', tags: ['webhooks'], params, response: { 200: WebhookSchema } } },
      async (request, reply) => {
        const hook = await system.webhooks.get(request.params.id);
        if (!hook) return sendProblem(reply, { code: 'not_found', message: `No webhook ${request.params.id}.` });
        return presentWebhook(hook);
      },
    );

    typed.delete(
      '/v1/webhooks/:id',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Disable a webhook',
          description: 'No more deliveries; pending retries are given up. The webhook and its delivery log are kept.',
          tags: ['webhooks'],
          params,
          response: { 200: WebhookSchema },
        },
      },
      async (request, reply) => {
        const disabled = await system.webhooks.disable(request.params.id, actorOf(request));
        if (!disabled.ok) return sendProblem(reply, disabled.error);
        return presentWebhook(disabled.value);
      },
    );

    typed.get(
      '/v1/webhooks/:id/deliveries',
      {
        config: { role: 'admin' },
        schema: {
          summary: "A webhook's delivery log, newest first",
          description:
            "Each delivery with its status (pending, delivered, failed), attempts so far, and the last attempt's status code or error.",
          tags: ['webhooks'],
          params,
          querystring: Type.Object({
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 400 })),
          }),
          response: { 200: DeliveryPageSchema },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const cursor = readCursor(q.cursor);
        if ('code' in cursor) return sendProblem(reply, cursor);
        const after = cursor.after;
        const limit = q.limit ?? 50;
        const rows = await system.webhooks.deliveries(request.params.id, {
          limit: limit + 1,
          ...(after && { after: { createdAt: after.at, id: after.id } }),
        });
        if (!rows.ok) return sendProblem(reply, rows.error);
        const { page, nextCursor } = pageOf(rows.value, limit, (r) => [r.createdAt, r.id]);
        return {
          deliveries: page.map(presentDelivery),
          nextCursor,
        };
      },
    );

    typed.post(
      '/v1/webhooks/:id/test',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Send a webhook.test event to a webhook now',
          description: 'Answers after the first attempt, with the delivery: its status shows whether the receiver accepted it.',
          tags: ['webhooks'],
          params,
          response: { 200: DeliverySchema },
        },
      },
      async (request, reply) => {
        const sent = await system.webhooks.sendTest(request.params.id);
        if (!sent.ok) return sendProblem(reply, sent.error);
        return presentDelivery(sent.value);
      },
    );
  };
}
