import type { LRUCache } from 'lru-cache';
import { boundedCache } from '../core/bounded-cache.js';
import type { DetectionEvent } from '../domain/activity-event.js';
import {
  type Alert,
  type AlertEventSnapshot,
  type AlertStatus,
  isAccountAlert,
  type OpenAlertHead,
  type SuggestedAction,
} from '../domain/alert.js';
import { raiseAlert } from '../domain/alert-raiser.js';
import type { Decision, Reason } from '../domain/event-schema.js';
import type { Severity } from '../domain/severity.js';
import { SEVERITY_RANK } from '../domain/severity.js';
import { OPEN_STATUSES } from '../domain/vocabulary.js';
import type { Rule, RuleHit } from './rule.js';

export interface Finding {
  readonly rule: Pick<Rule, 'id' | 'title' | 'alertType'>;
  readonly hit: RuleHit;
  readonly windowMs: number;
}

/** An open alert of which a start read only the head: the rest is read before an event may grow it. */
type UnloadedAlert = OpenAlertHead & { readonly unloaded: true };
/** What the book holds of an open alert: all of it, or its head until an event about its subject comes. */
type HeldAlert = Alert | UnloadedAlert;
/** What an event may grow an alert about: itself (its user), its IP, its device (see `loadFor`). */
type EventSubjects = Pick<DetectionEvent, 'user' | 'ip' | 'device'>;

/**
 * Turns findings into alerts. Open alerts are indexed in memory by rule and subject, so a repeat
 * within the rule's window updates the open alert (occurrences, last seen) instead of flooding the
 * feed, without reading the database on the scoring path.
 *
 * At start, the book takes the open alerts' heads only (`warmHeads`): their events and reasons are
 * most of their rows, and reading them all made a third of a restart (17,922 alerts, 45 MB of row
 * text: 0.9 to 1.7 s). The rest of an alert is read once, before the first event that may grow it is
 * scored (`loadFor`, which the ingest pipeline awaits), in one read for the batch's alerts.
 */
export class AlertBook {
  private readonly open: LRUCache<string, HeldAlert>;
  private readonly keyOf = new Map<string, string>();
  /** The dedup keys of the unloaded alerts, by subject (`kind|value`); emptied as they load. */
  private readonly unloadedAbout = new Map<string, string[]>();
  private unloaded = 0;
  private loadAlerts: (ids: readonly string[]) => Promise<readonly Alert[]> = async () => [];
  /** Alerts this book found raised second at the same moment as another (sharedSourceAlert), bounded. */
  private readonly duplicates = boundedCache<string, true>(10_000);
  /**
   * Whose account alerts this process scores: everyone's in one process; in the distributed mode only
   * the users of the partitions it owns (none in an api). Alerts about others that reach it (people's
   * transitions, other workers' updates, all announced to every process) are not kept: they would
   * only take room in the bounded book from the alerts this process must merge repeats into.
   */
  private scores: (user: string) => boolean = () => true;

  constructor(maxOpen = 100_000) {
    this.open = boundedCache(maxOpen, {
      dispose: (alert) => {
        this.keyOf.delete(alert.id);
        if (isUnloaded(alert)) this.unloaded -= 1;
      },
    });
  }

  /** Loads open alerts at start. */
  warm(alerts: Iterable<Alert>): void {
    for (const a of alerts) if (OPEN_STATUSES.has(a.status) && this.inScope(a)) this.remember(a);
  }

  /** Takes open alerts' heads at start; `load` reads the rest of those an event may grow (`loadFor`). */
  warmHeads(heads: Iterable<OpenAlertHead>, load: (ids: readonly string[]) => Promise<readonly Alert[]>): void {
    this.loadAlerts = load;
    for (const head of heads) {
      // Traffic alerts are grown by the volume monitor, never by a finding: nothing here would read them.
      if (head.subject.kind === 'status' || !OPEN_STATUSES.has(head.status) || !this.inScope(head)) continue;
      this.remember({ ...head, unloaded: true });
      this.unloaded += 1;
      const about = subjectKey(head.subject.kind, head.subject.value);
      const keys = this.unloadedAbout.get(about);
      if (keys) keys.push(head.dedupKey);
      else this.unloadedAbout.set(about, [head.dedupKey]);
    }
  }

