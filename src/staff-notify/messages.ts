import { assertExhaustive } from '../core/result.js';
import { type Alert, alertUser } from '../domain/alert.js';
import { SEVERITIES, type Severity } from '../domain/severity.js';
import type { HeldAlerts, StaffChannelKind } from './ports.js';

/**
 * What staff read in chat, one shape per service:
 *  - Slack incoming webhooks take `{ text, blocks }`: `text` is the notification's fallback line, the
 *    Block Kit blocks are what the channel shows (header, fields, reasons, a button to the alert).
 *  - Microsoft Teams (incoming webhooks and Workflows) take `{ type: "message", attachments: [...] }`
 *    with one Adaptive Card (`application/vnd.microsoft.card.adaptive`).
 *  - A generic chat webhook gets `{ kind, text, url, fields: [{ name, value }] }` plus the alert's own
 *    fields, for tools that show `text` (Mattermost, Rocket.Chat, Google Chat, Discord via a bridge)
 *    and for scripts that read the rest.
 *
 * Alert text comes partly from outside (user ids, user agents, places, custom rules' messages), so it
 * is escaped for each service's markup: a user id can never become a link or a mention in a channel.
 */

/** One line of facts, as every service shows them. */
interface Fact {
  readonly name: string;
  readonly value: string;
}

/** What one message says, before it is dressed for a service. */
interface Content {
  readonly kind: 'alert' | 'summary' | 'test';
  readonly severity: Severity | null;
  readonly title: string;
  readonly facts: readonly Fact[];
  /** Bullet lines under the facts (reasons). */
  readonly lines: readonly string[];
  readonly url: string | null;
  readonly footer: string;
}

const LABEL: Readonly<Record<Severity, string>> = { none: 'None', low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };
const SLACK_MARK: Readonly<Record<Severity, string>> = { none: '⚪', low: '🔵', medium: '🟡', high: '🟠', critical: '🔴' };
const TEAMS_COLOR: Readonly<Record<Severity, string>> = {
  none: 'Default',
  low: 'Accent',
  medium: 'Warning',
  high: 'Attention',
  critical: 'Attention',
};
const MAX_REASONS = 5;

