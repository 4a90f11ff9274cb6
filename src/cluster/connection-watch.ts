import type { NatsConnection } from 'nats';

/**
 * Whether a NATS connection is up, from its status events. A request published while the connection
 * is down is held by the client and sent on reconnecting, before the other processes have subscribed
 * again, and its answer never comes: it waits out its whole timeout (5 s) even when NATS came back in a
 * quarter of a second. So a caller waits for the connection first, then asks.
 */
export class ConnectionWatch {
  private up = true;
  private waiting: (() => void)[] = [];
  private readonly reconnected: (() => void)[] = [];

  constructor(nc: NatsConnection) {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') this.up = false;
        else if (status.type === 'reconnect') this.markUp();
      }
      // Closed for good: nobody waits for it any more.
      for (const wake of this.waiting.splice(0)) wake();
    })();
  }

  /** Resolves true once the connection is up, or false if it is still down at `deadline` (ms since the epoch). */
  async connected(deadline: number): Promise<boolean> {
    if (this.up) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    const cameBack = await Promise.race([
      new Promise<boolean>((resolve) => this.waiting.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), left);
      }),
    ]);
    clearTimeout(timer);
    return cameBack;
  }

  /** Whether the connection is up now. */
  get isUp(): boolean {
    return this.up;
  }

  /** Calls `then` each time the connection comes back. */
  onReconnect(then: () => void): void {
    this.reconnected.push(then);
  }

  private markUp(): void {
    const wasDown = !this.up;
    this.up = true;
    for (const wake of this.waiting.splice(0)) wake();
    if (wasDown) for (const then of this.reconnected) then();
  }
}
