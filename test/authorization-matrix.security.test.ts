import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PersonRole } from '../src/auth/people.js';
import { ADMIN_KEY, INGEST_KEY, type SignedInPerson, startTestApp, type TestApp } from './support/app.js';
import { runningClock, TEST_NOW } from './support/clock.js';

/**
 * Issue 15: the authorization matrix. Every operation in the OpenAPI document has an explicit decision
 * here: which callers may reach it. Each is then called by every caller — nobody, the ingest, viewer,
 * analyst and admin keys, a viewer's and an analyst's session (issue 20), a member's session (on their own resources, and on another member's where the path names
 * a user or a member's alert or snooze), an admin's session — and:
 *  - a caller not allowed gets 401 (no credentials) or 403 (wrong role): never 2xx, never 5xx;
 *  - an allowed caller gets past authorization: no 401/403 (a 400/404/409 for a dummy body is fine).
 * A route in the document without a decision fails the suite, as does a decision for a route that is
 * gone. The decisions mirror each route's `config: { role }` in src/http/routes/*.ts (undefined: public;
 * `person`: any signed-in session; `member`: a member's session; `ingest`: ingest or admin key or an
 * admin's session; `viewer`, `analyst`, `admin`: a key or session of that staff role or a stronger
 * one), but are written out so that a changed role
 * shows up here as a failing case rather than passing silently.
 */

type Caller =
  | 'anonymous'
  | 'ingestKey'
  | 'viewerKey'
  | 'analystKey'
  | 'adminKey'
  | 'memberSession'
  | 'viewerSession'
  | 'analystSession'
  | 'adminSession';
const CALLERS: readonly Caller[] = [
  'anonymous',
  'ingestKey',
  'viewerKey',
  'analystKey',
  'adminKey',
  'memberSession',
  'viewerSession',
  'analystSession',
  'adminSession',
];

const PUBLIC: readonly Caller[] = CALLERS;
const INGEST: readonly Caller[] = ['ingestKey', 'adminKey', 'adminSession'];
const ADMIN: readonly Caller[] = ['adminKey', 'adminSession'];
/** Triage: acting on alerts, locking and unlocking accounts. */
const ANALYST: readonly Caller[] = ['analystKey', 'adminKey', 'analystSession', 'adminSession'];
/** Reading what an analyst sees. */
const VIEWER: readonly Caller[] = ['viewerKey', 'analystKey', 'adminKey', 'viewerSession', 'analystSession', 'adminSession'];
/** One account: the shop's app (ingest key) or staff reading it. */
const ACCOUNT_READ: readonly Caller[] = [...INGEST, 'viewerKey', 'analystKey', 'viewerSession', 'analystSession'];
const MEMBER: readonly Caller[] = ['memberSession'];
const PERSON: readonly Caller[] = ['memberSession', 'viewerSession', 'analystSession', 'adminSession'];

/**
 * The decisions, keyed "METHOD /path" in Fastify's form. `scope` names what a member-scoped `:id` is
 * (a member's alert or snooze), so that a member is tried on their own and on another member's.
 */
interface Decision {
  readonly allowed: readonly Caller[];
  readonly scope?: 'alert' | 'snooze';
  /** Ends the caller's session when allowed: each allowed session caller gets a fresh one. */
  readonly endsSession?: true;
  /** A Server-Sent Events stream that never ends: read as a stream, and let go after the status. */
  readonly stream?: true;
}

