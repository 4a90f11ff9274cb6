import { type Static, Type } from '@sinclair/typebox';
import type { EventType } from '../../domain/event-schema.js';
import type { Rule, RuleHit } from '../rule.js';
import { isEventOf } from '../stored-event.js';
import { formatDuration, formatInteger, formatWindow, minutesToMs, plural, relatedIds } from './format.js';

export const FrequentCredentialChangesConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    windowMinutes: Type.Integer({ minimum: 1, maximum: 1440, description: 'How far back credential changes are counted (1440 = 24 h).' }),
    maxChanges: Type.Integer({
      minimum: 1,
      maximum: 1000,
      description:
        'Credential changes (password, email, two-factor, payment method) in the window, this one included, above which the rule fires.',
    }),
  },
  { additionalProperties: false },
);
export type FrequentCredentialChangesConfig = Static<typeof FrequentCredentialChangesConfigSchema>;

const CHANGES: ReadonlyMap<EventType, string> = new Map<EventType, string>([
  ['password.changed', 'password'],
  ['email.changed', 'email'],
  ['mfa.enabled', 'two-factor'],
  ['mfa.disabled', 'two-factor'],
  ['payment_method.changed', 'payment method'],
]);

/**
 * The credentials changed again and again: the owner and an intruder fighting over the account, an
 * intruder cycling passwords to get round "last password" checks, or one rewriting every way back in
 * (email, two-factor, payment method). An owner changes one or two of these on a given day.
 */
export const frequentCredentialChangesRule: Rule<FrequentCredentialChangesConfig> = {
  id: 'frequent-credential-changes',
  title: 'Frequent credential changes',
  description: 'More password, email, two-factor or payment-method changes on one account within a day than an owner makes.',
  alertType: 'security',
  configSchema: FrequentCredentialChangesConfigSchema,
  defaults: { enabled: true, windowMinutes: 1440, maxChanges: 3 },
  windowMs: (c) => minutesToMs(c.windowMinutes),

  evaluate(event, history, config): RuleHit | undefined {
    if (!CHANGES.has(event.type)) return undefined;
    const t = event.occurredAt;
    const earlier = history
      .forUser(event.user, t - minutesToMs(config.windowMinutes), t)
      .filter((e) => CHANGES.has(e.type) && !isEventOf(e, event.id));
    const count = earlier.length + 1;
    if (count <= config.maxChanges) return undefined;

    const spanMs = t - (earlier[0]?.occurredAt ?? t);
    const kinds = new Set([...earlier.map((e) => CHANGES.get(e.type)), CHANGES.get(event.type)]);
    const passwordChanges = [...earlier, event].filter((e) => e.type === 'password.changed').length;
    const what = kinds.size === 1 && kinds.has('password') ? 'password change' : 'credential change';
    return {
      severity: 'medium',
      message: `${plural(count, what)} in ${formatDuration(spanMs)}${what === 'credential change' ? ` (${[...kinds].join(', ')})` : ''} (more than ${formatInteger(config.maxChanges)} in ${formatWindow(config.windowMinutes)})`,
      evidence: {
        changes: count,
        passwordChanges,
        kinds: [...kinds],
        maxChanges: config.maxChanges,
        spanMs,
        windowMinutes: config.windowMinutes,
      },
      relatedEventIds: relatedIds(earlier),
      suggestedActions: ['confirm_with_user_by_otp', 'enable_2fa'],
    };
  },
};
