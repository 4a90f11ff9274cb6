import { describe, expect, it } from 'vitest';
import { type LoginAfterFailuresConfig, loginAfterFailuresRule as rule } from './login-after-failures.js';
import { type Case, ev, judge, min, problemsOf, T0 } from './test-kit.js';

const fail = (minutes: number, ip = '45.155.205.1', user = 'u1') => ev('login.failed', { occurredAt: min(minutes), ip, user });
const login = (minutes = 0) => ev('login.succeeded', { occurredAt: min(minutes), ip: '45.155.205.1' });
const failures = [fail(-8), fail(-6, '45.155.205.2'), fail(-4), fail(-3), fail(-2, '45.155.205.2'), fail(-1)];

const cases: Case<LoginAfterFailuresConfig>[] = [
  {
    name: 'a login after 6 failures: high',
    past: failures,
    event: login(),
    hit: {
      severity: 'high',
      message: 'Successful login right after 6 failed logins in 8 min',
      evidence: expect.objectContaining({ failedLogins: 6, distinctIps: 2, loginIpAmongFailures: true, windowMinutes: 10 }),
      relatedEventIds: failures.map((e) => e.id),
      suggestedActions: ['confirm_with_user_by_otp', 'reset_password'],
    },
  },
  {
    name: 'exactly 5 failures fire',
    past: failures.slice(1),
    event: login(),
    hit: { message: 'Successful login right after 5 failed logins in 6 min' },
  },
  { name: '4 failures do not', past: failures.slice(2), event: login(), hit: undefined },
  {
    name: 'oldest failure exactly at the window edge counts',
    past: [ev('login.failed', { occurredAt: T0 - 10 * 60_000 }), ...failures.slice(2)],
    event: login(),
    hit: { message: 'Successful login right after 5 failed logins in 10 min' },
  },
  {
    name: 'oldest failure 1 ms outside the window does not',
    past: [ev('login.failed', { occurredAt: T0 - 10 * 60_000 - 1 }), ...failures.slice(2)],
    event: login(),
    hit: undefined,
  },
  {
    name: "the owner's own login in the middle does not reset the count",
    past: [...failures.slice(0, 3), login(-3.5), ...failures.slice(3)],
    event: login(),
    hit: { message: 'Successful login right after 6 failed logins in 8 min' },
  },
  {
    name: "other users' failures do not count",
    past: [...failures.slice(2), fail(-1, '1.1.1.1', 'u2')],
    event: login(),
    hit: undefined,
  },
  { name: 'a failed login is not judged', past: failures, event: fail(0), hit: undefined },
  {
    name: 'out of order: failures after a late login do not count',
    past: [...failures.slice(2), fail(1), fail(2), fail(3)],
    event: login(),
    hit: undefined,
  },
  { name: 'threshold from the config', past: failures.slice(4), event: login(), config: { minFailures: 2 }, hit: { severity: 'high' } },
];

describe('login-after-failures', () => {
  it.each(cases)('$name', (c) => {
    const hit = judge(rule, c);
    if (c.hit === undefined) expect(hit).toBeUndefined();
    else expect(hit && { ...hit, problems: problemsOf(hit) }).toMatchObject({ ...c.hit, problems: [] });
  });
});
