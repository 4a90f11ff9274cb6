import type { Clock } from '../core/clock.js';
import { HOUR } from '../core/time.js';
import type { ActivityEvent, DetectionEvent, Enrichment } from '../domain/activity-event.js';
import type { EventResult, Reason, SuppressedReason } from '../domain/event-schema.js';
import type { Severity } from '../domain/severity.js';
import { SEVERITY_RANK } from '../domain/severity.js';
import type { AlertBook, Finding } from './alert-book.js';
import type { Detector, Verdict } from './detector.js';
import { DetectionEventView } from './history.js';
import { type ListEntry, type ListLookup, type ListMatches, NO_LIST_MATCHES } from './lists.js';
import type { MemoryHistory } from './memory-history.js';
import type { Rule, RuleHit } from './rule.js';
import type { RuleEntry, RuleSet } from './rule-set.js';
import type { RuleHitCounter } from './rule-stats.js';
import { combineRisk, decide, type ScoringPolicy, severityOf } from './scoring.js';
import type { SnoozeLookup } from './snoozes.js';

/**
 * What detection keeps in memory, rebuilt at start from the stored events and open alerts
 * (`warmDetection`): recent history with its story marks (bounded by a byte budget), and the open
 * alerts repeats merge into.
 */
export interface DetectionMemory {
  readonly history: MemoryHistory;
  readonly alerts: AlertBook;
}

/** What people decided about detection: the rules in force with their configs and modes, the lists, the snoozes. */
export interface RuleBook {
  readonly rules: RuleSet;
  /** Allow and block lists; none when not given. */
  readonly lists?: ListLookup;
  /** Rules snoozed per account; none when not given. */
  readonly snoozes?: SnoozeLookup;
}

export interface DetectionEngineDependencies {
  readonly memory: DetectionMemory;
  readonly book: RuleBook;
  readonly policy: ScoringPolicy;
  readonly clock: Clock;
  /** A rule that throws is skipped for that event and reported here; it never fails ingestion. */
  readonly onRuleError: (ruleId: string, error: unknown) => void;
  /** Findings and alerts per rule and day, live and shadow. */
  readonly ruleHits?: RuleHitCounter;
}

/** The pseudo-rule a block-list entry fires as: it has no configuration, the list is its configuration. */
export const BLOCK_LIST_RULE: Pick<Rule, 'id' | 'title' | 'alertType'> = {
  id: 'block-list',
  title: 'On the block list',
  alertType: 'security',
};
const BLOCK_LIST_WINDOW_MS = HOUR;
const KIND_WORDS: Readonly<Record<ListEntry['kind'], string>> = {
  ip: 'IP',
  device: 'device',
  email: 'email',
  email_domain: 'email domain',
  country: 'country',
  payment_method: 'payment method',
  user: 'user',
};

/**
 * Scores each event with every enabled rule, against in-memory history only (no database read on
 * this path), combines the findings into one risk score and decision, and raises or updates an alert.
 * Shadow-mode rules, snoozes and allow-list entries make findings that are recorded (`suppressed`)
 * but count for nothing; a block-list entry is a critical finding of its own.
 */
export class DetectionEngine implements Detector {
  /** Shadow findings' last time per rule and subject: whether one "would have raised" an alert. */
  private readonly shadowSeen = new Map<string, number>();

  constructor(private readonly deps: DetectionEngineDependencies) {}

  score(event: ActivityEvent & { readonly id: string }, enrichment: Enrichment): Verdict {
    const now = this.deps.clock.now();
    let e: DetectionEvent = { ...event, enrichment };
    const lists = this.deps.book.lists?.matches(e, now) ?? NO_LIST_MATCHES;
    // Custom rules read list membership as enrichment.lists.allow / .block (the kinds matched).
    if (lists !== NO_LIST_MATCHES) {
      e = { ...e, enrichment: { ...enrichment, lists: { allow: kindsOf(lists.allow), block: kindsOf(lists.block) } } };
    }
    const { findings, reasons, suppressed } = this.evaluate(e, lists, now);
    this.remember(e);
    const withSuppressed = suppressed.length > 0 ? { suppressed } : undefined;
    if (findings.length === 0) return { decision: 'allow', risk: 0, severity: 'none', reasons: [], ...withSuppressed };

    const risk = combineRisk(findings.map((f) => f.hit.severity));
    const severity = severityOf(risk, this.deps.policy.thresholds);
    const decision = decide(
      severity,
      findings.map((f) => f.hit.decision),
      this.deps.policy.decisions,
    );
    if (severity === 'none') {
      this.count(e, findings, false);
      return { decision, risk, severity, reasons, ...withSuppressed };
    }
    const alert = this.deps.memory.alerts.raise(e, findings, { risk, severity, decision, reasons }, now);
    this.count(e, findings, alert.occurrences === 1);
    this.markStory(e, risk, severity, reasons, alert.id);
    return { decision, risk, severity, reasons, alertId: alert.id, alert, ...withSuppressed };
  }

