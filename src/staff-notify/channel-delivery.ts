import { ServerSecret } from '../auth/server-secret.js';
import type { Clock } from '../core/clock.js';
import type { Result } from '../core/result.js';
import type { PostFailure } from '../webhooks/sender.js';
import type { MessageOutcome, SealedStaffChannel, StaffMessage, StaffNotifyStore } from './ports.js';

/** After the first attempt: 10 s, 1 min, 5 min, 30 min; then given up (5 attempts, ~36 min): a chat alert hours late helps nobody. */
export const CHAT_RETRY_DELAYS_MS: readonly number[] = [10_000, 60_000, 300_000, 1_800_000];

/** How long an attempt holds its message beyond its timeout: a crash mid-attempt delays the retry by this much. */
const LEASE_MARGIN_MS = 60_000;

export interface StaffNotifyLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export interface ChannelDeliveryDeps {
  readonly store: Pick<StaffNotifyStore, 'recordAttempt'>;
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
 * One attempt of one queued chat message: the channel's URL unsealed for the request only, the
 * outcome written back, a retry scheduled with backoff. Log lines name the channel and message ids,
 * never the URL: it is the channel's credential.
 */
export class ChannelDelivery {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly deps: ChannelDeliveryDeps) {}

  leaseUntil(now: number): number {
    return now + this.deps.timeoutMs + LEASE_MARGIN_MS;
  }

  /** One attempt of a message this process has claimed (or was born claimed by it). Never throws for the service's failures. */
  attempt(message: StaffMessage, known?: SealedStaffChannel): Promise<void> {
    const work = this.attemptNow(message, known).catch((error: unknown) =>
      this.deps.log.error(`staff channel ${message.channelId} message ${message.id}: the attempt could not be recorded`, error),
    );
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async attemptNow(message: StaffMessage, known?: SealedStaffChannel): Promise<void> {
    const { store, clock, log } = this.deps;
    const label = `staff channel ${message.channelId} message ${message.id}`;
    const channel = known ?? (await this.deps.channel(message.channelId));
    if (!channel || channel.disabledAt !== null) {
      await store.recordAttempt(message.id, { ...lastOf(message), status: 'failed', nextAttemptAt: null, lastError: 'channel disabled' });
      return;
    }
    let url: string;
    try {
      url = ServerSecret.decrypt(this.deps.key, channel.urlCiphertext);
    } catch (error) {
      log.error(`${label}: the channel's URL cannot be unsealed; was the server secret changed?`, error);
      await store.recordAttempt(message.id, {
        ...lastOf(message),
        status: 'failed',
        nextAttemptAt: null,
        lastError: 'channel URL unreadable (server secret changed)',
      });
      return;
    }
    const attempts = message.attempts + 1;
    const result = await this.deps.sender.postJson(url, message.payloadJson, { 'user-agent': 'Vigil-Notifications/1' });
    const now = clock.now();
    let outcome: MessageOutcome;
    if (result.ok) {
      outcome = { status: 'delivered', attempts, nextAttemptAt: null, lastStatusCode: result.value, lastError: null, deliveredAt: now };
    } else {
      // A 4xx other than 408 and 429 is the service refusing this message or this URL (removed
      // webhook, malformed card): the same bytes to the same URL would be refused again.
      const code = result.error.statusCode;
      const final = code !== null && code >= 400 && code < 500 && code !== 408 && code !== 429;
      const delay = final ? undefined : this.deps.retryDelaysMs[attempts - 1];
      outcome = {
        status: delay === undefined ? 'failed' : 'pending',
        attempts,
        nextAttemptAt: delay === undefined ? null : now + delay,
        lastStatusCode: code,
        lastError: result.error.reason,
        deliveredAt: null,
      };
      log.warn(
        `${label} attempt ${attempts} failed (${result.error.reason}); ${
          delay === undefined ? 'giving up' : `next attempt in ${Math.round(delay / 1000)} s`
        }`,
      );
    }
    await store.recordAttempt(message.id, outcome);
  }
}

function lastOf(m: StaffMessage): MessageOutcome {
  return {
    status: m.status,
    attempts: m.attempts,
    nextAttemptAt: m.nextAttemptAt,
    lastStatusCode: m.lastStatusCode,
    lastError: m.lastError,
    deliveredAt: m.deliveredAt,
  };
}
