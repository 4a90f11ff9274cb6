import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { MIN_PASSWORD_LENGTH, PERSON_ROLES } from '../../auth/people.js';
import type { System } from '../../system.js';
import { sendProblem } from '../errors.js';
import { actorOf } from '../request-helpers.js';
import { CreatedPersonSchema, PeopleSchema, PersonSchema } from '../schemas/index.js';
import type { VigilTypeProvider } from '../type-provider.js';

/** Admins give dashboard sign-ins to colleagues (admin, analyst, viewer) and to shoppers (members, tied to their user id). */
export function peopleRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();

    typed.get(
      '/v1/people',
      {
        config: { role: 'admin' },
        schema: { summary: 'Everyone who can sign in to the dashboard', tags: ['session'], response: { 200: PeopleSchema } },
      },
      async () => ({ people: await system.people.list() }),
    );

    typed.post(
      '/v1/people',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Give someone a dashboard sign-in',
          description: `Without \`password\`, one is generated and returned once in the answer. Passwords need ${MIN_PASSWORD_LENGTH} characters; only their argon2id hash is kept.`,
          tags: ['session'],
          body: Type.Object(
            {
              email: Type.String({ minLength: 3, maxLength: 320 }),
              role: Type.Union(PERSON_ROLES.map((r) => Type.Literal(r))),
              user: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'For members: the user id of their events.' })),
              password: Type.Optional(Type.String({ maxLength: 1024 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: CreatedPersonSchema },
        },
      },
      async (request, reply) => {
        const { email, role, user, password } = request.body;
        const generated = password === undefined ? randomBytes(12).toString('base64url') : undefined;
        const created = await system.people.create(
          { email, role, password: password ?? (generated as string), ...(user !== undefined && { user }) },
          actorOf(request),
        );
        if (!created.ok) return sendProblem(reply, created.error);
        return reply.code(201).send({ person: created.value, ...(generated !== undefined && { password: generated }) });
      },
    );

    typed.patch(
      '/v1/people/:id',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Change a member of staff’s role (admin, analyst, viewer)',
          description:
            'Members stay members. The last admin cannot be demoted (409 `invalid_transition`). The role holds from the person’s next request; audited as `person.role_changed`.',
          tags: ['session'],
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
          body: Type.Object({ role: Type.Union(PERSON_ROLES.map((r) => Type.Literal(r))) }, { additionalProperties: false }),
          response: { 200: PersonSchema },
        },
      },
      async (request, reply) => {
        const changed = await system.people.changeRole(request.params.id, request.body.role, actorOf(request));
        if (!changed.ok) return sendProblem(reply, changed.error);
        return changed.value;
      },
    );
  };
}
