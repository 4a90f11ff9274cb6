import type { AlertType } from '../domain/alert.js';
import type { Severity } from '../domain/severity.js';
import type { OutboundQueueStore, QueuedItem } from '../outbound/ports.js';

/** Where a channel posts: a Slack or Microsoft Teams incoming webhook, or any chat tool taking plain JSON. */
export const STAFF_CHANNEL_KINDS = ['slack', 'teams', 'chat'] as const;
export type StaffChannelKind = (typeof STAFF_CHANNEL_KINDS)[number];

/** Which alerts a channel hears about. Empty lists mean "every rule" and "every type". */
export interface ChannelRouting {
  readonly minSeverity: Exclude<Severity, 'none'>;
  readonly ruleIds: readonly string[];
  readonly alertTypes: readonly AlertType[];
}

/** A chat channel as the API shows it: never its URL, which is its credential; `urlHint` instead. */
export interface StaffChannel extends ChannelRouting {
  readonly id: string;
  readonly kind: StaffChannelKind;
  readonly name: string;
  /** Scheme and host of the URL, so people can tell channels apart (`https://hooks.slack.com/…`). */
  readonly urlHint: string;
  /** At most this many alert messages a minute; past it alerts are held back for their group's summary. */
  readonly perMinute: number;
  /** How long a group stays open after its first alert: alerts of the same rule meanwhile are summed up at its end. */
  readonly groupMinutes: number;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly disabledAt: number | null;
}

/** A channel as stored: its URL sealed (AES-256-GCM under the server's `staff-channel-urls` subkey). */
export interface SealedStaffChannel extends StaffChannel {
  readonly urlCiphertext: string;
}

export const STAFF_MESSAGE_KINDS = ['alert', 'summary', 'test'] as const;
export type StaffMessageKind = (typeof STAFF_MESSAGE_KINDS)[number];

/** One message for one channel (the exact JSON posted, the same on every retry), and where its attempts stand. */
export interface StaffMessage extends QueuedItem {
  readonly channelId: string;
  readonly kind: StaffMessageKind;
  /** The group it belongs to (`rule:<id>`), or `test`. */
  readonly groupKey: string;
  readonly alertId: string | null;
  /** The alert's severity rank when posted (alert messages only). */
  readonly severityRank: number | null;
}

/** What a group's summary will say about the alerts it held back. */
export interface HeldAlerts {
  /** The rule's summary line of the first alert: what "alerts like this" are like. */
  readonly title: string;
  readonly ruleId: string;
  /** How many were held back at each severity. */
  readonly bySeverity: Readonly<Partial<Record<Severity, number>>>;
  /** The first few users or subjects, in order of arrival (at most 10). */
  readonly subjects: readonly string[];
  /** The latest alert held back, for the summary's link. */
  readonly lastAlertId: string | null;
}

/** The open group of one channel and rule. */
export interface AlertGroup {
  readonly channelId: string;
  readonly groupKey: string;
  readonly openedAt: number;
  readonly closesAt: number;
  /** The highest severity rank already posted for the group; -1 when none was (rate limit). */
  readonly sentRank: number;
  readonly held: number;
  readonly heldAlerts: HeldAlerts;
}

/**
 * What one decision about a group writes, in one transaction with the read it was made from: the
 * group as it is now (`null`: closed and gone, `undefined`: unchanged) and the messages to queue.
 */
export interface GroupChange {
  readonly group: AlertGroup | null | undefined;
  readonly messages: readonly StaffMessage[];
}

export type DigestClaim = 'claimed' | 'held' | 'sent';

export interface StaffNotifyStore {
  createChannel(channel: SealedStaffChannel): Promise<void>;
  getChannel(id: string): Promise<SealedStaffChannel | undefined>;
  /** Every channel, disabled ones included, newest first. */
  listChannels(): Promise<readonly SealedStaffChannel[]>;
  /** Channels not disabled. */
  activeChannels(): Promise<readonly SealedStaffChannel[]>;
  /** Disables a channel, gives up its pending messages and drops its open groups. False when it does not exist. */
  disableChannel(id: string, at: number): Promise<boolean>;

  /**
   * Reads the channel's group (locked against other processes until the change is written) and how
   * many alert messages the channel was sent since `since`, lets `decide` choose, and writes its
   * change and messages in the same transaction.
   */
  changeGroup(
    channelId: string,
    groupKey: string,
    since: number,
    decide: (group: AlertGroup | undefined, alertsSince: number) => GroupChange,
  ): Promise<readonly StaffMessage[]>;
  /** The highest severity rank posted about one alert to one channel; -1 when none was. */
  postedRank(channelId: string, alertId: string): Promise<number>;
  /** Groups whose window has ended at `now`, the oldest first. */
  closingGroups(now: number, limit: number): Promise<readonly AlertGroup[]>;

  addMessages(messages: readonly StaffMessage[]): Promise<void>;
  getMessage(id: string): Promise<StaffMessage | undefined>;
  /** The messages as a queue: what is due, claims, attempts' outcomes. */
  readonly queue: OutboundQueueStore<StaffMessage>;
  /** A channel's messages, newest first. */
  messages(channelId: string, limit: number): Promise<readonly StaffMessage[]>;

  /**
   * Claims the digest of one period until `leaseUntil`: `claimed` for the one process that gets it
   * (first, or after an earlier claim ran out unfinished), `held` while another's claim runs, `sent`
   * once it went out.
   */
  claimDigest(cadence: string, periodStart: number, at: number, leaseUntil: number): Promise<DigestClaim>;
  /** The claimed digest went out (or had nothing to say): the period is done. Only the claim ending at `leaseUntil` is finished. */
  finishDigest(cadence: string, periodStart: number, leaseUntil: number, at: number): Promise<void>;
  /** Gives a claimed digest back (its email could not be sent), so the next tick tries again; only the claim ending at `leaseUntil`. */
  releaseDigest(cadence: string, periodStart: number, leaseUntil: number): Promise<void>;
}
