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
/**
 * How long a claim on a period holds while its email is on the way: a process that dies before it
 * has sent the digest delays it by this much, and another process (or this one restarted) sends it
 * then. Longer than any send takes, so a slow SMTP server does not get the digest sent twice.
 */
export const DIGEST_LEASE_MS = 10 * 60_000;

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
  readonly store: Pick<StaffNotifyStore, 'claimDigest' | 'finishDigest' | 'releaseDigest'>;
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
 * ended, counted and listed by severity, sent through the notifier (SMTP, or the outbox). One process
 * sends each period's digest: the one that claims the period's row. The claim is a lease until the
 * email has gone out, so a process that dies in between delays the digest (DIGEST_LEASE_MS) instead
 * of losing it; one that dies after sending and before finishing has it sent twice. Only
 * the last complete period is sent, never older ones a stopped Vigil missed, and a period without
 * alerts sends nothing (an empty email every hour teaches people to ignore the digest).
 */
export class StaffDigest {
  /** The last period known done: the timer asks every few seconds, the database once a period (more while another holds it). */
  private done = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: StaffDigestDeps) {}

  /** Sends the last complete period's digest if nobody has; resolves with how many emails left. */
  async runDue(): Promise<number> {
    const { cadence, recipients, store, clock } = this.deps;
    if (cadence === 'off' || recipients.length === 0) return 0;
    const now = clock.now();
    const period = lastPeriod(cadence, now);
    if (period.start <= this.done) return 0;
    const leaseUntil = now + DIGEST_LEASE_MS;
    const claim = await store.claimDigest(cadence, period.start, now, leaseUntil);
    // Held: another process is sending it, or died doing so and its claim runs out; asked again next tick.
    if (claim === 'held') return 0;
    if (claim === 'sent') {
      this.done = period.start;
      return 0;
    }
    const alerts = await this.alertsIn(period.start, period.end);
    let sent = 0;
    if (alerts.length > 0) {
      const { subject, text } = this.compose(cadence, period, alerts);
      for (const to of recipients) {
        const result = await this.deps.notifier.send({ channel: 'email', to, subject, text });
        if (result.ok) sent++;
      }
      if (sent === 0) {
        // Nobody got it: the claim is given back, so that the next tick (here or elsewhere) tries again.
        await store.releaseDigest(cadence, period.start, leaseUntil);
        this.deps.log.warn(`the ${cadence} alert digest could not be sent to anyone; trying again shortly`);
        return 0;
      }
    }
    // Only now is the period done: a crash before this line leaves the claim to run out, not the digest lost.
    await store.finishDigest(cadence, period.start, leaseUntil, clock.now());
    this.done = period.start;
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
