import { describe, expect, it } from 'vitest';
import { HOUR } from '../../core/time.js';
import { type FrequentCredentialChangesConfig, frequentCredentialChangesRule as rule } from './frequent-credential-changes.js';
import { type Case, ev, judge, problemsOf, T0, times } from './test-kit.js';

const changed = (hoursBefore: number, user = 'u1') => ev('password.changed', { occurredAt: T0 - hoursBefore * HOUR, user });
/** `n` earlier password changes, 2 h apart, ending 2 h before T0. */
const earlier = (n: number) => times(n, (i) => changed(2 * (n - i)));

const cases: Case<FrequentCredentialChangesConfig>[] = [
  {
    name: '4 password changes in a day: medium',
    past: earlier(3),
    event: changed(0),
    hit: {
      severity: 'medium',
      message: '4 password changes in 6 h (more than 3 in 24 h)',
      evidence: expect.objectContaining({ passwordChanges: 4, maxChanges: 3, windowMinutes: 1440 }),
      suggestedActions: ['confirm_with_user_by_otp', 'enable_2fa'],
    },
  },
  { name: 'exactly 3 do not fire', past: earlier(2), event: changed(0), hit: undefined },
  {
    name: 'a change exactly at the window edge counts',
    past: [changed(24), ...earlier(2)],
    event: changed(0),
    hit: { message: '4 password changes in 24 h (more than 3 in 24 h)' },
  },
  {
    name: 'a change 1 ms outside the window does not',
    past: [ev('password.changed', { occurredAt: T0 - 24 * HOUR - 1 }), ...earlier(2)],
    event: changed(0),
    hit: undefined,
  },
  {
    name: 'email, two-factor and payment-method changes count with the passwords',
    past: [...earlier(1), ev('email.changed', { occurredAt: T0 - HOUR }), ev('mfa.disabled', { occurredAt: T0 - HOUR / 2 })],
    event: ev('payment_method.changed'),
    hit: {
      severity: 'medium',
      message: expect.stringMatching(
        /^4 credential changes in .* \(password, email, two-factor, payment method\) \(more than 3 in 24 h\)$/,
      ),
      evidence: expect.objectContaining({ changes: 4, passwordChanges: 1 }),
    },
  },
  {
    name: "three changes of any kind are an owner's day",
    past: [...earlier(1), ev('email.changed', { occurredAt: T0 - HOUR })],
    event: changed(0),
    hit: undefined,
  },
  {
    name: 'logins and purchases do not count',
    past: [...earlier(2), ev('login.succeeded', { occurredAt: T0 - HOUR })],
    event: changed(0),
    hit: undefined,
  },
  { name: "another user's changes do not count", past: [...earlier(2), changed(1, 'u2')], event: changed(0), hit: undefined },
  { name: 'out of order: later changes do not count', past: [...earlier(2), changed(-1), changed(-2)], event: changed(0), hit: undefined },
  { name: 'a login after many changes is not judged', past: earlier(5), event: ev('login.succeeded'), hit: undefined },
  {
    name: 'limit and window from the config',
    past: earlier(1),
    event: changed(0),
    config: { maxChanges: 1, windowMinutes: 180 },
    hit: { message: '2 password changes in 2 h (more than 1 in 3 h)' },
  },
];

describe('frequent-credential-changes', () => {
  it.each(cases)('$name', (c) => {
    const hit = judge(rule, c);
    if (c.hit === undefined) expect(hit).toBeUndefined();
    else expect(hit && { ...hit, problems: problemsOf(hit) }).toMatchObject({ ...c.hit, problems: [] });
  });
});
