/**
 * Runs the monitor's batches one at a time, in the order they were queued: each batch reads the
 * baselines the previous one wrote, so two must never interleave in this process.
 */
export class BatchQueue {
  private queue: Promise<unknown> = Promise.resolve();

  enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    // The queue only orders batches; each caller sees (and reports) its own failure.
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every batch queued so far is written (or has failed). */
  async settled(): Promise<void> {
    await this.queue.catch(() => undefined);
  }
}
