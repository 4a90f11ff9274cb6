import type { TObject } from '@sinclair/typebox';
import type { DetectionEvent } from '../domain/activity-event.js';
import type { AlertType, HitSeverity, Subject, SuggestedAction } from '../domain/alert.js';
import type { Decision } from '../domain/event-schema.js';
import type { History } from './history.js';

/** One rule's finding about one event. */
export interface RuleHit {
  readonly severity: HitSeverity;
  /** A sentence a support agent can read, with the numbers behind it: "7 failed logins in 4 min from 3 IPs". */
  readonly message: string;
  /** The numbers behind the message, for the alert's detail view and for backtests. */
  readonly evidence: Readonly<Record<string, unknown>>;
  /** Defaults to the event's user. */
  readonly subject?: Subject;
  /** Earlier events that make up the finding (e.g. the failed logins of a burst). */
  readonly relatedEventIds?: readonly string[];
  readonly suggestedActions?: readonly SuggestedAction[];
  /** The least decision this finding asks for, whatever the score's severity says. */
  readonly decision?: Decision;
  /**
   * The alert of the story this finding continues (an earlier event's): while it is open, this
   * event's alert is that one, grown (occurrences, severity only upwards), not a new one.
   */
  readonly continuesAlertId?: string;
}

/**
 * A detection rule: one file in `detect/rules/`, listed in `detect/rules/index.ts`. `evaluate` is
 * pure: it reads the event and the history of earlier events (by event time) and never writes.
 */
export interface Rule<C extends RuleConfig = RuleConfig> {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly alertType: AlertType;
  /** TypeBox schema of the configuration; must include `enabled`. Overrides are validated against it. */
  readonly configSchema: TObject;
  readonly defaults: C;
  /** How far back the rule looks: alerts for the same rule and subject within it are merged. */
  windowMs(config: C): number;
  evaluate(event: DetectionEvent, history: History, config: C): RuleHit | undefined;
  /**
   * For rules with state of their own (custom rules' windowed aggregates): called with every event
   * after scoring, and with history replayed at start. Most rules read the shared History instead.
   */
  observe?(event: DetectionEvent, config: C): void;
}

export interface RuleConfig {
  readonly enabled: boolean;
}
