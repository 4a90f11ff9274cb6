import { randomBytes } from 'node:crypto';
import { ServerSecret } from '../auth/server-secret.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import {
  type Delivery,
  type DeliveryQuery,
  type SealedWebhook,
  WEBHOOK_EVENT_TYPES,
  type Webhook,
  type WebhookEventType,
  type WebhookStore,
} from './ports.js';
import type { TargetGuard } from './target-guard.js';
import { checkTargetUrl } from './target-url.js';

export interface WebhookInput {
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description?: string;
}

/** The audit trail, as webhooks record into it (audit/audit-trail.ts). */
export interface WebhookAudit {
  record(actor: string, action: 'webhook.created' | 'webhook.deleted', subject: string, details: Record<string, unknown>): Promise<unknown>;
}

export interface WebhookRegistryDeps {
  readonly store: WebhookStore;
  /** The server secret's `webhook-secrets` subkey: seals signing secrets at rest. */
  readonly key: Buffer;
  readonly clock: Clock;
  /** Judges a target's addresses: public only, unless allowed (VIGIL_WEBHOOK_ALLOW_CIDRS). */
  readonly guard: TargetGuard;
  readonly audit: WebhookAudit;
}

/** How long the list of active webhooks is reused before it is read again (see `subscribers`). */
const SUBSCRIBERS_TTL_MS = 5_000;

/**
 * Webhooks for client apps, as admins register them: the signing secret shown once and stored
 * sealed, disabling, the delivery log, and which active webhooks subscribe to an event type.
 * Registrations and disablings are audited here, whoever asks for them.
 */
export class WebhookRegistry {
  /**
   * Active webhooks per event type, read at most every few seconds: every alert and lock asks, and
   * there are a handful of webhooks at most. Changes made here clear it at once; changes made by
   * another Vigil process are seen within SUBSCRIBERS_TTL_MS.
   */
  private readonly subscribers = new Map<WebhookEventType, { readonly at: number; readonly hooks: Promise<readonly SealedWebhook[]> }>();

  constructor(private readonly deps: WebhookRegistryDeps) {}

  /** Registers a webhook. The secret is returned here only: it is stored sealed and never shown again. */
  async register(input: WebhookInput, actor: string): Promise<Result<{ webhook: Webhook; secret: string }, Problem>> {
    const target = await checkTargetUrl(this.deps.guard, input.url);
    if (!target.ok) return target;
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
      url: target.value.toString(),
      events,
      description: input.description?.trim() || null,
      createdAt: now,
      createdBy: actor,
      disabledAt: null,
    };
    await this.deps.store.create({ ...webhook, secretCiphertext: ServerSecret.encrypt(this.deps.key, secret) });
    this.subscribers.clear();
    await this.deps.audit.record(actor, 'webhook.created', `webhook:${webhook.id}`, { url: webhook.url, events: webhook.events });
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
  async disable(id: string, actor: string): Promise<Result<Webhook, Problem>> {
    if (!(await this.deps.store.disable(id, this.deps.clock.now()))) return err({ code: 'not_found', message: `No webhook ${id}.` });
    this.subscribers.clear();
    const hook = await this.get(id);
    if (!hook) return err({ code: 'not_found', message: `No webhook ${id}.` });
    await this.deps.audit.record(actor, 'webhook.deleted', `webhook:${hook.id}`, { url: hook.url });
    return ok(hook);
  }

  /** A webhook's delivery log, newest first. */
  async deliveries(webhookId: string, query: DeliveryQuery): Promise<Result<readonly Delivery[], Problem>> {
    if (!(await this.deps.store.get(webhookId))) return err({ code: 'not_found', message: `No webhook ${webhookId}.` });
    return ok(await this.deps.store.deliveries(webhookId, query));
  }

  /** Active webhooks subscribed to `eventType`, with their sealed secrets, for delivery. */
  subscribedTo(eventType: WebhookEventType): Promise<readonly SealedWebhook[]> {
    const now = this.deps.clock.now();
    const cached = this.subscribers.get(eventType);
    if (cached && now - cached.at < SUBSCRIBERS_TTL_MS && now >= cached.at) return cached.hooks;
    const hooks = this.deps.store.subscribedTo(eventType);
    this.subscribers.set(eventType, { at: now, hooks });
    // A failed read is not cached: the next event asks again.
    hooks.catch(() => this.subscribers.delete(eventType));
    return hooks;
  }
}

function unsealed({ secretCiphertext: _sealed, ...webhook }: SealedWebhook): Webhook {
  return webhook;
}
