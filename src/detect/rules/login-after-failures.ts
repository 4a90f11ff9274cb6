import { type Static, Type } from '@sinclair/typebox';
import type { Rule, RuleHit } from '../rule.js';
import { distinct, formatDuration, minutesToMs, plural, relatedIds } from './format.js';

export const LoginAfterFailuresConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    windowMinutes: Type.Integer({ minimum: 1, maximum: 1440, description: 'How far back before the login failed logins are counted.' }),
    minFailures: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      description: 'Failed logins on the account in the window from which a successful login is flagged.',
    }),
  },
  { additionalProperties: false },
);
export type LoginAfterFailuresConfig = Static<typeof LoginAfterFailuresConfigSchema>;

/**
 * A successful login right after a run of failed ones: the guessing may have worked. Every failure
 * in the window counts, even with a successful login among them, so that an owner's own login in
 * the middle of an attack does not reset the count for the attacker.
 */
export const loginAfterFailuresRule: Rule<LoginAfterFailuresConfig> = {
  id: 'login-after-failures',
  title: 'Successful login after failed logins',
  description: 'A successful login on an account that just had many failed logins: a guessed password.',
  alertType: 'security',
  configSchema: LoginAfterFailuresConfigSchema,
  defaults: { enabled: true, windowMinutes: 10, minFailures: 5 },
  windowMs: (c) => minutesToMs(c.windowMinutes),

  evaluate(event, history, config): RuleHit | undefined {
    if (event.type !== 'login.succeeded') return undefined;
    const t = event.occurredAt;
    const failures = history.forUser(event.user, t - minutesToMs(config.windowMinutes), t).filter((e) => e.type === 'login.failed');
    if (failures.length < config.minFailures) return undefined;

    const spanMs = t - (failures[0]?.occurredAt ?? t);
    const ips = distinct(failures.map((e) => e.ip));
    return {
      severity: 'high',
      message: `Successful login right after ${plural(failures.length, 'failed login')} in ${formatDuration(spanMs)}`,
      evidence: {
        failedLogins: failures.length,
        spanMs,
        windowMinutes: config.windowMinutes,
        distinctIps: ips.length,
        ips: ips.slice(0, 10),
        loginIpAmongFailures: event.ip !== undefined && ips.includes(event.ip),
      },
      relatedEventIds: relatedIds(failures),
      suggestedActions: ['confirm_with_user_by_otp', 'reset_password'],
    };
  },
};
