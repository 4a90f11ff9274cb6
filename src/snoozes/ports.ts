import type { Snooze } from '../detect/snoozes.js';

export interface SnoozeQuery {
  readonly user?: string;
  readonly rule?: string;
  /** Only those in force at this time (not cancelled, `until` after it); all of them when absent. */
  readonly activeAt?: number;
  readonly limit: number;
}

/** Where snoozes are kept (store/snooze-store.ts). Rows are never deleted: cancelling stamps them. */
export interface SnoozeStore {
  create(snooze: Snooze): Promise<void>;
  get(id: string): Promise<Snooze | undefined>;
  /** Newest first. */
  list(query: SnoozeQuery): Promise<readonly Snooze[]>;
  /** Every snooze in force at `now`, for the in-memory book at start. */
  listInForce(now: number): Promise<readonly Snooze[]>;
  /** Stamps a snooze cancelled unless it already was; the snooze as it now is, or undefined when there is none. */
  cancel(id: string, at: number, by: string): Promise<{ readonly snooze: Snooze; readonly changed: boolean } | undefined>;
}
