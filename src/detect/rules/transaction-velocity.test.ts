import { describe, expect, it } from 'vitest';
import { type Case, ev, judge, min, problemsOf, T0, times } from './test-kit.js';
import { transactionVelocityRule as rule, type TransactionVelocityConfig } from './transaction-velocity.js';

const tx = (minutes: number, amount = 20, currency = 'EUR') => ev('transaction', { occurredAt: min(minutes), amount, currency });
/** `n` earlier transactions, one every 5 minutes, the last 5 minutes before T0. */
const every5 = (n: number, amount = 20, currency = 'EUR') => times(n, (i) => tx(-5 * (n - i), amount, currency));

const cases: Case<TransactionVelocityConfig>[] = [
  {
    name: '11 transactions in an hour: medium',
    past: every5(10),
    event: tx(0),
    hit: {
      severity: 'medium',
      message: '11 transactions in 50 min (limit 10)',
      evidence: expect.objectContaining({ transactions: 11, maxCount: 10, sum: 220, currency: 'EUR' }),
      suggestedActions: ['review_transaction'],
    },
  },
  { name: 'exactly 10 do not fire', past: every5(9), event: tx(0), hit: undefined },
  {
    name: 'a total above the limit in one currency',
    past: every5(2, 4000),
    event: tx(0, 2000.01),
    hit: {
      message: '3 transactions totalling 10,000.01 EUR in 10 min (limit 10,000.00 EUR)',
      evidence: expect.objectContaining({ sum: 10000.01 }),
    },
  },
  { name: 'a total exactly at the limit does not fire', past: every5(2, 4000), event: tx(0, 2000), hit: undefined },
  { name: 'one large transaction alone is left to large-transaction', event: tx(0, 50_000), hit: undefined },
  { name: 'currencies are not added together', past: every5(2, 4500, 'USD'), event: tx(0, 2000), hit: undefined },
  {
    name: 'both limits, one currency',
    past: every5(10, 1000),
    event: tx(0, 1000),
    hit: { message: '11 transactions totalling 11,000.00 EUR in 50 min (limits 10 and 10,000.00 EUR)' },
  },
  {
    name: 'both limits, mixed currencies',
    past: [...every5(5, 10, 'USD'), ...times(5, (i) => tx(-4 - i, 2000))],
    event: tx(0, 1000),
    hit: { message: '11 transactions in 25 min, 6 of them totalling 11,000.00 EUR (limits 10 and 10,000.00 EUR)' },
  },
  {
    name: 'per-currency limits from the config',
    past: every5(1, 300, 'GBP'),
    event: tx(0, 300, 'GBP'),
    config: { maxSumPerCurrency: { GBP: 500, default: 10_000 } },
    hit: { message: '2 transactions totalling 600.00 GBP in 5 min (limit 500.00 GBP)' },
  },
  {
    name: 'oldest transaction exactly at the window edge counts',
    past: [tx(-60), ...every5(9)],
    event: tx(0),
    hit: { message: '11 transactions in 1 h (limit 10)' },
  },
  {
    name: 'oldest transaction 1 ms outside the window does not',
    past: [ev('transaction', { occurredAt: T0 - 60 * 60_000 - 1, amount: 20, currency: 'EUR' }), ...every5(9)],
    event: tx(0),
    hit: undefined,
  },
  {
    name: 'out of order: later transactions do not count',
    past: [...every5(5), ...times(10, (i) => tx(i + 1))],
    event: tx(0),
    hit: undefined,
  },
  {
    name: 'failed payments do not count',
    past: [...every5(9), ev('payment.failed', { occurredAt: min(-1) })],
    event: tx(0),
    hit: undefined,
  },
  { name: 'other event types are not judged', past: every5(20), event: ev('payment.failed'), hit: undefined },
];

describe('transaction-velocity', () => {
  it.each(cases)('$name', (c) => {
    const hit = judge(rule, c);
    if (c.hit === undefined) expect(hit).toBeUndefined();
    else expect(hit && { ...hit, problems: problemsOf(hit) }).toMatchObject({ ...c.hit, problems: [] });
  });
});
