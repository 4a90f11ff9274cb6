import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ALERT_TYPES } from '../../domain/vocabulary.js';
import { CHANNEL_DEFAULTS, GROUP_MINUTES_RANGE, PER_MINUTE_RANGE } from '../../staff-notify/channel-registry.js';
import type { StaffChannel, StaffMessage } from '../../staff-notify/ports.js';
import type { System } from '../../system.js';
import { sendProblem } from '../errors.js';
import { actorOf } from '../request-helpers.js';
import {
  ChannelSeveritySchema,
  literals,
  StaffChannelKindSchema,
  StaffChannelSchema,
  StaffChannelsSchema,
  StaffMessageSchema,
  StaffMessagesSchema,
} from '../schemas/index.js';
import { presentAttempts } from '../schemas/present.js';
import type { VigilTypeProvider } from '../type-provider.js';

function iso(ms: number): string;
function iso(ms: number | null): string | null;
function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A channel as the API shows it. Its URL is not on the type: it never leaves Vigil after it was given. */
function presentChannel(c: StaffChannel) {
  return {
    id: c.id,
    kind: c.kind,
    name: c.name,
    urlHint: c.urlHint,
    minSeverity: c.minSeverity,
    ruleIds: [...c.ruleIds],
    alertTypes: [...c.alertTypes],
    perMinute: c.perMinute,
    groupMinutes: c.groupMinutes,
    active: c.disabledAt === null,
    createdAt: iso(c.createdAt),
    createdBy: c.createdBy,
    disabledAt: iso(c.disabledAt),
  };
}

function presentMessage(m: StaffMessage) {
  return {
    id: m.id,
    channelId: m.channelId,
    kind: m.kind,
    alertId: m.alertId,
    ...presentAttempts(m),
    payload: JSON.parse(m.payloadJson) as unknown,
  };
}

const CHANNELS_DOC =
  'Raised alerts at or above `minSeverity`, of the listed rules and types (empty lists: all), are posted to the channel: Slack ' +
  'gets Block Kit, Teams an Adaptive Card, `chat` plain JSON (`text` and `fields`). The first alert of a rule opens a group for ' +
  '`groupMinutes`; later alerts of that rule are held back (unless more severe than any posted) and summed up in one message ' +
  'when the group closes. Past `perMinute` alert messages in a minute, alerts are held back the same way. Failed posts are ' +
  'retried after 10 s, 1 min, 5 min and 30 min.';

export function staffNotifyRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();
    const params = Type.Object({ id: Type.String({ maxLength: 64 }) });

    typed.post(
      '/v1/staff-channels',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Add a chat channel for staff (Slack, Teams or a generic chat webhook)',
          description: CHANNELS_DOC,
          tags: ['staff notifications'],
          body: Type.Object(
            {
              kind: StaffChannelKindSchema,
              name: Type.String({ minLength: 1, maxLength: 100 }),
              url: Type.String({
                minLength: 1,
                maxLength: 2048,
                description:
                  'The incoming-webhook URL. It is a secret: stored encrypted and never shown again. Its host must resolve to public ' +
                  'addresses only (400 webhook_target_not_allowed) unless VIGIL_WEBHOOK_ALLOW_CIDRS allows the range.',
              }),
              minSeverity: Type.Optional(ChannelSeveritySchema),
              ruleIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100, uniqueItems: true })),
              alertTypes: Type.Optional(Type.Array(literals(ALERT_TYPES), { maxItems: ALERT_TYPES.length, uniqueItems: true })),
              perMinute: Type.Optional(
                Type.Integer({ minimum: PER_MINUTE_RANGE[0], maximum: PER_MINUTE_RANGE[1], default: CHANNEL_DEFAULTS.perMinute }),
              ),
              groupMinutes: Type.Optional(
                Type.Integer({ minimum: GROUP_MINUTES_RANGE[0], maximum: GROUP_MINUTES_RANGE[1], default: CHANNEL_DEFAULTS.groupMinutes }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 201: StaffChannelSchema },
        },
      },
      async (request, reply) => {
        const created = await system.staffNotifications.register(request.body, actorOf(request));
        if (!created.ok) return sendProblem(reply, created.error);
        return reply.code(201).send(presentChannel(created.value));
      },
    );

    typed.get(
      '/v1/staff-channels',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Chat channels for staff, newest first (never their URLs)',
          tags: ['staff notifications'],
          response: { 200: StaffChannelsSchema },
        },
      },
      async () => ({ channels: (await system.staffNotifications.list()).map(presentChannel) }),
    );

    typed.get(
      '/v1/staff-channels/:id',
      {
        config: { role: 'admin' },
        schema: { summary: 'One chat channel', tags: ['staff notifications'], params, response: { 200: StaffChannelSchema } },
      },
      async (request, reply) => {
        const channel = await system.staffNotifications.get(request.params.id);
        if (!channel) return sendProblem(reply, { code: 'not_found', message: `No channel ${request.params.id}.` });
        return presentChannel(channel);
      },
    );

    typed.delete(
      '/v1/staff-channels/:id',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Disable a chat channel',
          description: 'Nothing more is posted; pending retries are given up. The channel and its message log are kept.',
          tags: ['staff notifications'],
          params,
          response: { 200: StaffChannelSchema },
        },
      },
      async (request, reply) => {
        const disabled = await system.staffNotifications.disable(request.params.id, actorOf(request));
        if (!disabled.ok) return sendProblem(reply, disabled.error);
        return presentChannel(disabled.value);
      },
    );

    typed.get(
      '/v1/staff-channels/:id/messages',
      {
        config: { role: 'admin' },
        schema: {
          summary: "A chat channel's messages, newest first",
          description: 'Each message with its status (pending, delivered, failed), attempts, the last error and the JSON posted.',
          tags: ['staff notifications'],
          params,
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })) }),
          response: { 200: StaffMessagesSchema },
        },
      },
      async (request, reply) => {
        const rows = await system.staffNotifications.messages(request.params.id, request.query.limit ?? 50);
        if (!rows.ok) return sendProblem(reply, rows.error);
        return { messages: rows.value.map(presentMessage) };
      },
    );

    typed.post(
      '/v1/staff-channels/:id/test',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Post a test message to a chat channel now',
          description: 'Answers after the first attempt, with the message: its status shows whether the service accepted it.',
          tags: ['staff notifications'],
          params,
          response: { 200: StaffMessageSchema },
        },
      },
      async (request, reply) => {
        const sent = await system.staffNotifications.sendTest(request.params.id);
        if (!sent.ok) return sendProblem(reply, sent.error);
        return presentMessage(sent.value);
      },
    );
  };
}
