import { describe, expect, it } from 'vitest';
import type { Alert } from '../domain/alert.js';
import { MINUTE_MS } from './minute-counts.js';
import { actionsFor, REPEAT_WINDOW_MS, volumeAlert } from './volume-alert.js';
import type { Anomaly } from './volume-model.js';

const T = Date.UTC(2025, 7, 4, 12, 7);
const NOW = T + 90_000;

const anomaly = (over: Partial<Anomaly> = {}): Anomaly => ({
  minute: T,
  status: 'failed',
  count: 142,
  expected: 9.2,
  countSpread: 3.6,
  lower: 0,
  upper: 31,
  score: 18.4,
  direction: 'rise',
  severity: 'high',
  basis: 'hour_of_day',
  reason:
    '142 failed in the minute 2025-08-04 12:07 UTC, expected about 9.2 (±3.6) for this time of day: 18.4 standard deviations above normal.',
  ...over,
});

describe('volumeAlert', () => {
  it('raises a transaction alert about the status, with a readable summary, evidence and what to check', () => {
    const { alert, raised } = volumeAlert(anomaly(), 'reported', undefined, NOW);
    expect(raised).toBe(true);
    expect(alert).toMatchObject({
      ruleId: 'transaction-volume',
      type: 'transaction',
      subject: { kind: 'status', value: 'failed' },
      user: 'status:failed',
      severity: 'high',
      risk: 65,
      status: 'new',
      occurrences: 1,
      firstSeenAt: T,
      lastSeenAt: T,
      createdAt: NOW,
      summary: '142 failed payments in the minute 2025-08-04 12:07 UTC, expected about 9.2 (±3.6)',
      suggestedActions: ['check_payment_provider', 'look_for_card_testing'],
    });
    expect(alert.reasons[0]?.evidence).toMatchObject({ source: 'reported', count: 142, expected: 9.2, direction: 'rise', peakCount: 142 });
  });

  it('updates the open alert for the same status within half an hour, keeping the peak and the highest severity', () => {
    const first = volumeAlert(anomaly(), 'reported', undefined, NOW).alert;
    const later = anomaly({ minute: T + 3 * MINUTE_MS, count: 60, score: 7.9, severity: 'medium' });
    const { alert, raised } = volumeAlert(later, 'reported', first, NOW + 3 * MINUTE_MS);
    expect(raised).toBe(false);
    expect(alert).toMatchObject({ id: first.id, occurrences: 2, severity: 'high', firstSeenAt: T, lastSeenAt: T + 3 * MINUTE_MS });
    expect(alert.summary).toBe(
      '2 minutes of failed payments above normal since 2025-08-04 12:07 UTC; at 12:10: 60, expected about 9.2 (±3.6); peak 142 at 12:07',
    );
  });

  it('raises a new alert after a quiet half hour, or when the open one was resolved', () => {
    const first = volumeAlert(anomaly(), 'reported', undefined, NOW).alert;
    const muchLater = anomaly({ minute: T + REPEAT_WINDOW_MS + MINUTE_MS });
    expect(volumeAlert(muchLater, 'reported', first, NOW).raised).toBe(true);
    const resolved: Alert = { ...first, status: 'resolved', resolvedAt: NOW };
    expect(volumeAlert(anomaly({ minute: T + MINUTE_MS }), 'reported', resolved, NOW).raised).toBe(true);
  });

  it('names statuses it has no word for, and suggests by what went wrong', () => {
    const { alert } = volumeAlert(anomaly({ status: 'chargeback', severity: 'medium' }), 'events', undefined, NOW);
    expect(alert.summary).toContain('142 transactions with status "chargeback" in the minute');
    expect(alert.suggestedActions).toEqual(['review_transaction']);
    expect(actionsFor('approved', 'drop')).toEqual(['check_payment_provider', 'check_checkout']);
    expect(actionsFor('approved', 'rise')).toEqual(['look_for_card_testing']);
    expect(actionsFor('denied', 'rise')).toContain('review_decline_reasons');
  });
});
