import { ServerSecret } from '../auth/server-secret.js';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import { accountLockData, alertRaisedData } from './payloads.js';
import type { AttemptOutcome, Delivery, DeliveryEventType, SealedWebhook, WebhookEventType, WebhookStore } from './ports.js';
import type { WebhookSender } from './sender.js';
import { sign } from './signature.js';

/** After the first attempt: 10 s, 1 min, 5 min, 30 min, 2 h, 6 h; then the delivery is given up (7 attempts, ~8.6 h). */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [10_000, 60_000, 300_000, 1_800_000, 7_200_000, 21_600_000];

export interface WebhookLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/** JSON data of one event, as it goes into the payload's `data`. */
export type WebhookData = { readonly [key: string]: unknown };

export interface WebhookDeliveryDeps {
  readonly store: WebhookStore;
  /** Which active webhooks subscribe to an event type (the registry). */
  readonly subscribers: { subscribedTo(eventType: WebhookEventType): Promise<readonly SealedWebhook[]> };
  readonly sender: WebhookSender;
  /** The server secret's `webhook-secrets` subkey: unseals signing secrets. */
  readonly key: Buffer;
  readonly clock: Clock;
  readonly log: WebhookLogger;
  readonly settings: DeliverySettings;
}

/** How patient delivery is: one attempt's time limit, and the waits between attempts. */
export interface DeliverySettings {
  /** Waits after each failed attempt; when they run out, the delivery is given up. */
  readonly retryDelaysMs: readonly number[];
  /** How long one attempt may take. */
  readonly timeoutMs: number;
}

/** How long an attempt holds its delivery beyond its timeout: a crash mid-attempt delays the retry by this much, no more. */
const LEASE_MARGIN_MS = 60_000;

/**
 * Delivery of `alert.raised`, `account.locked` and `account.unlocked` (and the admins' test event):
 * signed, retried with backoff, logged per delivery.
 *
 * Every delivery is written as a row before its first attempt, so an event is never lost to a
 * crash or restart: the poller (poller.ts) picks up whatever is due, this run's or a previous one's.
 * An attempt first claims its row (a conditional update of `next_attempt_at` to a lease), so two
 * processes on one database, or the poller and a first attempt, never send one delivery twice at once.
 */
export class WebhookDelivery {
  private stopped = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly deps: WebhookDeliveryDeps) {}

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
    return this.enqueue(await this.deps.subscribers.subscribedTo(eventType), eventType, data, at);
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

  /** Until when an attempt starting at `now` holds its delivery. */
  leaseUntil(now: number): number {
    return now + this.deps.settings.timeoutMs + LEASE_MARGIN_MS;
  }

  /** First attempts go out again; deliveries stored while stopped were born due, for the poller. */
  start(): void {
    this.stopped = false;
  }

  /** From now on new deliveries are stored due and not attempted, for the next start. */
  stop(): void {
    this.stopped = true;
  }

  /** Waits for the attempts under way, and those they were joined by meanwhile. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** One attempt of a delivery this process has claimed. Never throws for the receiver's failures. */
  attempt(delivery: Delivery, known?: SealedWebhook): Promise<void> {
    const work = this.attemptNow(delivery, known);
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  private async enqueue(hooks: readonly SealedWebhook[], eventType: DeliveryEventType, data: WebhookData, at: number) {
    if (hooks.length === 0) return [];
    const now = this.deps.clock.now();
    // Born claimed by this process, so the poller does not attempt it while the first attempt runs;
    // once stopped, born due, for the next start.
    const nextAttemptAt = this.stopped ? now : this.leaseUntil(now);
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
    if (!this.stopped) await Promise.all(deliveries.map((d, i) => this.attempt(d, hooks[i])));
    return deliveries;
  }

  private async attemptNow(delivery: Delivery, known?: SealedWebhook): Promise<void> {
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
    const result = await this.deps.sender.post(hook.url, delivery, sign(secret, Math.floor(sentAt / 1000), delivery.payloadJson));
    const now = clock.now();
    let outcome: AttemptOutcome;
    if (result.ok) {
      outcome = { status: 'delivered', attempts, nextAttemptAt: null, lastStatusCode: result.value, lastError: null, deliveredAt: now };
    } else {
      const delay = this.deps.settings.retryDelaysMs[attempts - 1];
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
}

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