/** The dashboard page of an alert. */
export function alertUrl(publicUrl: string, alertId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/admin/alerts/${encodeURIComponent(alertId)}`;
}

function alertContent(alert: Alert, publicUrl: string, escalated: boolean): Content {
  const where = [alert.ip, [alert.city, alert.country].filter(Boolean).join(', ')].filter((s) => s !== undefined && s !== '');
  const reasons = alert.reasons.slice(0, MAX_REASONS).map((r) => `${r.message} (${r.rule}, ${r.severity})`);
  if (alert.reasons.length > MAX_REASONS) reasons.push(`and ${alert.reasons.length - MAX_REASONS} more`);
  return {
    kind: 'alert',
    severity: alert.severity,
    title: `${escalated ? `Escalated to ${LABEL[alert.severity]}` : LABEL[alert.severity]}: ${alert.summary}`,
    facts: [
      { name: 'Severity', value: `${LABEL[alert.severity]} (risk ${alert.risk})` },
      { name: 'User', value: alertUser(alert) },
      { name: 'Rule', value: alert.ruleId },
      { name: 'Decision', value: alert.decision },
      ...(where.length > 0 ? [{ name: 'From', value: where.join(' · ') }] : []),
    ],
    lines: reasons,
    url: alertUrl(publicUrl, alert.id),
    footer: `Vigil alert ${alert.id} · ${alert.type} · ${new Date(alert.createdAt).toISOString()}`,
  };
}

function summaryContent(held: HeldAlerts, count: number, from: number, to: number, publicUrl: string): Content {
  const top = [...SEVERITIES].reverse().find((s) => (held.bySeverity[s] ?? 0) > 0) ?? null;
  const bySeverity = [...SEVERITIES]
    .reverse()
    .filter((s) => (held.bySeverity[s] ?? 0) > 0)
    .map((s) => `${held.bySeverity[s]} ${s}`)
    .join(', ');
  const others = count - held.subjects.length;
  const minutes = Math.max(1, Math.round((to - from) / 60_000));
  return {
    kind: 'summary',
    severity: top,
    title: `${count} more alert${count === 1 ? '' : 's'} like this in ${minutes} min: ${held.title}`,
    facts: [
      { name: 'Alerts', value: `${count} (${bySeverity})` },
      { name: 'Rule', value: held.ruleId },
      { name: 'Users', value: `${held.subjects.join(', ')}${others > 0 ? ` and ${others} more` : ''}` },
      { name: 'Period', value: `${new Date(from).toISOString()} – ${new Date(to).toISOString()}` },
    ],
    lines: [],
    url: held.lastAlertId === null ? null : alertUrl(publicUrl, held.lastAlertId),
    footer: 'Held back so that an attack sends one message instead of hundreds; each alert is in the dashboard.',
  };
}

function testContent(channelName: string): Content {
  return {
    kind: 'test',
    severity: null,
    title: `Vigil test message for ${channelName}`,
    facts: [],
    lines: ['If you can read this, Vigil can post alerts to this channel.'],
    url: null,
    footer: 'Sent by an admin from Vigil.',
  };
}

/** The JSON body posted for an alert. */
export function alertMessage(kind: StaffChannelKind, alert: Alert, publicUrl: string, escalated = false): string {
  return JSON.stringify(render(kind, alertContent(alert, publicUrl, escalated), alertFields(alert, publicUrl)));
}

/** The JSON body posted when a group closes: how many alerts like its first were held back. */
export function summaryMessage(
  kind: StaffChannelKind,
  held: HeldAlerts,
  count: number,
  from: number,
  to: number,
  publicUrl: string,
): string {
  return JSON.stringify(
    render(kind, summaryContent(held, count, from, to, publicUrl), {
      group: { ruleId: held.ruleId, title: held.title, count, bySeverity: held.bySeverity, subjects: held.subjects, from, to },
    }),
  );
}

export function testMessage(kind: StaffChannelKind, channelName: string): string {
  return JSON.stringify(render(kind, testContent(channelName), {}));
}

/** The alert's own fields for the generic chat webhook, for scripts. */
function alertFields(alert: Alert, publicUrl: string) {
  return {
    alert: {
      id: alert.id,
      url: alertUrl(publicUrl, alert.id),
      summary: alert.summary,
      severity: alert.severity,
      risk: alert.risk,
      decision: alert.decision,
      type: alert.type,
      ruleId: alert.ruleId,
      user: alertUser(alert),
      reasons: alert.reasons.map((r) => ({ rule: r.rule, severity: r.severity, message: r.message })),
      createdAt: new Date(alert.createdAt).toISOString(),
    },
  };
}

function render(kind: StaffChannelKind, c: Content, extra: Readonly<Record<string, unknown>>): unknown {
  switch (kind) {
    case 'slack':
      return slack(c);
    case 'teams':
      return teams(c);
    case 'chat':
      return chat(c, extra);
    default:
      return assertExhaustive(kind, 'channel kind');
  }
}

/** Slack's mrkdwn treats `&`, `<` and `>` as markup (links, mentions): these three are escaped, as Slack documents. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

function slack(c: Content) {
  const mark = c.severity === null ? 'ℹ️' : SLACK_MARK[c.severity];
  const blocks: unknown[] = [
    // Header blocks take plain text only, at most 150 characters.
    { type: 'header', text: { type: 'plain_text', text: clip(`${mark} ${c.title}`, 150), emoji: true } },
  ];
  if (c.facts.length > 0) {
    blocks.push({
      type: 'section',
      // At most 10 fields of 2,000 characters each.
      fields: c.facts.slice(0, 10).map((f) => ({ type: 'mrkdwn', text: clip(`*${f.name}*\n${slackEscape(f.value)}`, 2000) })),
    });
  }
  if (c.lines.length > 0) {
    const heading = c.kind === 'alert' ? '*Reasons*\n' : '';
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(heading + c.lines.map((l) => `• ${slackEscape(l)}`).join('\n'), 3000) },
    });
  }
  if (c.url !== null) {
    blocks.push({
      type: 'actions',
      elements: [
        { type: 'button', text: { type: 'plain_text', text: 'Open in Vigil' }, url: c.url, ...(c.kind === 'alert' && { style: 'danger' }) },
      ],
    });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(c.footer) }] });
  // `text` is the notification and screen-reader line; Slack shows the blocks in the channel.
  return { text: slackEscape(`${mark} ${c.title}${c.url ? ` ${c.url}` : ''}`), blocks };
}

/**
 * Adaptive Cards read a Markdown subset in TextBlocks and facts, links included: `[text](url)` from an
 * alert's text (a user id, a custom rule's message) would show as a link to anywhere. A zero-width
 * space between `]` and `(` breaks the link syntax and shows the same characters. Emphasis is left: it
 * cannot point anywhere, and backslash escapes are not documented for cards.
 */
export function teamsEscape(text: string): string {
  return text.replace(/\]\s*\(/g, (m) => `${m.slice(0, -1)}\u200B(`);
}

function teams(c: Content) {
  const body: unknown[] = [
    {
      type: 'TextBlock',
      text: teamsEscape(c.title),
      weight: 'Bolder',
      size: 'Medium',
      wrap: true,
      ...(c.severity !== null && { color: TEAMS_COLOR[c.severity] }),
    },
  ];
  if (c.facts.length > 0) body.push({ type: 'FactSet', facts: c.facts.map((f) => ({ title: f.name, value: teamsEscape(f.value) })) });
  for (const line of c.lines) body.push({ type: 'TextBlock', text: `• ${teamsEscape(line)}`, wrap: true, spacing: 'Small' });
  body.push({ type: 'TextBlock', text: teamsEscape(c.footer), wrap: true, size: 'Small', isSubtle: true });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          // Teams draws the card at the channel's width instead of a narrow default.
          msteams: { width: 'Full' },
          body,
          ...(c.url !== null && { actions: [{ type: 'Action.OpenUrl', title: 'Open in Vigil', url: c.url }] }),
        },
      },
    ],
  };
}

function chat(c: Content, extra: Readonly<Record<string, unknown>>) {
  const text = [c.title, ...c.facts.map((f) => `${f.name}: ${f.value}`), ...c.lines.map((l) => `- ${l}`), ...(c.url ? [c.url] : [])].join(
    '\n',
  );
  return { kind: c.kind, text, severity: c.severity, url: c.url, fields: c.facts, ...extra };
}
