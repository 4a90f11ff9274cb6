import { describe, expect, it } from 'vitest';
import { type Alert, alertUser } from '../domain/alert.js';
import type { IncidentRecord } from './incident.js';
import { MINUTE_MS } from './minute-counts.js';
import { actionsFor, incidentAlert, incidentSummary } from './volume-alert.js';
import type { Anomaly } from './volume-model.js';

const T = Date.UTC(2025, 7, 4, 12, 7);
const NOW = T + 90_000;

const incident = (over: Partial<IncidentRecord> = {}): IncidentRecord => ({
  id: 'minc_1',
  status: 'backend_reversed',
  direction: 'rise',
  start: T,
  detectedAt: T + 3 * MINUTE_MS,
  lastAbnormal: T + 3 * MINUTE_MS,
  anomalousMinutes: 2,
  count: 11,
  expected: 0.8,
  peak: { minute: T + 2 * MINUTE_MS, count: 5, expected: 0.2, score: 4.1 },
  quiet: 0,
  quietCount: 0,
  quietExpected: 0,
  state: 'open',
  end: null,
  closedAt: null,
  note: null,
  ...over,
});

const anomaly = (over: Partial<Anomaly> = {}): Anomaly => ({
  minute: T + 3 * MINUTE_MS,
  status: 'backend_reversed',
  count: 4,
  expected: 0.2,
  countSpread: 0.45,
  lower: 0,
  upper: 4,
  score: 3.6,
  direction: 'rise',
  severity: 'high',
  basis: 'recent',
  reason: '11 backend_reversed in the 4 minutes since 12:07 UTC where about 0.8 are usual: chance below 1 in a million; …',
  incidentId: 'minc_1',
  ...over,
});

describe('incidentAlert: one alert per incident', () => {
  it('raises a transaction alert when the incident opens, with its span, counts against expected, peak and what to check', () => {
    const { alert, raised } = incidentAlert(incident(), 'reported', anomaly(), undefined, NOW);
    expect(raised).toBe(true);
    expect(alert).toMatchObject({
      ruleId: 'transaction-volume',
      dedupKey: 'transaction-volume|incident|reported|minc_1',
      type: 'transaction',
      subject: { kind: 'status', value: 'backend_reversed' },
      severity: 'high',
      risk: 65,
      status: 'new',
      occurrences: 2,
      firstSeenAt: T,
      lastSeenAt: T + 3 * MINUTE_MS,
      suggestedActions: ['review_reversals', 'check_payment_provider'],
    });
    // A traffic alert has no account: `user` is only the label the API shows and the user filter finds.
    expect(alert.user).toBeUndefined();
    expect(alertUser(alert)).toBe('status:backend_reversed');
    expect(alert.summary).toBe(
      'Backend-reversed transactions above normal since 2025-08-04 12:07 UTC: 11 in 4 minutes where about 0.8 are usual; peak 5 at 12:09 (about 0.2 usual)',
    );
    expect(alert.reasons[0]?.message).toBe(anomaly().reason);
    expect(alert.reasons[0]?.evidence).toMatchObject({ incidentId: 'minc_1', state: 'open', count: 11, expected: 0.8, minutes: 4 });
  });

  it('updates the same alert while the incident grows (severity only upwards) and when it closes (the note), leaving its status to people', () => {
    const first = incidentAlert(incident(), 'reported', anomaly(), undefined, NOW).alert;
    const grown = incident({ lastAbnormal: T + 20 * MINUTE_MS, anomalousMinutes: 14, count: 60, expected: 4 });
    const updated = incidentAlert(grown, 'reported', anomaly({ severity: 'medium' }), first, NOW + MINUTE_MS);
    expect(updated.raised).toBe(false);
    expect(updated.alert).toMatchObject({ id: first.id, severity: 'high', occurrences: 14, lastSeenAt: T + 20 * MINUTE_MS, status: 'new' });
    expect(updated.alert.summary).toContain('60 in 21 minutes where about 4 are usual');

    const note = 'Back to normal since 12:28 UTC (15 minutes in a row): closed automatically.';
    const closed = incidentAlert(
      { ...grown, state: 'closed', end: grown.lastAbnormal, closedAt: NOW, note },
      'reported',
      undefined,
      updated.alert,
      NOW,
    );
    expect(closed.alert).toMatchObject({ id: first.id, status: 'new' });
    expect(closed.alert.summary).toContain(`Ended 12:27. ${note}`);
    expect(closed.alert.reasons[0]?.message).toBe(note);

    // A person marked it already: their status stays.
    const mine: Alert = { ...updated.alert, status: 'false_positive', resolvedAt: NOW - 1 };
    const after = incidentAlert(
      { ...grown, state: 'closed', end: grown.lastAbnormal, closedAt: NOW, note },
      'reported',
      undefined,
      mine,
      NOW,
    );
    expect(after.alert).toMatchObject({ status: 'false_positive', resolvedAt: NOW - 1 });
  });

  it('names statuses it has no word for and the total, and suggests by what went wrong', () => {
    expect(incidentSummary(incident({ status: 'chargeback' }))).toMatch(/^Transactions with status "chargeback" above normal since/);
    expect(incidentSummary(incident({ status: 'total', direction: 'drop' }))).toMatch(/^Transactions \(all outcomes\) below normal since/);
    expect(actionsFor('approved', 'drop')).toEqual(['check_payment_provider', 'check_checkout']);
    expect(actionsFor('denied', 'rise')).toContain('review_decline_reasons');
    expect(actionsFor('chargeback', 'rise')).toEqual(['review_transaction']);
  });
});
