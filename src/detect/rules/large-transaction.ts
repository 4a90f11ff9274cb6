import { type Static, Type } from '@sinclair/typebox';
import { HOUR, type Rule, type RuleHit } from '../rule.js';
import { formatDecimal, formatMoney, plural } from './format.js';

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
  defaults: { enabled: true, absoluteLimits: { EUR: 5000, USD: 5000, GBP: 4000, default: 5000 }, multiplier: 5, minHistory: 5 },
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
    if (!overLimit && !overMedian) return undefined;

    const { newDevice, newCountry } = event.enrichment.novelty;
    const news = [newDevice === true && 'a new device', newCountry === true && 'a new country'].filter((s) => s !== false);
    const reasons: string[] = [];
    if (overLimit) reasons.push(`above the ${formatMoney(limit, currency)} limit`);
    if (overMedian) {
      reasons.push(
        `${formatDecimal(amount / median)}× this account's median (${formatMoney(median, currency)} over ${plural(earlier.length, 'transaction')})`,
      );
    }
    return {
      severity: news.length > 0 ? 'high' : 'medium',
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
        newDevice: newDevice === true,
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
