import { describe, expect, it } from 'vitest';
import { EMPTY_BASELINE, FEATURES, type PopulationBaseline } from '../anomaly/model-kinds.js';
import { HOUR } from '../core/time.js';
import {
  describeFeature,
  encode,
  extractFeatures,
  type FeatureRow,
  formatUsualHours,
  hourCounts,
  hoursOutside,
  MIN_ACCOUNT_HISTORY,
  usualHours,
} from './behaviour-features.js';
import { ev, historyOf, T0 } from './rules/test-kit.js';

const DAY = 24 * HOUR;
/** Midnight UTC of T0's day: T0 itself is 10:00. */
const MIDNIGHT = T0 - 10 * HOUR;
const at = (daysAgo: number, hour: number) => MIDNIGHT - daysAgo * DAY + hour * HOUR;

const LONDON = { country: 'GB', city: 'London', latitude: 51.51, longitude: -0.09, accuracyKm: 50 };
const RIO = { country: 'BR', city: 'Rio de Janeiro', latitude: -22.91, longitude: -43.17, accuracyKm: 50 };
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0';

/** Named values of a row: what a reader checks, rather than column positions. */
const named = (row: FeatureRow | undefined) =>
  Object.fromEntries((FEATURES[row?.kind ?? 'login'] as readonly string[]).map((f, i) => [f, row?.values[i]]));

/** Twenty days of logins between 08:00 and 18:00 from London on one laptop. */
const habits = Array.from({ length: 20 }, (_, d) =>
  ev('login.succeeded', {
    occurredAt: at(21 - d, 8 + (d % 11)),
    device: 'laptop',
    userAgent: CHROME,
    geo: LONDON,
  }),
);

const population: PopulationBaseline = {
  loginHours: Array.from({ length: 24 }, (_, h) => (h >= 6 && h < 22 ? 100 : 1)),
  medianAmounts: { EUR: 40 },
};

describe('usual hours', () => {
  it.each([
    [
      'daytime logins',
      [8, 8, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 18, 18, 9, 10, 12, 14, 16],
      { start: 8, hours: 11 },
      '08:00–19:00 UTC',
    ],
    ['around midnight', [23, 23, 0, 1, 1, 0, 23, 0, 1, 0], { start: 23, hours: 3 }, '23:00–02:00 UTC'],
    ['one odd night out of twenty stays outside', [...Array(19).fill(9), 3], { start: 9, hours: 1 }, '09:00–10:00 UTC'],
  ])('%s', (_name, hours, expected, text) => {
    const u = usualHours(hourCounts(hours.map((h) => h * 60 + 5)));
    expect(u).toEqual(expected);
    expect(formatUsualHours(u as NonNullable<typeof u>)).toBe(text);
  });

  it('is unknown without logins', () => {
    expect(usualHours(hourCounts([]))).toBeUndefined();
  });

  it.each([
    [10.5, { start: 8, hours: 11 }, 0],
    [19.0, { start: 8, hours: 11 }, 0],
    [3.2, { start: 8, hours: 11 }, 4.8],
    [20.5, { start: 8, hours: 11 }, 1.5],
    [20.5, { start: 23, hours: 3 }, 2.5],
    [12, { start: 0, hours: 24 }, 0],
  ])('%s h is %s h outside %o', (hour, usual, expected) => {
    expect(hoursOutside(hour, usual)).toBeCloseTo(expected, 6);
  });
});