const MATRIX: Record<string, Decision> = {
  // health.ts
  'GET /healthz': { allowed: PUBLIC },
  // metrics.ts (VIGIL_METRICS_TOKEN too: test/metrics.test.ts)
  'GET /metrics': { allowed: ADMIN },
  // events.ts, user-events.ts
  'POST /v1/events': { allowed: INGEST },
  'GET /v1/users/:user/events': { allowed: VIEWER },
  // alerts.ts
  'GET /v1/alerts': { allowed: VIEWER },
  'GET /v1/alerts/:id': { allowed: VIEWER },
  'POST /v1/alerts/:id/:action': { allowed: ANALYST },
  'PUT /v1/alerts/:id/owner': { allowed: ANALYST },
  'POST /v1/alerts/assign': { allowed: ANALYST },
  'GET /v1/alerts/:id/comments': { allowed: VIEWER },
  'POST /v1/alerts/:id/comments': { allowed: ANALYST },
  'GET /v1/alerts/counts': { allowed: VIEWER },
  'GET /v1/alerts/groups': { allowed: VIEWER },
  'GET /v1/alerts/export.csv': { allowed: VIEWER },
  'POST /v1/alerts/bulk': { allowed: ANALYST },
  // saved-views.ts (each caller's own views: the owner comes from the key or session)
  'GET /v1/saved-views': { allowed: VIEWER },
  'POST /v1/saved-views': { allowed: VIEWER },
  'DELETE /v1/saved-views/:id': { allowed: VIEWER },
  // accounts.ts
  'GET /v1/accounts': { allowed: VIEWER },
  'GET /v1/accounts/:user': { allowed: ACCOUNT_READ },
  'PUT /v1/accounts/:user/contact': { allowed: INGEST },
  'POST /v1/accounts/:user/otp': { allowed: INGEST },
  'POST /v1/accounts/:user/otp/verify': { allowed: INGEST },
  'POST /v1/accounts/:user/lock': { allowed: ANALYST },
  'POST /v1/accounts/:user/unlock': { allowed: ANALYST },
  'POST /v1/alerts/:id/dispute': { allowed: INGEST },
  'POST /v1/alerts/:id/confirm': { allowed: INGEST },
  // rules.ts
  'GET /v1/rules': { allowed: VIEWER },
  'GET /v1/rules/:id': { allowed: VIEWER },
  'POST /v1/rules': { allowed: ADMIN },
  'PUT /v1/rules/:id': { allowed: ADMIN },
  'POST /v1/rules/:id/promote': { allowed: ADMIN },
  'POST /v1/rules/:id/shadow': { allowed: ADMIN },
  'POST /v1/rules/:id/backtest': { allowed: ADMIN },
  'POST /v1/rules/backtest': { allowed: ADMIN },
  // models.ts
  'GET /v1/models': { allowed: ADMIN },
  'POST /v1/models/train': { allowed: ADMIN },
  'POST /v1/models/:id/activate': { allowed: ADMIN },
  // logins.ts
  'POST /v1/logins/score': { allowed: ADMIN },
  'GET /v1/logins/flagged': { allowed: ADMIN },
  // outbox.ts, audit.ts
  'GET /v1/outbox': { allowed: ADMIN },
  'GET /v1/audit': { allowed: ADMIN },
  'GET /v1/audit/verify': { allowed: ADMIN },
  // webhooks.ts
  'POST /v1/webhooks': { allowed: ADMIN },
  'GET /v1/webhooks': { allowed: ADMIN },
  'GET /v1/webhooks/:id': { allowed: ADMIN },
  'DELETE /v1/webhooks/:id': { allowed: ADMIN },
  'GET /v1/webhooks/:id/deliveries': { allowed: ADMIN },
  'POST /v1/webhooks/:id/test': { allowed: ADMIN },
  // staff-notify.ts: chat channels hold credentials (their URLs) and decide who hears about alerts
  'POST /v1/staff-channels': { allowed: ADMIN },
  'GET /v1/staff-channels': { allowed: ADMIN },
  'GET /v1/staff-channels/:id': { allowed: ADMIN },
  'DELETE /v1/staff-channels/:id': { allowed: ADMIN },
  'GET /v1/staff-channels/:id/messages': { allowed: ADMIN },
  'POST /v1/staff-channels/:id/test': { allowed: ADMIN },
  // session.ts
  'POST /v1/session': { allowed: PUBLIC },
  'GET /v1/session': { allowed: PERSON },
  'DELETE /v1/session': { allowed: PERSON, endsSession: true },
  'POST /v1/session/totp': { allowed: PERSON },
  'POST /v1/session/totp/confirm': { allowed: PERSON },
  'DELETE /v1/session/totp': { allowed: PERSON },
  // sso.ts (single sign-on is not configured here: 404 for everyone, past authorization)
  'GET /v1/session/options': { allowed: PUBLIC },
  'GET /v1/session/oidc': { allowed: PUBLIC },
  'GET /v1/session/oidc/callback': { allowed: PUBLIC },
  // me.ts (POST /v1/me/simulate exists in demo mode only: this app runs in demo mode)
  'GET /v1/me': { allowed: MEMBER },
  'GET /v1/me/alerts': { allowed: MEMBER },
  'GET /v1/me/events': { allowed: MEMBER },
  'POST /v1/me/alerts/:id/dispute': { allowed: MEMBER, scope: 'alert' },
  'POST /v1/me/alerts/:id/confirm': { allowed: MEMBER, scope: 'alert' },
  'POST /v1/me/unlock-code': { allowed: MEMBER },
  'POST /v1/me/unlock': { allowed: MEMBER },
  'POST /v1/me/simulate': { allowed: MEMBER },
  // snoozes.ts
  'GET /v1/snoozes': { allowed: VIEWER },
  'POST /v1/snoozes': { allowed: ADMIN },
  'DELETE /v1/snoozes/:id': { allowed: ADMIN },
  'GET /v1/me/snoozes': { allowed: MEMBER },
  'POST /v1/me/snoozes': { allowed: MEMBER },
  'DELETE /v1/me/snoozes/:id': { allowed: MEMBER, scope: 'snooze' },
  // people.ts
  'GET /v1/people': { allowed: ADMIN },
  'POST /v1/people': { allowed: ADMIN },
  'PATCH /v1/people/:id': { allowed: ADMIN },
  // feed.ts
  'GET /v1/feed': { allowed: VIEWER, stream: true },
  'GET /v1/stats/activity': { allowed: VIEWER },
  // monitor.ts
  'POST /v1/monitor': { allowed: INGEST },
  'GET /v1/monitor/series': { allowed: VIEWER },
  'GET /v1/monitor/anomalies': { allowed: VIEWER },
  'GET /v1/monitor/baselines': { allowed: VIEWER },
  'GET /v1/monitor/incidents': { allowed: VIEWER },
  'POST /v1/monitor/incidents/:id/accept': { allowed: ADMIN },
  // lists.ts
  'GET /v1/lists': { allowed: VIEWER },
  'POST /v1/lists': { allowed: ADMIN },
  'DELETE /v1/lists/:id': { allowed: ADMIN },
  // team.ts
  'GET /v1/staff': { allowed: VIEWER },
  'GET /v1/team/figures': { allowed: VIEWER },
};

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
const HTTP_METHODS = ['get', 'post', 'put', 'delete', 'patch', 'head', 'options'] as const;

