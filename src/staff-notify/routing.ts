import type { Alert } from '../domain/alert.js';
import { SEVERITY_RANK } from '../domain/severity.js';
import type { ChannelRouting } from './ports.js';

/**
 * Whether a channel hears about an alert: at least its minimum severity, one of its rules (any rule
 * that fired counts, not only the strongest), one of its alert types. Empty lists let everything through.
 */
export function routes(channel: ChannelRouting, alert: Alert): boolean {
  if (SEVERITY_RANK[alert.severity] < SEVERITY_RANK[channel.minSeverity]) return false;
  if (channel.ruleIds.length > 0 && !alert.ruleIds.some((r) => channel.ruleIds.includes(r)) && !channel.ruleIds.includes(alert.ruleId)) {
    return false;
  }
  return channel.alertTypes.length === 0 || channel.alertTypes.includes(alert.type);
}
