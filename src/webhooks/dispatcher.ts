import type { Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import type { Result } from '../core/result.js';
import { DEFAULT_RETRY_DELAYS_MS, type WebhookData, WebhookDelivery, type WebhookLogger } from './delivery.js';
import { DeliveryPoller } from './poller.js';
import type { Delivery, DeliveryQuery, Webhook, WebhookEventType, WebhookStore } from './ports.js';
import { type WebhookAudit, type WebhookInput, WebhookRegistry } from './registry.js';
import { WebhookSender } from './sender.js';
import { type HostLookup, TargetGuard } from './target-guard.js';

export { DEFAULT_RETRY_DELAYS_MS, type WebhookData, type WebhookLogger } from './delivery.js';
export type { WebhookInput } from './registry.js';

export interface WebhookDispatcherDeps {
  readonly store: WebhookStore;
  /** The server secret's `webhook-secrets` subkey: seals signing secrets at rest. */
  readonly key: Buffer;
  readonly clock: Clock;
  readonly log: WebhookLogger;
  /** Registrations and disablings are recorded here. */
  readonly audit: WebhookAudit;
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

/**
 * Webhooks for client apps, as the rest of Vigil sees them: one object over the three parts that
 * do the work, registration (`WebhookRegistry`), delivery (`WebhookDelivery`, sending through
 * `WebhookSender`) and retries (`DeliveryPoller`).
 */
export class WebhookDispatcher {
  constructor(
    private readonly registry: WebhookRegistry,
    private readonly delivery: WebhookDelivery,
    private readonly poller: DeliveryPoller,
  ) {}

  // --- registration ---------------------------------------------------------------------------

  /** Registers a webhook. The secret is returned here only: it is stored sealed and never shown again. */
  register(input: WebhookInput, actor: string): Promise<Result<{ webhook: Webhook; secret: string }, Problem>> {
    return this.registry.register(input, actor);
  }

  list(): Promise<readonly Webhook[]> {
    return this.registry.list();
  }

  get(id: string): Promise<Webhook | undefined> {
    return this.registry.get(id);
  }

  /** Stops deliveries to a webhook; its pending ones are given up. Kept, with its log, for the record. */
  disable(id: string, actor: string): Promise<Result<Webhook, Problem>> {
    return this.registry.disable(id, actor);
  }

  /** A webhook's delivery log, newest first. */
  deliveries(webhookId: string, query: DeliveryQuery): Promise<Result<readonly Delivery[], Problem>> {
    return this.registry.deliveries(webhookId, query);
  }

  // --- delivery -------------------------------------------------------------------------------

  /** Sends a `webhook.test` event to one active webhook, whatever it subscribes to; answers after the first attempt. */
  sendTest(id: string): Promise<Result<Delivery, Problem>> {
    return this.delivery.sendTest(id);
  }

  /** Listens to the bus: one delivery per raised alert, one per lock and unlock. Returns the unsubscribe. */
  subscribe(bus: Bus): () => void {
    return this.delivery.subscribe(bus);
  }

  /** One event for every active webhook subscribed to its type; resolves after the first attempts. */
  emit(eventType: WebhookEventType, data: WebhookData, at: number): Promise<readonly Delivery[]> {
    return this.delivery.emit(eventType, data, at);
  }

  // --- retries --------------------------------------------------------------------------------

  /** Attempts every delivery that is due now; resolves with how many were attempted. */
  runDue(): Promise<number> {
    return this.poller.runDue();
  }

  /** Starts the retry timer; deliveries left pending by a previous run are attempted at once. */
  start(): void {
    this.poller.start();
  }

  /** Stops the timer and waits for attempts under way. Pending deliveries stay stored for the next start. */
  stop(): Promise<void> {
    return this.poller.stop();
  }
}

/** Builds the webhook parts from one set of dependencies. */
export function createWebhookDispatcher(deps: WebhookDispatcherDeps): WebhookDispatcher {
  const { store, key, clock, log, audit } = deps;
  const timeoutMs = deps.timeoutMs ?? 5_000;
  // One guard for registration and every attempt: the same rules, the same resolver.
  const guard = new TargetGuard(deps.allowCidrs, deps.lookup, timeoutMs);
  const registry = new WebhookRegistry({ store, key, clock, guard, audit });
  const delivery = new WebhookDelivery({
    store,
    subscribers: registry,
    sender: new WebhookSender(guard, timeoutMs),
    key,
    clock,
    log,
    settings: { retryDelaysMs: deps.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS, timeoutMs },
  });
  const poller = new DeliveryPoller({ delivery, log, pollIntervalMs: deps.pollIntervalMs ?? 5_000 });
  return new WebhookDispatcher(registry, delivery, poller);
}
