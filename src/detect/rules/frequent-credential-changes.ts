import { type Static, Type } from '@sinclair/typebox';
import type { Rule, RuleHit } from '../rule.js';
import { formatDuration, formatInteger, formatWindow, minutesToMs, plural, relatedIds } from './format.js';

export const FrequentCredentialChangesConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    windowMinutes: Type.Integer({ minimum: 1, maximum: 1440, description: 'How far back password changes are counted (1440 = 24 h).' }),
    maxChanges: Type.Integer({
      minimum: 1,
      maximum: 1000,
      description: 'Password changes in the window, this one included, above which the rule fires.',
    }),
  },
  { additionalProperties: false },
);
export type FrequentCredentialChangesConfig = Static<typeof FrequentCredentialChangesConfigSchema>;

/**
 * The password changed again and again: the owner and an intruder fighting over the account, or an
 * intruder cycling passwords to get round "last password" checks.
 */
export const frequentCredentialChangesRule: Rule<FrequentCredentialChangesConfig> = {
  id: 'frequent-credential-changes',
  title: 'Frequent password changes',
  description: 'More password changes on one account within a day than an owner makes.',
  alertType: 'security',
  configSchema: FrequentCredentialChangesConfigSchema,
  defaults: { enabled: true, windowMinutes: 1440, maxChanges: 3 },
  windowMs: (c) => minutesToMs(c.windowMinutes),

  evaluate(event, history, config): RuleHit | undefined {
    if (event.type !== 'password.changed') return undefined;
    const t = event.occurredAt;
    const earlier = history.forUser(event.user, t - minutesToMs(config.windowMinutes), t).filter((e) => e.type === 'password.changed');
    const count = earlier.length + 1;
    if (count <= config.maxChanges) return undefined;

    const spanMs = t - (earlier[0]?.occurredAt ?? t);
    return {
      severity: 'medium',
      message: `${plural(count, 'password change')} in ${formatDuration(spanMs)} (more than ${formatInteger(config.maxChanges)} in ${formatWindow(config.windowMinutes)})`,
      evidence: { passwordChanges: count, maxChanges: config.maxChanges, spanMs, windowMinutes: config.windowMinutes },
      relatedEventIds: relatedIds(earlier),
      suggestedActions: ['confirm_with_user_by_otp', 'enable_2fa'],
    };
  },
};
