import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { assertExhaustive } from '../../core/result.js';
import { EventBatchSchema, EventInputSchema, type EventResult, EventResultSchema, MAX_BATCH_EVENTS } from '../../domain/event-schema.js';
import type { IngestOutcome } from '../../ingest/ingest-service.js';
import { readLines } from '../../ingest/ndjson.js';
import { ingestRecords, ndjsonRecords } from '../../ingest/stream-ingest.js';
import type { System } from '../../system.js';
import { type ItemProblem, sendProblem } from '../errors.js';
import { BatchResultSchema, ProblemSchema, StreamSummarySchema } from '../schemas/index.js';
import type { VigilTypeProvider } from '../type-provider.js';

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson'];
const MAX_NDJSON_LINE = 64 * 1024;

type ResultOrError = EventResult | { error: { code: string; message: string; path?: string; id?: string } };

export function eventRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    app.addSchema(EventInputSchema);
    app.addSchema(EventResultSchema);
    // NDJSON bodies are not read by Fastify: the handler consumes the stream line by line, so a
    // stream of any length is processed in bounded memory and the JSON body limit does not apply.
    app.addContentTypeParser(NDJSON_TYPES, (_request, payload, done) => done(null, payload));

    const typed = app.withTypeProvider<VigilTypeProvider>();
    typed.post(
      '/v1/events',
      {
        config: { role: 'ingest' },
        schema: {
          summary: 'Send events',
          description: `One event object; or {"events": [...]} with up to ${MAX_BATCH_EVENTS}; or an application/x-ndjson stream of any length (one event per line). Each event is validated, enriched, scored and stored durably before the answer is sent.`,
          tags: ['events'],
          querystring: Type.Object({
            atomic: Type.Optional(
              Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'JSON batches only: store all events or none.' }),
            ),
          }),
          body: Type.Union([Type.Ref('EventInput'), EventBatchSchema]),
          response: {
            200: Type.Union([Type.Ref('EventResult'), BatchResultSchema, StreamSummarySchema]),
            207: Type.Union([BatchResultSchema, StreamSummarySchema]),
            400: ProblemSchema,
            401: ProblemSchema,
            403: ProblemSchema,
            413: ProblemSchema,
            415: ProblemSchema,
          },
        },
        // The schemas above are the documented contract. Validation itself happens per event in the
        // ingest pipeline, so a batch can keep its valid events and report the others by index; the
        // answers are written with JSON.stringify, the fast path of the busiest route, and
        // test/events-contract.test.ts proves them valid against the schemas.
        validatorCompiler: () => () => true,
        serializerCompiler: () => (data) => JSON.stringify(data),
      },
      async (request, reply) => {
        const atomicParam = (request.query as { atomic?: unknown }).atomic;
        if (atomicParam !== undefined && atomicParam !== 'true' && atomicParam !== 'false') {
          return sendProblem(reply, { code: 'invalid_query', message: 'atomic must be true or false.', path: '/atomic' });
        }
        const atomic = atomicParam === 'true';
        const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

        if (NDJSON_TYPES.includes(contentType)) {
          if (atomic) {
            return sendProblem(reply, {
              code: 'atomic_not_supported',
              message: 'atomic=true is for JSON batches; an NDJSON stream is stored as it is read.',
            });
          }
          const lines = readLines(request.body as unknown as Readable, MAX_NDJSON_LINE);
          const summary = await ingestRecords(system.ingest, ndjsonRecords(lines, MAX_NDJSON_LINE));
          // Several processes: lines no worker answered in time, or not sent, are to be sent again (as a batch's 207).
          if (summary.notSentFromLine !== undefined || summary.errors.some((e) => e.id !== undefined)) {
            return reply.code(207).header('retry-after', '1').send(summary);
          }
          return summary;
        }

        // Fastify parses text/plain too; the documented contract is JSON or NDJSON, anything else 415.
        if (contentType !== 'application/json') {
          return sendProblem(reply, {
            code: 'unsupported_media_type',
            message: `Content-Type ${JSON.stringify(contentType)} is not supported: send application/json or application/x-ndjson.`,
          });
        }
        const body = request.body as unknown;
        if (!isBatch(body)) {
          const [outcome] = (await system.ingest.ingest([body])).outcomes as [IngestOutcome];
          if (outcome.status === 'rejected' || outcome.status === 'unanswered') return sendProblem(reply, outcome.problem);
          if (outcome.status === 'not_stored') throw new Error('a single event cannot be not_stored');
          return outcome.result;
        }

        const extra = Object.keys(body).find((k) => k !== 'events');
        if (extra !== undefined) {
          return sendProblem(reply, { code: 'unknown_field', message: `Unknown field "${extra}" in a batch.`, path: `/${extra}` });
        }
        if (!Array.isArray(body.events)) {
          return sendProblem(reply, { code: 'invalid_event', message: 'events must be an array of events.', path: '/events' });
        }
        if (body.events.length > MAX_BATCH_EVENTS) {
          return sendProblem(reply, {
            code: 'batch_too_large',
            message: `A batch holds at most ${MAX_BATCH_EVENTS} events (got ${body.events.length}); send more as NDJSON.`,
            path: '/events',
          });
        }

        const report = await system.ingest.ingest(body.events, { atomic });
        const problems: ItemProblem[] = [];
        report.outcomes.forEach((o, index) => {
          if (o.status === 'rejected')
            problems.push({ index, ...o.problem, ...(o.problem.path !== undefined && { path: `/events/${index}${o.problem.path}` }) });
        });
        if (atomic && problems.length > 0) {
          return sendProblem(
            reply,
            {
              code: 'invalid_event',
              message: `${problems.length} of ${body.events.length} events are invalid; none was stored (atomic=true).`,
            },
            problems,
          );
        }
        if (report.accepted === 0 && problems.length > 0) {
          return sendProblem(reply, { code: 'invalid_event', message: 'No event in the batch is valid; none was stored.' }, problems);
        }
        const results: ResultOrError[] = report.outcomes.map((o) => {
          switch (o.status) {
            case 'stored':
            case 'duplicate':
              return o.result;
            case 'rejected':
              return {
                error: { code: o.problem.code, message: o.problem.message, ...(o.problem.path !== undefined && { path: o.problem.path }) },
              };
            case 'not_stored':
              // Only an atomic batch with an invalid event has these, and it was answered above.
              return { error: { code: 'internal_error', message: 'Not stored.' } };
            case 'unanswered':
              return { error: { code: o.problem.code, message: o.problem.message, id: o.id } };
            default:
              return assertExhaustive(o, 'ingest outcome');
          }
        });
        // Events no worker answered in time (the distributed mode) are to be sent again, by their ids.
        const unanswered = report.outcomes.some((o) => o.status === 'unanswered');
        if (unanswered) reply.header('retry-after', '1');
        return reply
          .code(problems.length > 0 || unanswered ? 207 : 200)
          .send({ accepted: report.accepted, rejected: report.rejected, results });
      },
    );
  };
}

function isBatch(body: unknown): body is { events: unknown } & Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'events' in body && !('type' in body);
}
