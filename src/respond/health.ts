import type { AccountLock } from '../domain/lock.js';
import type { Severity } from '../domain/severity.js';
import type { HealthReason, HealthRecord, Suggestion } from './ports.js';

/** Everything the Security Health score of one account is computed from. */
export interface HealthInputs {
  readonly now: number;
  readonly openAlerts: Readonly<Partial<Record<Severity, number>>>;
  /** "This wasn't me" answers in the last 30 days. */
  readonly recentDisputes: number;
  readonly lock?: AccountLock;
  /** From the latest mfa.enabled / mfa.disabled event; undefined when the client app never said. */
  readonly mfaEnabled?: boolean;
  /** From the latest password.changed event. */
  readonly passwordChangedAt?: number;
  /** Devices first seen in the last 7 days, newest first, that the owner has not confirmed. */
  readonly newDevices: readonly string[];
  readonly hasContact: boolean;
}

const DAY = 86_400_000;
const ALERT_PENALTY: Readonly<Record<Exclude<Severity, 'none'>, number>> = { critical: 30, high: 20, medium: 10, low: 3 };
const PASSWORD_OLD_DAYS = 180;

/**
 * The Security Health score: 100 minus a penalty per risk factor, never below 0, with the reasons a
 * user can read and what to do about each. Penalties are capped per factor so one noisy factor (ten
 * low alerts) cannot hide the others.
 */
export function computeHealth(input: HealthInputs): HealthRecord {
  const reasons: HealthReason[] = [];
  const suggestions: Suggestion[] = [];
  const add = (factor: string, impact: number, message: string) => {
    if (impact > 0) reasons.push({ factor, impact, message });
  };

  for (const severity of ['critical', 'high', 'medium', 'low'] as const) {
    const n = input.openAlerts[severity] ?? 0;
    if (n > 0) {
      add(
        `open_${severity}_alerts`,
        Math.min(ALERT_PENALTY[severity] * n, ALERT_PENALTY[severity] * 2),
        `${n} open ${severity} alert${n === 1 ? '' : 's'}`,
      );
    }
  }
  if (input.recentDisputes > 0) {
    add(
      'recent_disputes',
      Math.min(10 * input.recentDisputes, 20),
      `${input.recentDisputes} activit${input.recentDisputes === 1 ? 'y' : 'ies'} reported as "this wasn't me" in the last 30 days`,
    );
  }
  if (input.lock) {
    // The time is in the account view (lockedAt); the sentence is for people, so it carries only the why.
    add('locked', 15, `Account locked: ${input.lock.reason}`);
    suggestions.push({
      action: input.lock.unlockBy === 'password_change' ? 'change_password' : 'unlock_account',
      why:
        input.lock.unlockBy === 'code'
          ? 'Unlock with the one-time code sent to you, if the flagged activity was yours.'
          : input.lock.unlockBy === 'password_change'
            ? 'You reported activity that was not yours: change your password to unlock the account.'
            : 'The security team will review the account and unlock it.',
    });
  }
  if (input.mfaEnabled !== true) {
    add('no_2fa', 15, input.mfaEnabled === false ? 'Two-factor authentication is off' : 'Two-factor authentication is not known to be on');
    suggestions.push({ action: 'enable_2fa', why: 'A stolen password alone could not open the account with a second factor on.' });
  }
  if (input.passwordChangedAt === undefined || input.now - input.passwordChangedAt > PASSWORD_OLD_DAYS * DAY) {
    const age =
      input.passwordChangedAt === undefined
        ? 'No password change on record'
        : `Password unchanged for ${Math.floor((input.now - input.passwordChangedAt) / DAY)} days`;
    add('old_password', 10, age);
    if (!suggestions.some((s) => s.action === 'change_password')) {
      suggestions.push({ action: 'change_password', why: `${age}; a new, unique password limits what a leak elsewhere can do.` });
    }
  }
  if (input.newDevices.length > 0) {
    const n = input.newDevices.length;
    add(
      'new_devices',
      Math.min(5 * n, 15),
      `${n} new device${n === 1 ? '' : 's'} in the last 7 days (${input.newDevices.slice(0, 3).join(', ')})`,
    );
    suggestions.push({ action: 'review_device', why: `Check that ${n === 1 ? 'the new device is' : `the ${n} new devices are`} yours.` });
  }
  if (!input.hasContact) {
    suggestions.push({ action: 'add_contact', why: 'Without an email address or phone number, Vigil cannot send you an unlock code.' });
  }

  const penalty = reasons.reduce((sum, r) => sum + r.impact, 0);
  return { score: Math.max(0, 100 - penalty), reasons, suggestions, computedAt: input.now };
}