  /** Replays older transactions at start, for amount baselines only. */
  warmAmounts(events: Iterable<DetectionEvent>): void {
    for (const e of events) this.deps.memory.history.recordAmount(new DetectionEventView(e));
  }

  /**
   * Replays stored events into memory at start: history, rule state and what each event earned
   * (for carried risk), no alerts.
   */
  warm(events: Iterable<DetectionEvent & { readonly result?: EventResult }>): void {
    for (const e of events) {
      this.remember(e);
      this.markStored(e);
    }
  }

  /**
   * The distributed mode's takeover: replays the stored events of users this worker has just taken
   * over, like `warm`, except for what of them already came from their previous owner
   * (`rememberSource`): their IP and device part, and what the rules observed of them, are not
   * counted twice.
   */
  adopt(events: Iterable<DetectionEvent & { readonly result?: EventResult }>): void {
    for (const e of events) {
      if (!this.deps.memory.history.adopt(new DetectionEventView(e))) this.observe(e);
      this.markStored(e);
    }
  }

  /**
   * The distributed mode: an event another worker scored and stored (cluster/source-share.ts). It is
   * kept where rules read across accounts (its IP, its device, the population's amounts) and the
   * rules observe it (a custom rule may count by IP or device), as one process would have: this
   * worker's users' next events are judged against it. An event with neither IP nor device is read
   * across accounts only for its amount.
   */
  rememberSource(e: DetectionEvent & { readonly result?: EventResult }): void {
    if (!this.deps.memory.history.recordSource(new DetectionEventView(e))) return;
    if (e.ip !== undefined || e.device !== undefined) this.observe(e);
    // Its shadow findings about an IP or a device count as this worker's own for "would have raised"
    // (not as findings: the worker that scored it counted those), so that a shadow rule's alerts
    // about one IP are counted once across workers, as in one process.
    for (const s of e.result?.suppressed ?? []) {
      if (s.suppressedBy !== 'shadow' || s.subject === undefined || this.deps.book.rules.get(s.rule)?.mode !== 'shadow') continue;
      // Only forward: a late or replayed event (a takeover reads 25 h back) must not make an older
      // finding the last one, and the next live finding "would raise" again.
      const key = shadowKey(s.rule, s.subject);
      const last = this.shadowSeen.get(key);
      if (last === undefined || e.occurredAt > last) this.sawShadow(key, e.occurredAt);
    }
  }

  /** The story mark a stored event earned, from its stored result. */
  private markStored(e: DetectionEvent & { readonly result?: EventResult }): void {
    const r = e.result;
    if (r === undefined || r.severity === 'none' || r.reasons.length === 0) return;
    this.markStory(e, r.risk, r.severity, r.reasons, r.alertId);
  }

  /** Remembers what an event earned, named by its strongest reason, for the events that follow it. */
  private markStory(
    e: DetectionEvent,
    risk: number,
    severity: Exclude<Severity, 'none'>,
    reasons: readonly Reason[],
    alertId?: string,
  ): void {
    const primary = reasons.reduce((a, b) => (SEVERITY_RANK[b.severity] > SEVERITY_RANK[a.severity] ? b : a));
    this.deps.memory.history.recordMark(e.user, {
      eventId: e.id,
      type: e.type,
      occurredAt: e.occurredAt,
      risk,
      severity,
      rule: primary.rule,
      message: primary.message,
      ...(e.session !== undefined && { session: e.session }),
      ...(e.device !== undefined && { device: e.device }),
      ...(alertId !== undefined && { alertId }),
    });
  }

