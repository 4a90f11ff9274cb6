import type { Alert, AlertOwner, AlertStatus, AlertTransition } from '../domain/alert.js';
import type { Severity } from '../domain/severity.js';

export interface AlertQuery {
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
  readonly limit: number;
  readonly after?: { readonly createdAt: number; readonly id: string };
}

/** Alerts as stored. New and updated alerts are written with their events, by the event store. */
export interface AlertStore {
  get(id: string): Promise<Alert | undefined>;
  list(query: AlertQuery): Promise<readonly Alert[]>;
  /** Open alerts seen since `since`, to rebuild de-duplication at start. */
  listOpen(since: number): Promise<readonly Alert[]>;
  transitions(alertId: string): Promise<readonly AlertTransition[]>;
  /**
   * Moves an alert from `expected` to the transition's status, only if it is still in `expected`
   * (another admin may have acted first); records the transition. Returns the alert after it.
   */
  transition(t: AlertTransition, times: { acknowledgedAt?: number; resolvedAt?: number }): Promise<Alert | undefined>;
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
