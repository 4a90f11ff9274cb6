import type { Alert } from '../domain/alert.js';
import { alertUser } from '../domain/alert.js';
import { SEVERITY_RANK } from '../domain/severity.js';
import type { AlertGroup, GroupChange, HeldAlerts, StaffChannel, StaffMessage } from './ports.js';

/**
 * Grouping and the rate limit, as pure decisions (the store runs them inside one transaction).
 *
 * An attack raises alerts of one rule by the hundred (a credential-stuffing wave, a card-testing
 * run). Per channel and rule, the first alert opens a *group* for `groupMinutes` and is posted; the
 * alerts of that rule that follow while it is open are counted instead, and when it closes one
 * summary says "N more alerts like this" with their severities and users. Incoming webhooks cannot
 * edit a message they posted (Slack's `chat.update` needs a bot token, Teams' incoming webhooks have
 * no update either), so the summary is a follow-up message rather than an edit: one more message per
 * rule and window, whatever the size of the wave.
 *
 * Two exceptions keep the grouping from hiding what matters or flooding anyway:
 *  - an alert more severe than any posted for its group is posted at once (an escalation is news);
 *  - past the channel's `perMinute` alert messages in the last minute, nothing more is posted: the
 *    alert is counted in its group (opening one if needed) and shows up in the summary.
 */

export const GROUP_KEY_PREFIX = 'rule:';
export const MAX_SUBJECTS = 10;

export function groupKeyOf(alert: Alert): string {
  return `${GROUP_KEY_PREFIX}${alert.ruleId}`;
}

/** Builds the messages a decision queues; the caller knows ids, the clock and how to render. */
export interface MessageFactory {
  /** `escalated`: the alert was raised before and has grown (alert.updated). */
  alert(alert: Alert, escalated?: boolean): StaffMessage;
  summary(group: AlertGroup): StaffMessage;
}

export function emptyHeld(alert: Alert): HeldAlerts {
  return { title: alert.summary, ruleId: alert.ruleId, bySeverity: {}, subjects: [], lastAlertId: null };
}

function hold(held: HeldAlerts, alert: Alert): HeldAlerts {
  const who = alertUser(alert);
  return {
    ...held,
    bySeverity: { ...held.bySeverity, [alert.severity]: (held.bySeverity[alert.severity] ?? 0) + 1 },
    subjects: held.subjects.length < MAX_SUBJECTS && !held.subjects.includes(who) ? [...held.subjects, who] : held.subjects,
    lastAlertId: alert.id,
  };
}

/**
 * One alert for one channel: posted, or held in its group. `alertsLastMinute` is how many alert
 * messages the channel was sent in the minute before `now`.
 */
export function admitAlert(
  channel: StaffChannel,
  alert: Alert,
  found: AlertGroup | undefined,
  alertsLastMinute: number,
  now: number,
  make: MessageFactory,
): GroupChange {
  const messages: StaffMessage[] = [];
  let open = found;
  // A group whose window ended before the poller closed it is closed here, its summary first.
  if (open && open.closesAt <= now) {
    if (open.held > 0) messages.push(make.summary(open));
    open = undefined;
  }
  const rank = SEVERITY_RANK[alert.severity];
  const underLimit = alertsLastMinute < channel.perMinute;
  if (!open) {
    const group: AlertGroup = {
      channelId: channel.id,
      groupKey: groupKeyOf(alert),
      openedAt: now,
      closesAt: now + channel.groupMinutes * 60_000,
      sentRank: underLimit ? rank : -1,
      held: underLimit ? 0 : 1,
      heldAlerts: underLimit ? emptyHeld(alert) : hold(emptyHeld(alert), alert),
    };
    if (underLimit) messages.push(make.alert(alert));
    return { group, messages };
  }
  if (rank > open.sentRank && underLimit) {
    messages.push(make.alert(alert));
    return { group: { ...open, sentRank: rank }, messages };
  }
  return { group: { ...open, held: open.held + 1, heldAlerts: hold(open.heldAlerts, alert) }, messages };
}

/**
 * Alerts of one group raised together (a burst arrives as one bus message), decided in order as if
 * one by one, so that the store writes them in one transaction instead of one each.
 */
export function admitAlerts(
  channel: StaffChannel,
  alerts: readonly Alert[],
  found: AlertGroup | undefined,
  alertsLastMinute: number,
  now: number,
  make: MessageFactory,
): GroupChange {
  let group: AlertGroup | null | undefined = found;
  let sent = alertsLastMinute;
  const messages: StaffMessage[] = [];
  for (const alert of alerts) {
    const change = admitAlert(channel, alert, group ?? undefined, sent, now, make);
    group = change.group === undefined ? group : change.group;
    sent += change.messages.filter((m) => m.kind === 'alert').length;
    messages.push(...change.messages);
  }
  return { group, messages };
}

/** A group whose window has ended: gone, with its summary when it held alerts back. Unchanged while still open. */
export function closeGroup(found: AlertGroup | undefined, now: number, make: MessageFactory): GroupChange {
  if (!found || found.closesAt > now) return { group: undefined, messages: [] };
  return { group: null, messages: found.held > 0 ? [make.summary(found)] : [] };
}
