import { describe, expect, it } from 'vitest';
import { type CardTestingConfig, cardTestingRule as rule } from './card-testing.js';
import { type Case, ev, judge, problemsOf, T0, times } from './test-kit.js';

const IP = '196.251.1.9';
interface Try {
  readonly secondsBefore: number;
  readonly amount?: number;
  readonly user?: string;
  readonly device?: string;
  readonly ip?: string;
  readonly card?: string;
}
const failed = ({ secondsBefore, amount = 1, user = 'u1', device = 'd-1', ip = IP, card }: Try) =>
  ev('payment.failed', {
    occurredAt: T0 - secondsBefore * 1000,
    amount,
    currency: 'GBP',
    user,
    device,
    ip,
    ...(card !== undefined && { paymentMethod: card }),
  });
/** `n` earlier failed payments, 84 s apart, ending 84 s before T0. */
const run = (n: number, vary: (i: number) => Partial<Try> = () => ({})) =>
  times(n, (i) => failed({ secondsBefore: 84 * (n - i), ...vary(i) }));

const cases: Case<CardTestingConfig>[] = [
  {
    name: '6 failed payments from one device, 5 small: high and blocked',
    past: run(5, (i) => (i === 0 ? { amount: 20 } : {})),
    event: failed({ secondsBefore: 0, amount: 2.5 }),
    hit: {
      severity: 'high',
      decision: 'block',
      subject: { kind: 'device', value: 'd-1' },
      message: '6 failed payments in 7 min from device d-1, 5 of them for 5 or less',
      evidence: expect.objectContaining({ failedPayments: 6, groupedBy: 'device', groupKey: 'd-1', smallAmounts: 5, distinctAccounts: 1 }),
      suggestedActions: ['block_ip', 'review_transaction'],
    },
  },
  {
    name: 'exactly 5 fire',
    past: run(4),
    event: failed({ secondsBefore: 0 }),
    hit: { message: '5 failed payments in 6 min from device d-1, 5 of them for 5 or less' },
  },
  { name: '4 do not', past: run(3), event: failed({ secondsBefore: 0 }), hit: undefined },
  {
    name: 'different cards in the run are counted and named',
    past: run(4, (i) => ({ card: `card_${i % 3}` })),
    event: failed({ secondsBefore: 0, card: 'card_9' }),
    hit: {
      message: '5 failed payments in 6 min from device d-1 with 4 different payment methods, 5 of them for 5 or less',
      evidence: expect.objectContaining({ distinctPaymentMethods: 4 }),
    },
  },
  {
    name: 'an amount exactly at the small limit is small; just above is not',
    past: run(4, (i) => ({ amount: i % 2 === 0 ? 5 : 5.01 })),
    event: failed({ secondsBefore: 0, amount: 5 }),
    hit: { message: '5 failed payments in 6 min from device d-1, 3 of them for 5 or less' },
  },
  {
    name: 'large amounts only: no small-amount clause',
    past: run(4, () => ({ amount: 300 })),
    event: failed({ secondsBefore: 0, amount: 300 }),
    hit: { message: '5 failed payments in 6 min from device d-1', evidence: expect.objectContaining({ smallAmounts: 0 }) },
  },
  {
    name: 'many accounts and devices behind one IP: about the IP',
    past: run(5, (i) => ({ user: `v${i}`, device: `d-${i + 10}` })),
    event: failed({ secondsBefore: 0, user: 'v5', device: 'd-99' }),
    hit: {
      subject: { kind: 'ip', value: IP },
      message: `6 failed payments in 7 min from IP ${IP}, 6 of them for 5 or less`,
      evidence: expect.objectContaining({ groupedBy: 'ip', distinctAccounts: 6 }),
    },
  },
  {
    name: 'one account across devices and IPs: about the account',
    past: run(5, (i) => ({ device: `d-${i + 10}`, ip: `10.0.0.${i}` })),
    event: failed({ secondsBefore: 0, device: 'd-99', ip: '10.0.0.99' }),
    hit: {
      message: '6 failed payments in 7 min on this account, 6 of them for 5 or less',
      evidence: expect.objectContaining({ groupedBy: 'user' }),
    },
  },
  {
    name: 'the largest group wins over the device',
    past: [...run(2), ...run(4, (i) => ({ user: `v${i}`, device: `d-${i + 10}` }))],
    event: failed({ secondsBefore: 0 }),
    hit: { subject: { kind: 'ip', value: IP }, evidence: expect.objectContaining({ failedPayments: 7 }) },
  },
  {
    name: 'oldest failure exactly at the window edge counts',
    past: [failed({ secondsBefore: 600 }), ...run(3)],
    event: failed({ secondsBefore: 0 }),
    hit: { message: '5 failed payments in 10 min from device d-1, 5 of them for 5 or less' },
  },
  {
    name: 'oldest failure 1 ms outside the window does not',
    past: [failed({ secondsBefore: 600.001 }), ...run(3)],
    event: failed({ secondsBefore: 0 }),
    hit: undefined,
  },
  {
    name: 'out of order: failures after a late one do not count',
    past: [...run(3), ...times(5, (i) => failed({ secondsBefore: -(i + 1) }))],
    event: failed({ secondsBefore: 0 }),
    hit: undefined,
  },
  {
    name: 'successful payments above the small amount do not count',
    past: [...run(3), ev('transaction', { occurredAt: T0 - 1000, amount: 5.01, currency: 'GBP', device: 'd-1', ip: IP })],
    event: failed({ secondsBefore: 0 }),
    hit: undefined,
  },
  {
    name: 'small charges that went through count with the failures: testers mix them in',
    past: [...run(3), ev('transaction', { occurredAt: T0 - 1000, amount: 5, currency: 'GBP', device: 'd-1', ip: IP })],
    event: failed({ secondsBefore: 0 }),
    hit: {
      severity: 'high',
      decision: 'block',
      message: expect.stringMatching(/^5 payment attempts \(4 failed, 1 small charge through\) in /),
      evidence: expect.objectContaining({ failedPayments: 4, attempts: 5 }),
    },
  },
  {
    name: 'a small charge can be the event that completes the run',
    past: run(4),
    event: ev('transaction', { occurredAt: T0, amount: 2, currency: 'GBP', device: 'd-1', ip: IP }),
    hit: { severity: 'high', evidence: expect.objectContaining({ failedPayments: 4, attempts: 5 }) },
  },
  {
    name: 'five cheap items bought in a row with one failure are not card testing',
    past: [
      ...times(3, (i) => ev('transaction', { occurredAt: T0 - (i + 2) * 1000, amount: 2, currency: 'GBP', device: 'd-1', ip: IP })),
      failed({ secondsBefore: 1 }),
    ],
    event: ev('transaction', { occurredAt: T0, amount: 3, currency: 'GBP', device: 'd-1', ip: IP }),
    hit: undefined,
  },
  { name: 'other event types are not judged', past: run(10), event: ev('login.succeeded', { device: 'd-1', ip: IP }), hit: undefined },
  {
    name: 'a transaction without an amount is not judged',
    past: run(10),
    event: ev('transaction', { device: 'd-1', ip: IP }),
    hit: undefined,
  },
  {
    name: 'threshold and small amount from the config',
    past: run(2, () => ({ amount: 9 })),
    event: failed({ secondsBefore: 0, amount: 9 }),
    config: { minFailures: 3, smallAmount: 10 },
    hit: { message: '3 failed payments in 3 min from device d-1, 3 of them for 10 or less' },
  },
];

describe('card-testing', () => {
  it.each(cases)('$name', (c) => {
    const hit = judge(rule, c);
    if (c.hit === undefined) expect(hit).toBeUndefined();
    else expect(hit && { ...hit, problems: problemsOf(hit) }).toMatchObject({ ...c.hit, problems: [] });
  });

  it('leaves the subject to the user when grouped by account', () => {
    const hit = judge(rule, {
      past: run(5, (i) => ({ device: `d-${i}`, ip: `10.0.0.${i}` })),
      event: failed({ secondsBefore: 0, device: 'x', ip: 'y' }),
    });
    expect(hit).toBeDefined();
    expect(hit?.subject).toBeUndefined();
  });
});
