import type { AlertBook, Finding } from '../alerts/alert-book.js';
import type { Clock } from '../core/clock.js';
import type { ActivityEvent, Enrichment } from '../ingest/activity-event.js';
import type { Reason } from '../ingest/event-schema.js';
import type { Detector, Verdict } from './detector.js';
import { toPastEvent } from './history.js';
import type { MemoryHistory } from './memory-history.js';
import type { DetectionEvent } from './rule.js';
import type { RuleSet } from './rule-set.js';
import { combineRisk, decide, type ScoringPolicy, severityOf } from './scoring.js';

export interface DetectionEngineDependencies {
  readonly history: MemoryHistory;
  readonly rules: RuleSet;
  readonly alerts: AlertBook;
  readonly policy: ScoringPolicy;
  readonly clock: Clock;
  /** A rule that throws is skipped for that event and reported here; it never fails ingestion. */
  readonly onRuleError: (ruleId: string, error: unknown) => void;
}

/**
 * Scores each event with every enabled rule, against in-memory history only (no database read on
 * this path), combines the findings into one risk score and decision, and raises or updates an alert.
 */
export class DetectionEngine implements Detector {
  constructor(private readonly deps: DetectionEngineDependencies) {}

  score(event: ActivityEvent & { readonly id: string }, enrichment: Enrichment): Verdict {
    const e: DetectionEvent = { ...event, enrichment };
    const { findings, reasons } = this.evaluate(e);
    this.remember(e);
    if (findings.length === 0) return { decision: 'allow', risk: 0, severity: 'none', reasons: [] };

    const risk = combineRisk(findings.map((f) => f.hit.severity));
    const severity = severityOf(risk, this.deps.policy.thresholds);
    const decision = decide(
      severity,
      findings.map((f) => f.hit.decision),
      this.deps.policy.decisions,
    );
    if (severity === 'none') return { decision, risk, severity, reasons };
    const alert = this.deps.alerts.raise(e, findings, { risk, severity, decision, reasons }, this.deps.clock.now());
    return { decision, risk, severity, reasons, alertId: alert.id, alert };
  }

  /** Replays older transactions at start, for amount baselines only. */
  warmAmounts(events: Iterable<DetectionEvent>): void {
    for (const e of events) this.deps.history.recordAmount(toPastEvent(e));
  }

  /** Replays stored events into memory at start: history and rule state, no alerts. */
  warm(events: Iterable<DetectionEvent>): void {
    for (const e of events) this.remember(e);
  }

  private evaluate(e: DetectionEvent): { findings: Finding[]; reasons: Reason[] } {
    const findings: Finding[] = [];
    const reasons: Reason[] = [];
    for (const entry of this.deps.rules.active()) {
      let hit: ReturnType<typeof entry.rule.evaluate>;
      try {
        hit = entry.rule.evaluate(e, this.deps.history, entry.config);
      } catch (error) {
        this.deps.onRuleError(entry.rule.id, error);
        continue;
      }
      if (!hit) continue;
      findings.push({ rule: entry.rule, hit, windowMs: entry.rule.windowMs(entry.config) });
      reasons.push({ rule: entry.rule.id, severity: hit.severity, message: hit.message, evidence: { ...hit.evidence } });
    }
    return { findings, reasons };
  }

  private remember(e: DetectionEvent): void {
    this.deps.history.record(toPastEvent(e));
    for (const entry of this.deps.rules.active()) entry.rule.observe?.(e, entry.config);
  }
}
