import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { Alert } from '../domain/alert.js';
import { SEVERITY_RANK } from '../domain/severity.js';
import type { ChannelDelivery } from './channel-delivery.js';
import { admitAlerts, closeGroup, groupKeyOf, type MessageFactory } from './grouping.js';
import { alertMessage, summaryMessage } from './messages.js';
import type { AlertGroup, SealedStaffChannel, StaffMessage, StaffMessageKind, StaffNotifyStore } from './ports.js';
import { routes } from './routing.js';

export interface AlertRouterDeps {
  readonly store: Pick<StaffNotifyStore, 'changeGroup' | 'closingGroups' | 'postedRank'>;
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
/** Alerts still being worked on: an escalation of a closed one is no news. */
const OPEN_STATUSES: ReadonlySet<string> = new Set(['new', 'acknowledged', 'escalated']);
const CLOSING_BATCH = 100;

/**
 * Raised alerts to the channels that route them, through grouping and the rate limit
 * (grouping.ts): each decision and the messages it queues are written in one transaction, then the
 * messages are attempted. Also closes the groups whose window has ended, with their summaries.
 */
export class AlertRouter {
  private stopped = false;
  /**
   * Bus messages are handled one after the other, in the order they arrive: the bus calls its
   * subscribers without waiting, and an alert's first update must not be judged before its raising
   * is written (it would look unposted, and be posted twice).
   */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: AlertRouterDeps) {}

  /** While stopped, messages are queued due (for the next start) instead of attempted. */
  start(): void {
    this.stopped = false;
  }

  stop(): void {
    this.stopped = true;
  }

  /** Alerts raised together, in order: one decision per alert and channel. Resolves once their first attempts are made. */
  onRaised(alerts: readonly Alert[]): Promise<void> {
    return this.inOrder(() => this.raised(alerts));
  }

  onUpdated(alerts: readonly Alert[]): Promise<void> {
    return this.inOrder(() => this.updated(alerts));
  }

  /** Decisions in order; the posts they queue are attempted outside the queue, so a slow service holds up no decision. */
  private async inOrder(decide: () => Promise<Promise<void>[]>): Promise<void> {
    const decided = this.queue.then(decide);
    this.queue = decided.then(
      () => undefined,
      () => undefined,
    );
    await Promise.all(await decided);
  }

  private async raised(alerts: readonly Alert[]): Promise<Promise<void>[]> {
    const channels = await this.deps.channels.activeChannels();
    if (channels.length === 0) return [];
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
    return attempts;
  }

  /**
   * Alerts that changed after they were raised. A story grows its alert (a takeover chain turns a
   * medium login alert critical) and detection raises no new one, so an alert whose severity now
   * passes a channel's minimum and is higher than anything posted about it there is posted again,
   * as an escalation (within the rate limit; repeats and transitions at the same severity are not).
   */
  private async updated(alerts: readonly Alert[]): Promise<Promise<void>[]> {
    const channels = await this.deps.channels.activeChannels();
    if (channels.length === 0) return [];
    const attempts: Promise<void>[] = [];
    for (const alert of alerts) {
      if (!OPEN_STATUSES.has(alert.status)) continue;
      for (const channel of channels) {
        if (!routes(channel, alert)) continue;
        const posted = await this.deps.store.postedRank(channel.id, alert.id);
        if (SEVERITY_RANK[alert.severity] <= posted) continue;
        const now = this.deps.clock.now();
        const make = this.factory(channel, now);
        // Through the group's transaction: the rate limit counts it, and the group stays as it is.
        const queued = await this.deps.store.changeGroup(channel.id, groupKeyOf(alert), now - RATE_WINDOW_MS, (_group, sent) => ({
          group: undefined,
          messages: sent < channel.perMinute ? [make.alert(alert, true)] : [],
        }));
        attempts.push(...this.send(queued, channel));
      }
    }
    return attempts;
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
    // Attempted at once unless stopped: then born due, for the next start.
    const first = this.deps.delivery.firstAttempt(now, !this.stopped);
    const message = (
      kind: StaffMessageKind,
      groupKey: string,
      alertId: string | null,
      severityRank: number | null,
      payloadJson: string,
    ): StaffMessage => ({ id: newId('chm', now), channelId: channel.id, kind, groupKey, alertId, severityRank, payloadJson, ...first });
    return {
      alert: (a: Alert, escalated = false) =>
        message('alert', groupKeyOf(a), a.id, SEVERITY_RANK[a.severity], alertMessage(channel.kind, a, publicUrl, escalated)),
      summary: (g: AlertGroup) =>
        message(
          'summary',
          g.groupKey,
          g.heldAlerts.lastAlertId,
          null,
          summaryMessage(channel.kind, g.heldAlerts, g.held, g.openedAt, g.closesAt, publicUrl),
        ),
    };
  }
}
