/** The bus topics client apps may subscribe to. */
export const WEBHOOK_EVENT_TYPES = ['alert.raised', 'account.locked', 'account.unlocked'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** What a delivery can carry: a subscribed event, or the test event an admin sends by hand. */
export type DeliveryEventType = WebhookEventType | 'webhook.test';

/** A registered endpoint. The signing secret is not part of it: it is shown once, at creation. */
export interface Webhook {
  readonly id: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description: string | null;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly disabledAt: number | null;
}

/** A webhook as stored: with its secret sealed (AES-256-GCM under the server's webhook subkey). */
export interface SealedWebhook extends Webhook {
  readonly secretCiphertext: string;
}

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One event for one webhook: its payload and where its attempts stand. */
export interface Delivery {
  readonly id: string;
  readonly webhookId: string;
  readonly eventType: DeliveryEventType;
  /** The exact JSON sent, so every retry signs and sends the same bytes. */
  readonly payloadJson: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** When the next attempt is due (pending only); a lease while an attempt runs. */
  readonly nextAttemptAt: number | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly createdAt: number;
  readonly deliveredAt: number | null;
}

/** The outcome of one attempt, written over the delivery's last-attempt fields. */
export interface AttemptOutcome {
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly deliveredAt: number | null;
}

export interface DeliveryQuery {
  readonly limit: number;
  readonly after?: { readonly createdAt: number; readonly id: string };
}

export interface WebhookStore {
  create(webhook: SealedWebhook): Promise<void>;
  get(id: string): Promise<SealedWebhook | undefined>;
  /** Every webhook, disabled ones included, newest first. */
  list(): Promise<readonly SealedWebhook[]>;
  /** Webhooks not disabled that subscribe to `eventType`. */
  subscribedTo(eventType: WebhookEventType): Promise<readonly SealedWebhook[]>;
  /** Disables a webhook and gives up its pending deliveries. False when it does not exist. */
  disable(id: string, at: number): Promise<boolean>;
  addDeliveries(deliveries: readonly Delivery[]): Promise<void>;
  getDelivery(id: string): Promise<Delivery | undefined>;
  /** Pending deliveries due at `now`, the longest waiting first. */
  due(now: number, limit: number): Promise<readonly Delivery[]>;
  /**
   * Takes a due delivery for one attempt by moving its `nextAttemptAt` from `expected` to
   * `leaseUntil`. False when another worker (or process) took it first.
   */
  claim(id: string, expected: number, leaseUntil: number): Promise<boolean>;
  recordAttempt(id: string, outcome: AttemptOutcome): Promise<void>;
  /** A webhook's deliveries, newest first. */
  deliveries(webhookId: string, query: DeliveryQuery): Promise<readonly Delivery[]>;
}
