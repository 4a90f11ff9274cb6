import { type Static, Type } from '@sinclair/typebox';
import type { Rule, RuleHit } from '../rule.js';

export const DisownedSourceConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    severity: Type.Union([Type.Literal('medium'), Type.Literal('high'), Type.Literal('critical')], {
      description: 'Severity of activity from a device or IP the owner disowned.',
    }),
  },
  { additionalProperties: false },
);
export type DisownedSourceConfig = Static<typeof DisownedSourceConfigSchema>;

/**
 * Activity from a device or IP address that the account's owner disowned by answering "this wasn't
 * me" on an earlier alert: whoever is behind it has been seen attacking this account.
 */
export const disownedSourceRule: Rule<DisownedSourceConfig> = {
  id: 'disowned-source',
  title: 'Activity from a disowned device or IP',
  description: 'An event from a device or IP address the owner said was not theirs ("this wasn\'t me").',
  alertType: 'security',
  configSchema: DisownedSourceConfigSchema,
  defaults: { enabled: true, severity: 'high' },
  windowMs: () => 24 * 3_600_000,

  evaluate(event, history, config): RuleHit | undefined {
    if (event.type === 'logout') return undefined;
    const device = event.device === undefined ? undefined : history.trustOf(event.user, 'device', event.device);
    const ip = event.ip === undefined ? undefined : history.trustOf(event.user, 'ip', event.ip);
    const parts: string[] = [];
    if (device?.trust === 'untrusted') parts.push(`device ${event.device}`);
    if (ip?.trust === 'untrusted') parts.push(`IP ${event.ip}`);
    if (parts.length === 0) return undefined;
    const alertId = device?.trust === 'untrusted' ? device.alertId : ip?.alertId;
    return {
      severity: config.severity,
      message: `${event.type} from ${parts.join(' and ')}, which the owner said was not theirs${alertId ? ` (alert ${alertId})` : ''}`,
      evidence: {
        ...(device?.trust === 'untrusted' && { device: event.device }),
        ...(ip?.trust === 'untrusted' && { ip: event.ip }),
        ...(alertId !== undefined && { disputedAlertId: alertId }),
      },
      suggestedActions: ['block_ip', 'lock_account'],
      decision: 'block',
    };
  },
};
