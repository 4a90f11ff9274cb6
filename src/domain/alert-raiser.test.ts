import { describe, expect, it } from 'vitest';
import { alertUser } from './alert.js';
import { type AlertDraft, raiseAlert } from './alert-raiser.js';
import type { Decision } from './event-schema.js';
import type { Severity } from './severity.js';

const T = Date.parse('2026-11-24T10:00:00Z');
const MIN = 60_000;

const sighting = (at: number, over: { severity?: Severity; risk?: number; decision?: Decision } = {}): AlertDraft => ({
  kind: 'sighting',
  windowMs: 10 * MIN,
  fields: {
    dedupKey: 'failed-login-burst|user|alice',
    ruleId: 'failed-login-burst',
    ruleIds: ['failed-login-burst'],
    subject: { kind: 'user', value: 'alice' },
    user: 'alice',
    ip: '203.0.113.9',
    summary: `burst at ${at}`,
    type: 'security',
    severity: 'medium',
    risk: 35,
    decision: 'challenge',
    reasons: [{ rule: 'failed-login-burst', severity: 'medium', message: 'five failures', evidence: {} }],
    events: [{ id: `e${at}`, type: 'login.failed', occurredAt: at }],
    relatedEventIds: [],
    suggestedActions: [],
    occurrences: 1,
    firstSeenAt: at,
    lastSeenAt: at,
    ...over,
  },
});

const incident = (id: string, minutes: number, severity: 'low' | 'medium' | 'high'): AlertDraft => ({
  kind: 'incident',
  fields: {
    dedupKey: `transaction-volume|incident|reported|${id}`,
    ruleId: 'transaction-volume',
    ruleIds: ['transaction-volume'],
    subject: { kind: 'status', value: 'failed' },
    summary: `${minutes} minutes`,
    type: 'transaction',
    severity,
    risk: severity === 'high' ? 65 : 35,
    decision: 'allow',
    reasons: [{ rule: 'transaction-volume', severity, message: `${minutes} minutes`, evidence: {} }],
    events: [],
    relatedEventIds: [],
    suggestedActions: ['check_payment_provider'],
    occurrences: minutes,
    firstSeenAt: T,
    lastSeenAt: T + minutes * MIN,
  },
});

describe('raiseAlert: one raiser, one merge window per kind of draft', () => {
  it('opens a new alert with its lifecycle, and asks the owner when no finding suggests anything', () => {
    const { alert, raised } = raiseAlert(sighting(T), undefined, T + 5);
    expect(raised).toBe(true);
    expect(alert).toMatchObject({
      status: 'new',
      createdAt: T + 5,
      updatedAt: T + 5,
      acknowledgedAt: null,
      resolvedAt: null,
      occurrences: 1,
    });
    expect(alert.id).toMatch(/^alrt_/);
    expect(alert.suggestedActions).toEqual(['confirm_with_user_by_otp']);
    expect(alertUser(alert)).toBe('alice');
  });

  it('merges a sighting into an open alert within the window: one more occurrence, severity, risk and decision only upwards', () => {
    const first = raiseAlert(sighting(T, { severity: 'high', risk: 65, decision: 'block' }), undefined, T).alert;
    const { alert, raised } = raiseAlert(sighting(T + 9 * MIN), first, T + 9 * MIN);
    expect(raised).toBe(false);
    expect(alert).toMatchObject({ id: first.id, occurrences: 2, severity: 'high', risk: 65, decision: 'block', lastSeenAt: T + 9 * MIN });
    expect(alert.events.map((e) => e.id)).toEqual([`e${T}`, `e${T + 9 * MIN}`]);
    expect(alert.summary).toBe(`burst at ${T + 9 * MIN}`);
  });

  it('opens another alert for a sighting outside the window or after a person closed the alert', () => {
    const first = raiseAlert(sighting(T), undefined, T).alert;
    expect(raiseAlert(sighting(T + 11 * MIN), first, T + 11 * MIN).raised).toBe(true);
    expect(raiseAlert(sighting(T + MIN), { ...first, status: 'resolved', resolvedAt: T }, T + MIN).raised).toBe(true);
  });

  it('merges an incident into its alert for as long as it lasts, whatever people did with it, its counts replacing the alert’s', () => {
    const first = raiseAlert(incident('minc_1', 2, 'high'), undefined, T).alert;
    expect(first).toMatchObject({ subject: { kind: 'status', value: 'failed' }, occurrences: 2, decision: 'allow' });
    expect(first.suggestedActions).toEqual(['check_payment_provider']);
    expect(alertUser(first)).toBe('status:failed');

    const resolvedByAPerson = { ...first, status: 'resolved' as const, resolvedAt: T + MIN };
    // Three hours later: far past any rule's window, still the same incident.
    const { alert, raised } = raiseAlert(incident('minc_1', 180, 'medium'), resolvedByAPerson, T + 180 * MIN);
    expect(raised).toBe(false);
    expect(alert).toMatchObject({ id: first.id, status: 'resolved', occurrences: 180, severity: 'high', lastSeenAt: T + 180 * MIN });
    expect(alert.reasons).toHaveLength(1);

    expect(raiseAlert(incident('minc_2', 1, 'low'), first, T + 200 * MIN).raised).toBe(true);
  });
});
