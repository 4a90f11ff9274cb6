import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ApiKey, isStaffRole, type Role, roleAllows, staffAllows } from '../auth/api-keys.js';
import type { PersonRole } from '../auth/people.js';
import type { SignedIn } from '../auth/sessions.js';
import type { System } from '../system.js';
import { sendProblem } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: ApiKey;
    /** The dashboard session behind the request's cookie, when it came from a browser. */
    signedIn?: SignedIn;
  }
}

/**
 * What a route asks of its caller: an API key's role (`ingest`, or a staff role `viewer`, `analyst`,
 * `admin`, each allowing the stronger ones too); `member`: a person signed in to the dashboard,
 * acting on their own account only; `person`: anyone signed in (their session). A list allows a
 * caller that any of its roles allows (a shop's ingest key, or staff reading, on one account).
 */
export type RouteRole = Role | 'member' | 'person' | 'metrics';
export type RouteRoles = RouteRole | readonly RouteRole[];

export const SESSION_COOKIE = 'vigil_session';
export const CSRF_HEADER = 'x-csrf-token';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

const digest = (secret: string): Buffer => createHash('sha256').update(secret).digest();

/**
 * Staff signed in to the dashboard may do what a key of their role may (admins also what an ingest
 * key may, as before); members only the member routes.
 */
export function personAllows(role: PersonRole, needed: Exclude<RouteRole, 'metrics'>): boolean {
  if (needed === 'person') return true;
  if (role === 'member' || needed === 'member') return role === needed;
  if (needed === 'ingest') return role === 'admin';
  return staffAllows(role, needed);
}

const anyOf = (needed: RouteRoles): readonly RouteRole[] => (typeof needed === 'string' ? [needed] : (needed as readonly RouteRole[]));

/** What a refusal says the route needs, for people reading a 403. */
function describeNeeded(needed: readonly RouteRole[]): string {
  const staff = needed.filter(isStaffRole);
  if (needed.includes('member')) return 'This route is for members, about their own account.';
  const weakest = staff[0];
  if (weakest === 'admin' || weakest === undefined) return 'This route is for admins.';
  return weakest === 'viewer' ? 'This route is for staff (viewer, analyst or admin).' : 'This route is for analysts and admins.';
}

/**
 * Checks every route that declares a role: a bearer key (client apps, scripts) or a session cookie
 * (the dashboard). Cookies travel by themselves, so a state-changing request with one must also
 * carry the session's CSRF token in a header, which another site's page cannot read or send. Failed
 * attempts are counted per client address, and past the limit that address's failing attempts are
 * answered 429. A valid key or session is never refused for them: behind a proxy, or a shared NAT,
 * many clients share an address, and anyone could otherwise stop everyone's traffic with a few bad
 * keys (OWASP ASVS 2.2.1: limits must not enable lockout attacks).
 */
export function authenticate(system: System) {
  const metricsToken = system.config.metricsToken === undefined ? undefined : digest(system.config.metricsToken);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const declared = request.routeOptions.config.role;
    if (declared === undefined) return;
    // GET /metrics also takes the scraper's own token (VIGIL_METRICS_TOKEN), which opens nothing
    // else; compared as SHA-256 digests in constant time. Any other caller needs what an admin needs.
    if (declared === 'metrics' && metricsToken !== undefined && request.headers.authorization !== undefined) {
      const presented = BEARER.exec(request.headers.authorization)?.[1];
      if (presented !== undefined && timingSafeEqual(digest(presented), metricsToken)) return;
    }
    const needed = anyOf(declared).map((r) => (r === 'metrics' ? 'admin' : r));

    // A failing attempt from an address past its limit: 429, counted no further.
    const limited = () => {
      const retryAfterMs = system.authFailures.retryAfterMs(request.ip);
      if (retryAfterMs === 0) return false;
      reply.header('retry-after', Math.ceil(retryAfterMs / 1000));
      sendProblem(reply, { code: 'rate_limited', message: 'Too many failed authentications from this address; try again later.' });
      return true;
    };

    if (request.headers.authorization !== undefined) {
      const match = BEARER.exec(request.headers.authorization);
      const key = match?.[1] ? await system.authenticator.authenticate(match[1]) : undefined;
      if (!key) {
        if (limited()) return reply;
        system.authFailures.recordFailure(request.ip);
        reply.header('www-authenticate', 'Bearer');
        return sendProblem(reply, { code: 'unauthorized', message: 'Unknown or revoked API key.' });
      }
      const keyRoles = needed.filter((r): r is Role => r !== 'member' && r !== 'person');
      if (keyRoles.length === 0) {
        return sendProblem(reply, { code: 'forbidden', message: 'This route is for people signed in to the dashboard, not for API keys.' });
      }
      if (!keyRoles.some((r) => roleAllows(key.role, r))) {
        return sendProblem(reply, {
          code: 'forbidden',
          message: `This route needs a key of role ${keyRoles.join(' or ')} (or stronger); this is a ${key.role} key.`,
        });
      }
      request.apiKey = key;
      return;
    }

    const token = request.cookies[SESSION_COOKIE];
    const signedIn = token ? await system.people.resume(token) : undefined;
    if (!signedIn) {
      if (token && limited()) return reply;
      if (token) system.authFailures.recordFailure(request.ip);
      reply.header('www-authenticate', 'Bearer');
      return sendProblem(reply, {
        code: 'unauthorized',
        message: token ? 'Your session has ended; sign in again.' : 'Sign in, or send Authorization: Bearer <key>.',
      });
    }
    if (!needed.some((r) => personAllows(signedIn.person.role, r))) {
      return sendProblem(reply, { code: 'forbidden', message: describeNeeded(needed) });
    }
    if (!SAFE_METHODS.has(request.method)) {
      const header = request.headers[CSRF_HEADER];
      if (!system.people.csrfMatches(signedIn, typeof header === 'string' ? header : undefined)) {
        return sendProblem(reply, { code: 'csrf_failed', message: `Send the session's CSRF token in the ${CSRF_HEADER} header.` });
      }
    }
    request.signedIn = signedIn;
  };
}
