import { randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { OptionalKind } from '@sinclair/typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { ProblemError } from '../core/errors.js';
import { parseJson } from '../ingest/json-text.js';
import type { System } from '../system.js';
import { authenticate, type RouteRoles } from './authenticate.js';
import { ConnectionGuard } from './connection-guard.js';
import { problemBody, problemFromError, sendProblem, statusFor } from './errors.js';
import { checkResponses } from './response-check.js';
import { accountRoutes } from './routes/accounts.js';
import { alertRoutes } from './routes/alerts.js';
import { auditRoutes } from './routes/audit.js';
import { eventRoutes } from './routes/events.js';
import { feedRoutes } from './routes/feed.js';
import { healthRoutes } from './routes/health.js';
import { listRoutes } from './routes/lists.js';
import { loginRoutes } from './routes/logins.js';
import { meRoutes } from './routes/me.js';
import { metricsRoutes } from './routes/metrics.js';
import { modelRoutes } from './routes/models.js';
import { monitorRoutes } from './routes/monitor.js';
import { outboxRoutes } from './routes/outbox.js';
import { peopleRoutes } from './routes/people.js';
import { ruleRoutes } from './routes/rules.js';
import { savedViewRoutes } from './routes/saved-views.js';
import { sessionRoutes } from './routes/session.js';
import { snoozeRoutes } from './routes/snoozes.js';
import { ssoRoutes } from './routes/sso.js';
import { staffNotifyRoutes } from './routes/staff-notify.js';
import { teamRoutes } from './routes/team.js';
import { userEventRoutes } from './routes/user-events.js';
import { webhookRoutes } from './routes/webhooks.js';
import { sharedSchemaCompilers } from './schema-compilers.js';
import type { VigilTypeProvider } from './type-provider.js';
import { registerWebApp, sendPage, wantsPage, webBuildExists } from './web-app.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (see RouteRole); routes without it are public. */
    role?: RouteRoles;
  }
}

export interface AppOptions {
  /** Pino options or a pino logger (the server's, shared with the system), or false for no logging (tests). */
  readonly logger?: boolean | { readonly level: string } | FastifyBaseLogger;
  /** Check every answer against its route's response schema (tests): see response-check.ts. */
  readonly checkResponses?: boolean;
}

export type App = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  VigilTypeProvider
>;

/** Longest raw (percent-encoded) path parameter: a 256-character user id, every character 3 UTF-8 bytes. */
export const MAX_PARAM_LENGTH = 256 * 9;

const requestIdPrefix = randomBytes(4).toString('hex');
let requestCounter = 0;

function loggerOption(logger: AppOptions['logger']): { logger: boolean | object } | { loggerInstance: FastifyBaseLogger } {
  if (logger === undefined || logger === false) return { logger: false };
  if (logger === true) return { logger: {} };
  if ('info' in logger) return { loggerInstance: logger };
  return { logger: { ...logger } };
}

