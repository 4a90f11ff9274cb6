import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { viewPerson } from '../../auth/people.js';
import { SESSION_MAX_MS, type SignedIn, type SignInProblem } from '../../auth/sessions.js';
import type { System } from '../../system.js';
import { SESSION_COOKIE } from '../authenticate.js';
import { sendProblem } from '../errors.js';
import { NoContentSchema, SessionSchema, TotpEnrolmentSchema, TotpStateSchema } from '../schemas/index.js';
import type { VigilTypeProvider } from '../type-provider.js';

const Code = Type.String({ minLength: 6, maxLength: 6, pattern: '^[0-9]{6}$', description: 'The 6-digit code of the authenticator app.' });

const presentSession = (s: SignedIn) => ({ person: viewPerson(s.person), csrfToken: s.csrfToken });

/**
 * Sign-in for the dashboard. The session lives in an HttpOnly, SameSite=Strict cookie that scripts
 * cannot read; the CSRF token comes in the body, for the page to send back in a header.
 */
export function sessionRoutes(system: System): FastifyPluginAsync {
  return async (app) => {
    const typed = app.withTypeProvider<VigilTypeProvider>();
    const people = system.people;

    const setCookie = (reply: FastifyReply, token: string) =>
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: system.config.cookieSecure,
        maxAge: Math.floor(SESSION_MAX_MS / 1000),
      });

    typed.post(
      '/v1/session',
      {
        schema: {
          summary: 'Sign in to the dashboard',
          description:
            'Sets the session cookie. With two-factor sign-in on, a first try without `totp` answers 401 `totp_required`. Five wrong tries lock the email out for 15 minutes; twenty lock out the address.',
          tags: ['session'],
          security: [],
          body: Type.Object(
            {
              email: Type.String({ minLength: 3, maxLength: 320 }),
              password: Type.String({ minLength: 1, maxLength: 1024 }),
              totp: Type.Optional(Code),
            },
            { additionalProperties: false },
          ),
          response: { 200: SessionSchema },
        },
      },
      async (request, reply) => {
        // SameSite keeps other sites' requests from carrying the cookie; this keeps them from signing
        // a victim in to the attacker's account (login CSRF).
        if (!sameOrigin(request))
          return sendProblem(reply, { code: 'csrf_failed', message: 'Sign-in is only accepted from Vigil’s own pages.' });
        const { email, password, totp } = request.body;
        const result = await people.signIn(
          { email, password, ...(totp !== undefined && { totp }) },
          { ip: request.ip, ...(request.headers['user-agent'] !== undefined && { userAgent: request.headers['user-agent'] }) },
        );
        if (!result.ok) {
          const { retryAfterMs, ...problem } = result.error;
          if (retryAfterMs !== undefined) reply.header('retry-after', Math.ceil(retryAfterMs / 1000));
          return sendProblem(reply, problem);
        }
        setCookie(reply, result.value.token);
        return presentSession(result.value.session);
      },
    );

    typed.get(
      '/v1/session',
      {
        config: { role: 'person' },
        schema: {
          summary: 'Who is signed in, and the CSRF token for state-changing requests',
          tags: ['session'],
          response: { 200: SessionSchema },
        },
      },
      async (request) => presentSession(request.signedIn as SignedIn),
    );

    typed.delete(
      '/v1/session',
      { config: { role: 'person' }, schema: { summary: 'Sign out', tags: ['session'], response: { 204: NoContentSchema } } },
      async (request, reply) => {
        await people.signOut(request.signedIn as SignedIn);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.code(204).send();
      },
    );

    typed.post(
      '/v1/session/totp',
      {
        config: { role: 'person' },
        schema: {
          summary: 'Start two-factor enrolment: a new secret and its QR code',
          description:
            'Nothing changes until a code from the new secret is confirmed. With two-factor sign-in already on, replacing it needs `code`, a current code of the enrolled authenticator. Five wrong codes on the two-factor routes in 15 minutes answer 429 `rate_limited` until the window passes.',
          tags: ['session'],
          body: Type.Object({ code: Type.Optional(Code) }, { additionalProperties: false }),
          response: { 200: TotpEnrolmentSchema },
        },
        // The first enrolment needs no body at all.
        preValidation: async (request) => {
          request.body ??= {};
        },
      },
      async (request, reply) => {
        const result = await people.startTotp(request.signedIn as SignedIn, request.body.code);
        if (!result.ok) return sendTotpProblem(reply, result.error);
        return result.value;
      },
    );

    typed.post(
      '/v1/session/totp/confirm',
      {
        config: { role: 'person' },
        schema: {
          summary: 'Turn two-factor sign-in on with a code from the new secret',
          description: 'Ends every other session of this person.',
          tags: ['session'],
          body: Type.Object({ code: Code }, { additionalProperties: false }),
          response: { 200: TotpStateSchema },
        },
      },
      async (request, reply) => {
        const result = await people.confirmTotp(request.signedIn as SignedIn, request.body.code);
        if (!result.ok) return sendTotpProblem(reply, result.error);
        return { totpEnabled: result.value.totpEnabled };
      },
    );

    typed.delete(
      '/v1/session/totp',
      {
        config: { role: 'person' },
        schema: {
          summary: 'Turn two-factor sign-in off (needs a current code)',
          description: 'Five wrong codes on the two-factor routes in 15 minutes answer 429 `rate_limited` until the window passes.',
          tags: ['session'],
          body: Type.Object({ code: Code }, { additionalProperties: false }),
          response: { 200: TotpStateSchema },
        },
      },
      async (request, reply) => {
        const result = await people.disableTotp(request.signedIn as SignedIn, request.body.code);
        if (!result.ok) return sendTotpProblem(reply, result.error);
        return { totpEnabled: result.value.totpEnabled };
      },
    );
  };
}

function sendTotpProblem(reply: FastifyReply, error: SignInProblem) {
  const { retryAfterMs, ...problem } = error;
  if (retryAfterMs !== undefined) reply.header('retry-after', Math.ceil(retryAfterMs / 1000));
  return sendProblem(reply, problem);
}

/** A browser names the page's origin; requests without one (scripts, curl) carry no ambient cookie. */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
