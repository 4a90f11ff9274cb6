import { describe, expect, it } from 'vitest';
import type { EventType } from '../../ingest/event-schema.js';
import { type AccountTakeoverChainConfig, accountTakeoverChainRule as rule } from './account-takeover-chain.js';
import { type Case, ev, judge, min, problemsOf, T0 } from './test-kit.js';

const change = (type: EventType, minutes: number, user = 'u1') => ev(type, { occurredAt: min(minutes), user, device: 'laptop' });
/** `amount` null: a transaction that carries no amount. */
const purchase = (newDevice: boolean | null = true, amount: number | null = 1899) =>
  ev('transaction', { device: 'phone-x', novelty: { newDevice }, ...(amount !== null && { amount, currency: 'EUR' }) });
const passwordChange = change('password.changed', -5);

const cases: Case<AccountTakeoverChainConfig>[] = [
  {
    name: 'password changed, then a purchase from a new device: critical and blocked',
    past: [passwordChange],
    event: purchase(),
    hit: {
      severity: 'critical',
      decision: 'block',
      message: 'Transaction of 1,899.00 EUR from a new device 5 min after the password was changed',
      evidence: expect.objectContaining({
        change: 'password.changed',
        sinceChangeMs: 5 * 60_000,
        changes: 1,
        device: 'phone-x',
        changeDevice: 'laptop',
      }),
      relatedEventIds: [passwordChange.id],
      suggestedActions: ['lock_account', 'reset_password', 'confirm_with_user_by_otp'],
    },
  },
  {
    name: 'email changed',
    past: [change('email.changed', -20)],
    event: purchase(),
    hit: { message: 'Transaction of 1,899.00 EUR from a new device 20 min after the email address was changed' },
  },
  {
    name: 'both changed: the latest is named, both are related',
    past: [change('email.changed', -30), change('password.changed', -10)],
    event: purchase(),
    hit: { message: expect.stringContaining('10 min after the password was changed'), evidence: expect.objectContaining({ changes: 2 }) },
  },
  { name: 'a known device is not a takeover', past: [passwordChange], event: purchase(false), hit: undefined },
  { name: 'an unknown device (no device sent) is not new', past: [passwordChange], event: purchase(null), hit: undefined },
  { name: 'a new device without a change is not a takeover', past: [change('login.succeeded', -5)], event: purchase(), hit: undefined },
  {
    name: 'a change exactly at the window edge counts',
    past: [change('password.changed', -60)],
    event: purchase(),
    hit: { message: 'Transaction of 1,899.00 EUR from a new device 1 h after the password was changed' },
  },
  {
    name: 'a change 1 ms outside the window does not',
    past: [ev('password.changed', { occurredAt: T0 - 60 * 60_000 - 1 })],
    event: purchase(),
    hit: undefined,
  },
  {
    name: 'out of order: a change after a late purchase does not count',
    past: [change('password.changed', 5)],
    event: purchase(),
    hit: undefined,
  },
  { name: "another user's change does not count", past: [change('password.changed', -5, 'u2')], event: purchase(), hit: undefined },
  {
    name: 'a transaction without an amount',
    past: [passwordChange],
    event: purchase(true, null),
    hit: { message: 'Transaction from a new device 5 min after the password was changed' },
  },
  {
    name: 'window from the config',
    past: [change('password.changed', -90)],
    event: purchase(),
    config: { windowMinutes: 120 },
    hit: { message: expect.stringContaining('1 h 30 min after the password') },
  },
  {
    name: 'a failed payment is not judged',
    past: [passwordChange],
    event: ev('payment.failed', { novelty: { newDevice: true } }),
    hit: undefined,
  },
];

describe('account-takeover-chain', () => {
  it.each(cases)('$name', (c) => {
    const hit = judge(rule, c);
    if (c.hit === undefined) expect(hit).toBeUndefined();
    else expect(hit && { ...hit, problems: problemsOf(hit) }).toMatchObject({ ...c.hit, problems: [] });
  });
});
