import { ServerSecret } from '../auth/server-secret.js';
import type { Clock } from '../core/clock.js';
import type { Result } from '../core/result.js';
import { OutboundQueue, type OutboundSender, type SendResult } from '../outbound/outbound-queue.js';
import type { OutboundLogger, OutboundQueueStore, PostFailure, QueuedItem } from '../outbound/ports.js';
import type { SealedStaffChannel, StaffMessage } from './ports.js';

/** After the first attempt: 10 s, 1 min, 5 min, 30 min; then given up (5 attempts, ~36 min): a chat alert hours late helps nobody. */
export const CHAT_RETRY_DELAYS_MS: readonly number[] = [10_000, 60_000, 300_000, 1_800_000];

export type StaffNotifyLogger = OutboundLogger;

export interface ChannelDeliveryDeps {
  readonly store: OutboundQueueStore<StaffMessage>;
  readonly channel: (id: string) => Promise<SealedStaffChannel | undefined>;
  /** The webhooks' sender: the same target guard, pinning and time limit. */
  readonly sender: { postJson(url: string, json: string, headers: Readonly<Record<string, string>>): Promise<Result<number, PostFailure>> };
  /** The server secret's `staff-channel-urls` subkey. */
  readonly key: Buffer;
  readonly clock: Clock;
  readonly log: StaffNotifyLogger;
  readonly retryDelaysMs: readonly number[];
  readonly timeoutMs: number;
}

/**
 * The attempts of queued chat messages, through the durable outbound queue
 * (outbound/outbound-queue.ts): the channel's URL unsealed for the request only, the outcome
 * written back, a retry scheduled with backoff. Log lines name the channel and message ids, never
 * the URL: it is the channel's credential.
 */
export class ChannelDelivery {
  private readonly queue: OutboundQueue<StaffMessage, SealedStaffChannel>;

  constructor(private readonly deps: ChannelDeliveryDeps) {
    this.queue = new OutboundQueue({ ...deps, sender: new ChannelPost(deps) });
  }

  /** Where a new message's attempts stand: born claimed by this process when it attempts it at once, else due. */
  firstAttempt(now: number, attemptNow: boolean): Omit<QueuedItem, 'id' | 'payloadJson'> {
    return this.queue.firstAttempt(now, attemptNow);
  }

  /** One attempt of a message this process has claimed (or was born claimed by it). Never throws, not even for the store's failures. */
  attempt(message: StaffMessage, known?: SealedStaffChannel): Promise<void> {
    // Left pending with its lease, the message is tried again once the lease runs out.
    return this.queue
      .attempt(message, known)
      .catch((error: unknown) =>
        this.deps.log.error(`staff channel ${message.channelId} message ${message.id}: the attempt could not be recorded`, error),
      );
  }

  settled(): Promise<void> {
    return this.queue.settled();
  }

  /** Claims and attempts every message due now, until none is left or `stopped()`; resolves with how many. */
  drainDue(stopped: () => boolean): Promise<number> {
    return this.queue.drainDue(stopped);
  }
}

/** What is the chat channels' own in an attempt: the sealed URL, and which refusals are final. */
class ChannelPost implements OutboundSender<StaffMessage, SealedStaffChannel> {
  constructor(private readonly deps: Pick<ChannelDeliveryDeps, 'channel' | 'sender' | 'key' | 'log'>) {}

  label(message: StaffMessage): string {
    return `staff channel ${message.channelId} message ${message.id}`;
  }

  /**
   * A 4xx other than 408 and 429 is the service refusing this message or this URL (removed
   * webhook, malformed card): the same bytes to the same URL would be refused again.
   */
  isFinal({ statusCode: code }: PostFailure): boolean {
    return code !== null && code >= 400 && code < 500 && code !== 408 && code !== 429;
  }

  async send(message: StaffMessage, known: SealedStaffChannel | undefined): Promise<SendResult> {
    const channel = known ?? (await this.deps.channel(message.channelId));
    if (!channel || channel.disabledAt !== null) return { givenUp: 'channel disabled' };
    let url: string;
    try {
      url = ServerSecret.decrypt(this.deps.key, channel.urlCiphertext);
    } catch (error) {
      this.deps.log.error(`${this.label(message)}: the channel's URL cannot be unsealed; was the server secret changed?`, error);
      return { givenUp: 'channel URL unreadable (server secret changed)' };
    }
    return { sent: await this.deps.sender.postJson(url, message.payloadJson, { 'user-agent': 'Vigil-Notifications/1' }) };
  }
}
