import { describe, expect, it } from 'vitest';
import { type FailedLoginBurstConfig, failedLoginBurstRule as rule } from './failed-login-burst.js';
import { type Case, ev, judge, min, problemsOf, T0, times } from './test-kit.js';

const fail = (minutes: number, ip?: string, user = 'u1') =>
  ev('login.failed', { occurredAt: min(minutes), user, ...(ip !== undefined && { ip }) });

const cases: Case<FailedLoginBurstConfig>[] = [
  {
    name: '5 failures (4 earlier + this) from 3 IPs: medium',
    past: [fail(-4, '1.1.1.1'), fail(-3, '2.2.2.2'), fail(-2, '3.3.3.3'), fail(-1, '1.1.1.1')],
    event: fail(0, '1.1.1.1'),
    hit: {
      severity: 'medium',
      message: '5 failed logins in 4 min from 3 IPs',
      evidence: expect.objectContaining({ failedLogins: 5, distinctIps: 3, windowMinutes: 10, threshold: 5 }),
      suggestedActions: ['confirm_with_user_by_otp'],
    },
  },
  {
    name: '4 failures: one below the medium threshold',
    past: times(3, (i) => fail(-i - 1, '1.1.1.1')),
    event: fail(0, '1.1.1.1'),
    hit: undefined,
  },
  {
    name: '10 failures: high, with a password reset',
    past: times(9, (i) => fail(-9 + i, '1.1.1.1')),
    event: fail(0, '1.1.1.1'),
    hit: {
      severity: 'high',
      message: '10 failed logins in 9 min from 1 IP',
      suggestedActions: ['confirm_with_user_by_otp', 'reset_password'],
    },
  },
  {
    name: '9 failures: still medium',
    past: times(8, (i) => fail(-8 + i)),
    event: fail(0),
    hit: { severity: 'medium', message: '9 failed logins in 8 min' },
  },
  {
    name: 'oldest failure exactly at the window edge counts',
    past: [ev('login.failed', { occurredAt: T0 - 10 * 60_000 }), fail(-3), fail(-2), fail(-1)],
    event: fail(0),
    hit: { severity: 'medium', message: '5 failed logins in 10 min' },
  },
  {
    name: 'oldest failure 1 ms outside the window does not',
    past: [ev('login.failed', { occurredAt: T0 - 10 * 60_000 - 1 }), fail(-3), fail(-2), fail(-1)],
    event: fail(0),
    hit: undefined,
  },
  {
    name: 'failures at the same instant as this one count',
    past: times(4, () => fail(0)),
    event: fail(0),
    hit: { severity: 'medium', message: '5 failed logins in under 1 s' },
  },
  {
    name: "other users' failures and successful logins do not count",
    past: [fail(-4, undefined, 'u2'), fail(-3, undefined, 'u2'), ev('login.succeeded', { occurredAt: min(-2) }), fail(-1), fail(-1)],
    event: fail(0),
    hit: undefined,
  },
  { name: 'not a failed login', past: times(9, (i) => fail(-i - 1)), event: ev('login.succeeded'), hit: undefined },
  {
    name: 'out of order: a late failure is judged only against failures before it',
    past: [...times(3, (i) => fail(-3 + i)), ...times(6, (i) => fail(i + 1))],
    event: fail(0),
    hit: undefined,
  },
  {
    name: 'out of order: later failures do not raise a late one to high',
    past: [...times(4, (i) => fail(-4 + i)), ...times(6, (i) => fail(i + 1))],
    event: fail(0),
    hit: { severity: 'medium', message: '5 failed logins in 4 min' },
  },
  {
    name: 'thresholds come from the config',
    past: [fail(-2), fail(-1)],
    event: fail(0),
    config: { mediumAt: 3, highAt: 20, windowMinutes: 5 },
    hit: { severity: 'medium', message: '3 failed logins in 2 min', evidence: expect.objectContaining({ windowMinutes: 5, threshold: 3 }) },
  },
];

describe('failed-login-burst', () => {
  it.each(cases)('$name', (c) => {
    const hit = judge(rule, c);
    if (c.hit === undefined) expect(hit).toBeUndefined();
    else expect(hit && { ...hit, problems: problemsOf(hit) }).toMatchObject({ ...c.hit, problems: [] });
  });

  it('relates the failures of the burst, at most the 20 latest', () => {
    const past = times(25, (i) => ev('login.failed', { occurredAt: T0 - (25 - i) * 20_000 }));
    const hit = judge(rule, { past, event: fail(0) });
    expect(hit?.message).toBe('26 failed logins in 8 min');
    expect(hit?.relatedEventIds).toEqual(past.slice(5).map((e) => e.id));
  });
});
