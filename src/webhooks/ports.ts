import type { OutboundQueueStore, QueuedItem } from '../outbound/ports.js';

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

/** One event for one webhook: its payload (the exact JSON sent, so every retry signs and sends the same bytes) and where its attempts stand. */
export interface Delivery extends QueuedItem {
  readonly webhookId: string;
  readonly eventType: DeliveryEventType;
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
  /**
   * Stores the deliveries; with an `origin` (what caused them), a webhook that already has a delivery
   * of that origin keeps it and gets none. Resolves with the ids stored.
   */
  addDeliveries(deliveries: readonly Delivery[], origin?: string): Promise<ReadonlySet<string>>;
  getDelivery(id: string): Promise<Delivery | undefined>;
  /** The deliveries as a queue: what is due, claims, attempts' outcomes. */
  readonly queue: OutboundQueueStore<Delivery>;
  /** A webhook's deliveries, newest first. */
  deliveries(webhookId: string, query: DeliveryQuery): Promise<readonly Delivery[]>;
}
