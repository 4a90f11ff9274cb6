import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import type { System } from '../../system.js';

export function healthRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<TypeBoxTypeProvider>();
    typed.get(
      '/healthz',
      {
        schema: {
          summary: 'Liveness and database readiness',
          tags: ['health'],
          security: [],
          response: { 200: Type.Object({ status: Type.Literal('ok'), database: Type.String() }) },
        },
      },
      async () => {
        await sql`select 1`.execute(system.database.db);
        return { status: 'ok' as const, database: system.database.dialect };
      },
    );
  };
}