/** Member alice is the member under test; bob is "another member". */
const OWN_USER = 'alice';
const OTHER_USER = 'bob';

let t: TestApp;
let alice: SignedInPerson;
let bob: SignedInPerson;
let admin: SignedInPerson;
let viewer: SignedInPerson;
let analyst: SignedInPerson;
const keys: Partial<Record<Caller, string>> = { ingestKey: INGEST_KEY, adminKey: ADMIN_KEY };
let documented: string[] = [];
const owned = { alert: { own: '', other: '' }, snooze: { own: '', other: '' } };
// Vigil's time starts at a fixed instant: the demo's data, and the fixtures' times, never depend on the hour of the run.
const clock = runningClock(TEST_NOW);

beforeAll(async () => {
  // Demo mode: POST /v1/me/simulate exists only there. No response policy: no account is locked by the fixtures.
  t = await startTestApp({ clock, env: { VIGIL_DEMO: 'true', VIGIL_RESPONSE_POLICY: '[]' } });
  await t.app.ready();
  const spec = t.app.swagger() as { paths?: Record<string, Record<string, unknown>> };
  documented = Object.entries(spec.paths ?? {}).flatMap(([path, item]) =>
    HTTP_METHODS.filter((m) => item[m] !== undefined).map((m) => `${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
  );

  [alice, bob, admin, viewer, analyst] = await Promise.all([
    t.person('member', OWN_USER),
    t.person('member', OTHER_USER),
    t.person('admin'),
    t.person('viewer'),
    t.person('analyst'),
  ]);
  keys.viewerKey = await t.key('viewer');
  keys.analystKey = await t.key('analyst');

  // One alert about each member, from a custom rule on large transactions.
  const rule = await t.app.inject({
    method: 'POST',
    url: '/v1/rules',
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
    payload: {
      name: 'Matrix: big transaction',
      type: 'transaction',
      eventTypes: ['transaction'],
      conditions: [{ field: 'amount', op: 'gt', value: 1000 }],
      severity: 'high',
    },
  });
  expect(rule.statusCode).toBe(201);
  for (const [user, slot] of [
    [OWN_USER, 'own'],
    [OTHER_USER, 'other'],
  ] as const) {
    const sent = await t.send({
      type: 'transaction',
      user,
      amount: 5000,
      currency: 'EUR',
      ip: '81.2.69.160',
      timestamp: new Date(clock.now()).toISOString(),
    });
    expect(sent.statusCode).toBe(200);
    owned.alert[slot] = sent.json().alertId;
    expect(owned.alert[slot]).toMatch(/^alrt_/);
    const member = slot === 'own' ? alice : bob;
    const until = new Date(clock.now() + 7 * 86_400_000).toISOString();
    const snooze = await member.request('POST', '/v1/me/snoozes', { rule: 'impossible-travel', until, reason: 'travelling' });
    expect(snooze.statusCode).toBe(201);
    owned.snooze[slot] = snooze.json().id;
  }
});
afterAll(async () => t?.close());

/** The route's path with plausible values: a real user and, for member-scoped ids, a real alert or snooze. */
function fill(path: string, decision: Decision, whose: 'own' | 'other'): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    if (name === 'user') return whose === 'own' ? OWN_USER : OTHER_USER;
    if (name === 'id' && decision.scope) return owned[decision.scope][whose];
    if (name === 'action') return 'acknowledge';
    return 'matrix-dummy-1';
  });
}

const SESSION_ROLES: Partial<Record<Caller, PersonRole>> = {
  memberSession: 'member',
  viewerSession: 'viewer',
  analystSession: 'analyst',
  adminSession: 'admin',
};
const sessions = (): Record<PersonRole, SignedInPerson> => ({ member: alice, viewer, analyst, admin });

/** A request as this caller makes it: a bearer key, or the session cookie plus CSRF header on state-changing methods. */
async function call(
  caller: Caller,
  method: Method,
  url: string,
  session?: SignedInPerson,
  stream = false,
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {};
  const key = keys[caller];
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (session) {
    headers.cookie = session.cookie;
    if (method !== 'GET') headers['x-csrf-token'] = session.csrfToken;
  }
  const res = await t.app.inject({
    method,
    url,
    headers,
    ...(method !== 'GET' && method !== 'DELETE' && { payload: {} }),
    ...(stream && { payloadAsStream: true }),
  });
  if (stream) res.stream().destroy();
  return res;
}

const hasMemberScope = (path: string, decision: Decision) => path.includes(':user') || decision.scope !== undefined;

interface Case {
  readonly caller: Caller | 'memberSession (another member’s)';
  readonly url: string;
  readonly status: number;
  readonly code?: string;
}

/** What the matrix expects of one case: `allowed` (past authorization), or the exact refusal. */
function expectation(decision: Decision, caller: Caller): 'allowed' | 401 | 403 {
  if (decision.allowed.includes(caller)) return 'allowed';
  return caller === 'anonymous' ? 401 : 403;
}

function verdict(expected: 'allowed' | 401 | 403, status: number): string {
  if (status >= 500) return `server error ${status}`;
  if (expected === 'allowed') return status === 401 || status === 403 ? `refused ${status}` : 'ok';
  return status === expected ? 'ok' : `expected ${expected}, got ${status}`;
}

describe('the OpenAPI document and the matrix', () => {
  it('list the same routes: a new route without a decision, or a decision for a route that is gone, fails', () => {
    expect(documented.length).toBeGreaterThan(0);
    const undecided = documented.filter((r) => !(r in MATRIX));
    const stale = Object.keys(MATRIX).filter((r) => !documented.includes(r));
    expect({ undecided, stale }).toEqual({ undecided: [], stale: [] });
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('serves the same document at GET /docs/json', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json().paths).sort()).toEqual(Object.keys((t.app.swagger() as { paths: object }).paths).sort());
  });
});

describe('every route × every caller', () => {
  for (const [route, decision] of Object.entries(MATRIX)) {
    const [method, path] = route.split(' ') as [Method, string];
    it(route, async () => {
      const results: Array<Case & { verdict: string }> = [];
      for (const caller of CALLERS) {
        const expected = expectation(decision, caller);
        const sessionRole = SESSION_ROLES[caller];
        let session = sessionRole === undefined ? undefined : sessions()[sessionRole];
        if (decision.endsSession && expected === 'allowed' && sessionRole !== undefined) {
          session = await t.person(sessionRole, sessionRole === 'member' ? OWN_USER : undefined);
        }
        const url = fill(path, decision, 'own');
        const res = await call(caller, method, url, session, decision.stream);
        results.push({ caller, url, status: res.statusCode, verdict: verdict(expected, res.statusCode) });
      }
      if (hasMemberScope(path, decision)) {
        // Alice on bob's resources: refused by role (403), or, on her own member routes, not found (404).
        const url = fill(path, decision, 'other');
        const res = await call('memberSession', method, url, alice, decision.stream);
        const ok = decision.allowed.includes('memberSession') ? res.statusCode === 404 : res.statusCode === 403;
        results.push({
          caller: 'memberSession (another member’s)',
          url,
          status: res.statusCode,
          verdict: ok ? 'ok' : `another member’s resource answered ${res.statusCode}`,
        });
      }
      const wrong = results.filter((r) => r.verdict !== 'ok');
      expect(wrong, JSON.stringify(results)).toEqual([]);
    });
  }

  it('left another member’s snooze and alert as they were', async () => {
    const snoozes = (await bob.request('GET', '/v1/me/snoozes')).json().snoozes as Array<{ id: string; cancelledAt?: string | null }>;
    const mine = snoozes.find((s) => s.id === owned.snooze.other);
    expect(mine).toBeDefined();
    expect(mine?.cancelledAt ?? null).toBeNull();
    const alert = (await t.get(`/v1/alerts/${owned.alert.other}`)).json();
    expect(alert.status).toBe('new');
  });
});

describe('CSRF on the matrix’s sessions', () => {
  it('refuses a state-changing request from a session without its CSRF header, on a member and an admin route', async () => {
    for (const [person, url, payload] of [
      [alice, '/v1/me/snoozes', { rule: 'impossible-travel', until: new Date(clock.now() + 86_400_000).toISOString(), reason: 'x' }],
      [admin, '/v1/lists', { list: 'block', kind: 'user', value: 'mallory', reason: 'x' }],
    ] as const) {
      const res = await t.app.inject({ method: 'POST', url, headers: { cookie: person.cookie }, payload });
      expect({ url, status: res.statusCode, code: res.json().error?.code }).toEqual({ url, status: 403, code: 'csrf_failed' });
    }
    expect(t.system.lists.size).toBe(0);
  });
});

describe('the matrix itself', () => {
  it('has a decision per caller for every route', () => {
    for (const decision of Object.values(MATRIX)) for (const c of decision.allowed) expect(CALLERS).toContain(c);
  });
});
