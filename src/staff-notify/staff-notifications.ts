import type { Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { err, ok, type Result } from '../core/result.js';
import type { Notifier } from '../notify/ports.js';
import { RoundTimer } from '../outbound/round-timer.js';
import { WebhookSender } from '../webhooks/sender.js';
import { type HostLookup, TargetGuard } from '../webhooks/target-guard.js';
import { AlertRouter } from './alert-router.js';
import { CHAT_RETRY_DELAYS_MS, ChannelDelivery, type StaffNotifyLogger } from './channel-delivery.js';
import { type ChannelInput, ChannelRegistry, type StaffNotifyAudit } from './channel-registry.js';
import { type DigestAlerts, type DigestCadence, StaffDigest } from './digest.js';
import { testMessage } from './messages.js';
import type { StaffChannel, StaffMessage, StaffNotifyStore } from './ports.js';

export type { ChannelInput } from './channel-registry.js';
export type { DigestCadence } from './digest.js';

export interface StaffNotificationsDeps {
  readonly store: StaffNotifyStore;
  /** The server secret's `staff-channel-urls` subkey: seals channel URLs at rest. */
  readonly key: Buffer;
  readonly clock: Clock;
  readonly log: StaffNotifyLogger;
  readonly audit: StaffNotifyAudit;
  /** VIGIL_PUBLIC_URL: the dashboard's address, for the links in messages and digests. */
  readonly publicUrl: string;
  readonly ruleExists: (id: string) => boolean;
  /** Ranges a channel may target although they are not public: the webhooks' VIGIL_WEBHOOK_ALLOW_CIDRS. */
  readonly allowCidrs?: readonly string[];
  readonly lookup?: HostLookup;
  /** The digest: alerts of the period, sent by email to the admins. */
  readonly alerts: DigestAlerts;
  readonly notifier: Notifier;
  readonly digest: { readonly cadence: DigestCadence; readonly recipients: readonly string[] };
  /** How often retries, closing groups and the digest are looked for; 5 s by default. */
  readonly pollIntervalMs?: number;
  readonly retryDelaysMs?: readonly number[];
  readonly timeoutMs?: number;
}

/**
 * Notifications for staff, as the rest of Vigil sees them: chat channels (Slack, Teams, a generic
 * chat webhook) set up by admins (`ChannelRegistry`), raised alerts routed, grouped and rate-limited
 * into a durable queue (`AlertRouter`), each message attempted and retried (`ChannelDelivery`), and
 * the admins' email digest (`StaffDigest`). One timer drives the retries, the groups' summaries and
 * the digest; every row it acts on is claimed first, so several Vigil processes on one database
 * never send one message twice.
 */
export class StaffNotifications {
  private readonly timer: RoundTimer;
  /** The last round queued, settled either way. */
  private ticking: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly registry: ChannelRegistry,
    private readonly router: AlertRouter,
    private readonly delivery: ChannelDelivery,
    private readonly digest: StaffDigest,
    private readonly deps: Pick<StaffNotificationsDeps, 'store' | 'clock' | 'log'> & { readonly pollIntervalMs: number },
  ) {
    router.stop();
    this.timer = new RoundTimer(deps.pollIntervalMs, () => this.poll());
  }

  // --- channels -------------------------------------------------------------------------------

  /** Adds a channel; its URL is stored sealed and never shown again. */
  register(input: ChannelInput, actor: string): Promise<Result<StaffChannel, Problem>> {
    return this.registry.register(input, actor);
  }

  list(): Promise<readonly StaffChannel[]> {
    return this.registry.list();
  }

  get(id: string): Promise<StaffChannel | undefined> {
    return this.registry.get(id);
  }

  disable(id: string, actor: string): Promise<Result<StaffChannel, Problem>> {
    return this.registry.disable(id, actor);
  }

  /** A channel's messages, newest first. */
  async messages(channelId: string, limit: number): Promise<Result<readonly StaffMessage[], Problem>> {
    if (!(await this.registry.get(channelId))) return err({ code: 'not_found', message: `No channel ${channelId}.` });
    return ok(await this.deps.store.messages(channelId, limit));
  }

  /** Posts a test message to an active channel; answers after the first attempt, with the message. */
  async sendTest(id: string): Promise<Result<StaffMessage, Problem>> {
    const channel = await this.registry.sealed(id);
    if (!channel || channel.disabledAt !== null) return err({ code: 'not_found', message: `No active channel ${id}.` });
    const now = this.deps.clock.now();
    const message: StaffMessage = {
      id: newId('chm', now),
      channelId: id,
      kind: 'test',
      groupKey: 'test',
      alertId: null,
      severityRank: null,
      payloadJson: testMessage(channel.kind, channel.name),
      ...this.delivery.firstAttempt(now, true),
    };
    await this.deps.store.addMessages([message]);
    await this.delivery.attempt(message, channel);
    const stored = await this.deps.store.getMessage(message.id);
    return stored ? ok(stored) : err({ code: 'not_found', message: `No active channel ${id}.` });
  }

  // --- alerts ---------------------------------------------------------------------------------

  /** Listens to `alert.raised`, and to `alert.updated` for escalations. Returns the unsubscribe. */
  subscribe(bus: Bus): () => void {
    const off = [
      bus.subscribe('alert.raised', (alerts) => this.router.onRaised(alerts)),
      bus.subscribe('alert.updated', (alerts) => this.router.onUpdated(alerts)),
    ];
    return () => {
      for (const unsubscribe of off) unsubscribe();
    };
  }

  // --- the timer ------------------------------------------------------------------------------

  /**
   * One round of the timer: groups whose window ended are closed (their summaries queued and sent),
   * due retries attempted, the digest sent when a period has ended. Tests call it with their clock.
   */
  tick(): Promise<{ closed: number; retried: number; digests: number }> {
    // Rounds run one after the other: a test's round waits for the timer's, never overlaps it.
    const round = (this.ticking ?? Promise.resolve()).then(async () => {
      const closed = await this.router.closeDue();
      const retried = await this.runDue();
      const digests = await this.digest.runDue();
      return { closed, retried, digests };
    });
    const settled = round.then(
      () => undefined,
      () => undefined,
    );
    this.ticking = settled;
    void settled.then(() => {
      if (this.ticking === settled) this.ticking = undefined;
    });
    return round;
  }

  /** Starts the timer; messages left pending by a previous run go out at once. */
  start(): void {
    this.stopped = false;
    this.router.start();
    this.timer.start();
  }

  /** Stops the timer and waits for attempts under way; pending messages and open groups stay stored for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.router.stop();
    this.timer.stop();
    await this.ticking;
    await this.delivery.settled();
  }

  private poll(): void {
    // A round still running (a slow receiver) is not queued behind: the next interval comes soon enough.
    if (this.ticking !== undefined) return;
    this.tick().catch((error: unknown) => this.deps.log.error('staff notifications: a round of the timer failed', error));
  }

  private runDue(): Promise<number> {
    return this.delivery.drainDue(() => this.stopped);
  }
}

/** Builds the parts from one set of dependencies. */
export function createStaffNotifications(deps: StaffNotificationsDeps): StaffNotifications {
  const { store, key, clock, log } = deps;
  const timeoutMs = deps.timeoutMs ?? 5_000;
  const guard = new TargetGuard(deps.allowCidrs, deps.lookup, timeoutMs);
  const registry = new ChannelRegistry({ store, key, clock, guard, audit: deps.audit, ruleExists: deps.ruleExists });
  const delivery = new ChannelDelivery({
    store: store.queue,
    channel: (id) => registry.sealed(id),
    sender: new WebhookSender(guard, timeoutMs),
    key,
    clock,
    log,
    retryDelaysMs: deps.retryDelaysMs ?? CHAT_RETRY_DELAYS_MS,
    timeoutMs,
  });
  const router = new AlertRouter({ store, channels: registry, delivery, clock, publicUrl: deps.publicUrl });
  const digest = new StaffDigest({
    store,
    alerts: deps.alerts,
    notifier: deps.notifier,
    recipients: deps.digest.recipients,
    cadence: deps.digest.cadence,
    publicUrl: deps.publicUrl,
    clock,
    log,
  });
  return new StaffNotifications(registry, router, delivery, digest, { store, clock, log, pollIntervalMs: deps.pollIntervalMs ?? 5_000 });
}
