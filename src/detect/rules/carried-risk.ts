import { type Static, Type } from '@sinclair/typebox';
import type { HitSeverity } from '../../domain/alert.js';
import type { EventType } from '../../domain/event-schema.js';
import type { StoryMark } from '../history.js';
import { isMarkOf } from '../kept-mark.js';
import type { Rule, RuleHit } from '../rule.js';
import { DEFAULT_SCORING, severityOf } from '../scoring.js';
import { formatDuration, minutesToMs } from './format.js';

export const CarriedRiskConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    windowMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      description: 'How long what an earlier event earned carries to the sensitive actions that follow it.',
    }),
    halfLifeMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      description: 'The carried risk halves every this many minutes after the earlier event.',
    }),
  },
  { additionalProperties: false },
);
export type CarriedRiskConfig = Static<typeof CarriedRiskConfigSchema>;

/** The actions an attacker who got in takes next: locking the owner out, then moving money. */
const SENSITIVE: ReadonlyMap<EventType, string> = new Map<EventType, string>([
  ['password.changed', 'Password change'],
  ['email.changed', 'Email change'],
  ['mfa.disabled', 'Two-factor authentication turned off'],
  ['mfa.enabled', 'Two-factor authentication set up'],
  ['payment_method.changed', 'Payment method change'],
  ['transaction', 'Transaction'],
]);

const EARLIER_WORDS: Partial<Record<EventType, string>> = {
  'login.succeeded': 'login',
  'login.failed': 'failed login',
  'password.changed': 'password change',
  'email.changed': 'email change',
  'mfa.disabled': 'two-factor change',
  'mfa.enabled': 'two-factor change',
  'payment_method.changed': 'payment method change',
  transaction: 'transaction',
  'page.viewed': 'page view',
};

/**
 * Risk carried across a story. What earlier events of the same session or device earned (a
 * suspicious login, a failed-login burst on the account) carries, halving every half-life, to the
 * sensitive actions that follow: a password change two minutes after a login from a new device in
 * another country is as suspicious as that login. The finding continues the earlier alert, so the
 * story is one alert that grows.
 */
export const carriedRiskRule: Rule<CarriedRiskConfig> = {
  id: 'carried-risk',
  title: 'Risk carried from earlier in the session',
  description:
    'A password, email, two-factor or payment-method change, or a transaction, shortly after a suspicious event of the same session or device.',
  alertType: 'security',
  configSchema: CarriedRiskConfigSchema,
  defaults: { enabled: true, windowMinutes: 60, halfLifeMinutes: 45 },
  windowMs: (c) => minutesToMs(c.windowMinutes),

  evaluate(event, history, config): RuleHit | undefined {
    const action = SENSITIVE.get(event.type);
    if (action === undefined || history.storyOf === undefined) return undefined;
    const t = event.occurredAt;
    const marks = history.storyOf(event.user, t - minutesToMs(config.windowMinutes), t);
    if (marks.length === 0) return undefined;

    let strongest: StoryMark | undefined;
    let carried = 0;
    // The marks, not their ids: a kept mark's id is made from its packed form at each read, and only
    // a hit names them (relatedEventIds).
    const related: StoryMark[] = [];
    for (const m of marks) {
      // A carried finding is not carried again: the story's risk decays from where it started.
      if (m.rule === 'carried-risk' || isMarkOf(m, event.id) || !sameSource(m, event)) continue;
      const risk = m.risk * 2 ** (-(t - m.occurredAt) / minutesToMs(config.halfLifeMinutes));
      related.push(m);
      if (risk > carried) {
        carried = risk;
        strongest = m;
      }
    }
    if (strongest === undefined) return undefined;
    const severity = severityOf(Math.round(carried), DEFAULT_SCORING.thresholds);
    if (severity === 'none') return undefined;

    const where = strongest.session !== undefined && strongest.session === event.session ? 'in this session' : 'on this device';
    const earlier = EARLIER_WORDS[strongest.type] ?? strongest.type;
    return {
      severity: severity as HitSeverity,
      message: `${action} ${formatDuration(t - strongest.occurredAt)} after a suspicious ${earlier} ${where} (${strongest.severity}: ${strongest.message})`,
      evidence: {
        earlierEventId: strongest.eventId,
        earlierType: strongest.type,
        earlierRule: strongest.rule,
        earlierSeverity: strongest.severity,
        earlierRisk: strongest.risk,
        carriedRisk: Math.round(carried),
        sinceMs: t - strongest.occurredAt,
        halfLifeMinutes: config.halfLifeMinutes,
      },
      relatedEventIds: related.slice(-20).map((m) => m.eventId),
      suggestedActions: ['confirm_with_user_by_otp', 'review_device'],
      ...(strongest.alertId !== undefined && { continuesAlertId: strongest.alertId }),
    };
  },
};

/** The same session or device; a mark with neither (a burst of failed logins on the account) is the account's. */
function sameSource(m: StoryMark, e: { readonly session?: string; readonly device?: string }): boolean {
  if (m.session !== undefined && m.session === e.session) return true;
  if (m.device !== undefined && m.device === e.device) return true;
  return m.session === undefined && m.device === undefined;
}
