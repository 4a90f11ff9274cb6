import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { Alert } from '../domain/alert.js';
import type { ChannelDelivery } from './channel-delivery.js';
import { admitAlerts, closeGroup, groupKeyOf, type MessageFactory } from './grouping.js';
import { alertMessage, summaryMessage } from './messages.js';
import type { AlertGroup, SealedStaffChannel, StaffMessage, StaffMessageKind, StaffNotifyStore } from './ports.js';
import { routes } from './routing.js';

export interface AlertRouterDeps {
  readonly store: Pick<StaffNotifyStore, 'changeGroup' | 'closingGroups'>;
  readonly channels: {
    activeChannels(): Promise<readonly SealedStaffChannel[]>;
    sealed(id: string): Promise<SealedStaffChannel | undefined>;
  };
  readonly delivery: ChannelDelivery;
  readonly clock: Clock;
  /** VIGIL_PUBLIC_URL: where the dashboard's links point. */
  readonly publicUrl: string;
}

const RATE_WINDOW_MS = 60_000;
const CLOSING_BATCH = 100;

/**
 * Raised alerts to the channels that route them, through grouping and the rate limit
 * (grouping.ts): each decision and the messages it queues are written in one transaction, then the
 * messages are attempted. Also closes the groups whose window has ended, with their summaries.
 */
export class AlertRouter {
  private stopped = false;

  constructor(private readonly deps: AlertRouterDeps) {}

  /** While stopped, messages are queued due (for the next start) instead of attempted. */
  start(): void {
    this.stopped = false;
  }

  stop(): void {
    this.stopped = true;
  }

  /** Alerts raised together, in order: one decision per alert and channel. Resolves once their first attempts are made. */
  async onRaised(alerts: readonly Alert[]): Promise<void> {
    const channels = await this.deps.channels.activeChannels();
    if (channels.length === 0) return;
    const attempts: Promise<void>[] = [];
    for (const channel of channels) {
      // The channel's alerts by group, in order: one transaction per group, however large the burst.
      const byGroup = new Map<string, Alert[]>();
      for (const alert of alerts) {
        if (!routes(channel, alert)) continue;
        const key = groupKeyOf(alert);
        byGroup.set(key, [...(byGroup.get(key) ?? []), alert]);
      }
      for (const [key, members] of byGroup) {
        const now = this.deps.clock.now();
        const make = this.factory(channel, now);
        const queued = await this.deps.store.changeGroup(channel.id, key, now - RATE_WINDOW_MS, (group, sent) =>
          admitAlerts(channel, members, group, sent, now, make),
        );
        attempts.push(...this.send(queued, channel));
      }
    }
    await Promise.all(attempts);
  }

  /** Closes every group whose window has ended, queuing its summary; resolves with how many closed. */
  async closeDue(): Promise<number> {
    let closed = 0;
    for (;;) {
      const now = this.deps.clock.now();
      const due = await this.deps.store.closingGroups(now, CLOSING_BATCH);
      const attempts: Promise<void>[] = [];
      for (const g of due) {
        const channel = await this.deps.channels.sealed(g.channelId);
        if (!channel) continue;
        const make = this.factory(channel, now);
        const queued = await this.deps.store.changeGroup(g.channelId, g.groupKey, now - RATE_WINDOW_MS, (group) =>
          closeGroup(group, now, make),
        );
        attempts.push(...this.send(queued, channel));
        closed++;
      }
      await Promise.all(attempts);
      if (due.length < CLOSING_BATCH) return closed;
    }
  }

  private send(queued: readonly StaffMessage[], channel: SealedStaffChannel): Promise<void>[] {
    if (this.stopped) return [];
    return queued.map((m) => this.deps.delivery.attempt(m, channel));
  }

  private factory(channel: SealedStaffChannel, now: number): MessageFactory {
    const { publicUrl } = this.deps;
    // Born claimed by this process, so that the poller does not attempt it while the first attempt
    // runs; while stopped, born due, for the next start.
    const nextAttemptAt = this.stopped ? now : this.deps.delivery.leaseUntil(now);
    const message = (kind: StaffMessageKind, groupKey: string, alertId: string | null, payloadJson: string): StaffMessage => ({
      id: newId('chm', now),
      channelId: channel.id,
      kind,
      groupKey,
      alertId,
      payloadJson,
      status: 'pending',
      attempts: 0,
      nextAttemptAt,
      lastStatusCode: null,
      lastError: null,
      createdAt: now,
      deliveredAt: null,
    });
    return {
      alert: (a: Alert) => message('alert', groupKeyOf(a), a.id, alertMessage(channel.kind, a, publicUrl)),
      summary: (g: AlertGroup) =>
        message(
          'summary',
          g.groupKey,
          g.heldAlerts.lastAlertId,
          summaryMessage(channel.kind, g.heldAlerts, g.held, g.openedAt, g.closesAt, publicUrl),
        ),
    };
  }
}
