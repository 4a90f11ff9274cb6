import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { ServerSecret } from '../auth/server-secret.js';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import { accountLockData, alertRaisedData } from './payloads.js';
import {
  type AttemptOutcome,
  type Delivery,
  type DeliveryEventType,
  type DeliveryQuery,
  type SealedWebhook,
  WEBHOOK_EVENT_TYPES,
  type Webhook,
  type WebhookEventType,
  type WebhookStore,
} from './ports.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign } from './signature.js';
import { type HostLookup, pinnedLookup, TargetGuard } from './target-guard.js';

/** After the first attempt: 10 s, 1 min, 5 min, 30 min, 2 h, 6 h; then the delivery is given up (7 attempts, ~8.6 h). */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [10_000, 60_000, 300_000, 1_800_000, 7_200_000, 21_600_000];

export interface WebhookLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export interface WebhookDispatcherDeps {
  readonly store: WebhookStore;
  /** The server secret's `webhook-secrets` subkey: seals signing secrets at rest. */
  readonly key: Buffer;
  readonly clock: Clock;
  readonly log: WebhookLogger;
  /**
   * Ranges a webhook may target although they are not public (VIGIL_WEBHOOK_ALLOW_CIDRS); none by
   * default: loopback, private, link-local and other internal addresses are refused (SSRF).
   */
  readonly allowCidrs?: readonly string[];
  /** Resolves a target's host name to every address; the system resolver unless given. */
  readonly lookup?: HostLookup;
  /** How often due retries are looked for; 5 s by default. */
  readonly pollIntervalMs?: number;
  readonly retryDelaysMs?: readonly number[];
  /** How long one attempt may take; 5 s by default. */
  readonly timeoutMs?: number;
}

export interface WebhookInput {
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description?: string;
}

/** JSON data of one event, as it goes into the payload's `data`. */
export type WebhookData = { readonly [key: string]: unknown };

/** How long an attempt holds its delivery beyond its timeout: a crash mid-attempt delays the retry by this much, no more. */
const LEASE_MARGIN_MS = 60_000;
const DUE_BATCH = 50;
/** How long the list of active webhooks is reused before it is read again (see `subscribers`). */
const SUBSCRIBERS_TTL_MS = 5_000;

/**
 * Webhooks for client apps: registration (the signing secret shown once, stored sealed), and
 * delivery of `alert.raised`, `account.locked` and `account.unlocked`, signed, retried with
 * backoff, logged per delivery.
 *
 * Every delivery is written as a row before its first attempt, so an event is never lost to a
 * crash or restart: the poller picks up whatever is due, this run's or a previous one's. An attempt
 * first claims its row (a conditional update of `next_attempt_at` to a lease), so two processes on
 * one database, or the poller and a first attempt, never send one delivery twice at once.
 */
export class WebhookDispatcher {
  private readonly guard: TargetGuard;
  private readonly retryDelaysMs: readonly number[];
  private readonly timeoutMs: number;
  private readonly pollIntervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private polling: Promise<number> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  /**
   * Active webhooks per event type, read at most every few seconds: every alert and lock asks, and
   * there are a handful of webhooks at most. Changes made here clear it at once; changes made by
   * another Vigil process are seen within SUBSCRIBERS_TTL_MS.
   */
  private readonly subscribers = new Map<WebhookEventType, { readonly at: number; readonly hooks: Promise<readonly SealedWebhook[]> }>();

  constructor(private readonly deps: WebhookDispatcherDeps) {
    this.retryDelaysMs = deps.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.timeoutMs = deps.timeoutMs ?? 5_000;
    this.guard = new TargetGuard(deps.allowCidrs, deps.lookup, this.timeoutMs);
    this.pollIntervalMs = deps.pollIntervalMs ?? 5_000;
  }

  // --- registration ---------------------------------------------------------------------------

