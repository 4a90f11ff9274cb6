import { type Static, Type } from '@sinclair/typebox';
import type { Subject } from '../../domain/alert.js';
import type { PastEvent } from '../history.js';
import type { Rule, RuleHit } from '../rule.js';
import { isEventOf } from '../stored-event.js';
import { formatDecimal, formatDuration, minutesToMs, plural, relatedIds } from './format.js';

export const CardTestingConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    windowMinutes: Type.Integer({ minimum: 1, maximum: 1440, description: 'How far back failed payments are counted.' }),
    minFailures: Type.Integer({
      minimum: 2,
      maximum: 10_000,
      description:
        'Payment attempts in the window, this one included, from one account, device or IP from which the rule fires: failed payments, and small charges (at most smallAmount) that went through, as long as at least two failed.',
    }),
    smallAmount: Type.Number({
      minimum: 0,
      maximum: 1_000_000,
      description:
        'Amounts at or below this are small test charges (card testers try cards with small amounts): a successful one counts as an attempt.',
    }),
  },
  { additionalProperties: false },
);
export type CardTestingConfig = Static<typeof CardTestingConfigSchema>;

interface Group {
  readonly subject: Subject;
  readonly label: string;
  /** Failed payments and small charges, oldest first. */
  readonly failures: readonly PastEvent[];
}

/** A charge that went through for a test amount. */
function isSmallCharge(e: { readonly type: string; readonly amount?: number | undefined }, smallAmount: number): boolean {
  return e.type === 'transaction' && e.amount !== undefined && e.amount <= smallAmount;
}

/** At least this many of a run must have failed: a few cheap items bought in a row are not card testing. */
const MIN_FAILED_IN_RUN = 2;

/**
 * A run of failed payments from one account, device or IP: stolen card numbers being tried out. Each
 * grouping is checked because testers rotate what they can: accounts behind one device, devices
 * behind one IP. The largest group is reported; on a tie the device, then the IP, since they point
 * at the tester rather than at an account they may have taken over.
 */
export const cardTestingRule: Rule<CardTestingConfig> = {
  id: 'card-testing',
  title: 'Card testing',
  description: 'Many failed payments, or failed payments mixed with small charges, from one account, device or IP within minutes.',
  alertType: 'transaction',
  configSchema: CardTestingConfigSchema,
  defaults: { enabled: true, windowMinutes: 10, minFailures: 5, smallAmount: 5 },
  windowMs: (c) => minutesToMs(c.windowMinutes),

  evaluate(event, history, config): RuleHit | undefined {
    if (event.type !== 'payment.failed' && !isSmallCharge(event, config.smallAmount)) return undefined;
    const t = event.occurredAt;
    const from = t - minutesToMs(config.windowMinutes);
    // Testers mix in small charges that go through: each proves a card works.
    const failed = (events: readonly PastEvent[]) =>
      events.filter((e) => (e.type === 'payment.failed' || isSmallCharge(e, config.smallAmount)) && !isEventOf(e, event.id));
    const groups: Group[] = [];
    if (event.device !== undefined) {
      groups.push({
        subject: { kind: 'device', value: event.device },
        label: `from device ${event.device}`,
        failures: failed(history.forDevice(event.device, from, t)),
      });
    }
    if (event.ip !== undefined) {
      groups.push({
        subject: { kind: 'ip', value: event.ip },
        label: `from IP ${event.ip}`,
        failures: failed(history.forIp(event.ip, from, t)),
      });
    }
    groups.push({
      subject: { kind: 'user', value: event.user },
      label: 'on this account',
      failures: failed(history.forUser(event.user, from, t)),
    });

    // Stable: on a tie the earlier group in the list (device, IP, user) is kept.
    const top = groups.reduce((best, g) => (g.failures.length > best.failures.length ? g : best));
    const count = top.failures.length + 1;
    if (count < config.minFailures) return undefined;
    const failedCount = top.failures.filter((e) => e.type === 'payment.failed').length + (event.type === 'payment.failed' ? 1 : 0);
    if (failedCount < MIN_FAILED_IN_RUN) return undefined;
    const charged = count - failedCount;

    const amounts = [...top.failures.map((e) => e.amount), event.amount];
    const smallCount = amounts.filter((a) => a !== undefined && a <= config.smallAmount).length;
    const spanMs = t - (top.failures[0]?.occurredAt ?? t);
    const smallPart = smallCount > 0 ? `, ${smallCount} of them for ${formatDecimal(config.smallAmount)} or less` : '';
    const what =
      charged === 0
        ? plural(count, 'failed payment')
        : `${plural(count, 'payment attempt')} (${failedCount} failed, ${charged} small ${charged === 1 ? 'charge' : 'charges'} through)`;
    // Many different cards in one run is the strongest sign of testing stolen numbers.
    const cards = new Set([...top.failures.map((e) => e.paymentMethod), event.paymentMethod].filter((m) => m !== undefined)).size;
    const cardPart = cards > 1 ? ` with ${cards} different payment methods` : '';
    return {
      severity: 'high',
      message: `${what} in ${formatDuration(spanMs)} ${top.label}${cardPart}${smallPart}`,
      evidence: {
        failedPayments: failedCount,
        attempts: count,
        groupedBy: top.subject.kind,
        groupKey: top.subject.value,
        smallAmounts: smallCount,
        distinctPaymentMethods: cards,
        smallAmount: config.smallAmount,
        distinctAccounts: new Set([...top.failures.map((e) => e.user), event.user]).size,
        spanMs,
        windowMinutes: config.windowMinutes,
      },
      ...(top.subject.kind !== 'user' && { subject: top.subject }),
      relatedEventIds: relatedIds(top.failures),
      suggestedActions: ['block_ip', 'review_transaction'],
      decision: 'block',
    };
  },
};
