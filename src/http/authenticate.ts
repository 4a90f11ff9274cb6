import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ApiKey, roleAllows } from '../auth/api-keys.js';
import type { System } from '../system.js';
import { sendProblem } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: ApiKey;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Checks the bearer key on every route that declares a role. Failed attempts are counted per client
 * address; past the limit the address is refused before its key is even looked at.
 */
export function authenticate(system: System) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const needed = request.routeOptions.config.role;
    if (needed === undefined) return;

    const retryAfterMs = system.authFailures.retryAfterMs(request.ip);
    if (retryAfterMs > 0) {
      reply.header('retry-after', Math.ceil(retryAfterMs / 1000));
      return sendProblem(reply, { code: 'rate_limited', message: 'Too many failed authentications from this address; try again later.' });
    }
    const match = BEARER.exec(request.headers.authorization ?? '');
    const key = match?.[1] ? await system.authenticator.authenticate(match[1]) : undefined;
    if (!key) {
      system.authFailures.recordFailure(request.ip);
      reply.header('www-authenticate', 'Bearer');
      return sendProblem(reply, {
        code: 'unauthorized',
        message: match ? 'Unknown or revoked API key.' : 'Missing API key: send Authorization: Bearer <key>.',
      });
    }
    if (!roleAllows(key.role, needed)) {
      return sendProblem(reply, { code: 'forbidden', message: `This route needs an ${needed} key; this is an ${key.role} key.` });
    }
    request.apiKey = key;
  };
}
