import http from 'node:http';
import https from 'node:https';
import type { CustomFetch } from 'openid-client';
import { pinnedLookup, type TargetGuard } from '../webhooks/target-guard.js';

/** Largest answer read from the provider: discovery, keys, tokens and user info are a few KB. */
const MAX_BODY_BYTES = 1024 * 1024;

/** The provider was not asked (not its origin, an internal address) or did not answer. */
export class IssuerUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IssuerUnreachable';
  }
}

/**
 * The `fetch` openid-client uses, which reaches only the identity provider: a URL whose origin is
 * not one of `allowedOrigins` (the issuer's, and those its own discovery document names for tokens,
 * keys and user info) is refused before any connection, and the host is vetted by the webhooks'
 * target guard (public addresses only unless the issuer's internal address is explicitly allowed)
 * and pinned for the connection, as webhooks are. Redirects are not followed. Nothing here logs: a
 * token request's body holds the client secret and the code.
 */
export class IssuerFetch {
  private readonly allowedOrigins = new Set<string>();

  constructor(
    issuer: URL,
    private readonly guard: TargetGuard,
    private readonly timeoutMs = 10_000,
  ) {
    this.allowedOrigins.add(issuer.origin);
  }

  /** Allows the origins of endpoints the provider's discovery document named. */
  allow(urls: ReadonlyArray<string | undefined>): void {
    for (const u of urls) if (u !== undefined) this.allowedOrigins.add(new URL(u).origin);
  }

  readonly fetch: CustomFetch = async (input, init) => {
    const url = new URL(input);
    if (!this.allowedOrigins.has(url.origin) || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new IssuerUnreachable(`${url.origin} is not the identity provider's`);
    }
    const target = await this.guard.vet(url);
    if (!target.ok) {
      throw new IssuerUnreachable(
        target.error.kind === 'not_allowed'
          ? 'the identity provider is on an internal address (see VIGIL_OIDC_ALLOW_INTERNAL_ISSUER)'
          : target.error.reason,
      );
    }
    const headers: Record<string, string> = { ...init.headers };
    const body = init.body === undefined || init.body === null ? undefined : Buffer.from(String(init.body), 'utf8');
    if (body) headers['content-length'] = String(body.length);
    headers['user-agent'] = 'Vigil-SSO/1';

    return new Promise<Response>((resolve, reject) => {
      const request = (url.protocol === 'https:' ? https : http).request({
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        ...(url.port !== '' && { port: Number(url.port) }),
        path: `${url.pathname}${url.search}`,
        method: init.method ?? 'GET',
        headers,
        agent: false,
        lookup: pinnedLookup(target.value),
        timeout: this.timeoutMs,
      });
      const fail = (error: Error) => {
        request.destroy();
        reject(error);
      };
      request.on('timeout', () => fail(new IssuerUnreachable(`the identity provider did not answer within ${this.timeoutMs} ms`)));
      init.signal?.addEventListener('abort', () => fail(new IssuerUnreachable('aborted')));
      request.on('error', (error: NodeJS.ErrnoException) => reject(new IssuerUnreachable(error.code ?? error.message)));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) fail(new IssuerUnreachable('the identity provider answered more than 1 MB'));
          else chunks.push(chunk);
        });
        response.on('error', (error) => reject(new IssuerUnreachable(error.message)));
        response.on('end', () => {
          const answer = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (value === undefined) continue;
            for (const v of [value].flat()) answer.append(name, v);
          }
          const status = response.statusCode ?? 502;
          const nullBody = status === 204 || status === 304;
          resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, headers: answer }));
        });
      });
      request.end(body);
    });
  };
}
