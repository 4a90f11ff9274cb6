import type { LightMyRequestResponse } from 'fastify';
import { generateKey, type Role } from '../../src/auth/api-keys.js';
import type { PersonRole } from '../../src/auth/people.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import type { Clock } from '../../src/core/clock.js';
import type { Rule } from '../../src/detect/rule.js';
import { type App, buildApp } from '../../src/http/app.js';
import { createSystem, type Logger, type System } from '../../src/system.js';
import type { HostLookup } from '../../src/webhooks/target-guard.js';
import { ADMIN_KEY, INGEST_KEY, TEST_SECRET_KEY } from './credentials.js';
import { sharedGeoIp } from './geoip.js';
import type { TestDatabase } from './sqlite-database.js';

export const PERSON_PASSWORD = 'correct horse battery staple';
let people = 0;

export interface SignedInPerson {
  readonly email: string;
  /** `vigil_session=…`, for a Cookie header. */
  readonly cookie: string;
  readonly csrfToken: string;
  /** A request as the dashboard makes it: the cookie, and the CSRF header on state-changing methods. */
  request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<LightMyRequestResponse>;
}

/** Signs in through POST /v1/session, as the dashboard does. */
export async function signIn(app: App, email: string, password: string, totp?: string): Promise<SignedInPerson> {
  const res = await app.inject({ method: 'POST', url: '/v1/session', payload: { email, password, ...(totp !== undefined && { totp }) } });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  const setCookie = [res.headers['set-cookie']].flat().find((c) => c?.startsWith('vigil_session='));
  if (!setCookie) throw new Error('sign-in set no session cookie');
  const cookie = setCookie.split(';')[0] as string;
  const { csrfToken } = res.json() as { csrfToken: string };
  return {
    email,
    cookie,
    csrfToken,
    request: (method, url, body) =>
      app.inject({
        method,
        url,
        headers: { cookie, ...(method !== 'GET' && { 'x-csrf-token': csrfToken }) },
        ...(body !== undefined && { payload: body as object }),
      }),
  };
}

export interface TestApp {
  readonly app: App;
  readonly system: System;
  readonly config: Config;
  /** POST /v1/events with the ingest key. */
  send(body: unknown, options?: { query?: string; key?: string; contentType?: string }): Promise<LightMyRequestResponse>;
  /** GET with the admin key. */
  get(url: string, key?: string): Promise<LightMyRequestResponse>;
  /** Creates a dashboard person and signs them in: their cookie and CSRF token. */
  person(role: PersonRole, user?: string): Promise<SignedInPerson>;
  /** Stores a new API key of this role (as `vigil keys create` does) and returns its secret. */
  key(role: Role): Promise<string>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  clock?: Clock;
  env?: Record<string, string>;
  builtinRules?: readonly Rule<any>[];
  logger?: Logger;
  webhookLookup?: HostLookup;
}

/**
 * A whole Vigil (real store, real enrichment) behind app.inject(), on the fresh database given; it
 * is dropped at `close()`. Most tests take the suite's database through `startTestApp` (app.ts).
 */
export async function startVigilApp(database: TestDatabase, options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    VIGIL_DATABASE_URL: database.url,
    VIGIL_INGEST_KEY: INGEST_KEY,
    VIGIL_ADMIN_KEY: ADMIN_KEY,
    VIGIL_DEMO: 'false',
    VIGIL_SECRET_KEY: TEST_SECRET_KEY,
    ...options.env,
  });
  const system = await createSystem(config, {
    geoIp: await sharedGeoIp(),
    ...(options.clock && { clock: options.clock }),
    ...(options.builtinRules && { builtinRules: options.builtinRules }),
    ...(options.webhookLookup && { webhookLookup: options.webhookLookup }),
    logger: options.logger ?? { info() {}, warn() {}, error: (m, e) => console.error(m, e) },
  });
  const app = await buildApp(system, { checkResponses: true });
  return {
    app,
    system,
    config,
    send: (body, o = {}) =>
      app.inject({
        method: 'POST',
        url: `/v1/events${o.query ? `?${o.query}` : ''}`,
        headers: {
          authorization: `Bearer ${o.key ?? INGEST_KEY}`,
          'content-type': o.contentType ?? 'application/json',
        },
        payload: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    get: (url, key = ADMIN_KEY) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } }),
    async person(role, user) {
      const email = `${role}-${user ?? 'staff'}-${++people}@example.test`;
      const created = await system.people.create({ email, password: PERSON_PASSWORD, role, ...(user !== undefined && { user }) }, 'test');
      if (!created.ok) throw new Error(created.error.message);
      return signIn(app, email, PERSON_PASSWORD);
    },
    async key(role) {
      const created = generateKey(role, `test ${role} key`, system.clock);
      await system.apiKeys.ensure(created.key, created.secretHash);
      return created.secret;
    },
    async close() {
      await app.close();
      await system.close();
      await database.drop();
    },
  };
}
