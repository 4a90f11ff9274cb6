import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ApiKey, type Role, roleAllows } from '../auth/api-keys.js';
import type { PersonRole } from '../auth/people.js';
import type { SignedIn } from '../auth/people-service.js';
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
 * What a route asks of its caller: an API key's role (`ingest`, `admin`); `member`: a person signed
 * in to the dashboard, acting on their own account only; `person`: anyone signed in (their session).
 */
export type RouteRole = Role | 'member' | 'person' | 'metrics';

export const SESSION_COOKIE = 'vigil_session';
export const CSRF_HEADER = 'x-csrf-token';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

const digest = (secret: string): Buffer => createHash('sha256').update(secret).digest();

/** Admins signed in to the dashboard may do what an admin key may; members only the member routes. */
function personAllows(role: PersonRole, needed: Exclude<RouteRole, 'metrics'>): boolean {
  if (needed === 'person') return true;
  return role === 'admin' ? needed !== 'member' : needed === 'member';
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
    const needed = declared === 'metrics' ? 'admin' : declared;

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
      if (needed === 'member' || needed === 'person') {
        return sendProblem(reply, { code: 'forbidden', message: 'This route is for people signed in to the dashboard, not for API keys.' });
      }
      if (!roleAllows(key.role, needed)) {
        return sendProblem(reply, { code: 'forbidden', message: `This route needs an ${needed} key; this is an ${key.role} key.` });
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
    if (!personAllows(signedIn.person.role, needed)) {
      return sendProblem(reply, {
        code: 'forbidden',
        message: needed === 'member' ? 'This route is for members, about their own account.' : 'This route is for admins.',
      });
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