  /**
   * Reads the rest of the held alerts these events may grow: those about their users, IPs and devices
   * (every rule's finding is about one of them, `Subject`; a story grows its own user's alert).
   * Undefined when there is nothing to read: at no cost once every head is read or gone, and three
   * map lookups an event while some are left.
   */
  loadFor(events: readonly EventSubjects[]): Promise<void> | undefined {
    if (this.unloaded === 0) {
      this.unloadedAbout.clear();
      return undefined;
    }
    const ids = new Set<string>();
    const abouts: string[] = [];
    const collect = (kind: string, value: string | undefined) => {
      if (value === undefined) return;
      const about = subjectKey(kind, value);
      const keys = this.unloadedAbout.get(about);
      if (keys === undefined) return;
      abouts.push(about);
      for (const key of keys) {
        const held = this.unloadedAt(key);
        if (held !== undefined) ids.add(held.id);
      }
    };
    for (const e of events) {
      collect('user', e.user);
      collect('ip', e.ip);
      collect('device', e.device);
    }
    if (ids.size > 0) return this.load([...ids], abouts);
    for (const about of abouts) this.unloadedAbout.delete(about);
    return undefined;
  }

  /** Reads these alerts whole; their subjects' entries are dropped once read (kept if the read fails). */
  private async load(ids: readonly string[], abouts: readonly string[]): Promise<void> {
    const alerts = new Map((await this.loadAlerts(ids)).map((a) => [a.id, a]));
    for (const id of ids) {
      const key = this.keyOf.get(id);
      const held = key === undefined ? undefined : this.open.peek(key);
      // Moved on meanwhile (a person closed it, or a newer state came): what came is newer.
      if (key === undefined || held === undefined || held.id !== id || !isUnloaded(held)) continue;
      const alert = alerts.get(id);
      if (alert !== undefined && OPEN_STATUSES.has(alert.status) && alert.dedupKey === key) this.remember(alert);
      else this.open.delete(key);
    }
    for (const about of abouts) {
      const keys = this.unloadedAbout.get(about);
      if (keys !== undefined && !keys.some((key) => this.unloadedAt(key) !== undefined)) this.unloadedAbout.delete(about);
    }
  }

  /** The head held under this key if its alert is not read yet (peeked: reading it is not a use). */
  private unloadedAt(key: string): UnloadedAlert | undefined {
    const held = this.open.peek(key);
    return held !== undefined && isUnloaded(held) ? held : undefined;
  }

  /** The distributed mode: keep account alerts only of the users `scores` selects, from now on and now. */
  keepOnly(scores: (user: string) => boolean): void {
    this.scores = scores;
    for (const [key, alert] of [...this.open.entries()]) if (!this.inScope(alert)) this.open.delete(key);
  }

  /** How many open alerts are held, for GET /metrics. */
  get size(): number {
    return this.open.size;
  }

  /** Alerts about a source or a status are not any one partition's: kept, as before the scale-out. */
  private inScope(alert: HeldAlert | OpenAlertHead): boolean {
    return alert.subject.kind !== 'user' || this.scores(alert.subject.value);
  }

  /** The open alert of this key, loaded: scoring awaited `loadFor` for its event. */
  private loaded(key: string): Alert | undefined {
    const held = this.open.get(key);
    if (held !== undefined && isUnloaded(held))
      throw new Error(`Open alert ${held.id} was scored against before it was loaded (AlertBook.loadFor).`);
    return held;
  }

