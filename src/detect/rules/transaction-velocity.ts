import { type Static, Type } from '@sinclair/typebox';
import type { Rule, RuleHit } from '../rule.js';
import { formatDuration, formatInteger, formatMoney, minutesToMs, plural, relatedIds } from './format.js';
import { currencyLimits, limitFor } from './large-transaction.js';

export const TransactionVelocityConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    windowMinutes: Type.Integer({ minimum: 1, maximum: 1440, description: "How far back the account's transactions are counted." }),
    maxCount: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      description: 'Transactions in the window, this one included, above which the rule fires.',
    }),
    maxSumPerCurrency: currencyLimits(
      'Total of the transactions in one currency in the window, this one included, above which the rule fires; `default` for other currencies.',
    ),
  },
  { additionalProperties: false },
);
export type TransactionVelocityConfig = Static<typeof TransactionVelocityConfigSchema>;

/** Many transactions, or a large total, in a short time: an account being emptied in small steps. */
export const transactionVelocityRule: Rule<TransactionVelocityConfig> = {
  id: 'transaction-velocity',
  title: 'Transaction velocity',
  description: 'More transactions, or a larger total in one currency, than usual for an hour.',
  alertType: 'transaction',
  configSchema: TransactionVelocityConfigSchema,
  defaults: { enabled: true, windowMinutes: 60, maxCount: 10, maxSumPerCurrency: { EUR: 10_000, USD: 10_000, GBP: 8_000, CHF: 10_000 } },
  windowMs: (c) => minutesToMs(c.windowMinutes),

  evaluate(event, history, config): RuleHit | undefined {
    if (event.type !== 'transaction') return undefined;
    const t = event.occurredAt;
    const earlier = history.forUser(event.user, t - minutesToMs(config.windowMinutes), t).filter((e) => e.type === 'transaction');
    const count = earlier.length + 1;
    const overCount = count > config.maxCount;

    // The total needs two transactions at least: one large transaction alone is large-transaction's
    // finding, and counting it twice would inflate the risk score.
    const { amount, currency } = event;
    const sameCurrency = currency === undefined ? [] : earlier.filter((e) => e.currency === currency && e.amount !== undefined);
    const sum = amount === undefined ? 0 : sameCurrency.reduce((s, e) => s + (e.amount ?? 0), amount);
    const sumLimit = currency === undefined ? undefined : limitFor(config.maxSumPerCurrency, currency);
    const overSum = amount !== undefined && currency !== undefined && sameCurrency.length > 0 && sumLimit !== undefined && sum > sumLimit;
    if (!overCount && !overSum) return undefined;

    const counted = overCount ? earlier : sameCurrency;
    const spanMs = t - (counted[0]?.occurredAt ?? t);
    const limits: string[] = [];
    if (overCount) limits.push(formatInteger(config.maxCount));
    if (overSum) limits.push(formatMoney(sumLimit, currency));
    let message = `${plural(counted.length + 1, 'transaction')} in ${formatDuration(spanMs)}`;
    if (overSum) {
      const total = `totalling ${formatMoney(sum, currency)}`;
      const mixed = overCount && sameCurrency.length < earlier.length;
      message = mixed
        ? `${message}, ${formatInteger(sameCurrency.length + 1)} of them ${total}`
        : `${plural(counted.length + 1, 'transaction')} ${total} in ${formatDuration(spanMs)}`;
    }
    return {
      severity: 'medium',
      message: `${message} (${limits.length > 1 ? 'limits' : 'limit'} ${limits.join(' and ')})`,
      evidence: {
        transactions: count,
        maxCount: config.maxCount,
        spanMs,
        windowMinutes: config.windowMinutes,
        currency: currency ?? null,
        sum: amount === undefined ? null : sum,
        sameCurrencyTransactions: sameCurrency.length + (amount === undefined ? 0 : 1),
        sumLimit: sumLimit ?? null,
      },
      relatedEventIds: relatedIds(counted),
      suggestedActions: ['review_transaction'],
    };
  },
};
