import { type Static, Type } from '@sinclair/typebox';
import type { PastEvent } from '../history.js';
import type { Rule, RuleHit } from '../rule.js';
import { formatDuration, formatMoney, minutesToMs, relatedIds } from './format.js';

export const AccountTakeoverChainConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    windowMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      description: 'How long after a password or email change a transaction from a new device is treated as a takeover.',
    }),
  },
  { additionalProperties: false },
);
export type AccountTakeoverChainConfig = Static<typeof AccountTakeoverChainConfigSchema>;

const CHANGE_WORDS = { 'password.changed': 'the password', 'email.changed': 'the email address' } as const;
type CredentialChange = PastEvent & { readonly type: keyof typeof CHANGE_WORDS };
const isCredentialChange = (e: PastEvent): e is CredentialChange => e.type === 'password.changed' || e.type === 'email.changed';

/**
 * The takeover pattern: the password or email is changed (locking the owner out, or diverting
 * resets), then money moves from a device the account never used, as enrichment judged it. A device
 * that made the change itself is no longer new by the time it pays: that variant is left to
 * new-login-context on the login, since a legitimate new phone often does exactly this.
 */
export const accountTakeoverChainRule: Rule<AccountTakeoverChainConfig> = {
  id: 'account-takeover-chain',
  title: 'Account takeover chain',
  description: 'A transaction from a new device shortly after the password or email address was changed.',
  alertType: 'security',
  configSchema: AccountTakeoverChainConfigSchema,
  defaults: { enabled: true, windowMinutes: 60 },
  windowMs: (c) => minutesToMs(c.windowMinutes),

  evaluate(event, history, config): RuleHit | undefined {
    if (event.type !== 'transaction' || event.enrichment.novelty.newDevice !== true) return undefined;
    const t = event.occurredAt;
    const changes = history.forUser(event.user, t - minutesToMs(config.windowMinutes), t).filter(isCredentialChange);
    const change = changes.at(-1);
    if (change === undefined) return undefined;

    const what = CHANGE_WORDS[change.type];
    const sinceMs = t - change.occurredAt;
    const amount = event.amount !== undefined && event.currency !== undefined ? ` of ${formatMoney(event.amount, event.currency)}` : '';
    return {
      severity: 'critical',
      message: `Transaction${amount} from a new device ${formatDuration(sinceMs)} after ${what} was changed`,
      evidence: {
        change: change.type,
        changedAt: new Date(change.occurredAt).toISOString(),
        sinceChangeMs: sinceMs,
        changes: changes.length,
        device: event.device ?? null,
        changeDevice: change.device ?? null,
        amount: event.amount ?? null,
        currency: event.currency ?? null,
        windowMinutes: config.windowMinutes,
      },
      relatedEventIds: relatedIds(changes),
      suggestedActions: ['lock_account', 'reset_password', 'confirm_with_user_by_otp'],
      decision: 'block',
    };
  },
};
