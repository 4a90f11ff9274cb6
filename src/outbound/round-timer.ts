/**
 * The timer that drives an outbound queue's rounds (retries due, and whatever else a queue does on
 * them). Never keeps a process alive that has nothing else to do.
 */
export class RoundTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    /** One round; must not throw (it logs its own failures). */
    private readonly round: () => void,
  ) {}

  /** Starts the timer with a round at once, so that what a previous run left due goes out now. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(this.round, this.intervalMs);
    this.timer.unref();
    this.round();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