  /** The alert, new or updated, that this event's findings amount to: drafted here, raised by `raiseAlert`. */
  raise(
    event: DetectionEvent,
    findings: readonly Finding[],
    score: { risk: number; severity: Severity; decision: Decision; reasons: readonly Reason[] },
    now: number,
  ): Alert {
    const primary = [...findings].sort((a, b) => SEVERITY_RANK[b.hit.severity] - SEVERITY_RANK[a.hit.severity])[0] as Finding;
    const subject = primary.hit.subject ?? { kind: 'user' as const, value: event.user };
    const dedupKey = `${primary.rule.id}|${subject.kind}|${subject.value}`;
    // A finding that continues an earlier event's story grows that story's alert, whatever its rule.
    const story = subject.kind === 'user' ? this.storyAlert(findings, event.user) : undefined;
    const geo = event.enrichment.geo;
    const fields = {
      dedupKey,
      ruleId: primary.rule.id,
      ruleIds: unique(findings.map((f) => f.rule.id)),
      user: event.user,
      ...(event.session !== undefined && { session: event.session }),
      ...(event.device !== undefined && { device: event.device }),
      ...(event.ip !== undefined && { ip: event.ip }),
      ...(geo?.country !== undefined && { country: geo.country }),
      ...(geo?.city !== undefined && { city: geo.city }),
      ...(event.enrichment.userAgent && { userAgent: event.enrichment.userAgent.summary }),
      summary: summarize(event.user, primary, findings.length),
      type: primary.rule.alertType,
      severity: score.severity,
      risk: score.risk,
      decision: score.decision,
      reasons: score.reasons,
      events: [snapshotOf(event)],
      relatedEventIds: unique(findings.flatMap((f) => f.hit.relatedEventIds ?? [])),
      suggestedActions: unique(findings.flatMap((f) => f.hit.suggestedActions ?? [])),
      occurrences: 1,
      firstSeenAt: event.occurredAt,
      lastSeenAt: event.occurredAt,
    };
    const { alert } = raiseAlert(
      {
        kind: 'sighting',
        // Two branches, one per subject, so that the compiler pairs each with its kind of alert.
        fields: subject.kind === 'user' ? { ...fields, subject } : { ...fields, subject },
        windowMs: story?.windowMs ?? primary.windowMs,
      },
      story?.alert ?? this.loaded(dedupKey),
      now,
    );
    this.remember(alert);
    return alert;
  }

  /** The open alert about this user that one of the findings continues, with that finding's window. */
  private storyAlert(findings: readonly Finding[], user: string): { alert: Alert; windowMs: number } | undefined {
    for (const f of findings) {
      const id = f.hit.continuesAlertId;
      if (id === undefined) continue;
      const key = this.keyOf.get(id);
      // A mark may name an alert about an IP or a device (the alert its event grew): not this story's,
      // and perhaps not read yet after a start (loadFor reads the batch's own subjects only).
      const held = key === undefined ? undefined : this.open.peek(key);
      if (held === undefined || held.id !== id || held.subject.kind !== 'user' || held.subject.value !== user) continue;
      const alert = this.loaded(key as string);
      if (alert && isAccountAlert(alert) && alert.user === user) return { alert, windowMs: f.windowMs };
    }
    return undefined;
  }

  /** A person moved an alert on: a closed alert no longer absorbs repeats. */
  statusChanged(alert: Alert): void {
    if (OPEN_STATUSES.has(alert.status)) {
      if (this.inScope(alert)) this.remember(alert);
    } else {
      const key = this.keyOf.get(alert.id);
      if (key !== undefined && this.open.get(key)?.id === alert.id) this.open.delete(key);
    }
  }

