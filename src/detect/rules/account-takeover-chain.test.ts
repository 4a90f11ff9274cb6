import { describe, expect, it } from 'vitest';
import type { EventType } from '../../domain/event-schema.js';
import { type AccountTakeoverChainConfig, accountTakeoverChainRule as rule } from './account-takeover-chain.js';
import { type Case, ev, familiar, historyOf, judge, min, problemsOf, T0 } from './test-kit.js';

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
      message: 'Transaction of 1,899.00 EUR from an unfamiliar device 5 min after the password was changed',
      evidence: expect.objectContaining({
        change: 'password.changed',
        sinceChangeMs: 5 * 60_000,
        changes: 1,
        device: 'phone-x',
        deviceUntrusted: true,
        changeFromUntrustedSource: false,
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
    hit: { message: 'Transaction of 1,899.00 EUR from an unfamiliar device 20 min after the email address was changed' },
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
    hit: { message: 'Transaction of 1,899.00 EUR from an unfamiliar device 1 h after the password was changed' },
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
    hit: { message: 'Transaction from an unfamiliar device 5 min after the password was changed' },
  },
  {
    name: 'window from the config',
    past: [change('password.changed', -90)],
    event: purchase(),
    config: { untrustedPaymentMinutes: 120 },
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

/** The attacker's device: first seen at its login `age` minutes before T0, never proven. */
const attacker = (type: EventType, minutes: number, extra: Parameters<typeof ev>[1] = {}) =>
  ev(type, {
    occurredAt: min(minutes),
    device: 'evil-phone',
    session: 'evil-session',
    familiarity: { device: familiar(12 + minutes) },
    ...extra,
  });
const owners = (type: EventType, minutes: number, extra: Parameters<typeof ev>[1] = {}) =>
  ev(type, { occurredAt: min(minutes), device: 'home-laptop', familiarity: { device: familiar(90 * 24 * 60, { days: 40 }) }, ...extra });
const spend = (extra: Parameters<typeof ev>[1] = {}) => attacker('transaction', 0, { amount: 2500, currency: 'EUR', ...extra });

const stories: Case<AccountTakeoverChainConfig>[] = [
  {
    name: 'the textbook takeover: the device that changed the password pays, no longer new: critical',
    past: [attacker('login.succeeded', -9), attacker('password.changed', -7), attacker('email.changed', -6)],
    event: spend(),
    hit: {
      severity: 'critical',
      decision: 'block',
      message: expect.stringMatching(
        /^Transaction of 2,500\.00 EUR from an unfamiliar device 6 min after the email address was changed from a device first seen 6 min before$/,
      ),
      evidence: expect.objectContaining({ changeFromUntrustedSource: true, riskyChanges: 2, sameSession: true }),
    },
  },
  {
    name: 'MFA turned off from an untrusted device, then a purchase',
    past: [attacker('mfa.disabled', -3)],
    event: spend(),
    hit: { severity: 'critical', message: expect.stringContaining('after two-factor authentication was turned off') },
  },
  {
    name: "a payment method changed from an untrusted device, then a purchase from the owner's own laptop",
    past: [attacker('payment_method.changed', -3)],
    event: owners('transaction', 0, { amount: 40, currency: 'EUR' }),
    hit: {
      severity: 'critical',
      message: expect.stringMatching(/^Transaction of 40\.00 EUR 3 min after a payment method was changed from/),
    },
  },
  {
    name: 'change, then a login from another unfamiliar device: the story handed on',
    past: [attacker('password.changed', -4)],
    event: ev('login.succeeded', { device: 'other-box', familiarity: { device: familiar(0) } }),
    hit: {
      severity: 'critical',
      message: expect.stringMatching(/^Login from another unfamiliar device 4 min after the password was changed/),
    },
  },
  {
    name: 'change, then a login from the same untrusted device: not "elsewhere"',
    past: [attacker('password.changed', -4)],
    event: attacker('login.succeeded', 0),
    hit: undefined,
  },
  {
    name: 'change, then a login from a trusted device: the owner',
    past: [attacker('password.changed', -4)],
    event: owners('login.succeeded', 0),
    hit: undefined,
  },
  {
    name: 'the owner changes the password on the laptop, then buys on it: nothing',
    past: [owners('password.changed', -10)],
    event: owners('transaction', 0, { amount: 80, currency: 'EUR' }),
    hit: undefined,
  },
  {
    name: 'a device proven by a one-time code is trusted at once',
    past: [attacker('password.changed', -4, { familiarity: { device: familiar(8, { proven: true }) } })],
    event: attacker('transaction', 0, { amount: 80, currency: 'EUR', familiarity: { device: familiar(12, { proven: true }) } }),
    hit: undefined,
  },
  {
    name: 'an untrusted change 3 h before money moves still counts: the attacker holds the account for hours',
    past: [attacker('password.changed', -3 * 60)],
    event: owners('transaction', 0, { amount: 80, currency: 'EUR' }),
    hit: { severity: 'critical', message: expect.stringContaining('3 h after the password was changed') },
  },
  {
    name: 'an untrusted change more than the window (3 h) before does not count',
    past: [attacker('password.changed', -3 * 60 - 1)],
    event: owners('transaction', 0, { amount: 80, currency: 'EUR' }),
    hit: undefined,
  },
  {
    name: "a new phone on the account's trusted home network resets the password and buys: the owner's new phone, nothing",
    past: [owners('password.changed', -10)],
    event: attacker('transaction', 0, {
      amount: 80,
      currency: 'EUR',
      familiarity: { device: familiar(20), network: familiar(200 * 24 * 60, { days: 90 }) },
    }),
    hit: undefined,
  },
  {
    name: "a new phone on the account's trusted home network changes the password, then the owner buys on the laptop: nothing",
    past: [
      attacker('password.changed', -30, {
        familiarity: { device: familiar(0), network: familiar(200 * 24 * 60, { days: 90 }) },
      }),
    ],
    event: owners('transaction', 0, { amount: 80, currency: 'EUR' }),
    hit: undefined,
  },
];

describe('account-takeover-chain: the story across events', () => {
  it.each(stories)('$name', (c) => {
    const hit = judge(rule, c);
    if (c.hit === undefined) expect(hit).toBeUndefined();
    else expect(hit && { ...hit, problems: problemsOf(hit) }).toMatchObject({ ...c.hit, problems: [] });
  });

  it('a change that this story had already found suspicious counts, even from a device not otherwise untrusted', () => {
    const change = owners('email.changed', -5, { device: 'tablet' });
    const history = historyOf([change]);
    history.recordMark('u1', {
      eventId: change.id,
      type: 'email.changed',
      occurredAt: change.occurredAt,
      risk: 35,
      severity: 'medium',
      rule: 'carried-risk',
      message: 'Email change 1 min after a suspicious login',
      device: 'tablet',
      alertId: 'alrt_story',
    });
    const hit = rule.evaluate(owners('transaction', 0, { amount: 60, currency: 'EUR' }), history, rule.defaults);
    expect(hit).toMatchObject({ severity: 'critical', continuesAlertId: 'alrt_story' });
  });
});
