import type { Alert, AlertOwner, AlertStatus, AlertTransition, OpenAlertHead } from '../domain/alert.js';
import type { Severity } from '../domain/severity.js';
import type { ALERT_GROUPINGS, ALERT_SORTS } from '../domain/vocabulary.js';

export type AlertGrouping = (typeof ALERT_GROUPINGS)[number];
export type AlertSort = (typeof ALERT_SORTS)[number];

/** Which alerts: the one filter the list, the counts, the groups and the export all read. */
export interface AlertFilter {
  readonly status?: readonly AlertStatus[];
  readonly severity?: readonly Severity[];
  readonly user?: string;
  /**
   * Only alerts about this user's account (subject kind 'user' and this value): never those keyed by
   * an IP or device that merely touched it, nor the volume monitor's `status:*` alerts. Member views.
   */
  readonly aboutUser?: string;
  readonly ip?: string;
  readonly rule?: string;
  readonly type?: string;
  /** Only alerts this person owns (their id), or, with null, only alerts nobody owns. */
  readonly owner?: string | null;
  /** Searches summary and context (user, IP, place, reasons), case-insensitively. */
  readonly q?: string;
  readonly from?: number;
  readonly to?: number;
  /** Only the alerts of one group (an expanded group header in the feed). */
  readonly group?: { readonly by: AlertGrouping; readonly key: string };
}

export interface AlertQuery extends AlertFilter {
  readonly limit: number;
  /** Newest first when absent. */
  readonly sort?: AlertSort;
  /** Keyset position: the last alert of the page before (its sort key, see `alertSortKey`, and id). */
  readonly after?: { readonly key: number; readonly id: string };
}

/** How many alerts there are of one status and severity. */
export interface AlertCount {
  readonly status: AlertStatus;
  readonly severity: Severity;
  readonly count: number;
}

/** One group of alerts: its key (a story, user or rule), how many, the newest and the strongest. */
export interface AlertGroup {
  readonly key: string;
  readonly count: number;
  readonly latestAt: number;
  readonly severity: Severity;
}

/** Alerts as stored. New and updated alerts are written with their events, by the event store. */
export interface AlertStore {
  get(id: string): Promise<Alert | undefined>;
  list(query: AlertQuery): Promise<readonly Alert[]>;
  /** Alerts per status and severity among those the filter selects, in one query. */
  counts(filter: AlertFilter): Promise<readonly AlertCount[]>;
  /** The groups among those the filter selects, newest activity first, at most `limit`. */
  groups(filter: AlertFilter, by: AlertGrouping, limit: number): Promise<readonly AlertGroup[]>;
  /** Open alerts seen since `since`, to rebuild de-duplication at start. */
  listOpen(since: number): Promise<readonly Alert[]>;
  /** The same alerts' heads only: a start reads these, and the rest of each alert when it is needed. */
  listOpenHeads(since: number): Promise<readonly OpenAlertHead[]>;
  /** The alerts of these ids that exist, in no particular order. */
  getMany(ids: readonly string[]): Promise<readonly Alert[]>;
  transitions(alertId: string): Promise<readonly AlertTransition[]>;
  /**
   * Moves an alert from `expected` to the transition's status, only if it is still in `expected`
   * (another admin may have acted first); records the transition. Returns the alert after it.
   * With `foldInto`, in the same transaction, that alert takes this one's occurrences and the span
   * of its sightings (a duplicate closed into the alert kept).
   */
  transition(t: AlertTransition, times: { acknowledgedAt?: number; resolvedAt?: number }, foldInto?: string): Promise<Alert | undefined>;
  /** Gives the alert an owner, or none (null). Returns the alert after it, or undefined when there is no such alert. */
  assign(alertId: string, owner: AlertOwner | null, at: number): Promise<Alert | undefined>;
  addComment(comment: AlertComment): Promise<void>;
  /** The alert's comments, oldest first. */
  comments(alertId: string): Promise<readonly AlertComment[]>;
  /**
   * Alerts acknowledged or closed at or after `since` (by `acknowledgedAt` or `resolvedAt`), with what
   * the Team page needs of them.
   */
  handledSince(since: number): Promise<readonly HandledAlert[]>;
  /** Per rule (the alert's strongest rule): alerts created at or after `since`, closed since, and closed as false positives. */
  outcomesSince(since: number): Promise<ReadonlyMap<string, RuleOutcome>>;
}

export interface AlertComment {
  readonly id: string;
  readonly alertId: string;
  /** The actor who wrote it: a person's email and id, or an API key's name and id. */
  readonly author: string;
  readonly text: string;
  readonly at: number;
}

/** An alert someone acknowledged or closed: its rule, owner and times. */
export interface HandledAlert {
  readonly ruleId: string;
  readonly owner: AlertOwner | null;
  readonly createdAt: number;
  readonly acknowledgedAt: number | null;
  readonly resolvedAt: number | null;
}

export interface RuleOutcome {
  readonly alerts: number;
  /** Resolved or closed as false positives. */
  readonly closed: number;
  readonly falsePositives: number;
}

/** The staff an alert may be given to (auth's people, seen from the alerts). */
export interface StaffDirectory {
  /** The analyst or admin with this person id; undefined for anyone else (a viewer, a member, nobody). */
  assignable(personId: string): Promise<AlertOwner | undefined>;
}

/** A named filter of the alert feed, kept for one staff member (`owner`: their person or key id). */
export interface SavedView {
  readonly id: string;
  readonly owner: string;
  readonly name: string;
  /** The feed's query string without `?` (filters, sort, grouping, layout): the same text a shared link carries. */
  readonly query: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Where saved views are kept (store/saved-view-store.ts). */
export interface SavedViewStore {
  /** The owner's views, by name. */
  list(owner: string): Promise<readonly SavedView[]>;
  /** Inserts the view, or, when the owner has one of that name already, replaces its query. The view as stored. */
  save(view: SavedView): Promise<SavedView>;
  /** Deletes the owner's view; false when the owner has no view of that id. */
  delete(owner: string, id: string): Promise<boolean>;
}
