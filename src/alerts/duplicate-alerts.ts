import type { OpenAlertHead } from '../domain/alert.js';
import type { AlertService } from './alert-service.js';

/** Who closes a duplicate, in the audit trail and the alert's transitions. */
export const DUPLICATE_CLOSER = 'vigil';

export interface DuplicateAlertsOptions {
  /** Tries while the duplicate is not in the store yet (its raiser's commit still under way). */
  readonly tries?: number;
  readonly pauseMs?: number;
  readonly onError: (message: string, error: unknown) => void;
}

/**
 * The distributed mode: an alert about an IP or a device that two workers raised at the same moment
 * (each before the other's reached it) is kept once. Every worker keeps the one raised first
 * (`AlertBook.sharedSourceAlert`); the other is resolved here, with a note naming the one kept, so
 * the feed shows one open alert and says what became of the second. Any worker that held the second
 * may try: the transition is a compare-and-swap on its status, so it is resolved once, audited once,
 * and its occurrences are added to the one kept once, in the same transaction (stored counts are
 * added to, never written over, so the workers growing the one kept meanwhile lose nothing).
 */
export class DuplicateAlerts {
  private readonly tries: number;
  private readonly pauseMs: number;
  private readonly underWay = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly alerts: AlertService,
    private readonly options: DuplicateAlertsOptions,
  ) {
    this.tries = options.tries ?? 20;
    this.pauseMs = options.pauseMs ?? 250;
  }

  /** Resolves `duplicate` in the background, naming `kept`. */
  close(duplicate: OpenAlertHead, kept: OpenAlertHead): Promise<void> {
    const closing = this.tryClose(duplicate, kept).catch((error: unknown) =>
      this.options.onError(`closing alert ${duplicate.id}, a duplicate of ${kept.id}, failed`, error),
    );
    this.underWay.add(closing);
    void closing.finally(() => this.underWay.delete(closing));
    return closing;
  }

  /**
   * At shutdown: no more tries, and the ones under way ended. A duplicate left open is closed by
   * the next worker that hears of the alert kept while holding it.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.underWay);
  }

  private async tryClose(duplicate: OpenAlertHead, kept: OpenAlertHead): Promise<void> {
    const note =
      `Raised at the same moment as ${kept.id} about the same ${duplicate.subject.kind} by another worker; ` +
      `its repeats go to ${kept.id}.`;
    for (let attempt = 1; ; attempt++) {
      let failed: unknown;
      try {
        const result = await this.alerts.act(duplicate.id, 'resolve', DUPLICATE_CLOSER, note, kept.id);
        // Closed now, or already (by another worker, or by a person): nothing more to do.
        if (result.ok || result.error.code !== 'not_found' || this.stopped) return;
      } catch (error) {
        // PostgreSQL ended this try to break a deadlock (with a commit of the same alerts): nothing of
        // it was written, and it is tried again. Any other failure is reported.
        if (this.stopped || (error as { code?: string }).code !== '40P01') throw error;
        failed = error;
      }
      if (attempt >= this.tries) {
        throw failed ?? new Error(`alert ${duplicate.id}, or ${kept.id} it is folded into, was not stored after ${attempt} tries`);
      }
      await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }
}
