import { ServerSecret } from '../auth/server-secret.js';
import type { AccountLockChange, Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import { OutboundQueue, type OutboundSender, type SendResult } from '../outbound/outbound-queue.js';
import type { OutboundLogger, PostFailure } from '../outbound/ports.js';
import { accountLockData, alertRaisedData } from './payloads.js';
import type { Delivery, DeliveryEventType, SealedWebhook, WebhookEventType, WebhookStore } from './ports.js';
import type { WebhookSender } from './sender.js';
import { sign } from './signature.js';

/** After the first attempt: 10 s, 1 min, 5 min, 30 min, 2 h, 6 h; then the delivery is given up (7 attempts, ~8.6 h). */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [10_000, 60_000, 300_000, 1_800_000, 7_200_000, 21_600_000];

export type WebhookLogger = OutboundLogger;

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

/**
 * Delivery of `alert.raised`, `account.locked` and `account.unlocked` (and the admins' test event):
 * signed, retried with backoff, logged per delivery, through the durable outbound queue
 * (outbound/outbound-queue.ts): every delivery is written as a row before its first attempt, and
 * claimed for each attempt, so an event is never lost to a crash or sent twice at once.
 */
export class WebhookDelivery {
  private stopped = false;
  private readonly queue: OutboundQueue<Delivery, SealedWebhook>;

  constructor(private readonly deps: WebhookDeliveryDeps) {
    this.queue = new OutboundQueue({
      store: deps.store.queue,
      sender: new SignedWebhookSend(deps),
      clock: deps.clock,
      log: deps.log,
      retryDelaysMs: deps.settings.retryDelaysMs,
      timeoutMs: deps.settings.timeoutMs,
    });
  }

  /** Listens to the bus: one delivery per raised alert, one per lock and unlock. Returns the unsubscribe. */
  subscribe(bus: Bus): () => void {
    const off = [
      // Each with its cause as origin: an announcement made again after a crash (ingest/pending-effects.ts)
      // finds its delivery already stored and makes none.
      bus.subscribe('alert.raised', async (alerts) => {
        await Promise.all(alerts.map((a) => this.emit('alert.raised', alertRaisedData(a), a.createdAt, `alert.raised:${a.id}`)));
      }),
      bus.subscribe('account.locked', async (change) => {
        await this.emit('account.locked', accountLockData(change), change.at, lockOrigin('account.locked', change));
      }),
      bus.subscribe('account.unlocked', async (change) => {
        await this.emit('account.unlocked', accountLockData(change), change.at, lockOrigin('account.unlocked', change));
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
  async emit(eventType: WebhookEventType, data: WebhookData, at: number, origin?: string): Promise<readonly Delivery[]> {
    return this.enqueue(await this.deps.subscribers.subscribedTo(eventType), eventType, data, at, origin);
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

  /** First attempts go out again; deliveries stored while stopped were born due, for the poller. */
  start(): void {
    this.stopped = false;
  }

  /** From now on new deliveries are stored due and not attempted, for the next start. */
  stop(): void {
    this.stopped = true;
  }

  /** Waits for the attempts under way, and those they were joined by meanwhile. */
  settled(): Promise<void> {
    return this.queue.settled();
  }

  /** One attempt of a delivery this process has claimed. Never throws for the receiver's failures. */
  attempt(delivery: Delivery, known?: SealedWebhook): Promise<void> {
    return this.queue.attempt(delivery, known);
  }

  /** Claims and attempts every delivery due now, until none is left or `stopped()`; resolves with how many. */
  drainDue(stopped: () => boolean): Promise<number> {
    return this.queue.drainDue(stopped);
  }

  private async enqueue(hooks: readonly SealedWebhook[], eventType: DeliveryEventType, data: WebhookData, at: number, origin?: string) {
    if (hooks.length === 0) return [];
    const now = this.deps.clock.now();
    const first = this.queue.firstAttempt(now, !this.stopped);
    const made = hooks.map((hook) => {
      const id = newId('whd', now);
      const payloadJson = JSON.stringify({ id, type: eventType, createdAt: new Date(at).toISOString(), data });
      return { delivery: { id, webhookId: hook.id, eventType, payloadJson, ...first } satisfies Delivery, hook };
    });
    const stored = await this.deps.store.addDeliveries(
      made.map((m) => m.delivery),
      origin,
    );
    // Those of this origin a webhook already had are its earlier ones' to deliver, not these.
    const fresh = made.filter((m) => stored.has(m.delivery.id));
    if (!this.stopped) await Promise.all(fresh.map((m) => this.attempt(m.delivery, m.hook)));
    return fresh.map((m) => m.delivery);
  }
}

/** What is the webhooks' own in an attempt: the receiver's signing secret, the signature, the headers. */
class SignedWebhookSend implements OutboundSender<Delivery, SealedWebhook> {
  constructor(private readonly deps: Pick<WebhookDeliveryDeps, 'store' | 'sender' | 'key' | 'clock' | 'log'>) {}

  label(delivery: Delivery): string {
    return `webhook ${delivery.webhookId} delivery ${delivery.id}`;
  }

  /** Every failure is worth a retry: a receiver that refuses today may be fixed tomorrow, and the retries say so in its log. */
  isFinal(_failure: PostFailure): boolean {
    return false;
  }

  async send(delivery: Delivery, known: SealedWebhook | undefined): Promise<SendResult> {
    const hook = known ?? (await this.deps.store.get(delivery.webhookId));
    if (!hook || hook.disabledAt !== null) return { givenUp: 'webhook disabled' };
    let secret: string;
    try {
      secret = ServerSecret.decrypt(this.deps.key, hook.secretCiphertext);
    } catch (error) {
      // Only a changed VIGIL_SECRET_KEY (or key file) does this: retrying cannot help.
      this.deps.log.error(`${this.label(delivery)}: the signing secret cannot be unsealed; was the server secret changed?`, error);
      return { givenUp: 'signing secret unreadable (server secret changed)' };
    }
    const sentAt = this.deps.clock.now();
    return { sent: await this.deps.sender.post(hook.url, delivery, sign(secret, Math.floor(sentAt / 1000), delivery.payloadJson)) };
  }
}

/** A lock change's cause: the account, the moment and who; the same change announced again has the same. */
function lockOrigin(type: 'account.locked' | 'account.unlocked', change: AccountLockChange): string {
  return `${type}:${change.user}:${change.at}:${change.actor}`;
}
