import type { Alert, AlertStatus, AlertTransition } from '../domain/alert.js';
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
}
