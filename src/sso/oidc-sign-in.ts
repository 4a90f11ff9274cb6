import { createHmac, timingSafeEqual } from 'node:crypto';
import type * as OpenId from 'openid-client';
import type { AuditRecorder } from '../audit/ports.js';
import type { PeopleService } from '../auth/people-service.js';
import type { SignedIn } from '../auth/sessions.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { TargetGuard } from '../webhooks/target-guard.js';
import { IssuerFetch, IssuerUnreachable } from './issuer-fetch.js';
import { type OidcSettings, roleFromClaim } from './oidc-settings.js';

/** How long a person has at the provider between "Sign in with SSO" and the callback. */
export const OIDC_FLOW_MS = 10 * 60_000;

/** What the browser carries between the start and the callback: signed, so it cannot be forged or swapped. */
interface Flow {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly expiresAt: number;
}

export interface OidcSignInDependencies {
  readonly settings: OidcSettings;
  readonly people: PeopleService;
  readonly audit: AuditRecorder;
  /** Subkey that signs the flow cookie. */
  readonly flowKey: Buffer;
  readonly clock: Clock;
  readonly logger: { warn(message: string): void };
}

/**
 * Single sign-on for staff with OpenID Connect (openid-client): the authorization code flow with
 * PKCE (S256), `state` and `nonce`. The start hands the browser to the provider and the three values
 * to the browser in a signed cookie; the callback checks them, redeems the code (the client secret
 * travels only to the provider's token endpoint), verifies the ID token, maps the role claim to a
 * staff role and opens the same dashboard session a password sign-in does.
 */
export class OidcSignIn {
  private configuration: Promise<OpenId.Configuration> | undefined;
  private readonly issuerFetch: IssuerFetch;

  constructor(private readonly deps: OidcSignInDependencies) {
    // The issuer is the one host Vigil talks to for sign-in. On an internal address only when the
    // operator said so (VIGIL_OIDC_ALLOW_INTERNAL_ISSUER): then every address is allowed for it, and
    // still only its origins (see IssuerFetch).
    const guard = new TargetGuard(deps.settings.allowInternalIssuer ? ['0.0.0.0/0', '::/0'] : []);
    this.issuerFetch = new IssuerFetch(deps.settings.issuer, guard);
  }

  get label(): string {
    return this.deps.settings.label;
  }

  /** Reads the provider's discovery document, once (again after a failure). */
  discover(): Promise<OpenId.Configuration> {
    this.configuration ??= (async () => {
      const client = await openIdClient();
      const { settings } = this.deps;
      const config = await client.discovery(
        settings.issuer,
        settings.clientId,
        undefined,
        client.ClientSecretBasic(settings.clientSecret),
        {
          [client.customFetch]: this.issuerFetch.fetch,
          ...(settings.allowInternalIssuer && { execute: [client.allowInsecureRequests] }),
        },
      );
      const meta = config.serverMetadata();
      this.issuerFetch.allow([meta.token_endpoint, meta.jwks_uri, meta.userinfo_endpoint]);
      return config;
    })().catch((error: unknown) => {
      this.configuration = undefined;
      throw error;
    });
    return this.configuration;
  }

  /** The provider's authorization URL to send the browser to, and the flow cookie's value. */
  async begin(): Promise<Result<{ url: string; flowCookie: string }, Problem>> {
    let config: OpenId.Configuration;
    try {
      config = await this.discover();
    } catch (error) {
      return err(this.unavailable('discovery', error));
    }
    const client = await openIdClient();
    const verifier = client.randomPKCECodeVerifier();
    const flow: Flow = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier,
      expiresAt: this.deps.clock.now() + OIDC_FLOW_MS,
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.deps.settings.redirectUrl.href,
      scope: this.deps.settings.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return ok({ url: url.href, flowCookie: this.seal(flow) });
  }