  private evaluate(
    e: DetectionEvent,
    lists: ListMatches,
    now: number,
  ): { findings: Finding[]; reasons: Reason[]; suppressed: SuppressedReason[] } {
    const findings: Finding[] = [];
    const reasons: Reason[] = [];
    const suppressed: SuppressedReason[] = [];
    if (lists.block.length > 0) {
      const hit = blockListHit(lists.block);
      findings.push({ rule: BLOCK_LIST_RULE, hit, windowMs: BLOCK_LIST_WINDOW_MS });
      reasons.push(reasonOf(BLOCK_LIST_RULE.id, hit));
    }
    for (const entry of this.deps.book.rules.active()) {
      let hit: RuleHit | undefined;
      try {
        hit = entry.rule.evaluate(e, this.deps.memory.history, entry.config);
      } catch (error) {
        this.deps.onRuleError(entry.rule.id, error);
        continue;
      }
      if (!hit) continue;
      const id = entry.rule.id;
      if (entry.mode === 'shadow') {
        suppressed.push({ ...suppressedOf(id, hit), suppressedBy: 'shadow' });
        this.deps.ruleHits?.record(
          id,
          e.occurredAt,
          'shadow',
          this.wouldRaise(entry, hit.subject ?? { kind: 'user', value: e.user }, e.occurredAt),
        );
        continue;
      }
      const snooze = this.deps.book.snoozes?.snoozed(id, e.user, now);
      if (snooze !== undefined) {
        suppressed.push({ ...suppressedOf(id, hit), suppressedBy: 'snooze', ref: snooze.id });
        this.deps.ruleHits?.record(id, e.occurredAt, 'live', false);
        continue;
      }
      const allowed = lists.allow.length > 0 ? lists.allow.find((a) => a.rules.length === 0 || a.rules.includes(id)) : undefined;
      if (allowed !== undefined) {
        suppressed.push({ ...suppressedOf(id, hit), suppressedBy: 'allow-list', ref: allowed.id });
        this.deps.ruleHits?.record(id, e.occurredAt, 'live', false);
        continue;
      }
      findings.push({ rule: entry.rule, hit, windowMs: entry.rule.windowMs(entry.config) });
      reasons.push(reasonOf(id, hit));
    }
    return { findings, reasons, suppressed };
  }

  private count(e: DetectionEvent, findings: readonly Finding[], opened: boolean): void {
    const counter = this.deps.ruleHits;
    if (!counter) return;
    for (const f of findings) counter.record(f.rule.id, e.occurredAt, 'live', opened);
  }

  /** A shadow finding would have raised an alert unless one of its rule and subject was raised within the rule's window. */
  private wouldRaise(entry: RuleEntry, subject: { readonly kind: string; readonly value: string }, at: number): boolean {
    const key = shadowKey(entry.rule.id, subject);
    const last = this.shadowSeen.get(key);
    const raise = last === undefined || Math.abs(at - last) > entry.rule.windowMs(entry.config);
    if (raise || at > (last ?? 0)) this.sawShadow(key, at);
    return raise;
  }

  private sawShadow(key: string, at: number): void {
    this.shadowSeen.delete(key);
    this.shadowSeen.set(key, at);
    // Bounded, oldest first (insertion order): a forgotten subject at worst counts one alert again.
    if (this.shadowSeen.size > 100_000) this.shadowSeen.delete(this.shadowSeen.keys().next().value as string);
  }

  private remember(e: DetectionEvent): void {
    // Read through, not copied (DetectionEventView): the history keeps a compact form of its own.
    this.deps.memory.history.record(new DetectionEventView(e));
    for (const entry of this.deps.book.rules.active()) entry.rule.observe?.(e, entry.config);
  }

  private observe(e: DetectionEvent): void {
    for (const entry of this.deps.book.rules.active()) entry.rule.observe?.(e, entry.config);
  }
}

function reasonOf(rule: string, hit: RuleHit): Reason {
  return { rule, severity: hit.severity, message: hit.message, evidence: { ...hit.evidence } };
}

const shadowKey = (rule: string, subject: { readonly kind: string; readonly value: string }) =>
  `${rule}\u0000${subject.kind}\u0000${subject.value}`;

/** A finding counted for nothing, naming the IP or device it is about (rememberSource reads it). */
function suppressedOf(rule: string, hit: RuleHit): Reason & Pick<SuppressedReason, 'subject'> {
  const about = hit.subject;
  return about === undefined || about.kind === 'user'
    ? reasonOf(rule, hit)
    : { ...reasonOf(rule, hit), subject: { kind: about.kind, value: about.value } };
}

function kindsOf(entries: readonly ListEntry[]): string[] {
  return [...new Set(entries.map((e) => e.kind))];
}

function blockListHit(entries: readonly ListEntry[]): RuleHit {
  const first = entries[0] as ListEntry;
  const more = entries.length > 1 ? ` (+${entries.length - 1} more entr${entries.length > 2 ? 'ies' : 'y'})` : '';
  return {
    severity: 'critical',
    message: `${KIND_WORDS[first.kind]} ${first.value} is on the block list: ${first.reason}${more}`,
    evidence: { entries: entries.map((e) => ({ id: e.id, kind: e.kind, value: e.value, reason: e.reason, createdBy: e.createdBy })) },
    suggestedActions: ['review_transaction'],
    decision: 'block',
  };
}