/** Builds the HTTP API around a system. `server.ts` listens; tests call `app.inject()`. */
export async function buildApp(system: System, options: AppOptions = {}): Promise<App> {
  const app = Fastify({
    ...loggerOption(options.logger),
    bodyLimit: system.config.bodyLimitBytes,
    // Path parameters carry user ids, which ingest accepts up to 256 characters: percent-encoded, one
    // can take 256 × 9 bytes. The default of 100 answered 414 for ids ingest had stored, so such an
    // account, once locked, could not be read or unlocked.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // request.ip is the peer's address, or, from a proxy named in VIGIL_TRUST_PROXY only, the
    // client it names in X-Forwarded-For; never a header any other peer sent.
    ...(system.config.trustProxy.length > 0 && { trustProxy: [...system.config.trustProxy] }),
    // Per-request log lines would cost more than the work of ingesting an event; failures are logged.
    logController: new LogController({ disableRequestLogging: true }),
    // The router's own refusals (a malformed percent-encoding, a path parameter longer than any id)
    // answer in Vigil's error shape like every other client mistake.
    frameworkErrors: (error, request, reply) => {
      const problem = { code: 'invalid_query' as const, message: `The URL cannot be read: ${error.message}` };
      // The reply is not typed by a route schema here, hence the plain view of it.
      const plain = reply as unknown as { header(k: string, v: string): void; code(n: number): { send(b: unknown): unknown } };
      plain.header('x-request-id', request.id);
      void plain.code(400).send(problemBody(problem, request.id));
    },
    // Unique per process and cheap: a random prefix per start and a counter. Request ids only need
    // to tell requests apart in logs and error reports, not to be secret.
    genReqId: () => `req_${requestIdPrefix}${(requestCounter++).toString(36)}`,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false } },
    // Compiled once per process, however many apps it builds (the suite builds one per test).
    schemaController: sharedSchemaCompilers,
  }).withTypeProvider<VigilTypeProvider>();

  // File descriptors are finite: a client holding hundreds of idle connections, or a slow-loris
  // sending its headers a byte at a time, must not starve everyone else (issue 15, row 8).
  const connections = new ConnectionGuard(
    {
      perClient: system.config.maxConnectionsPerClient,
      total: system.config.maxConnections,
      exempt: system.config.trustProxy,
    },
    app.log,
  );
  connections.attach(app.server);
  app.server.headersTimeout = system.config.headersTimeoutMs;

  // Ajv coerces a query value such as "Infinity" or "1e999" into a number that passes an integer
  // schema's bounds: refused here, once numeric fields have been coerced, with the field named.
  app.addHook('preHandler', (request, _reply, done) => {
    const query = request.query;
    if (query !== null && typeof query === 'object') {
      for (const [name, value] of Object.entries(query)) {
        if (typeof value === 'number' && !Number.isFinite(value)) {
          done(new ProblemError({ code: 'invalid_query', message: `${name} must be a finite number.`, path: `/${name}` }));
          return;
        }
      }
    }
    done();
  });

  // Action routes (confirm, resolve, unlock…) declare their body Type.Optional, as a note is all they
  // take: a request without one, or without a content type, is then an empty object rather than a
  // 400 "body must be object". Routes with a required body are untouched.
  app.addHook('preValidation', (request, _reply, done) => {
    const bodySchema = request.routeOptions.schema?.body as Record<PropertyKey, unknown> | undefined;
    if (request.body === undefined && bodySchema !== undefined && bodySchema[OptionalKind] === 'Optional') request.body = {};
    done();
  });

  // Set when the request arrives, so that every answer carries it, errors included; a synchronous
  // hook, as it runs for every event sent.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  // JSON is parsed here rather than by Fastify so that malformed JSON gets a line and column, and
  // prototype-poisoning keys are refused.
  // An empty body counts as no body (curl -X POST with a JSON content type and no -d): routes whose
  // body is optional then take it, and the others still answer "body must be object".
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') {
      done(null, undefined);
      return;
    }
    const parsed = parseJson(body as string);
    if (parsed.ok) done(null, parsed.value);
    else done(new ProblemError(parsed.error), undefined);
  });

  if (options.checkResponses) checkResponses(app);

  app.setErrorHandler((error, request, reply) => {
    const { problem, internal } = problemFromError(error, request);
    if (internal) request.log.error({ err: error, requestId: request.id }, 'request failed');
    // 503 busy (a worker pool or, in the distributed mode, a partition's owner did not answer): when to try again.
    if (problem.code === 'busy' && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
    return reply.code(statusFor(problem.code)).send(problemBody(problem, request.id));
  });
  const hasWebApp = webBuildExists();
  app.setNotFoundHandler((request, reply) => {
    // The dashboard routes its own pages: /admin/alerts and the like all load index.html.
    if (hasWebApp && wantsPage(request)) return sendPage(reply);
    return sendProblem(reply, { code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}.` });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Vigil API',
        version: '0.1.0',
        description: 'Real-time security events, scoring and response for online shops and payment apps.',
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An ingest or admin key: Authorization: Bearer vgl_…' } },
      },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(cookie);
  app.addHook('onRequest', authenticate(system));

  // The ingest routes' time to answer, for /metrics: after the commit, as the client sees it.
  const requestSeconds = system.metrics.requestSeconds;
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route === '/v1/events' && request.method === 'POST') requestSeconds.observe({ route }, reply.elapsedTime / 1000);
    done();
  });

  await app.register(healthRoutes(system));
  await app.register(metricsRoutes(system));
  await app.register(eventRoutes(system));
  await app.register(userEventRoutes(system));
  await app.register(alertRoutes(system));
  await app.register(accountRoutes(system));
  await app.register(ruleRoutes(system));
  await app.register(modelRoutes(system));
  await app.register(loginRoutes(system));
  await app.register(outboxRoutes(system));
  await app.register(webhookRoutes(system));
  await app.register(staffNotifyRoutes(system));
  await app.register(auditRoutes(system));
  await app.register(sessionRoutes(system));
  await app.register(ssoRoutes(system));
  await app.register(meRoutes(system));
  await app.register(snoozeRoutes(system));
  await app.register(peopleRoutes(system));
  await app.register(feedRoutes(system));
  await app.register(monitorRoutes(system));
  await app.register(listRoutes(system));
  await app.register(teamRoutes(system));
  await app.register(savedViewRoutes(system));
  if (hasWebApp) await registerWebApp(app);
  return app;
}