describe('login features', () => {
  it("measure a login against the account's own habits", () => {
    const history = historyOf([
      ...habits,
      ev('login.succeeded', { occurredAt: at(1, 18), device: 'laptop', userAgent: CHROME, geo: LONDON }),
      ev('login.failed', { occurredAt: at(0, 3) - 20 * 60_000 }),
      ev('login.failed', { occurredAt: at(0, 3) - 10 * 60_000 }),
    ]);
    const row = extractFeatures(
      ev('login.succeeded', {
        occurredAt: at(0, 3.2),
        device: 'tablet-x',
        userAgent: 'Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Safari/604.1',
        geo: RIO,
        network: '200.147.35.0/24',
        novelty: { newDevice: true, newCountry: true, newNetwork: true },
      }),
      history,
      population,
    );
    const v = named(row);
    expect(row?.context.basis).toBe('account');
    expect(v.hoursFromUsual).toBeCloseTo(4.8, 6);
    expect([v.newDevice, v.newCountry, v.newNetwork, v.userAgentChanged]).toEqual([1, 1, 1, 1]);
    expect(v.kmFromLastLogin).toBeGreaterThan(9200);
    expect(v.kmFromLastLogin).toBeLessThan(9300);
    // The last login was at 18:00 the day before, 9.2 h earlier; both accuracy radii come off the distance.
    expect(v.kmhFromLastLogin).toBeCloseTo(((v.kmFromLastLogin as number) - 100) / 9.2, 6);
    expect(v.failuresInHourBefore).toBe(2);
  });

  it('give an ordinary login ordinary values', () => {
    const row = extractFeatures(
      ev('login.succeeded', { occurredAt: at(0, 9.5), device: 'laptop', userAgent: CHROME, geo: LONDON }),
      historyOf(habits),
      population,
    );
    expect(Object.values(named(row))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it(`compare an account with fewer than ${MIN_ACCOUNT_HISTORY} logins with the population, and ignore what only its own past could make new`, () => {
    const row = extractFeatures(
      ev('login.succeeded', {
        occurredAt: at(0, 3.5),
        device: 'first-phone',
        geo: RIO,
        novelty: { hasHistory: false, newDevice: true, newCountry: true, newNetwork: true },
      }),
      historyOf(habits.slice(0, MIN_ACCOUNT_HISTORY - 1)),
      population,
    );
    const v = named(row);
    expect(row?.context.basis).toBe('population');
    expect(row?.context.usualHours).toEqual({ start: 6, hours: 15 });
    expect(v.hoursFromUsual).toBeCloseTo(2.5, 6);
    expect([v.newDevice, v.newCountry, v.newNetwork, v.userAgentChanged]).toEqual([0, 0, 0, 0]);
    // Distance needs no habits: it is kept.
    expect(v.kmFromLastLogin).toBeGreaterThan(9000);
  });

  it('measure nothing against a later login (a late event)', () => {
    const row = extractFeatures(ev('login.succeeded', { occurredAt: at(30, 9), geo: RIO }), historyOf(habits), population);
    expect(named(row).kmFromLastLogin).toBe(0);
    expect(named(row).kmhFromLastLogin).toBe(0);
  });
});

describe('transaction features', () => {
  const purchases = Array.from({ length: 8 }, (_, i) =>
    ev('transaction', { occurredAt: at(10 - i, 12), amount: 90 + i * 5, currency: 'EUR', merchant: i % 2 ? 'books' : 'fashion' }),
  );

  it("measure the amount against the account's median, and the wait since its last purchase", () => {
    const row = extractFeatures(
      ev('transaction', {
        occurredAt: at(3, 12.25),
        amount: 1_999,
        currency: 'EUR',
        merchant: 'gift-cards',
        novelty: { newDevice: true },
      }),
      historyOf(purchases),
      EMPTY_BASELINE,
    );
    const v = named(row);
    expect(row?.context).toMatchObject({ basis: 'account', usualAmount: 107.5, usualAmountOf: 'account' });
    expect(v.amountToUsual).toBeCloseTo(2000 / 108.5, 6);
    expect(v.hoursSinceLastTransaction).toBeCloseTo(0.25, 6);
    expect([v.newMerchant, v.newDevice]).toEqual([1, 1]);
  });

  it('use the population median for an account with too few purchases, and the median of nothing for an unknown currency', () => {
    const few = historyOf(purchases.slice(0, 2));
    const eur = extractFeatures(
      ev('transaction', { occurredAt: at(0, 9), amount: 399, currency: 'EUR', merchant: 'new' }),
      few,
      population,
    );
    expect(named(eur)).toMatchObject({ amountToUsual: 400 / 41, newMerchant: 0, newDevice: 0 });
    expect(eur?.context).toMatchObject({ basis: 'population', usualAmountOf: 'population' });
    expect(describeFeature('amountToUsual', 400 / 41, eur?.context as FeatureRow['context'])).toBe(
      '399.00 EUR is 9.8× the median of 40.00 EUR',
    );
    const jpy = extractFeatures(ev('transaction', { occurredAt: at(0, 9), amount: 5000, currency: 'JPY' }), few, population);
    expect(named(jpy).amountToUsual).toBe(1);
  });

  it('treat a first purchase as 90 days after the last', () => {
    const row = extractFeatures(ev('transaction', { amount: 10, currency: 'EUR' }), historyOf([]), population);
    expect(named(row).hoursSinceLastTransaction).toBe(90 * 24);
  });
});

describe('encoding and wording', () => {
  it('log-scales heavy-tailed values and keeps the rest', () => {
    const login = encode('login', Float64Array.of(4.8, 1, 0, 1, 9_000, 780, 3, 1));
    expect(Array.from(login)).toEqual([4.8, 1, 0, 1, Math.log1p(9_000), Math.log1p(780), Math.log1p(3), 1]);
    const purchase = encode('transaction', Float64Array.of(10, 0.25, 1, 0));
    expect(Array.from(purchase)).toEqual([Math.log(10), Math.log1p(0.25), 1, 0]);
  });

  it('scores only logins and transactions', () => {
    for (const type of ['login.failed', 'page.viewed', 'password.changed', 'payment.failed'] as const) {
      expect(extractFeatures(ev(type), historyOf(habits), population)).toBeUndefined();
    }
  });

  it('names remarkable values in words, and leaves ordinary ones out', () => {
    const ctx = {
      basis: 'account' as const,
      minuteOfDay: 3 * 60 + 12,
      usualHours: { start: 8, hours: 11 },
      country: 'BR',
      device: 'tablet-x',
      lastLoginPlace: 'London, GB',
      amount: 1999,
      currency: 'EUR',
      usualAmount: 107.5,
      usualAmountOf: 'account' as const,
      merchant: 'gift-cards',
    };
    expect(describeFeature('hoursFromUsual', 4.8, ctx)).toBe("03:12 UTC is 4.8 h outside this account's usual 08:00–19:00 UTC");
    expect(describeFeature('hoursFromUsual', 0, ctx)).toBeUndefined();
    expect(describeFeature('newCountry', 1, ctx)).toBe('new country (BR)');
    expect(describeFeature('newCountry', 0, ctx)).toBeUndefined();
    expect(describeFeature('kmFromLastLogin', 9_263.4, ctx)).toBe('9,263 km from the last login (London, GB)');
    expect(describeFeature('kmhFromLastLogin', 780, ctx)).toBe('780 km/h from the last login');
    expect(describeFeature('failuresInHourBefore', 1, ctx)).toBe('1 failed login in the hour before');
    expect(describeFeature('amountToUsual', 18.4, ctx)).toBe("1,999.00 EUR is 18.4× this account's median of 107.50 EUR");
    expect(describeFeature('amountToUsual', 1.2, ctx)).toBeUndefined();
    expect(describeFeature('hoursSinceLastTransaction', 0.05, ctx)).toBe('3 min after the previous transaction');
    expect(describeFeature('newMerchant', 1, ctx)).toBe('new merchant (gift-cards)');
    expect(describeFeature('hoursFromUsual', 2.5, { ...ctx, basis: 'population', usualHours: { start: 6, hours: 15 } })).toBe(
      '03:12 UTC is 2.5 h outside the usual hours of all accounts, 06:00–21:00 UTC',
    );
  });
});
