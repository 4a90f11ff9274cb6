import { type Static, Type } from '@sinclair/typebox';
import type { DetectionEvent } from '../../domain/activity-event.js';
import type { History, PastEvent } from '../history.js';
import { isMarkOf } from '../kept-mark.js';
import type { Rule, RuleHit } from '../rule.js';
import { formatDuration, formatMoney, minutesToMs, relatedIds } from './format.js';

export const AccountTakeoverChainConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    windowMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      description:
        'How long after a credential or contact change from an untrusted source money moving (or a login from another unfamiliar device) is treated as a takeover.',
    }),
    untrustedPaymentMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      description: 'How long after any credential or contact change money moving from an untrusted device is treated as a takeover.',
    }),
  },
  { additionalProperties: false },
);
export type AccountTakeoverChainConfig = Static<typeof AccountTakeoverChainConfigSchema>;

const CHANGE_WORDS = {
  'password.changed': 'the password was changed',
  'email.changed': 'the email address was changed',
  'mfa.disabled': 'two-factor authentication was turned off',
  'payment_method.changed': 'a payment method was changed',
} as const;
type CredentialChange = PastEvent & { readonly type: keyof typeof CHANGE_WORDS };
const isChange = (e: PastEvent): e is CredentialChange => e.type in CHANGE_WORDS;

/**
 * The takeover story, whatever the order of its steps: a credential or contact change (password,
 * email, two-factor off, payment method) that locks the owner out or diverts what would warn them,
 * then money moves. It is critical when the change came from an untrusted source (a device the
 * account does not trust yet, or one already suspicious in this story) whichever device pays, or
 * when the money moves from an untrusted device within the hour after any change. Judging the source by its age
 * rather than "new" matters: the attacker's device stops being new at its own login, minutes before
 * the change. A login from yet another unfamiliar device after an untrusted change is the same
 * story handed on (change, then login elsewhere).
 */
export const accountTakeoverChainRule: Rule<AccountTakeoverChainConfig> = {
  id: 'account-takeover-chain',
  title: 'Account takeover chain',
  description:
    'A transaction, or a login from another unfamiliar device, shortly after a password, email, two-factor or payment-method change from an untrusted source.',
  alertType: 'security',
  configSchema: AccountTakeoverChainConfigSchema,
  // An attacker who has changed the credentials cashes out within hours; a whole day would also take
  // in owners who reset a forgotten password and come back the next day on another device.
  defaults: { enabled: true, windowMinutes: 180, untrustedPaymentMinutes: 60 },
  windowMs: (c) => minutesToMs(c.windowMinutes),

  evaluate(event, history, config): RuleHit | undefined {
    const moneyMoves = event.type === 'transaction';
    if (!moneyMoves && event.type !== 'login.succeeded') return undefined;
    const t = event.occurredAt;
    const from = t - minutesToMs(config.windowMinutes);
    const changes = history.forUser(event.user, from, t).filter(isChange);
    if (changes.length === 0) return undefined;

    const eventUntrusted = untrusted(event);
    const risky = changes.filter((c) => isRiskyChange(c, history, from, t));
    const recentFrom = t - minutesToMs(config.untrustedPaymentMinutes);
    // A new phone on the account's own home network is the owner's new phone.
    const fromStranger = eventUntrusted && event.enrichment.familiarity?.network?.trusted !== true;
    let change: CredentialChange | undefined;
    if (moneyMoves) change = risky.at(-1) ?? (fromStranger ? changes.filter((c) => c.occurredAt >= recentFrom).at(-1) : undefined);
    // A login elsewhere: another device than the one that made the change, itself unfamiliar.
    else if (eventUntrusted) change = risky.filter((c) => c.device === undefined || c.device !== event.device).at(-1);
    if (change === undefined) return undefined;

    const what = CHANGE_WORDS[change.type];
    const sinceMs = t - change.occurredAt;
    const source = describeSource(change);
    const amount = event.amount !== undefined && event.currency !== undefined ? ` of ${formatMoney(event.amount, event.currency)}` : '';
    const head = moneyMoves
      ? `Transaction${amount}${eventUntrusted ? ' from an unfamiliar device' : ''}`
      : 'Login from another unfamiliar device';
    const storyAlert = alertOfStory(history, event.user, change, from, t);
    return {
      severity: 'critical',
      message: `${head} ${formatDuration(sinceMs)} after ${what}${source}`,
      evidence: {
        change: change.type,
        changedAt: new Date(change.occurredAt).toISOString(),
        sinceChangeMs: sinceMs,
        changes: changes.length,
        riskyChanges: risky.length,
        changeFromUntrustedSource: risky.includes(change),
        changeDeviceAgeMs: change.deviceAgeMs ?? null,
        device: event.device ?? null,
        deviceUntrusted: eventUntrusted,
        changeDevice: change.device ?? null,
        sameSession: change.session !== undefined && change.session === event.session,
        amount: event.amount ?? null,
        currency: event.currency ?? null,
        windowMinutes: config.windowMinutes,
      },
      relatedEventIds: relatedIds(changes),
      suggestedActions: ['lock_account', 'reset_password', 'confirm_with_user_by_otp'],
      decision: 'block',
      ...(storyAlert !== undefined && { continuesAlertId: storyAlert }),
    };
  },
};

/**
 * The event's device is one the account does not trust: by its familiarity when enrichment gave one
 * (first seen recently and never proven), else by the older yes/no novelty.
 */
function untrusted(e: DetectionEvent): boolean {
  const device = e.enrichment.familiarity?.device;
  if (device) return !device.trusted;
  return e.enrichment.novelty.newDevice === true;
}

/**
 * A change from a source the account does not trust (a device it does not trust yet, on a network it
 * does not trust either: a new phone on the home Wi-Fi is the owner's), or one that this story had
 * already found suspicious (medium or more).
 */
function isRiskyChange(c: PastEvent, history: History, from: number, to: number): boolean {
  if (c.untrustedSource === true && c.untrustedNetwork !== false) return true;
  if (c.untrustedSource === undefined && c.newDevice === true) return true;
  const marks = history.storyOf?.(c.user, from, to) ?? [];
  if (marks.length === 0) return false;
  // Read once: a kept event's id is made from its packed form at each read.
  const id = c.id;
  return marks.some((m) => isMarkOf(m, id) && (m.severity === 'medium' || m.severity === 'high' || m.severity === 'critical'));
}

function describeSource(c: PastEvent): string {
  if (c.untrustedSource !== true) return '';
  return c.deviceAgeMs !== undefined ? ` from a device first seen ${formatDuration(c.deviceAgeMs)} before` : ' from an untrusted device';
}

/** The open story this continues: the alert of the change, or of the latest earlier suspicious event of its session or device. */
function alertOfStory(history: History, user: string, change: PastEvent, from: number, to: number): string | undefined {
  const marks = history.storyOf?.(user, from, to) ?? [];
  if (marks.length === 0) return undefined;
  const changeId = change.id;
  for (let i = marks.length - 1; i >= 0; i--) {
    const m = marks[i];
    if (m === undefined || m.alertId === undefined) continue;
    const linked =
      isMarkOf(m, changeId) ||
      (m.session !== undefined && m.session === change.session) ||
      (m.device !== undefined && m.device === change.device);
    if (linked) return m.alertId;
  }
  return undefined;
}
