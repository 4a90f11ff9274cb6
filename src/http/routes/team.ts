import type { FastifyPluginAsync } from 'fastify';
import type { TeamPeriod } from '../../alerts/triage-figures.js';
import type { System } from '../../system.js';
import { StaffSchema, TeamFiguresSchema } from '../schemas/index.js';
import type { VigilTypeProvider } from '../type-provider.js';

const iso = (ms: number) => new Date(ms).toISOString();

const presentPeriod = (p: TeamPeriod) => ({ ...p, from: iso(p.from), to: iso(p.to) });

/** The team working alerts: who may own one, and how quickly alerts are acknowledged and resolved. */
export function teamRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();

    typed.get(
      '/v1/staff',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Staff, for naming an alert’s owner',
          description: 'Viewers, analysts and admins (never members): id, email and role. Only analysts and admins can own alerts.',
          tags: ['alerts'],
          response: { 200: StaffSchema },
        },
      },
      async () => ({
        staff: (await system.people.staff()).flatMap((p) =>
          p.role === 'member' ? [] : [{ id: p.id, email: p.email, role: p.role, canOwnAlerts: p.role !== 'viewer' }],
        ),
      }),
    );

    typed.get(
      '/v1/team/figures',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Time to acknowledge and to resolve, per owner and per rule, over the last 7 and 30 days',
          description:
            'From each alert’s times: raised, first acknowledged, resolved or closed as a false positive. An acknowledgement counts in a period when it happened in it, a resolution likewise; owners are the alerts’ owners now (null: nobody). Median and 90th percentile by nearest rank.',
          tags: ['alerts'],
          response: { 200: TeamFiguresSchema },
        },
      },
      async () => ({ periods: (await system.triageFigures.team()).map(presentPeriod) }),
    );
  };
}
