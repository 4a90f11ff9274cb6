import { type Static, Type } from '@sinclair/typebox';
import type { PastEvent } from '../history.js';
import type { Rule, RuleHit } from '../rule.js';
import { formatDuration, formatWindow, MAX_RELATED, minutesToMs, plural, relatedIds } from './format.js';

export const CredentialStuffingConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    windowMinutes: Type.Integer({ minimum: 1, maximum: 1440, description: 'How far back failed logins from the IP are counted.' }),
    minAccounts: Type.Integer({
      minimum: 2,
      maximum: 100_000,
      description: 'Distinct accounts with failed logins from one IP in the window from which the IP is flagged.',
    }),
  },
  { additionalProperties: false },
);
export type CredentialStuffingConfig = Static<typeof CredentialStuffingConfigSchema>;

/**
 * One IP failing logins on many different accounts: a leaked password list being tried. The finding
 * is about the IP, not the accounts; a login that then succeeds from that IP is challenged, since it
 * may be the list's one right guess.
 */
export const credentialStuffingRule: Rule<CredentialStuffingConfig> = {
  id: 'credential-stuffing',
  title: 'Credential stuffing',
  description: 'Failed logins on many different accounts from one IP; later logins from that IP are challenged.',
  alertType: 'security',
  configSchema: CredentialStuffingConfigSchema,
  defaults: { enabled: true, windowMinutes: 10, minAccounts: 10 },
  windowMs: (c) => minutesToMs(c.windowMinutes),

  evaluate(event, history, config): RuleHit | undefined {
    const failed = event.type === 'login.failed';
    if ((!failed && event.type !== 'login.succeeded') || event.ip === undefined) return undefined;
    const ip = event.ip;
    const t = event.occurredAt;
    // One pass over the address's window, which under attack holds hundreds of events: no list of
    // its failed logins, no list of their accounts, only the distinct accounts and the count.
    const window = history.forIp(ip, t - minutesToMs(config.windowMinutes), t);
    const accounts = new Set<string>();
    let earlierFailed = 0;
    let firstFailedAt: number | undefined;
    for (const e of window) {
      if (e.type !== 'login.failed') continue;
      earlierFailed++;
      firstFailedAt ??= e.occurredAt;
      accounts.add(e.user);
    }
    if (failed) accounts.add(event.user);
    if (accounts.size < config.minAccounts) return undefined;

    const attempts = earlierFailed + (failed ? 1 : 0);
    const evidence = {
      ip,
      distinctAccounts: accounts.size,
      failedLogins: attempts,
      windowMinutes: config.windowMinutes,
      accounts: [...accounts].slice(0, 10),
    };
    const common = {
      severity: 'high',
      subject: { kind: 'ip', value: ip },
      evidence,
      relatedEventIds: relatedIds(lastFailed(window)),
      suggestedActions: ['block_ip'],
    } as const;
    if (failed) {
      const spanMs = t - (firstFailedAt ?? t);
      return {
        ...common,
        message: `${plural(attempts, 'failed login')} on ${plural(accounts.size, 'different account')} from IP ${ip} in ${formatDuration(spanMs)}`,
      };
    }
    return {
      ...common,
      message:
        `Successful login for account ${event.user} from IP ${ip}, which failed logins on ${plural(accounts.size, 'different account')} ` +
        `in the last ${formatWindow(config.windowMinutes)}; further logins from this IP are challenged`,
      decision: 'challenge',
    };
  },
};

/** The latest failed logins of a window (at most MAX_RELATED, oldest first): what a finding names. */
function lastFailed(window: readonly PastEvent[]): PastEvent[] {
  const latest: PastEvent[] = [];
  for (let i = window.length - 1; i >= 0 && latest.length < MAX_RELATED; i--) {
    const e = window[i] as PastEvent;
    if (e.type === 'login.failed') latest.push(e);
  }
  return latest.reverse();
}
