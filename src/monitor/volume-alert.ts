import { newId } from '../core/ids.js';
import type { SuggestedAction } from '../domain/alert.js';
import { type Alert, OPEN_STATUSES, type TrafficAction } from '../domain/alert.js';
import type { Reason } from '../domain/event-schema.js';
import type { Severity } from '../domain/severity.js';
import { formatMinute, MINUTE_MS } from './minute-counts.js';
import type { CountSource } from './ports.js';
import { type Anomaly, type AnomalySeverity, type Direction, readable } from './volume-model.js';

/** The rule id volume alerts carry, so `GET /v1/alerts?rule=transaction-volume` lists them. */
export const VOLUME_RULE_ID = 'transaction-volume';

/**
 * Anomalies of one status in one direction within this long of each other update one open alert
 * (occurrences, last seen, peak) instead of raising one per minute: a 20-minute outage is one alert
 * to acknowledge, not twenty. A quiet half hour ends the incident; the next anomaly starts another.
 */
export const REPEAT_WINDOW_MS = 30 * MINUTE_MS;

// The risk of an alert with a single finding of this severity (ARCHITECTURE.md: risk = 100 × weight).
const RISK: Readonly<Record<AnomalySeverity, number>> = { low: 15, medium: 35, high: 65 };
const RANK: Readonly<Record<Severity, number>> = { none: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** The alert's `user`: not an account, but a stable, searchable name for the status watched. */
export const alertUserOf = (status: string): string => `status:${status}`;

export const dedupKeyOf = (source: CountSource, status: string, direction: Direction): string =>
  `${VOLUME_RULE_ID}|status|${status}|${direction}|${source}`;

const NOUNS: Readonly<Record<string, string>> = {
  approved: 'approved transactions',
  denied: 'denied transactions',
  failed: 'failed payments',
  reversed: 'reversed transactions',
  backend_reversed: 'backend-reversed transactions',
  refunded: 'refunds',
};

/** "failed payments", or `transactions with status "chargeback"` for a status Vigil has no word for. */
export const nounOf = (status: string): string => NOUNS[status] ?? `transactions with status "${status}"`;

/** What to look at first, by what went wrong. */
export function actionsFor(status: string, direction: Direction): (SuggestedAction | TrafficAction)[] {
  if (status === 'approved') return direction === 'drop' ? ['check_payment_provider', 'check_checkout'] : ['look_for_card_testing'];
  switch (status) {
    case 'failed':
      return ['check_payment_provider', 'look_for_card_testing'];
    case 'denied':
      return ['look_for_card_testing', 'review_decline_reasons'];
    case 'reversed':
    case 'backend_reversed':
    case 'refunded':
      return ['review_reversals', 'check_payment_provider'];
    default:
      return ['review_transaction'];
  }
}

const hhmm = (minute: number) => new Date(minute).toISOString().slice(11, 16);

function reasonOf(a: Anomaly, source: CountSource, minutes: number, peak: { minute: number; count: number; score: number }): Reason {
  return {
    rule: VOLUME_RULE_ID,
    severity: a.severity,
    message: a.reason,
    evidence: {
      source,
      status: a.status,
      direction: a.direction,
      minute: new Date(a.minute).toISOString(),
      count: a.count,
      expected: Math.round(a.expected * 100) / 100,
      spread: Math.round(a.countSpread * 100) / 100,
      lower: Math.round(a.lower * 100) / 100,
      upper: Math.round(a.upper * 100) / 100,
      score: a.score,
      basis: a.basis,
      minutes,
      peakMinute: new Date(peak.minute).toISOString(),
      peakCount: peak.count,
      peakScore: peak.score,
    },
  };
}

/**
 * The alert an anomaly amounts to: a new one, or `open` updated when it is the same status going
 * the same way within REPEAT_WINDOW_MS. Pure: the caller finds `open` and stores the result.
 */
export function volumeAlert(a: Anomaly, source: CountSource, open: Alert | undefined, now: number): { alert: Alert; raised: boolean } {
  const expected = `expected about ${readable(a.expected)} (±${readable(a.countSpread)})`;
  const actions = actionsFor(a.status, a.direction);
  if (open && OPEN_STATUSES.has(open.status) && Math.abs(a.minute - open.lastSeenAt) <= REPEAT_WINDOW_MS) {
    const before = open.reasons[0]?.evidence as { peakMinute?: string; peakCount?: number; peakScore?: number } | undefined;
    const beforePeak = { minute: Date.parse(before?.peakMinute ?? ''), count: before?.peakCount ?? 0, score: before?.peakScore ?? 0 };
    const peak = Math.abs(a.score) > Math.abs(beforePeak.score) || Number.isNaN(beforePeak.minute) ? { ...a } : beforePeak;
    const occurrences = open.occurrences + 1;
    const firstSeenAt = Math.min(open.firstSeenAt, a.minute);
    const severity = RANK[a.severity] > RANK[open.severity] ? a.severity : open.severity;
    return {
      raised: false,
      alert: {
        ...open,
        summary:
          `${occurrences} minutes of ${nounOf(a.status)} ${a.direction === 'rise' ? 'above' : 'below'} normal since ` +
          `${formatMinute(firstSeenAt)}; at ${hhmm(a.minute)}: ${a.count}, ${expected}; peak ${peak.count} at ${hhmm(peak.minute)}`,
        severity,
        risk: Math.max(open.risk, RISK[a.severity]),
        reasons: [reasonOf(a, source, occurrences, peak)],
        suggestedActions: [...new Set([...open.suggestedActions, ...actions])],
        occurrences,
        firstSeenAt,
        lastSeenAt: Math.max(open.lastSeenAt, a.minute),
        updatedAt: now,
      },
    };
  }
  return {
    raised: true,
    alert: {
      id: newId('alrt', now),
      dedupKey: dedupKeyOf(source, a.status, a.direction),
      ruleId: VOLUME_RULE_ID,
      ruleIds: [VOLUME_RULE_ID],
      subject: { kind: 'status', value: a.status },
      user: alertUserOf(a.status),
      summary: `${a.count} ${nounOf(a.status)} in the minute ${formatMinute(a.minute)}, ${expected}`,
      type: 'transaction',
      severity: a.severity,
      risk: RISK[a.severity],
      // No event is waiting for an answer: the alert informs people, it decides nothing.
      decision: 'allow',
      status: 'new',
      reasons: [reasonOf(a, source, 1, a)],
      events: [],
      relatedEventIds: [],
      suggestedActions: actions,
      occurrences: 1,
      firstSeenAt: a.minute,
      lastSeenAt: a.minute,
      createdAt: now,
      updatedAt: now,
      acknowledgedAt: null,
      resolvedAt: null,
    },
  };
}
