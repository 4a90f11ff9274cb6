import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { SESSION_MAX_MS } from '../../auth/sessions.js';
import { OIDC_FLOW_MS } from '../../sso/oidc-sign-in.js';
import type { System } from '../../system.js';
import { SESSION_COOKIE } from '../authenticate.js';
import { sendProblem } from '../errors.js';
import { RedirectSchema, SignInOptionsSchema } from '../schemas/index.js';
import type { VigilTypeProvider } from '../type-provider.js';

/** Carries state, nonce and PKCE verifier from the start to the callback; signed, only on these paths. */
const FLOW_COOKIE = 'vigil_oidc';
const FLOW_PATH = '/v1/session/oidc';

/**
 * Single sign-on for staff (OpenID Connect). The start redirects to the provider; the provider
 * redirects back to the callback, which opens the same session (cookie and CSRF token) a password
 * sign-in does and sends the browser to the dashboard. Without VIGIL_OIDC_ISSUER these answer 404.
 */
export function ssoRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();
    const oidc = system.oidc;
    const notConfigured = (reply: FastifyReply) =>
      sendProblem(reply, { code: 'not_found', message: 'Single sign-on is not configured (VIGIL_OIDC_ISSUER).' });

    typed.get(
      '/v1/session/options',
      {
        schema: {
          summary: 'How one can sign in: password, and single sign-on when configured',
          tags: ['session'],
          response: { 200: SignInOptionsSchema },
        },
      },
      async () => ({ password: true as const, sso: oidc ? { label: oidc.label, url: FLOW_PATH } : null }),
    );

    typed.get(
      FLOW_PATH,
      {
        schema: {
          summary: 'Start single sign-on: redirects to the identity provider',
          description:
            'Authorization code flow with PKCE (S256), `state` and `nonce`, kept for 10 minutes in a signed `HttpOnly` cookie. 503 `sso_unavailable` when the provider cannot be reached; 404 when single sign-on is not configured.',
          tags: ['session'],
          response: { 302: RedirectSchema },
        },
      },
      async (_request, reply) => {
        if (!oidc) return notConfigured(reply);
        const started = await oidc.begin();
        if (!started.ok) return sendProblem(reply, started.error);
        // Lax, not Strict: the callback is a top-level navigation coming back from the provider's site.
        reply.setCookie(FLOW_COOKIE, started.value.flowCookie, {
          path: FLOW_PATH,
          httpOnly: true,
          sameSite: 'lax',
          secure: system.config.cookieSecure,
          maxAge: Math.floor(OIDC_FLOW_MS / 1000),
        });
        return reply.redirect(started.value.url, 302);
      },
    );

    typed.get(
      `${FLOW_PATH}/callback`,
      {
        schema: {
          summary: 'Where the identity provider sends the browser back: opens the session, then redirects to the dashboard',
          description:
            'The role is the strongest that `VIGIL_OIDC_ROLES` gives the values of the role claim; none: 403 `sso_no_role` (audited `person.sso_refused`). A missing or wrong `state`, a provider error or a token that does not verify: 401 `sso_failed`.',
          tags: ['session'],
          querystring: Type.Object(
            {
              code: Type.Optional(Type.String({ maxLength: 2048 })),
              state: Type.Optional(Type.String({ maxLength: 512 })),
              iss: Type.Optional(Type.String({ maxLength: 2048 })),
              error: Type.Optional(Type.String({ maxLength: 256 })),
              error_description: Type.Optional(Type.String({ maxLength: 2048 })),
              session_state: Type.Optional(Type.String({ maxLength: 512 })),
            },
            { additionalProperties: true },
          ),
          response: { 302: RedirectSchema },
        },
      },
      async (request, reply) => {
        if (!oidc) return notConfigured(reply);
        const query = new URLSearchParams(request.url.slice(request.url.indexOf('?') + 1 || request.url.length));
        const done = await oidc.complete(query, request.cookies[FLOW_COOKIE], {
          ip: request.ip,
          ...(request.headers['user-agent'] !== undefined && { userAgent: request.headers['user-agent'] }),
        });
        // One use: whatever the outcome, this flow is over.
        reply.clearCookie(FLOW_COOKIE, { path: FLOW_PATH });
        if (!done.ok) return sendProblem(reply, done.error);
        reply.setCookie(SESSION_COOKIE, done.value.token, {
          path: '/',
          httpOnly: true,
          sameSite: 'strict',
          secure: system.config.cookieSecure,
          maxAge: Math.floor(SESSION_MAX_MS / 1000),
        });
        return reply.redirect('/', 302);
      },
    );
  };
}
