import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import { SERVE_ROLES } from '../../config/config.js';
import type { System } from '../../system.js';
import type { VigilTypeProvider } from '../type-provider.js';

export function healthRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();
    typed.get(
      '/healthz',
      {
        schema: {
          summary: 'Liveness, database readiness, and detection memory against its budget',
          tags: ['health'],
          security: [],
          response: {
            200: Type.Object({
              status: Type.Literal('ok'),
              role: Type.Union(
                SERVE_ROLES.map((r) => Type.Literal(r)),
                { description: 'VIGIL_ROLE: all (one process), api or worker (README, "Running on several machines")' },
              ),
              database: Type.String(),
              cluster: Type.Optional(
                Type.Object(
                  {
                    partitions: Type.Array(Type.Integer(), { description: 'partitions this worker owns now (none on an api process)' }),
                    lag: Type.Integer({ description: 'events sent to this worker and not answered yet' }),
                  },
                  { description: 'api and worker roles only' },
                ),
              ),
              detectionMemory: Type.Object(
                {
                  budgetBytes: Type.Integer({ description: 'VIGIL_DETECTION_MEMORY_MB in bytes' }),
                  bytes: Type.Integer({ description: 'estimated bytes of detection state now, the budget’s own columns included' }),
                  keys: Type.Integer({ description: 'users, IPs, devices and other keys kept' }),
                  evictedKeys: Type.Integer({ description: 'keys forgotten since start to stay within the budget' }),
                },
                { description: 'Recent events, amounts, habits and story marks kept for scoring' },
              ),
            }),
          },
        },
      },
      async () => {
        await sql`select 1`.execute(system.database.db);
        const memory = system.history.memory();
        return {
          status: 'ok' as const,
          role: system.config.role,
          ...(system.cluster && { cluster: { partitions: [...system.cluster.partitions()], lag: system.cluster.lag() } }),
          database: system.database.dialect,
          detectionMemory: { budgetBytes: memory.limitBytes, bytes: memory.bytes, keys: memory.keys, evictedKeys: memory.evictedKeys },
        };
      },
    );
  };
}
