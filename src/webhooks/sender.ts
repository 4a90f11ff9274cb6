import http from 'node:http';
import https from 'node:https';
import { err, ok, type Result } from '../core/result.js';
import type { PostFailure } from '../outbound/ports.js';
import type { Delivery } from './ports.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER } from './signature.js';
import { pinnedLookup, type TargetGuard } from './target-guard.js';

export type { PostFailure } from '../outbound/ports.js';

/** Why an attempt to a refused target failed: the same whatever the address, and nothing was sent. */
const REFUSED_REASON = 'target not allowed: not a public address (see VIGIL_WEBHOOK_ALLOW_CIDRS); nothing was sent';

/**
 * Sends one signed delivery over HTTP(S). Every outcome is a value: the receiver's failures are
 * expected, and the delivery queue decides what to retry.
 */
export class WebhookSender {
  constructor(
    private readonly guard: TargetGuard,
    /** How long one attempt may take, the target's DNS lookup included. */
    private readonly timeoutMs: number,
  ) {}

  /**
   * POSTs the payload to the address vetted for the URL's host, pinned for the connection; the status
   * code on 2xx, else why not. The URL is not logged: it may hold a token. A refused target is never
   * connected to and its reason says only that it was refused, so no connection error (refused, reset,
   * timed out) can tell what listens on an internal address. Redirects are not followed: a redirect
   * would send the signed payload somewhere nobody registered, or inside the network.
   */
  post(rawUrl: string, delivery: Delivery, signature: string): Promise<Result<number, PostFailure>> {
    return this.postJson(rawUrl, delivery.payloadJson, {
      'user-agent': 'Vigil-Webhooks/1',
      [SIGNATURE_HEADER]: signature,
      [DELIVERY_HEADER]: delivery.id,
      [EVENT_HEADER]: delivery.eventType,
    });
  }

  /**
   * POSTs a JSON body with the same guard, pinning, time limit and outcomes as `post`: for senders
   * that are not signed deliveries (staff chat channels, staff-notify/), whose URL is a secret too.
   */
  async postJson(rawUrl: string, json: string, headers: Readonly<Record<string, string>>): Promise<Result<number, PostFailure>> {
    const started = performance.now();
    const url = new URL(rawUrl);
    const target = await this.guard.vet(url);
    if (!target.ok) {
      return err({ statusCode: null, reason: target.error.kind === 'not_allowed' ? REFUSED_REASON : target.error.reason });
    }
    const body = Buffer.from(json, 'utf8');
    const remainingMs = Math.max(1, this.timeoutMs - (performance.now() - started));
    return new Promise((resolve) => {
      let settled = false;
      const done = (result: Result<number, PostFailure>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const request = (url.protocol === 'https:' ? https : http).request({
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        ...(url.port !== '' && { port: Number(url.port) }),
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          ...headers,
        },
        // One connection per attempt, to the vetted address only: never a pooled or re-resolved one.
        agent: false,
        lookup: pinnedLookup(target.value),
      });
      const timer = setTimeout(() => {
        done(err({ statusCode: null, reason: `no answer within ${this.timeoutMs} ms` }));
        request.destroy();
      }, remainingMs);
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        const text = response.statusMessage;
        // Only the status matters: the body is not read.
        response.on('error', () => {});
        response.destroy();
        if (status >= 200 && status < 300) return done(ok(status));
        const reason =
          status >= 300 && status < 400 ? `HTTP ${status}: redirects are not followed` : `HTTP ${status}${text ? ` ${text}` : ''}`;
        done(err({ statusCode: status, reason }));
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        done(err({ statusCode: null, reason: (error.code ?? error.message ?? 'request failed').slice(0, 200) }));
      });
      request.end(body);
    });
  }
}
