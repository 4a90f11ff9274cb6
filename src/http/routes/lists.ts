import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { LIST_KINDS, LIST_NAMES } from '../../detect/lists.js';
import type { System } from '../../system.js';
import { sendProblem } from '../errors.js';
import { actorOf } from '../request-helpers.js';
import { ListEntriesSchema, ListEntrySchema } from '../schemas/index.js';
import { presentListEntry } from '../schemas/present.js';
import type { VigilTypeProvider } from '../type-provider.js';

const ListNameSchema = Type.Union(
  LIST_NAMES.map((n) => Type.Literal(n)),
  { description: '`block` blocks matching events; `allow` stops the rules it names (or all) for them.' },
);
const ListKindSchema = Type.Union(
  LIST_KINDS.map((k) => Type.Literal(k)),
  { description: 'What the value names: ip (address or CIDR), device, email, email_domain, country, payment_method or user.' },
);

const SEMANTICS =
  'A block entry blocks every matching event: a critical finding from the rule `block-list`, decision `block`. An allow entry ' +
  'stops the rules it names (every rule when `rules` is empty) for matching events: their findings are recorded as suppressed. ' +
  'Matching: `ip` against the event ip (CIDR ranges, IPv4 and IPv6; an IPv4-mapped IPv6 address matches IPv4 ranges), ' +
  '`email` against the email (case-insensitive), `email_domain` against its domain and parent domains (an entry example.com ' +
  'matches mail.example.com), `country` against the geo-IP country, `device`, `payment_method` and `user` exactly. ' +
  'Custom rules can test `enrichment.lists.block` and `enrichment.lists.allow`, the kinds an event matched.';

export function listRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();

    typed.get(
      '/v1/lists',
      {
        config: { role: 'viewer' },
        schema: {
          summary: 'Allow and block list entries, newest first',
          description: SEMANTICS,
          tags: ['lists'],
          querystring: Type.Object({
            list: Type.Optional(ListNameSchema),
            kind: Type.Optional(ListKindSchema),
            includeExpired: Type.Optional(Type.Boolean({ default: false, description: 'Also entries whose expiry has passed.' })),
          }),
          response: { 200: ListEntriesSchema },
        },
      },
      async (request) => {
        const q = request.query;
        const entries = await system.listService.list({
          ...(q.list !== undefined && { list: q.list }),
          ...(q.kind !== undefined && { kind: q.kind }),
          includeExpired: q.includeExpired === true,
        });
        const now = system.clock.now();
        return { entries: entries.map((e) => presentListEntry(e, now)) };
      },
    );

    typed.post(
      '/v1/lists',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Add an entry to the allow or block list',
          description: `In force at once. ${SEMANTICS}`,
          tags: ['lists'],
          body: Type.Object(
            {
              list: ListNameSchema,
              kind: ListKindSchema,
              value: Type.String({
                minLength: 1,
                maxLength: 512,
                description:
                  'ip: an address or CIDR range; email: an address; email_domain: a domain; country: ISO 3166-1 alpha-2; others: 1–256 characters.',
              }),
              reason: Type.String({ minLength: 1, maxLength: 500, description: 'Why: shown beside the entry and in the audit log.' }),
              rules: Type.Optional(
                Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
                  maxItems: 100,
                  description: 'Allow entries only: the ids of the rules it stops; empty or absent for every rule.',
                }),
              ),
              expiresAt: Type.Optional(
                Type.String({ maxLength: 64, description: 'ISO 8601 date-time with a time zone, in the future; absent for never.' }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 201: ListEntrySchema },
        },
      },
      async (request, reply) => {
        const added = await system.listService.add(request.body, actorOf(request));
        if (!added.ok) return sendProblem(reply, added.error);
        return reply.code(201).send(presentListEntry(added.value, system.clock.now()));
      },
    );

    typed.delete(
      '/v1/lists/:id',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Remove a list entry',
          description: 'Out of force at once; kept in the store as removed, and in the audit log. Answers with the entry removed.',
          tags: ['lists'],
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          response: { 200: ListEntrySchema },
        },
      },
      async (request, reply) => {
        const removed = await system.listService.remove(request.params.id, actorOf(request));
        if (!removed.ok) return sendProblem(reply, removed.error);
        return presentListEntry(removed.value, system.clock.now());
      },
    );
  };
}
