import type { LRUCache } from 'lru-cache';
import { boundedCache } from '../core/bounded-cache.js';
import type { Clock } from '../core/clock.js';

/**
 * Counts failed authentications per client address in fixed windows and refuses that address once
 * it has failed too often, so guessing keys or codes costs an attacker the rest of the window.
 */
export class FailureLimiter {
  private readonly windows: LRUCache<string, { start: number; failures: number }>;

  constructor(
    private readonly clock: Clock,
    private readonly maxFailures = 20,
    private readonly windowMs = 60_000,
  ) {
    this.windows = boundedCache(100_000);
  }

  /** Milliseconds until this client may try again, or 0 when it may try now. */
  retryAfterMs(client: string): number {
    const w = this.windows.get(client);
    if (!w) return 0;
    const elapsed = this.clock.now() - w.start;
    if (elapsed >= this.windowMs) return 0;
    return w.failures >= this.maxFailures ? this.windowMs - elapsed : 0;
  }

  recordFailure(client: string): void {
    const now = this.clock.now();
    const w = this.windows.get(client);
    if (!w || now - w.start >= this.windowMs) this.windows.set(client, { start: now, failures: 1 });
    else w.failures += 1;
  }
}
