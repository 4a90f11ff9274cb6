import type { ActivityEvent, Enrichment } from '../domain/activity-event.js';
import type { Alert } from '../domain/alert.js';
import type { Decision, Reason, SuppressedReason } from '../domain/event-schema.js';
import type { Severity } from '../domain/severity.js';

export interface Verdict {
  readonly decision: Decision;
  readonly risk: number;
  readonly severity: Severity;
  readonly reasons: readonly Reason[];
  readonly alertId?: string;
  /** The alert raised or updated, to be stored in the same transaction as the event. */
  readonly alert?: Alert;
  /** Findings recorded but not counted: shadow-mode rules, snoozes, allow-list entries. */
  readonly suppressed?: readonly SuppressedReason[];
}

/**
 * Scores one enriched event. Called synchronously on the ingest path, in arrival order, before the
 * event is stored, so the answer a client gets is the answer that is stored.
 */
export interface Detector {
  score(event: ActivityEvent & { readonly id: string }, enrichment: Enrichment): Verdict;
}

/**
 * The detector while no rule is configured: every event is allowed with risk 0. Detection rules
 * (issue 3) replace it through the composition root without touching ingestion.
 */
export const noRulesDetector: Detector = {
  score: () => ({ decision: 'allow', risk: 0, severity: 'none', reasons: [] }),
};
