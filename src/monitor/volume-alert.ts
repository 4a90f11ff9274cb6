import type { Alert, SuggestedAction, TrafficAction } from '../domain/alert.js';
import { type Raised, raiseAlert } from '../domain/alert-raiser.js';
import type { Reason } from '../domain/event-schema.js';
import { higherSeverity, type Severity } from '../domain/severity.js';
import type { Direction, IncidentRecord } from './incident.js';
import { formatMinute, MINUTE_MS } from './minute-counts.js';
import type { CountSource } from './ports.js';
import { type Anomaly, type AnomalySeverity, readable } from './volume-model.js';

/** The rule id volume alerts carry, so `GET /v1/alerts?rule=transaction-volume` lists them. */
export const VOLUME_RULE_ID = 'transaction-volume';

// The risk of an alert with a single finding of this severity (ARCHITECTURE.md: risk = 100 × weight).
const RISK: Readonly<Record<AnomalySeverity, number>> = { low: 15, medium: 35, high: 65 };

/** One alert per incident: the incident's id is its de-duplication key. */
export const dedupKeyOf = (source: CountSource, incidentId: string): string => `${VOLUME_RULE_ID}|incident|${source}|${incidentId}`;

const NOUNS: Readonly<Record<string, string>> = {
  approved: 'approved transactions',
  denied: 'denied transactions',
  failed: 'failed payments',
  reversed: 'reversed transactions',
  backend_reversed: 'backend-reversed transactions',
  refunded: 'refunds',
  total: 'transactions (all outcomes)',
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
const round2 = (x: number) => Math.round(x * 100) / 100;

/** What the alert says about its incident: since when, how many against how many, the peak, and the end. */
export function incidentSummary(i: IncidentRecord): string {
  const way = i.direction === 'rise' ? 'above' : 'below';
  const span = Math.round((i.lastAbnormal - i.start) / MINUTE_MS) + 1;
  const head =
    `${nounOf(i.status)} ${way} normal since ${formatMinute(i.start)}: ${i.count} in ${span} minute${span === 1 ? '' : 's'} ` +
    `where about ${readable(i.expected)} are usual; peak ${i.peak.count} at ${hhmm(i.peak.minute)} (about ${readable(i.peak.expected)} usual)`;
  const summary = head.charAt(0).toUpperCase() + head.slice(1);
  return i.state === 'closed' ? `${summary}. Ended ${hhmm(i.lastAbnormal)}. ${i.note ?? ''}`.trim() : summary;
}

function reasonOf(i: IncidentRecord, source: CountSource, severity: AnomalySeverity, message: string): Reason {
  return {
    rule: VOLUME_RULE_ID,
    severity,
    message,
    evidence: {
      source,
      incidentId: i.id,
      status: i.status,
      direction: i.direction,
      state: i.state,
      start: new Date(i.start).toISOString(),
      detectedAt: new Date(i.detectedAt).toISOString(),
      end: i.end === null ? null : new Date(i.end).toISOString(),
      minutes: Math.round((i.lastAbnormal - i.start) / MINUTE_MS) + 1,
      anomalousMinutes: i.anomalousMinutes,
      count: i.count,
      expected: round2(i.expected),
      peakMinute: new Date(i.peak.minute).toISOString(),
      peakCount: i.peak.count,
      peakExpected: round2(i.peak.expected),
      peakScore: i.peak.score,
    },
  };
}

/**
 * The one alert of an incident: raised when it opens, updated while it grows (summary, peak,
 * severity only upwards) and when it closes (the note), through the one raiser (`raiseAlert`), whose
 * merge window for an incident is the incident itself. Its status is people's: the service resolves
 * it, as a recorded transition by `vigil`, when the incident closes. `latest` is the anomaly of this
 * batch that changed it, if any. Pure: the caller finds `existing` (the incident's alert) and stores the result.
 */
export function incidentAlert(
  i: IncidentRecord,
  source: CountSource,
  latest: Anomaly | undefined,
  existing: Alert | undefined,
  now: number,
): Raised {
  const severity: AnomalySeverity = latest?.severity ?? 'medium';
  // The reason carries the alert's severity once merged (only upwards), as the alert does.
  // (A traffic alert's severity is always an anomaly's.)
  const reasonSeverity = existing ? (higherSeverity<Severity>(existing.severity, severity) as AnomalySeverity) : severity;
  const message = i.state === 'closed' ? (i.note ?? 'Closed.') : (latest?.reason ?? existing?.reasons[0]?.message ?? incidentSummary(i));
  return raiseAlert(
    {
      kind: 'incident',
      fields: {
        dedupKey: dedupKeyOf(source, i.id),
        ruleId: VOLUME_RULE_ID,
        ruleIds: [VOLUME_RULE_ID],
        subject: { kind: 'status', value: i.status },
        summary: incidentSummary(i),
        type: 'transaction',
        severity,
        risk: RISK[severity],
        // No event is waiting for an answer: the alert informs people, it decides nothing.
        decision: 'allow',
        reasons: [reasonOf(i, source, reasonSeverity, message)],
        events: [],
        relatedEventIds: [],
        suggestedActions: actionsFor(i.status, i.direction),
        occurrences: i.anomalousMinutes,
        firstSeenAt: i.start,
        lastSeenAt: i.lastAbnormal,
      },
    },
    existing,
    now,
  );
}
