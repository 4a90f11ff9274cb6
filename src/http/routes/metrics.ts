import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { System } from '../../system.js';
import type { VigilTypeProvider } from '../type-provider.js';

/**
 * GET /metrics, Prometheus's text format, on every process of every role. Not public: counts of
 * decisions and alerts tell an attacker whether their probing is being noticed. An admin key or
 * session may read it, and so may VIGIL_METRICS_TOKEN, a token for the scraper that opens nothing else.
 */
export function metricsRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    app.withTypeProvider<VigilTypeProvider>().get(
      '/metrics',
      {
        config: { role: 'metrics' },
        schema: {
          summary: 'Counters and histograms in Prometheus text format (admin key or session, or VIGIL_METRICS_TOKEN)',
          tags: ['health'],
          response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: Type.String() } } } },
        },
      },
      async (_request, reply) => {
        const { contentType, body } = await system.metrics.text();
        return reply.type(contentType).send(body);
      },
    );
  };
}
