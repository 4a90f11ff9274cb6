import type { HitSeverity } from '../domain/alert.js';
import type { Decision } from '../domain/event-schema.js';
import type { Severity } from '../domain/severity.js';

/** Risk thresholds (0–100) at which a score reaches each severity. */
export interface SeverityThresholds {
  readonly low: number;
  readonly medium: number;
  readonly high: number;
  readonly critical: number;
}

export type DecisionPolicy = Readonly<Record<Severity, Decision>>;

export interface ScoringPolicy {
  readonly thresholds: SeverityThresholds;
  readonly decisions: DecisionPolicy;
}

/**
 * How much one finding of each severity weighs. Findings combine like independent probabilities:
 * risk = 100 × (1 − Π(1 − weightᵢ)). One medium finding gives 35; two give 58, three 73 (high):
 * several medium signals add up to more than one, yet never pass 100, and a single finding lands
 * in its own severity band under the default thresholds.
 */
export const SEVERITY_WEIGHTS: Readonly<Record<HitSeverity, number>> = { low: 0.15, medium: 0.35, high: 0.65, critical: 0.9 };

export const DEFAULT_SCORING: ScoringPolicy = {
  thresholds: { low: 10, medium: 30, high: 60, critical: 85 },
  // Challenge rather than block what may be legitimate (travel, a new phone); block only what is
  // critical, or what a rule asks to block (card testing, the takeover chain).
  decisions: { none: 'allow', low: 'allow', medium: 'challenge', high: 'challenge', critical: 'block' },
};

const DECISION_RANK: Readonly<Record<Decision, number>> = { allow: 0, challenge: 1, block: 2 };

export function combineRisk(severities: readonly HitSeverity[]): number {
  let keep = 1;
  for (const s of severities) keep *= 1 - SEVERITY_WEIGHTS[s];
  return Math.round(100 * (1 - keep));
}

export function severityOf(risk: number, t: SeverityThresholds): Severity {
  if (risk >= t.critical) return 'critical';
  if (risk >= t.high) return 'high';
  if (risk >= t.medium) return 'medium';
  if (risk >= t.low) return 'low';
  return 'none';
}

/** The policy's decision for the severity, raised to the strongest floor a finding asked for. */
export function decide(severity: Severity, floors: readonly (Decision | undefined)[], policy: DecisionPolicy): Decision {
  let decision = policy[severity];
  for (const f of floors) if (f !== undefined && DECISION_RANK[f] > DECISION_RANK[decision]) decision = f;
  return decision;
}