  /** Registers a webhook. The secret is returned here only: it is stored sealed and never shown again. */
  async register(input: WebhookInput, actor: string): Promise<Result<{ webhook: Webhook; secret: string }, Problem>> {
    const url = checkUrl(input.url);
    if (!url.ok) return url;
    // Judged again at every attempt, by then-current DNS; a name that does not resolve yet is let
    // through here (the receiver may not be deployed yet), never an internal one.
    const target = await this.guard.vet(new URL(url.value));
    if (!target.ok && target.error.kind === 'not_allowed') {
      return err({
        code: 'webhook_target_not_allowed',
        message:
          'url must point to a public address: loopback, private, link-local and other internal or reserved addresses are refused ' +
          '(an admin can allow a range with VIGIL_WEBHOOK_ALLOW_CIDRS).',
        path: '/url',
      });
    }
    const events = [...new Set(input.events)];
    if (events.length === 0) return err({ code: 'invalid_body', message: 'events must name at least one event type.', path: '/events' });
    const unknown = events.find((e) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e));
    if (unknown !== undefined) {
      return err({ code: 'invalid_body', message: `"${unknown}" is not one of ${WEBHOOK_EVENT_TYPES.join(', ')}.`, path: '/events' });
    }
    const now = this.deps.clock.now();
    // 256 random bits: the receiver's only proof that a request comes from this Vigil.
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const webhook: Webhook = {
      id: newId('whk', now),
      url: url.value,
      events,
      description: input.description?.trim() || null,
      createdAt: now,
      createdBy: actor,
      disabledAt: null,
    };
    await this.deps.store.create({ ...webhook, secretCiphertext: ServerSecret.encrypt(this.deps.key, secret) });
    this.subscribers.clear();
    return ok({ webhook, secret });
  }

  async list(): Promise<readonly Webhook[]> {
    return (await this.deps.store.list()).map(unsealed);
  }

  async get(id: string): Promise<Webhook | undefined> {
    const hook = await this.deps.store.get(id);
    return hook && unsealed(hook);
  }

  /** Stops deliveries to a webhook; its pending ones are given up. Kept, with its log, for the record. */
  async disable(id: string): Promise<Result<Webhook, Problem>> {
    if (!(await this.deps.store.disable(id, this.deps.clock.now()))) return err({ code: 'not_found', message: `No webhook ${id}.` });
    this.subscribers.clear();
    const hook = await this.get(id);
    return hook ? ok(hook) : err({ code: 'not_found', message: `No webhook ${id}.` });
  }

  /** A webhook's delivery log, newest first. */
  async deliveries(webhookId: string, query: DeliveryQuery): Promise<Result<readonly Delivery[], Problem>> {
    if (!(await this.deps.store.get(webhookId))) return err({ code: 'not_found', message: `No webhook ${webhookId}.` });
    return ok(await this.deps.store.deliveries(webhookId, query));
  }

  /** Sends a `webhook.test` event to one active webhook, whatever it subscribes to; answers after the first attempt. */
  async sendTest(id: string): Promise<Result<Delivery, Problem>> {
    const hook = await this.deps.store.get(id);
    if (!hook || hook.disabledAt !== null) return err({ code: 'not_found', message: `No active webhook ${id}.` });
    const now = this.deps.clock.now();
    const [delivery] = await this.enqueue([hook], 'webhook.test', { webhookId: id, message: 'A test event from Vigil.' }, now);
    const stored = delivery && (await this.deps.store.getDelivery(delivery.id));
    return stored ? ok(stored) : err({ code: 'not_found', message: `No active webhook ${id}.` });
  }

  // --- delivery -------------------------------------------------------------------------------

  /** Listens to the bus: one delivery per raised alert, one per lock and unlock. Returns the unsubscribe. */
  subscribe(bus: Bus): () => void {
    const off = [
      bus.subscribe('alert.raised', async (alerts) => {
        await Promise.all(alerts.map((a) => this.emit('alert.raised', alertRaisedData(a), a.createdAt)));
      }),
      bus.subscribe('account.locked', async (change) => {
        await this.emit('account.locked', accountLockData(change), change.at);
      }),
      bus.subscribe('account.unlocked', async (change) => {
        await this.emit('account.unlocked', accountLockData(change), change.at);
      }),
    ];
    return () => {
      for (const unsubscribe of off) unsubscribe();
    };
  }

  /**
   * One event for every active webhook subscribed to its type. The deliveries are stored first (so a
   * crash cannot lose them), then attempted; resolves after the first attempts, with the deliveries.
   */
  async emit(eventType: WebhookEventType, data: WebhookData, at: number): Promise<readonly Delivery[]> {
    return this.enqueue(await this.subscribedTo(eventType), eventType, data, at);
  }

  private subscribedTo(eventType: WebhookEventType): Promise<readonly SealedWebhook[]> {
    const now = this.deps.clock.now();
    const cached = this.subscribers.get(eventType);
    if (cached && now - cached.at < SUBSCRIBERS_TTL_MS && now >= cached.at) return cached.hooks;
    const hooks = this.deps.store.subscribedTo(eventType);
    this.subscribers.set(eventType, { at: now, hooks });
    // A failed read is not cached: the next event asks again.
    hooks.catch(() => this.subscribers.delete(eventType));
    return hooks;
  }

  /** Attempts every delivery that is due now; resolves with how many were attempted. The timer calls it. */
  runDue(): Promise<number> {
    this.polling ??= this.drainDue().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  /** Starts the retry timer; deliveries left pending by a previous run are attempted at once. */
  start(): void {
    this.stopped = false;
    if (this.timer) return;
    this.timer = setInterval(() => this.poll(), this.pollIntervalMs);
    // Retries must never keep a process alive that has nothing else to do.
    this.timer.unref();
    this.poll();
  }

  /** Stops the timer and waits for attempts under way. Pending deliveries stay stored for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private poll(): void {
    this.runDue().catch((error: unknown) => this.deps.log.error('webhook retry poll failed', error));
  }

  private async enqueue(hooks: readonly SealedWebhook[], eventType: DeliveryEventType, data: WebhookData, at: number) {
    if (hooks.length === 0) return [];
    const now = this.deps.clock.now();
    // Born claimed by this process, so the poller does not attempt it while the first attempt runs;
    // once stopped, born due, for the next start.
    const nextAttemptAt = this.stopped ? now : now + this.timeoutMs + LEASE_MARGIN_MS;
    const deliveries: Delivery[] = hooks.map((hook) => {
      const id = newId('whd', now);
      return {
        id,
        webhookId: hook.id,
        eventType,
        payloadJson: JSON.stringify({ id, type: eventType, createdAt: new Date(at).toISOString(), data }),
        status: 'pending',
        attempts: 0,
        nextAttemptAt,
        lastStatusCode: null,
        lastError: null,
        createdAt: now,
        deliveredAt: null,
      };
    });
    await this.deps.store.addDeliveries(deliveries);
    if (!this.stopped) await Promise.all(deliveries.map((d, i) => this.track(this.attempt(d, hooks[i]))));
    return deliveries;
  }

  private async drainDue(): Promise<number> {
    let attempted = 0;
    while (!this.stopped) {
      const now = this.deps.clock.now();
      const due = await this.deps.store.due(now, DUE_BATCH);
      const mine: Delivery[] = [];
      for (const d of due) {
        if (d.nextAttemptAt !== null && (await this.deps.store.claim(d.id, d.nextAttemptAt, now + this.timeoutMs + LEASE_MARGIN_MS))) {
          mine.push(d);
        }
      }
      await Promise.all(mine.map((d) => this.track(this.attempt(d))));
      attempted += mine.length;
      if (due.length < DUE_BATCH || mine.length === 0) break;
    }
    return attempted;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  /** One attempt of a delivery this process has claimed. Never throws for the receiver's failures. */
  private async attempt(delivery: Delivery, known?: SealedWebhook): Promise<void> {
    const { store, clock, log } = this.deps;
    const hook = known ?? (await store.get(delivery.webhookId));
    const label = `webhook ${delivery.webhookId} delivery ${delivery.id}`;
    if (!hook || hook.disabledAt !== null) {
      await store.recordAttempt(delivery.id, { ...lastOf(delivery), status: 'failed', nextAttemptAt: null, lastError: 'webhook disabled' });
      return;
    }
    let secret: string;
    try {
      secret = ServerSecret.decrypt(this.deps.key, hook.secretCiphertext);
    } catch (error) {
      // Only a changed VIGIL_SECRET_KEY (or key file) does this: retrying cannot help.
      log.error(`${label}: the signing secret cannot be unsealed; was the server secret changed?`, error);
      await store.recordAttempt(delivery.id, {
        ...lastOf(delivery),
        status: 'failed',
        nextAttemptAt: null,
        lastError: 'signing secret unreadable (server secret changed)',
      });
      return;
    }

    const attempts = delivery.attempts + 1;
    const sentAt = clock.now();
    const result = await this.post(hook.url, delivery, sign(secret, Math.floor(sentAt / 1000), delivery.payloadJson));
    const now = clock.now();
    let outcome: AttemptOutcome;
    if (result.ok) {
      outcome = { status: 'delivered', attempts, nextAttemptAt: null, lastStatusCode: result.value, lastError: null, deliveredAt: now };
    } else {
      const delay = this.retryDelaysMs[attempts - 1];
      outcome = {
        status: delay === undefined ? 'failed' : 'pending',
        attempts,
        nextAttemptAt: delay === undefined ? null : now + delay,
        lastStatusCode: result.error.statusCode,
        lastError: result.error.reason,
        deliveredAt: null,
      };
      log.warn(
        `${label} attempt ${attempts} failed (${result.error.reason}); ${
          delay === undefined ? 'giving up' : `next attempt in ${Math.round(delay / 1000)} s`
        }`,
      );
    }
    await store.recordAttempt(delivery.id, outcome);
  }

  /**
   * POSTs the payload to the address vetted for the URL's host, pinned for the connection; the status
   * code on 2xx, else why not. The URL is not logged: it may hold a token. A refused target is never
   * connected to and its reason says only that it was refused, so no connection error (refused, reset,
   * timed out) can tell what listens on an internal address. Redirects are not followed: a redirect
   * would send the signed payload somewhere nobody registered, or inside the network.
   */
  private async post(
    rawUrl: string,
    delivery: Delivery,
    signature: string,
  ): Promise<Result<number, { statusCode: number | null; reason: string }>> {
    const started = performance.now();
    const url = new URL(rawUrl);
    const target = await this.guard.vet(url);
    if (!target.ok) {
      return err({ statusCode: null, reason: target.error.kind === 'not_allowed' ? REFUSED_REASON : target.error.reason });
    }
    const body = Buffer.from(delivery.payloadJson, 'utf8');
    const remainingMs = Math.max(1, this.timeoutMs - (performance.now() - started));
    return new Promise((resolve) => {
      let settled = false;
      const done = (result: Result<number, { statusCode: number | null; reason: string }>) => {
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
          'user-agent': 'Vigil-Webhooks/1',
          [SIGNATURE_HEADER]: signature,
          [DELIVERY_HEADER]: delivery.id,
          [EVENT_HEADER]: delivery.eventType,
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

/** Why an attempt to a refused target failed: the same whatever the address, and nothing was sent. */
const REFUSED_REASON = 'target not allowed: not a public address (see VIGIL_WEBHOOK_ALLOW_CIDRS); nothing was sent';

function lastOf(d: Delivery): AttemptOutcome {
  return {
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    deliveredAt: d.deliveredAt,
  };
}

function unsealed({ secretCiphertext: _sealed, ...webhook }: SealedWebhook): Webhook {
  return webhook;
}

/**
 * http(s) only, and no user or password in the URL: it is stored and listed in clear, and a
 * credential belongs in the receiver's check of the signature instead.
 */
function checkUrl(raw: string): Result<string, Problem> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return err({ code: 'invalid_body', message: 'url is not a valid absolute URL.', path: '/url' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return err({ code: 'invalid_body', message: `url must start with https:// or http:// (got ${url.protocol}).`, path: '/url' });
  }
  if (url.username !== '' || url.password !== '') {
    return err({ code: 'invalid_body', message: 'url must not contain a user name or password.', path: '/url' });
  }
  return ok(url.toString());
}
