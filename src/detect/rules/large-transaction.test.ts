import { describe, expect, it } from 'vitest';
import { HOUR } from '../../core/time.js';
import type { Novelty } from '../../domain/activity-event.js';
import { type LargeTransactionConfig, largeTransactionRule as rule } from './large-transaction.js';
import { type Case, ev, familiar, judge, problemsOf, T0, times } from './test-kit.js';

const tx = (amount: number, currency = 'EUR', novelty: Partial<Novelty> = {}, at = T0) =>
  ev('transaction', { amount, currency, occurredAt: at, novelty });
/** `n` earlier transactions of `amount`, one an hour before T0. */
const usual = (n: number, amount = 200, currency = 'EUR') => times(n, (i) => tx(amount, currency, {}, T0 - (n - i) * HOUR));

const cases: Case<LargeTransactionConfig>[] = [
  {
    name: '9.5× the median from a new device: high',
    past: usual(12),
    event: tx(1899, 'EUR', { newDevice: true }),
    hit: {
      severity: 'high',
      message: "Transaction of 1,899.00 EUR is 9.5× this account's median (200.00 EUR over 12 transactions), from a new device",
      evidence: expect.objectContaining({ amount: 1899, median: 200, ratioToMedian: 9.5, earlierTransactions: 12, overLimit: false }),
      suggestedActions: ['review_transaction', 'confirm_with_user_by_otp'],
    },
  },
  {
    name: 'the same from a known device and country: low (an alert, no challenge)',
    past: usual(12),
    event: tx(1899),
    hit: { severity: 'low', message: "Transaction of 1,899.00 EUR is 9.5× this account's median (200.00 EUR over 12 transactions)" },
  },
  {
    name: 'from a new device and a new country',
    past: usual(12),
    event: tx(1899, 'EUR', { newDevice: true, newCountry: true }),
    hit: { severity: 'high', message: expect.stringMatching(/, from a new device and a new country$/) },
  },
  { name: 'exactly 5× the median does not fire', past: usual(6), event: tx(1000), hit: undefined },
  {
    name: 'just above 5× the median fires',
    past: usual(6),
    event: tx(1000.01),
    hit: { severity: 'low', message: expect.stringContaining('5× this') },
  },
  { name: 'exactly 20× the median from a familiar context: still low', past: usual(6), event: tx(4000), hit: { severity: 'low' } },
  { name: 'just above 20× the median from a familiar context: medium', past: usual(6), event: tx(4000.01), hit: { severity: 'medium' } },
  { name: '4 earlier transactions are too few for a median', past: usual(4), event: tx(1899), hit: undefined },
  {
    name: '5 earlier transactions are enough',
    past: usual(5),
    event: tx(1899),
    hit: { message: "Transaction of 1,899.00 EUR is 9.5× this account's median (200.00 EUR over 5 transactions)" },
  },
  {
    name: 'the median of an even count is the mean of the middle two',
    past: [100, 200, 300, 400, 500, 600].map((a, i) => tx(a, 'EUR', {}, T0 - (6 - i) * HOUR)),
    event: tx(1800),
    hit: { message: "Transaction of 1,800.00 EUR is 5.1× this account's median (350.00 EUR over 6 transactions)" },
  },
  { name: 'transactions in another currency are not a baseline', past: usual(12, 200, 'USD'), event: tx(1899), hit: undefined },
  { name: 'a median of 0 is no baseline', past: usual(6, 0), event: tx(50), hit: undefined },
  { name: 'exactly at the EUR limit does not fire', event: tx(5000), hit: undefined },
  {
    name: 'above the EUR limit fires without any history',
    event: tx(5000.01),
    hit: {
      severity: 'medium',
      message: 'Transaction of 5,000.01 EUR is above the 5,000.00 EUR limit',
      evidence: expect.objectContaining({ limit: 5000, median: null }),
    },
  },
  {
    name: 'GBP has its own limit',
    event: tx(4000.01, 'GBP'),
    hit: { message: 'Transaction of 4,000.01 GBP is above the 4,000.00 GBP limit' },
  },
  {
    name: 'other currencies take the default limit, when one is configured',
    event: tx(5000.5, 'SEK'),
    config: { absoluteLimits: { EUR: 5000, default: 5000 } },
    hit: { message: 'Transaction of 5,000.50 SEK is above the 5,000.00 SEK limit' },
  },
  { name: 'no default limit: other currencies have none', event: tx(1e9, 'CHF'), config: { absoluteLimits: { EUR: 100 } }, hit: undefined },
  { name: 'by default a currency without a limit of its own has none (5,000 JPY is a lunch)', event: tx(5001, 'JPY'), hit: undefined },
  {
    name: 'above the limit and the median',
    past: usual(12),
    event: tx(6000, 'EUR', { newCountry: true }),
    hit: {
      severity: 'high',
      message:
        "Transaction of 6,000.00 EUR is above the 5,000.00 EUR limit and 30× this account's median (200.00 EUR over 12 transactions), from a new country",
    },
  },
  {
    name: 'out of order: transactions after a late one are not its baseline',
    past: times(12, (i) => tx(200, 'EUR', {}, T0 + (i + 1) * 60_000)),
    event: tx(1899),
    hit: undefined,
  },
  {
    name: 'multiplier and history from the config',
    past: usual(2),
    event: tx(500),
    config: { multiplier: 2, minHistory: 2 },
    hit: { message: "Transaction of 500.00 EUR is 2.5× this account's median (200.00 EUR over 2 transactions)" },
  },
  { name: 'a failed payment is not judged', event: ev('payment.failed', { amount: 9999, currency: 'EUR' }), hit: undefined },
  { name: 'a transaction without an amount is not judged', event: ev('transaction'), hit: undefined },
];

