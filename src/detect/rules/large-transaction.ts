import { type Static, Type } from '@sinclair/typebox';
import { HOUR } from '../../core/time.js';
import type { Rule, RuleHit } from '../rule.js';
import { formatDecimal, formatDuration, formatMoney, plural } from './format.js';

/** Amounts per ISO 4217 code (upper case, as ingestion stores them), with `default` for every other currency. */
export const currencyLimits = (description: string) =>
  Type.Record(Type.String({ pattern: '^([A-Z]{3}|default)$' }), Type.Number({ minimum: 0 }), {
    additionalProperties: false,
    maxProperties: 200,
    description,
  });

/** The limit for a currency: its own, else the default one, else none. */
export const limitFor = (limits: Readonly<Record<string, number>>, currency: string): number | undefined =>
  limits[currency] ?? limits.default;

export const LargeTransactionConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    absoluteLimits: currencyLimits('Amounts above these are flagged, per currency code, with `default` for the others.'),
    multiplier: Type.Number({
      minimum: 1,
      maximum: 1000,
      description: "Amounts above this many times the account's median transaction in the currency are flagged.",
    }),
    minHistory: Type.Integer({
      minimum: 1,
      maximum: 100,
      description: 'Earlier transactions in the currency the account needs before its median is used.',
    }),
    challengeMultiplier: Type.Number({
      minimum: 1,
      maximum: 1000,
      description:
        "From a familiar device and country, amounts above `multiplier` but at most this many times the account's median are low (an alert, no challenge); above it, medium.",
    }),
    populationMultiplier: Type.Number({
      minimum: 1,
      maximum: 1000,
      description:
        'For accounts with fewer than minHistory transactions: amounts above this many times the typical transaction of all accounts in the currency (and merchant category, when events carry attributes.merchantCategory) are flagged.',
    }),
    recentDeviceMinutes: Type.Integer({
      minimum: 1,
      maximum: 43_200,
      description:
        'A device the account first used less than this long ago, and never proven by a code or "this was me", makes a large amount high.',
    }),
  },
  { additionalProperties: false },
);
export type LargeTransactionConfig = Static<typeof LargeTransactionConfigSchema>;

/**
 * A transaction far above what this account usually spends, or above a fixed limit. More serious
 * from a device or country the account has not used before: the pattern of a taken-over account
 * being emptied.
 */
export const largeTransactionRule: Rule<LargeTransactionConfig> = {
  id: 'large-transaction',
  title: 'Unusually large transaction',
  description: "A transaction above a fixed limit, or many times the account's median transaction in that currency.",
  alertType: 'transaction',
  configSchema: LargeTransactionConfigSchema,
  defaults: {
    enabled: true,
    absoluteLimits: { EUR: 5000, USD: 5000, GBP: 4000, CHF: 5000 },
    multiplier: 5,
    challengeMultiplier: 20,
    minHistory: 5,
    populationMultiplier: 15,
    recentDeviceMinutes: 24 * 60,
  },
  // Alerts about one account's large transactions within an hour are one story.
  windowMs: () => HOUR,

  evaluate(event, history, config): RuleHit | undefined {
    const { amount, currency } = event;
    if (event.type !== 'transaction' || amount === undefined || currency === undefined) return undefined;

    const limit = limitFor(config.absoluteLimits, currency);
    const overLimit = limit !== undefined && amount > limit;
    const earlier = history.transactionAmounts(event.user, currency, event.occurredAt);
    const median = earlier.length >= config.minHistory ? medianOf(earlier) : undefined;
    // A median of 0 (free orders only) makes any paid order "infinitely" larger: no baseline to speak of.
    const overMedian = median !== undefined && median > 0 && amount > config.multiplier * median;
    // Too little history of its own: the account is compared with everyone's typical basket.
    const category = typeof event.attributes?.merchantCategory === 'string' ? event.attributes.merchantCategory : undefined;
    const population =
      median === undefined
        ? ((category !== undefined ? history.populationAmount?.(currency, category) : undefined) ?? history.populationAmount?.(currency))
        : undefined;
    const overPopulation = population !== undefined && population.median > 0 && amount > config.populationMultiplier * population.median;
    if (!overLimit && !overMedian && !overPopulation) return undefined;

    // An account with no history yet: everything is new, and its device is simply the account's own.
    const { hasHistory } = event.enrichment.novelty;
    const newDevice = hasHistory ? event.enrichment.novelty.newDevice : false;
    const newCountry = hasHistory ? event.enrichment.novelty.newCountry : false;
    const device = hasHistory ? event.enrichment.familiarity?.device : undefined;
    // Age rather than "new": the device that logged in four minutes ago is no longer new, but it is
    // not trusted either.
    const recentDevice =
      device != null && !device.proven && !device.trusted && device.ageMs < config.recentDeviceMinutes * 60_000 && newDevice !== true;
    const news = [
      newDevice === true && 'a new device',
      recentDevice && `a device first seen ${formatDuration(device.ageMs)} before`,
      newCountry === true && 'a new country',
    ].filter((s) => s !== false);
    const reasons: string[] = [];
    if (overLimit) reasons.push(`above the ${formatMoney(limit, currency)} limit`);
    if (overMedian) {
      reasons.push(
        `${formatDecimal(amount / median)}× this account's median (${formatMoney(median, currency)} over ${plural(earlier.length, 'transaction')})`,
      );
    }
    if (overPopulation) {
      reasons.push(
        `${formatDecimal(amount / population.median)}× the typical transaction of all accounts (${formatMoney(population.median, currency)}${category !== undefined ? ` in ${category}` : ''}), with ${plural(earlier.length, 'earlier transaction')} of its own`,
      );
    }
    // From a familiar device and country, a purchase a few times the usual one (a new phone, a
    // holiday) or big against the population alone (a new customer's first big order) is worth an
    // alert, not a challenge; the owner's own context makes it likely theirs.
    const farOverMedian = overMedian && amount > config.challengeMultiplier * median;
    // Against the population alone the amount says little of this account (a big spender's first
    // order looks the same): a new device on the account's own home network is a new phone, medium;
    // on a network it does not trust either, high.
    const homeNetwork = hasHistory && event.enrichment.familiarity?.network?.trusted === true;
    const weakAmount = !overLimit && !overMedian;
    const severity = news.length > 0 ? (weakAmount && homeNetwork ? 'medium' : 'high') : overLimit || farOverMedian ? 'medium' : 'low';
    return {
      severity,
      message: `Transaction of ${formatMoney(amount, currency)} is ${reasons.join(' and ')}${news.length > 0 ? `, from ${news.join(' and ')}` : ''}`,
      evidence: {
        amount,
        currency,
        limit: limit ?? null,
        overLimit,
        median: median ?? null,
        ratioToMedian: overMedian ? Math.round((amount / median) * 10) / 10 : null,
        earlierTransactions: earlier.length,
        multiplier: config.multiplier,
        populationMedian: population?.median ?? null,
        ratioToPopulation: overPopulation ? Math.round((amount / population.median) * 10) / 10 : null,
        newDevice: newDevice === true,
        deviceAgeMs: device?.ageMs ?? null,
        recentDevice,
        homeNetwork,
        newCountry: newCountry === true,
      },
      suggestedActions: ['review_transaction', 'confirm_with_user_by_otp'],
    };
  },
};

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}
