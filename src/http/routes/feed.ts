import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { activityTimeline, MINUTE_MS } from '../../feed/activity.js';
import type { FeedMessage } from '../../feed/live-feed.js';
import type { System } from '../../system.js';
import { ActivityStatsSchema, FeedStreamSchema } from '../schemas/index.js';
import { presentStaffAlert } from '../schemas/present.js';
import type { VigilTypeProvider } from '../type-provider.js';

/** A comment line now and then keeps proxies from closing a quiet stream. */
const KEEP_ALIVE_MS = 15_000;

function sseFrame(message: FeedMessage): string {
  const data =
    message.kind === 'alert' ? presentStaffAlert(message.alert) : { ...message.change, at: new Date(message.change.at).toISOString() };
  // JSON has no raw newlines, so one data: line per message is enough.
  return `event: ${message.kind}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function feedRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();
    // Open streams never finish by themselves: they are ended when the server closes.
    const open = new Set<import('node:http').ServerResponse>();
    app.addHook('preClose', (done) => {
      for (const res of open) res.end();
      done();
    });

    typed.get(
      '/v1/feed',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Live feed of alerts and locks (Server-Sent Events)',
          description:
            '`event: alert` carries an alert (as in GET /v1/alerts) when it is raised or changes; `event: account` a lock or unlock. Reconnect with EventSource; read GET /v1/alerts for what happened meanwhile.',
          tags: ['alerts'],
          response: { 200: FeedStreamSchema },
        },
      },
      (request, reply) => {
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          'x-request-id': request.id,
        });
        res.write(`retry: 2000\n: connected\n\n`);
        const disconnect = system.feed.connect((message) => {
          res.write(sseFrame(message));
        });
        const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
        keepAlive.unref();
        open.add(res);
        request.raw.on('close', () => {
          clearInterval(keepAlive);
          disconnect();
          open.delete(res);
        });
      },
    );

    typed.get(
      '/v1/stats/activity',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Events per minute by type, and alerts per minute by severity',
          tags: ['alerts'],
          querystring: Type.Object({ minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440, default: 60 })) }),
          response: { 200: ActivityStatsSchema },
        },
      },
      async (request) => {
        const minutes = request.query.minutes ?? 60;
        const toMinute = Math.floor(system.clock.now() / MINUTE_MS) + 1;
        const fromMinute = toMinute - minutes;
        const [from, to] = [fromMinute * MINUTE_MS, toMinute * MINUTE_MS];
        const [events, alerts] = await Promise.all([system.activity.eventsPerMinute(from, to), system.activity.alertsPerMinute(from, to)]);
        return {
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          minutes: activityTimeline(fromMinute, toMinute, events, alerts).map((m) => ({ ...m, at: new Date(m.at).toISOString() })),
        };
      },
    );
  };
}