describe('large-transaction', () => {
  it.each(cases)('$name', (c) => {
    const hit = judge(rule, c);
    if (c.hit === undefined) expect(hit).toBeUndefined();
    else expect(hit && { ...hit, problems: problemsOf(hit) }).toMatchObject({ ...c.hit, problems: [] });
  });
});

/** Other accounts' purchases: `n` of `amount` (the population's typical basket), before T0. */
const everyone = (n: number, amount = 40, currency = 'EUR', attributes?: Record<string, unknown>) =>
  times(n, (i) =>
    ev('transaction', { user: `shopper${i}`, amount, currency, occurredAt: T0 - (i + 1) * 60_000, ...(attributes && { attributes }) }),
  );
/** A purchase from a device first seen `ageMinutes` before (at its login), never proven. */
const onDevice = (amount: number, ageMinutes: number, extra: Parameters<typeof ev>[1] = {}) =>
  ev('transaction', { amount, currency: 'EUR', device: 'phone', familiarity: { device: familiar(ageMinutes) }, ...extra });

const withLittleHistory: Case<LargeTransactionConfig>[] = [
  {
    name: "little history: 37× the population's typical basket, from a device first seen 4 min before: high",
    past: [...everyone(60), ...usual(2, 40)],
    event: onDevice(1480, 4),
    hit: {
      severity: 'high',
      message:
        'Transaction of 1,480.00 EUR is 37× the typical transaction of all accounts (40.00 EUR), with 2 earlier transactions of its own, from a device first seen 4 min before',
      evidence: expect.objectContaining({ populationMedian: 40, ratioToPopulation: 37, recentDevice: true, deviceAgeMs: 4 * 60_000 }),
    },
  },
  {
    name: 'the same from a device the account trusts: low, an alert but no challenge',
    past: [...everyone(60), ...usual(2, 40)],
    event: onDevice(1480, 60 * 24 * 30, { familiarity: { device: familiar(60 * 24 * 30, { days: 12 }) } }),
    hit: { severity: 'low' },
  },
  {
    name: "a brand-new account's first order, 37× everyone's basket: low, its device is the account's own",
    past: everyone(60),
    event: onDevice(1480, 0, { novelty: { hasHistory: false, newDevice: true, newCountry: true, newNetwork: true } }),
    hit: { severity: 'low', evidence: expect.objectContaining({ newDevice: false, recentDevice: false }) },
  },
  {
    name: "against the population alone, a new device on the account's trusted home network: medium (a new phone at home)",
    past: [...everyone(60), ...usual(2, 40)],
    event: onDevice(1480, 4, { familiarity: { device: familiar(4), network: familiar(60 * 24 * 30, { days: 20 }) } }),
    hit: { severity: 'medium', evidence: expect.objectContaining({ homeNetwork: true, recentDevice: true }) },
  },
  {
    name: "its own median on the same home network: still high (the account's own history is strong evidence)",
    past: usual(12),
    event: onDevice(1899, 4, { familiarity: { device: familiar(4), network: familiar(60 * 24 * 30, { days: 20 }) } }),
    hit: { severity: 'high' },
  },
  { name: 'exactly 15× the population does not fire', past: everyone(60), event: onDevice(600, 4), hit: undefined },
  { name: 'just above 15× the population fires', past: everyone(60), event: onDevice(600.01, 4), hit: { severity: 'high' } },
  { name: 'fewer than 50 purchases of everyone are no baseline', past: everyone(49), event: onDevice(1480, 4), hit: undefined },
  {
    name: 'a merchant category has its own baseline when events carry one',
    past: [...everyone(60, 40), ...everyone(60, 300, 'EUR', { merchantCategory: 'electronics' })],
    event: onDevice(4000, 4, { attributes: { merchantCategory: 'electronics' } }),
    hit: undefined,
  },
  {
    name: 'an account with its own history is judged by its own median, not the population',
    past: [...everyone(60), ...usual(6, 1000)],
    event: onDevice(1480, 4),
    hit: undefined,
  },
  {
    name: 'its own median, 9.5×, from a device first seen 10 min before: high (no longer "new", not trusted)',
    past: usual(12),
    event: onDevice(1899, 10),
    hit: { severity: 'high', message: expect.stringMatching(/, from a device first seen 10 min before$/) },
  },
  {
    name: 'a device first seen longer ago than recentDeviceMinutes is not recent',
    past: usual(12),
    event: onDevice(1899, 24 * 60),
    hit: { severity: 'low', evidence: expect.objectContaining({ recentDevice: false }) },
  },
  {
    name: 'a device proven by a code is not recent',
    past: usual(12),
    event: onDevice(1899, 10, { familiarity: { device: familiar(10, { proven: true }) } }),
    hit: { severity: 'low', evidence: expect.objectContaining({ recentDevice: false }) },
  },
];

describe('large-transaction: little history and device age', () => {
  it.each(withLittleHistory)('$name', (c) => {
    const hit = judge(rule, c);
    if (c.hit === undefined) expect(hit).toBeUndefined();
    else expect(hit && { ...hit, problems: problemsOf(hit) }).toMatchObject({ ...c.hit, problems: [] });
  });
});
