import type { AuditAction, AuditDraft, AuditEntry } from './audit-entry.js';

export interface AuditQuery {
  readonly subject?: string;
  readonly action?: AuditAction;
  readonly actor?: string;
  readonly limit: number;
  /** Entries numbered below this one: the next page, newest first. */
  readonly beforeSeq?: number;
}

/**
 * The append-only audit log (store/audit-store.ts). Nothing here updates or deletes: the chain of
 * hashes is what shows whether anything outside Vigil did.
 */
export interface AuditStore {
  /**
   * Numbers and chains the drafts after the current tail and stores them, all in one transaction
   * that reads the tail first and excludes every other appender, in this process or another, so two
   * writers never both extend the same entry (a fork in the chain). Returns the stored entries.
   */
  append(drafts: readonly AuditDraft[]): Promise<readonly AuditEntry[]>;
  /** Newest first. */
  list(query: AuditQuery): Promise<readonly AuditEntry[]>;
  /** Up to `pageSize` entries numbered `fromSeq` or above, oldest first, for verification. */
  scan(fromSeq: number, pageSize: number): Promise<readonly AuditEntry[]>;
}

export interface RecordOptions {
  /**
   * May wait up to AUDIT_GATHER_MS (audit-trail.ts) after the last append for others to join its
   * append: for records made often and by many callers at once (the ingest path's automatic locks).
   * A record without it is appended at the end of the turn, and takes the gathered ones waiting with it.
   */
  readonly gather?: boolean;
}

/** The audit trail as the services record into it (audit/audit-trail.ts). */
export interface AuditRecorder {
  record(actor: string, action: string, subject: string, details?: Record<string, unknown>, options?: RecordOptions): Promise<unknown>;
}
