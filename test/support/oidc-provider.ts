/// <reference path="./oidc-provider-module.d.ts" />
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/**
 * A real OpenID Connect provider (oidc-provider 8, the one certified by the OpenID Foundation) in the
 * test process, on 127.0.0.1, with its development sign-in pages: any login signs in, as the account
 * of that name below. Tests drive Vigil's single sign-on against it end to end; nothing is mocked.
 */
export interface TestAccount {
  readonly email: string;
  readonly emailVerified?: boolean;
  readonly groups: readonly string[];
}

export interface TestProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The environment that points Vigil at this provider. */
  env(redirectUrl: string, roles?: string): Record<string, string>;
  close(): Promise<void>;
}

export const OIDC_CLIENT_SECRET = 'test-oidc-client-secret-0123456789abcdef';

export async function startOidcProvider(
  accounts: Readonly<Record<string, TestAccount>>,
  redirectUris: readonly string[],
): Promise<TestProvider> {
  // Listen first: the issuer URL (with its port) is the provider's identity.
  let handler: http.RequestListener = (_req, res) => res.end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'vigil',
        client_secret: OIDC_CLIENT_SECRET,
        redirect_uris: [...redirectUris],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    pkce: { required: () => true },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['test-oidc-cookie-key-0123456789'] },
    async findAccount(_ctx: unknown, id: string) {
      const account = accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: account.email, email_verified: account.emailVerified ?? true, groups: [...account.groups] };
        },
      };
    },
  });
  // The development pages warn on every start; they are what a test wants here.
  provider.on('server_error', (_ctx: unknown, error: unknown) => console.error('oidc-provider', error));
  handler = provider.callback();
  return {
    issuer,
    clientId: 'vigil',
    clientSecret: OIDC_CLIENT_SECRET,
    env: (redirectUrl, roles = 'vigil-admins:admin,vigil-analysts:analyst,vigil-viewers:viewer') => ({
      VIGIL_OIDC_ISSUER: issuer,
      VIGIL_OIDC_CLIENT_ID: 'vigil',
      VIGIL_OIDC_CLIENT_SECRET: OIDC_CLIENT_SECRET,
      VIGIL_OIDC_REDIRECT_URL: redirectUrl,
      VIGIL_OIDC_ROLE_CLAIM: 'groups',
      VIGIL_OIDC_ROLES: roles,
      VIGIL_OIDC_SCOPES: 'openid email groups',
      VIGIL_OIDC_ALLOW_INTERNAL_ISSUER: 'true',
    }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
