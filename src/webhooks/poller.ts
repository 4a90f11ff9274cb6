import { RoundTimer } from '../outbound/round-timer.js';
import type { WebhookDelivery, WebhookLogger } from './delivery.js';

export interface DeliveryPollerDeps {
  readonly delivery: WebhookDelivery;
  readonly log: WebhookLogger;
  /** How often due retries are looked for. */
  readonly pollIntervalMs: number;
}

/**
 * Retries: a timer that attempts every stored delivery whose time has come, whichever process
 * stored it, claiming each first. Also starts and stops delivery as a whole.
 */
export class DeliveryPoller {
  private readonly timer: RoundTimer;
  private stopped = false;
  private polling: Promise<number> | undefined;

  constructor(private readonly deps: DeliveryPollerDeps) {
    this.timer = new RoundTimer(deps.pollIntervalMs, () => this.poll());
  }

  /** Attempts every delivery that is due now; resolves with how many were attempted. The timer calls it. */
  runDue(): Promise<number> {
    this.polling ??= this.drainDue().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  /** Starts the retry timer; deliveries left pending by a previous run are attempted at once. */
  start(): void {
    this.stopped = false;
    this.deps.delivery.start();
    this.timer.start();
  }

  /** Stops the timer and waits for attempts under way. Pending deliveries stay stored for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.delivery.stop();
    this.timer.stop();
    await this.polling;
    await this.deps.delivery.settled();
  }

  private poll(): void {
    this.runDue().catch((error: unknown) => this.deps.log.error('webhook retry poll failed', error));
  }

  private drainDue(): Promise<number> {
    return this.deps.delivery.drainDue(() => this.stopped);
  }
}