  /**
   * An alert about an IP or a device that another worker raised or grew (the distributed mode's
   * shared sources). Two workers scoring events of one IP at the same moment, each before the
   * other's alert reached it, each raise one: one process would have raised the first and grown it.
   * Left to the order messages arrive in, each worker then held the other's alert and grew it, and
   * both alerts went on growing in turns. So when this book holds another open alert of the same rule
   * and subject, within `windowMs` of it (the one would have absorbed the other), the one raised
   * first (creation time, then id) is kept by every worker alike, and the other is named to be
   * closed as a duplicate, whichever of the two came here: every worker that sees both says so (the
   * closing is a compare-and-swap, done once), so it is closed even if its raiser stopped. An alert
   * raised after the window passed is the next alert, and replaces the one held, as before; and an
   * alert this book gave way from does not come back (its other messages may still be under way).
   */
  sharedSourceAlert(
    alert: Alert,
    windowMs: number | undefined,
  ): { readonly duplicate: OpenAlertHead; readonly kept: OpenAlertHead } | undefined {
    if (this.duplicates.has(alert.id)) return undefined;
    const held = this.open.get(alert.dedupKey);
    if (!OPEN_STATUSES.has(alert.status) || held === undefined || !OPEN_STATUSES.has(held.status)) {
      this.statusChanged(alert);
      return undefined;
    }
    if (held.id === alert.id) {
      // An older state of the alert than the one held (this worker grew it since): kept as it is.
      if (alert.occurrences >= held.occurrences) this.remember(alert);
      return undefined;
    }
    const concurrent =
      windowMs !== undefined && alert.firstSeenAt <= held.lastSeenAt + windowMs && held.firstSeenAt <= alert.lastSeenAt + windowMs;
    if (!concurrent) {
      this.remember(alert);
      return undefined;
    }
    if (raisedBefore(held, alert)) {
      this.duplicates.set(alert.id, true);
      return { duplicate: alert, kept: held };
    }
    this.remember(alert);
    this.keyOf.delete(held.id);
    this.duplicates.set(held.id, true);
    return { duplicate: held, kept: alert };
  }

  private remember(alert: HeldAlert): void {
    this.open.set(alert.dedupKey, alert);
    this.keyOf.set(alert.id, alert.dedupKey);
  }
}

const isUnloaded = (held: HeldAlert): held is UnloadedAlert => 'unloaded' in held;
const subjectKey = (kind: string, value: string) => `${kind}|${value}`;

/** Which of two alerts was raised first: by creation time, then by id, the same answer on every worker. */
function raisedBefore(a: OpenAlertHead, b: OpenAlertHead): boolean {
  return a.createdAt !== b.createdAt ? a.createdAt < b.createdAt : a.id < b.id;
}

export function isOpen(status: AlertStatus): boolean {
  return OPEN_STATUSES.has(status);
}

function summarize(user: string, primary: Finding, count: number): string {
  const more = count > 1 ? ` (+${count - 1} more signal${count > 2 ? 's' : ''})` : '';
  // A message that opens with the rule's own words ("Login from a new device…" under "Login from a
  // new device, country or network") would read twice: the title is left out then.
  const opening = (text: string) =>
    text
      .toLowerCase()
      .split(/[\s,]+/)
      .slice(0, 3)
      .join(' ');
  if (opening(primary.hit.message) === opening(primary.rule.title)) return `${user}: ${primary.hit.message}${more}`;
  return `${primary.rule.title} for ${user}: ${primary.hit.message}${more}`;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function snapshotOf(e: DetectionEvent): AlertEventSnapshot {
  const geo = e.enrichment.geo;
  return {
    id: e.id,
    type: e.type,
    occurredAt: e.occurredAt,
    ...(e.ip !== undefined && { ip: e.ip }),
    ...(e.device !== undefined && { device: e.device }),
    ...(geo?.country !== undefined && { country: geo.country }),
    ...(geo?.city !== undefined && { city: geo.city }),
    ...(e.amount !== undefined && { amount: e.amount }),
    ...(e.currency !== undefined && { currency: e.currency }),
    ...(e.path !== undefined && { path: e.path }),
  };
}

export type { SuggestedAction };
