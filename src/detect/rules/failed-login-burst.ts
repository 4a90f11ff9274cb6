import { type Static, Type } from '@sinclair/typebox';
import type { Rule, RuleHit } from '../rule.js';
import { distinct, formatDuration, minutesToMs, plural, relatedIds } from './format.js';

export const FailedLoginBurstConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    windowMinutes: Type.Integer({ minimum: 1, maximum: 1440, description: 'How far back failed logins of the account are counted.' }),
    mediumAt: Type.Integer({
      minimum: 2,
      maximum: 10_000,
      description: 'Failed logins in the window, this one included, from which the finding is medium.',
    }),
    highAt: Type.Integer({
      minimum: 2,
      maximum: 10_000,
      description: 'Failed logins in the window, this one included, from which the finding is high.',
    }),
  },
  { additionalProperties: false },
);
export type FailedLoginBurstConfig = Static<typeof FailedLoginBurstConfigSchema>;

/** Many failed logins on one account in a short time: password guessing, from one IP or many. */
export const failedLoginBurstRule: Rule<FailedLoginBurstConfig> = {
  id: 'failed-login-burst',
  title: 'Burst of failed logins',
  description: 'Many failed logins on one account within a few minutes, whatever IPs they come from.',
  alertType: 'security',
  configSchema: FailedLoginBurstConfigSchema,
  defaults: { enabled: true, windowMinutes: 10, mediumAt: 5, highAt: 10 },
  windowMs: (c) => minutesToMs(c.windowMinutes),

  evaluate(event, history, config): RuleHit | undefined {
    if (event.type !== 'login.failed') return undefined;
    const t = event.occurredAt;
    const earlier = history.forUser(event.user, t - minutesToMs(config.windowMinutes), t).filter((e) => e.type === 'login.failed');
    const count = earlier.length + 1;
    const severity = count >= config.highAt ? 'high' : count >= config.mediumAt ? 'medium' : undefined;
    if (severity === undefined) return undefined;

    const ips = distinct([...earlier.map((e) => e.ip), event.ip]);
    const spanMs = t - (earlier[0]?.occurredAt ?? t);
    const from = ips.length > 0 ? ` from ${plural(ips.length, 'IP')}` : '';
    return {
      severity,
      message: `${count} failed logins in ${formatDuration(spanMs)}${from}`,
      evidence: {
        failedLogins: count,
        spanMs,
        windowMinutes: config.windowMinutes,
        distinctIps: ips.length,
        ips: ips.slice(0, 10),
        threshold: severity === 'high' ? config.highAt : config.mediumAt,
      },
      relatedEventIds: relatedIds(earlier),
      suggestedActions: severity === 'high' ? ['confirm_with_user_by_otp', 'reset_password'] : ['confirm_with_user_by_otp'],
    };
  },
};