  /**
   * Completes the sign-in from the callback's query and the flow cookie. The person's role is the
   * strongest that `VIGIL_OIDC_ROLES` gives their role claim's values; none: 403 `sso_no_role`.
   */
  async complete(
    query: URLSearchParams,
    flowCookie: string | undefined,
    client_: { readonly ip: string; readonly userAgent?: string },
  ): Promise<Result<{ token: string; session: SignedIn }, Problem>> {
    const flow = flowCookie === undefined ? undefined : this.open(flowCookie);
    if (!flow) return err({ code: 'sso_failed', message: 'This sign-in was not started here, or took too long: start again.' });
    const providerError = query.get('error');
    if (providerError !== null) {
      return err({ code: 'sso_failed', message: `The identity provider refused the sign-in (${providerError.slice(0, 60)}).` });
    }
    let config: OpenId.Configuration;
    try {
      config = await this.discover();
    } catch (error) {
      return err(this.unavailable('discovery', error));
    }
    const client = await openIdClient();
    const callback = new URL(this.deps.settings.redirectUrl.href);
    callback.search = query.toString();
    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      // Providers often put groups and email in user info rather than in the ID token.
      if ((claims[this.deps.settings.roleClaim] === undefined || claims.email === undefined) && config.serverMetadata().userinfo_endpoint) {
        const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub as string);
        claims = {
          ...info,
          ...claims,
          [this.deps.settings.roleClaim]: claims[this.deps.settings.roleClaim] ?? info[this.deps.settings.roleClaim],
        };
      }
    } catch (error) {
      if (isUnreachable(error)) return err(this.unavailable('token', error));
      this.deps.logger.warn(`single sign-on refused: ${describe(error)}`);
      return err({ code: 'sso_failed', message: 'The identity provider’s answer did not check out; start again.' });
    }

    const email = typeof claims.email === 'string' ? claims.email : undefined;
    if (email === undefined || claims.email_verified === false) {
      return err({ code: 'sso_failed', message: 'The identity provider gave no verified email for this person.' });
    }
    const role = roleFromClaim(this.deps.settings, claims[this.deps.settings.roleClaim]);
    if (role === undefined) {
      await this.deps.audit.record(`sso:${this.deps.settings.issuer.host}`, 'person.sso_refused', `email:${email.toLowerCase()}`, {
        ip: client_.ip,
        claim: this.deps.settings.roleClaim,
      });
      return err({
        code: 'sso_no_role',
        message: `Your ${this.deps.settings.roleClaim} at the identity provider give no role in Vigil; ask an admin.`,
      });
    }
    return this.deps.people.signInExternal({ email, role, provider: this.deps.settings.issuer.host }, client_);
  }

  private unavailable(step: 'discovery' | 'token', error: unknown): Problem {
    this.deps.logger.warn(`single sign-on: the identity provider is unavailable (${step}): ${describe(error)}`);
    return { code: 'sso_unavailable', message: 'The identity provider cannot be reached; try again, or sign in with a password.' };
  }

  private seal(flow: Flow): string {
    const body = Buffer.from(JSON.stringify(flow)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  private open(cookie: string): Flow | undefined {
    const [body, mac] = cookie.split('.');
    if (!body || !mac || cookie.length > 2000) return undefined;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const flow = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Flow;
      return flow.expiresAt > this.deps.clock.now() ? flow : undefined;
    } catch {
      return undefined;
    }
  }

  private mac(body: string): string {
    return createHmac('sha256', this.deps.flowKey).update(body).digest('base64url');
  }
}

/** Whether the provider could not be reached at all (network, refused host), as against a wrong answer. */
function isUnreachable(error: unknown): boolean {
  return error instanceof IssuerUnreachable || (error as { cause?: unknown }).cause instanceof IssuerUnreachable;
}

/** openid-client, loaded at the first sign-in: a Vigil without single sign-on, or before it is used, starts without it. */
const openIdClient = () => import('openid-client');

/** An error's message for the log: openid-client's messages name the check that failed, never a secret. */
function describe(error: unknown): string {
  return (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 300);
}
