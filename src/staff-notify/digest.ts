import type { Clock } from '../core/clock.js';
import type { Alert } from '../domain/alert.js';
import { alertUser } from '../domain/alert.js';
import { SEVERITIES, type Severity } from '../domain/severity.js';
import type { Notifier } from '../notify/ports.js';
import type { StaffNotifyLogger } from './channel-delivery.js';
import { alertUrl } from './messages.js';
import type { StaffNotifyStore } from './ports.js';

export const DIGEST_CADENCES = ['off', 'hourly', 'daily'] as const;
export type DigestCadence = (typeof DIGEST_CADENCES)[number];

const PERIOD_MS: Readonly<Record<Exclude<DigestCadence, 'off'>, number>> = { hourly: 3_600_000, daily: 86_400_000 };
/** Alerts listed per severity; the rest are counted, with a link to the dashboard's list. */
const LISTED_PER_SEVERITY = 50;
const PAGE = 500;

/** Alerts raised in a period, as the alert store lists them (newest first, paged by `after`: the last one's time and id). */
export interface DigestAlerts {
  list(query: {
    readonly from: number;
    readonly to: number;
    readonly limit: number;
    readonly after?: { readonly key: number; readonly id: string };
  }): Promise<readonly Alert[]>;
}

export interface StaffDigestDeps {
  readonly store: Pick<StaffNotifyStore, 'claimDigest' | 'releaseDigest'>;
  readonly alerts: DigestAlerts;
  readonly notifier: Notifier;
  /** VIGIL_ADMIN_ALERT_EMAILS: who gets it. */
  readonly recipients: readonly string[];
  readonly cadence: DigestCadence;
  readonly publicUrl: string;
  readonly clock: Clock;
  readonly log: StaffNotifyLogger;
}

/** The period a digest covers: [start, end) in UTC, the last one complete at `now`. */
export function lastPeriod(cadence: Exclude<DigestCadence, 'off'>, now: number): { readonly start: number; readonly end: number } {
  const length = PERIOD_MS[cadence];
  const end = Math.floor(now / length) * length;
  return { start: end - length, end };
}

/**
 * The admins' email digest: every hour or day (UTC), the alerts raised in the period that just
 * ended, counted and listed by severity, sent through the notifier (SMTP, or the outbox). Exactly one
 * process sends each period's digest: it is the one whose row for the period is inserted first. Only
 * the last complete period is sent, never older ones a stopped Vigil missed, and a period without
 * alerts sends nothing (an empty email every hour teaches people to ignore the digest).
 */
export class StaffDigest {
  /** The last period this process dealt with: the timer asks every few seconds, the database once a period. */
  private done = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: StaffDigestDeps) {}

  /** Sends the last complete period's digest if nobody has; resolves with how many emails left. */
  async runDue(): Promise<number> {
    const { cadence, recipients, store, clock } = this.deps;
    if (cadence === 'off' || recipients.length === 0) return 0;
    const now = clock.now();
    const period = lastPeriod(cadence, now);
    if (period.start <= this.done) return 0;
    this.done = period.start;
    if (!(await store.claimDigest(cadence, period.start, now))) return 0;
    const alerts = await this.alertsIn(period.start, period.end);
    if (alerts.length === 0) return 0;
    const { subject, text } = this.compose(cadence, period, alerts);
    let sent = 0;
    for (const to of recipients) {
      const result = await this.deps.notifier.send({ channel: 'email', to, subject, text });
      if (result.ok) sent++;
    }
    if (sent === 0) {
      // Nobody got it: the claim is given back, so that the next tick (here or elsewhere) tries again.
      await store.releaseDigest(cadence, period.start);
      this.done = Number.NEGATIVE_INFINITY;
      this.deps.log.warn(`the ${cadence} alert digest could not be sent to anyone; trying again shortly`);
    }
    return sent;
  }

  private async alertsIn(from: number, to: number): Promise<Alert[]> {
    const all: Alert[] = [];
    let after: { key: number; id: string } | undefined;
    for (;;) {
      const page = await this.deps.alerts.list({ from, to, limit: PAGE, ...(after && { after }) });
      all.push(...page);
      const last = page.at(-1);
      if (page.length < PAGE || !last) return all;
      after = { key: last.createdAt, id: last.id };
    }
  }

  private compose(cadence: Exclude<DigestCadence, 'off'>, period: { start: number; end: number }, alerts: readonly Alert[]) {
    const order = [...SEVERITIES].reverse().filter((s) => s !== 'none');
    const bySeverity = new Map<Severity, Alert[]>(order.map((s) => [s, []]));
    for (const a of alerts) bySeverity.get(a.severity)?.push(a);
    const counts = order.map((s) => `${s} ${bySeverity.get(s)?.length ?? 0}`).join(' · ');
    const top = order.find((s) => (bySeverity.get(s)?.length ?? 0) > 0);
    const when = `${utc(period.start)} to ${utc(period.end)} UTC`;
    const base = this.deps.publicUrl.replace(/\/+$/, '');
    const lines = [`${alerts.length} alert${alerts.length === 1 ? ' was' : 's were'} raised from ${when}.`, counts, ''];
    for (const s of order) {
      const list = (bySeverity.get(s) ?? []).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
      if (list.length === 0) continue;
      lines.push(`${s[0]?.toUpperCase()}${s.slice(1)} (${list.length})`);
      for (const a of list.slice(0, LISTED_PER_SEVERITY)) {
        lines.push(`- ${utc(a.createdAt).slice(11)} ${a.summary} (user ${alertUser(a)}, ${a.ruleId}, ${a.status})`);
        lines.push(`  ${alertUrl(base, a.id)}`);
      }
      if (list.length > LISTED_PER_SEVERITY) {
        lines.push(`- and ${list.length - LISTED_PER_SEVERITY} more: ${base}/admin/alerts?severity=${s}`);
      }
      lines.push('');
    }
    lines.push(`Vigil sends this ${cadence} digest to VIGIL_ADMIN_ALERT_EMAILS (VIGIL_STAFF_DIGEST=${cadence}).`);
    return {
      subject: `Vigil ${cadence} digest: ${alerts.length} alert${alerts.length === 1 ? '' : 's'}${top ? `, highest ${top}` : ''} (${when})`,
      text: lines.join('\n'),
    };
  }
}

/** `2026-03-10 11:00` (UTC). */
function utc(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}
