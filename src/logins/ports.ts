import type { LoginReason } from './login-scoring.js';

/** A flagged login as kept: enough to read it without the file it came from. */
export interface FlaggedLogin {
  readonly id: string;
  /** SHA-256 of the login's normalised content: one stored row per login, however often it is uploaded. */
  readonly rowHash: string;
  /** The upload that first flagged it. */
  readonly uploadId: string;
  /** Its line in that upload. */
  readonly line: number;
  readonly user: string;
  readonly occurredAt: number;
  readonly ip: string | null;
  readonly location: string | null;
  readonly device: string | null;
  /** s(x) in (0, 1] and the threshold it was above, in that upload. */
  readonly score: number;
  readonly threshold: number;
  readonly reasons: readonly LoginReason[];
  /** Every cell of the row, by header name. */
  readonly row: Readonly<Record<string, string>>;
  readonly flaggedAt: number;
}

export interface FlaggedLoginQuery {
  readonly user?: string;
  readonly limit: number;
  /** Newest first; the page after this (flaggedAt, id). */
  readonly after?: { readonly flaggedAt: number; readonly id: string };
}

export interface LoginScoreStore {
  /**
   * Stores the logins not stored before, all in one transaction, and returns the row hashes that
   * were new. A login already stored (by an earlier upload, or by a concurrent one) is left as it was.
   */
  addFlagged(logins: readonly FlaggedLogin[]): Promise<ReadonlySet<string>>;
  /** Newest first. */
  listFlagged(query: FlaggedLoginQuery): Promise<readonly FlaggedLogin[]>;
}
