import { describe, expect, it } from 'vitest';
import type { EventType } from '../../domain/event-schema.js';
import type { StoryMark } from '../history.js';
import { carriedRiskRule as rule } from './carried-risk.js';
import { ev, historyOf, min, problemsOf, T0 } from './test-kit.js';

/** What the suspicious login earned: medium (58), on device evil-phone in session s-evil. */
const login = (minutes: number, over: Partial<StoryMark> = {}): StoryMark => ({
  eventId: `login${minutes}`,
  type: 'login.succeeded',
  occurredAt: min(minutes),
  risk: 58,
  severity: 'medium',
  rule: 'new-login-context',
  message: 'Login from a new device and a new country (JP)',
  session: 's-evil',
  device: 'evil-phone',
  alertId: 'alrt_login',
  ...over,
});

function judgeWith(marks: readonly StoryMark[], type: EventType, spec: Parameters<typeof ev>[1] = {}) {
  const history = historyOf([]);
  for (const m of marks) history.recordMark('u1', m);
  return rule.evaluate(ev(type, { device: 'evil-phone', session: 's-evil', ...spec }), history, rule.defaults);
}

describe('carried-risk', () => {
  it('carries a suspicious login to the password change that follows on its device, and continues its alert', () => {
    const hit = judgeWith([login(-2)], 'password.changed');
    expect(hit).toMatchObject({
      severity: 'medium',
      message: 'Password change 2 min after a suspicious login in this session (medium: Login from a new device and a new country (JP))',
      relatedEventIds: ['login-2'],
      continuesAlertId: 'alrt_login',
      evidence: expect.objectContaining({ earlierEventId: 'login-2', carriedRisk: 56, earlierRisk: 58 }),
    });
    expect(problemsOf(hit as NonNullable<typeof hit>)).toEqual([]);
  });

  it.each<[string, EventType, Parameters<typeof ev>[1], number, string | undefined]>([
    ['email change', 'email.changed', {}, -3, 'medium'],
    ['MFA off', 'mfa.disabled', {}, -3, 'medium'],
    ['payment method', 'payment_method.changed', {}, -3, 'medium'],
    ['transaction', 'transaction', { amount: 20, currency: 'EUR' }, -3, 'medium'],
    ['a page view is not sensitive', 'page.viewed', {}, -3, undefined],
    ['a login is not sensitive', 'login.succeeded', {}, -3, undefined],
    // 58 × 2^(−45/45) = 29: below medium (30), still low.
    ['one half-life later it has halved to low', 'password.changed', {}, -45, 'low'],
    ['at the window edge it still carries', 'password.changed', {}, -60, 'low'],
    ['past the window it does not', 'password.changed', {}, -61, undefined],
    ['an earlier mark after the event (out of order) does not carry', 'password.changed', {}, 2, undefined],
  ])('%s', (_name, type, spec, minutes, severity) => {
    const hit = judgeWith([login(minutes)], type, spec);
    if (severity === undefined) expect(hit).toBeUndefined();
    else expect(hit?.severity).toBe(severity);
  });

  it('carries only within the same session or device', () => {
    expect(judgeWith([login(-2)], 'password.changed', { device: 'home-laptop', session: 's-home' })).toBeUndefined();
    expect(judgeWith([login(-2)], 'password.changed', { device: 'home-laptop', session: 's-evil' })?.severity).toBe('medium');
    expect(judgeWith([login(-2)], 'password.changed', { device: 'evil-phone', session: 's-other' })?.message).toContain('on this device');
  });

  it("an account-wide mark (no session, no device) carries to any source; another user's does not", () => {
    const { session: _s, device: _d, ...accountWide } = login(-2, { type: 'login.failed', rule: 'failed-login-burst' });
    expect(judgeWith([accountWide], 'password.changed', { device: 'x', session: 'y' })?.message).toContain(
      'after a suspicious failed login',
    );
    const history = historyOf([]);
    history.recordMark('u2', login(-2));
    expect(rule.evaluate(ev('password.changed', { device: 'evil-phone', session: 's-evil' }), history, rule.defaults)).toBeUndefined();
  });

  it('the strongest carried risk is named, all are related; carried findings are not carried again', () => {
    const low = login(-10, { eventId: 'weak', risk: 15, severity: 'low', message: 'Login from a new network' });
    const carried = login(-1, { eventId: 'carried', risk: 60, severity: 'high', rule: 'carried-risk' });
    const hit = judgeWith([low, login(-5), carried], 'transaction', { amount: 10, currency: 'EUR' });
    expect(hit).toMatchObject({ relatedEventIds: ['weak', 'login-5'], evidence: expect.objectContaining({ earlierEventId: 'login-5' }) });
  });

  it('uses the configured half-life', () => {
    const history = historyOf([]);
    history.recordMark('u1', login(-45));
    const hit = rule.evaluate(ev('password.changed', { device: 'evil-phone', occurredAt: T0 }), history, {
      ...rule.defaults,
      halfLifeMinutes: 450,
    });
    expect(hit?.severity).toBe('medium');
  });
});
