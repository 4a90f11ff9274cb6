import { newId } from '../core/ids.js';
import type { AccountAlert, Alert, SourceAlert, TrafficAlert } from './alert.js';
import type { Decision } from './event-schema.js';
import { higherSeverity } from './severity.js';
import { OPEN_STATUSES } from './vocabulary.js';

/** What the raiser and the people working an alert own: never part of what a finding or an incident says. */
type Lifecycle = 'id' | 'status' | 'createdAt' | 'updatedAt' | 'acknowledgedAt' | 'resolvedAt';

/**
 * What something seen makes of an alert: the alert it would open, and what it brings to the alert it
 * belongs to. The two kinds differ in their merge window:
 * - `sighting`: one event's findings (detection, `detect/alert-book.ts`). It belongs to an open alert
 *   whose last sighting is within `windowMs` (the rule's window), and adds one occurrence.
 * - `incident`: the volume monitor's incident as it now stands (`monitor/volume-alert.ts`). The
 *   incident is the window: its alert takes every change of it for as long as it lasts, whatever its
 *   status (people's to set), and its counts and span replace the alert's.
 */
export type AlertDraft =
  | {
      readonly kind: 'sighting';
      readonly fields: Omit<AccountAlert, Lifecycle> | Omit<SourceAlert, Lifecycle>;
      readonly windowMs: number;
    }
  | { readonly kind: 'incident'; readonly fields: Omit<TrafficAlert, Lifecycle> };

export interface Raised {
  readonly alert: Alert;
  /** True for a new alert (`alert.raised`), false for one updated (`alert.updated`). */
  readonly raised: boolean;
}

const MAX_EVENTS_PER_ALERT = 20;
const MAX_RELATED = 50;
const DECISION_RANK: Readonly<Record<Decision, number>> = { allow: 0, challenge: 1, block: 2 };

/**
 * The one raiser of alerts, of every subject: opens a new alert or merges the draft into `existing`
 * (the alert the caller found it may belong to: detection's open alert for the rule and subject or the
 * story it continues, the monitor's alert of the incident) when the draft falls in its merge window.
 * Severity, risk and decision only go upwards. Pure: the caller stores and publishes the result.
 */
export function raiseAlert(draft: AlertDraft, existing: Alert | undefined, now: number): Raised {
  if (existing !== undefined && belongs(draft, existing)) return { alert: merge(existing, draft, now), raised: false };
  return { alert: open(draft, now), raised: true };
}

/** The merge window, for every kind of draft (see `AlertDraft`). */
function belongs(draft: AlertDraft, existing: Alert): boolean {
  switch (draft.kind) {
    case 'sighting':
      // A closed alert no longer absorbs repeats: the next one is news to whoever closed it.
      return OPEN_STATUSES.has(existing.status) && Math.abs(draft.fields.lastSeenAt - existing.lastSeenAt) <= draft.windowMs;
    case 'incident':
      // The key names the incident: another incident of the same status is another alert.
      return existing.dedupKey === draft.fields.dedupKey;
  }
}

function open(draft: AlertDraft, now: number): Alert {
  const f = draft.fields;
  const lifecycle = {
    id: newId('alrt', now),
    status: 'new',
    createdAt: now,
    updatedAt: now,
    acknowledgedAt: null,
    resolvedAt: null,
  } as const;
  if (draft.kind === 'incident') return { ...draft.fields, ...lifecycle };
  return {
    ...draft.fields,
    ...lifecycle,
    relatedEventIds: f.relatedEventIds.slice(-MAX_RELATED),
    // A finding that names no action still leaves one thing to do: ask the owner.
    suggestedActions: f.suggestedActions.length > 0 ? f.suggestedActions : ['confirm_with_user_by_otp'],
  };
}

function merge(existing: Alert, draft: AlertDraft, now: number): Alert {
  const f = draft.fields;
  return {
    ...existing,
    ruleIds: unique([...existing.ruleIds, ...f.ruleIds]),
    summary: f.summary,
    severity: higherSeverity(existing.severity, f.severity),
    risk: Math.max(existing.risk, f.risk),
    decision: DECISION_RANK[f.decision] > DECISION_RANK[existing.decision] ? f.decision : existing.decision,
    reasons: mergeReasons(existing.reasons, f.reasons),
    events: [...existing.events, ...f.events].slice(-MAX_EVENTS_PER_ALERT),
    relatedEventIds: unique([...existing.relatedEventIds, ...f.relatedEventIds]).slice(-MAX_RELATED),
    suggestedActions: unique([...existing.suggestedActions, ...f.suggestedActions]),
    // A sighting is one more occurrence; an incident's draft counts all of its anomalous minutes so far.
    occurrences: draft.kind === 'sighting' ? existing.occurrences + f.occurrences : f.occurrences,
    firstSeenAt: Math.min(existing.firstSeenAt, f.firstSeenAt),
    lastSeenAt: Math.max(existing.lastSeenAt, f.lastSeenAt),
    updatedAt: now,
  };
}

/** The latest reason of each rule. */
function mergeReasons<R extends { readonly rule: string }>(before: readonly R[], now: readonly R[]): R[] {
  const byRule = new Map(before.map((r) => [r.rule, r]));
  for (const r of now) byRule.set(r.rule, r);
  return [...byRule.values()];
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
