import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { ok, type Result } from '../core/result.js';
import type { Notifier } from '../notify/ports.js';
import type { LoginRole } from './login-csv.js';
import { loginEmail } from './login-report.js';
import { type Contamination, canonicalMapping, type LoginScoring, type ScoredLogin } from './login-scoring.js';
import type { FlaggedLogin, FlaggedLoginQuery, LoginScoreStore } from './ports.js';
import { InlineUploadScorer, type ScoredFile, scoreFile, type UploadScorer } from './upload-scorer.js';

export interface LoginScoringDependencies {
  readonly store: LoginScoreStore;
  readonly notifier: Notifier;
  /** Who hears about flagged logins (VIGIL_ADMIN_ALERT_EMAILS). */
  readonly adminEmails: readonly string[];
  readonly clock: Clock;
  readonly log: { warn(message: string): void };
  readonly audit: UploadAuditRecorder;
  /** Where files are read and scored: a worker thread in the server, the caller's thread by default. */
  readonly scorer?: UploadScorer;
}

export interface ScoreUploadOptions {
  readonly contamination?: Contamination;
  /** Who uploaded the file, for the audit entry. */
  readonly actor: string;
  /** The file's name, when there is one (`vigil score-logins`), for the audit entry. */
  readonly file?: string;
}

/** A file read and scored, before anything is stored. */
export interface ScoredUpload {
  readonly uploadId: string;
  readonly scoring: LoginScoring;
  /** A cell of a row by its meaning, '' when the file has no such column. */
  cellOf(row: ScoredLogin, role: LoginRole): string;
}

export interface LoginUpload extends ScoredUpload {
  /** Row hashes of the flagged logins this upload stored for the first time. */
  readonly newHashes: ReadonlySet<string>;
  /** Admin addresses the email went to (the outbox counts, when no SMTP server is configured). */
  readonly emailed: number;
}

/** Reads and scores a login file; stores nothing (`vigil score-logins --no-store` stops here). */
export function scoreUpload(text: string, contamination: Contamination, now: number): Result<ScoredUpload, Problem> {
  const scored = scoreFile(text, contamination, now);
  return scored.ok ? ok(withCells(scored.value)) : scored;
}

function withCells(file: ScoredFile): ScoredUpload {
  return { uploadId: file.uploadId, scoring: file.scoring, cellOf: cellReader(file.columns) };
}

/**
 * Scores an uploaded login-activity file (seed 003): reads it, fits an Isolation Forest on its own
 * rows, stores the flagged logins once each, and emails the admins about the ones not reported
 * before. The HTTP route and `vigil score-logins` both come here. A file refused for any reason
 * stores nothing and emails nobody: it is read whole before anything is written.
 */
export class LoginScoringService {
  private readonly scorer: UploadScorer;

  constructor(private readonly deps: LoginScoringDependencies) {
    this.scorer = deps.scorer ?? new InlineUploadScorer();
  }

  async scoreCsv(text: string, options: ScoreUploadOptions): Promise<Result<LoginUpload, Problem>> {
    const now = this.deps.clock.now();
    const scored = await this.scorer.score(text, options.contamination ?? 'auto', now);
    if (!scored.ok) return scored;
    const { uploadId, scoring, cellOf } = withCells(scored.value);
    const flagged = scoring.rows.filter((r) => r.flagged);
    const newHashes = flagged.length === 0 ? new Set<string>() : await this.deps.store.addFlagged(flagged.map(toStored));
    // Only news is worth an email: the same file uploaded again, or a later file repeating these
    // logins, stores nothing new and tells nobody again.
    const emailed = newHashes.size > 0 ? await this.emailAdmins(uploadId, scoring, newHashes, cellOf) : 0;
    const upload: LoginUpload = { uploadId, scoring, newHashes, emailed, cellOf };
    await auditUpload(this.deps.audit, options.actor, upload, options.file);
    return ok(upload);

    function toStored(row: ScoredLogin): FlaggedLogin {
      const cell = (role: LoginRole) => cellOf(row, role) || null;
      return {
        id: newId('flg', now),
        rowHash: row.hash,
        uploadId,
        line: row.line,
        user: row.user,
        occurredAt: row.at,
        ip: cell('ip'),
        location: cell('location'),
        device: cell('device'),
        score: row.score,
        threshold: scoring.threshold,
        reasons: row.reasons,
        row: Object.fromEntries(scoring.header.map((name, i) => [name, row.cells[i] as string])),
        flaggedAt: now,
      };
    }
  }

  /** Stops the scoring thread, if any; files still waiting are refused. */
  close(): Promise<void> {
    return this.scorer.close();
  }

  /** Flagged logins as stored, newest first. */
  listFlagged(query: FlaggedLoginQuery): Promise<readonly FlaggedLogin[]> {
    return this.deps.store.listFlagged(query);
  }

  private async emailAdmins(
    uploadId: string,
    scoring: LoginScoring,
    newHashes: ReadonlySet<string>,
    cellOf: LoginUpload['cellOf'],
  ): Promise<number> {
    if (this.deps.adminEmails.length === 0) return 0;
    const email = loginEmail(uploadId, scoring, newHashes, cellOf);
    let sent = 0;
    for (const to of this.deps.adminEmails) {
      const result = await this.deps.notifier.send({
        channel: 'email',
        to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        attachments: [email.attachment],
      });
      // The logins are stored whatever happens to the email: the answer says how many admins it reached.
      if (result.ok) sent++;
      else this.deps.log.warn(`The email about login upload ${uploadId} was not sent: ${result.error.reason}`);
    }
    return sent;
  }
}

/** What the audit trail needs: `AuditTrail.record`. */
export interface UploadAuditRecorder {
  record(actor: string, action: 'logins.scored', subject: string, details: Readonly<Record<string, unknown>>): Promise<unknown>;
}

/**
 * The audit entry of an upload that stored logins: who sent which file, and what it flagged, stored
 * and emailed.
 */
async function auditUpload(audit: UploadAuditRecorder, actor: string, upload: LoginUpload, file?: string): Promise<void> {
  const { scoring } = upload;
  await audit.record(actor, 'logins.scored', `upload:${upload.uploadId}`, {
    ...(file !== undefined && { file }),
    rows: scoring.rows.length,
    flagged: scoring.flagged,
    newlyStored: upload.newHashes.size,
    threshold: scoring.threshold,
    contamination: scoring.contamination,
    emailed: upload.emailed,
  });
}

function cellReader(columns: ScoredFile['columns']): LoginUpload['cellOf'] {
  return (row, role) => {
    const col = columns[role];
    return col === undefined ? '' : (row.cells[col] ?? '');
  };
}

/**
 * The JSON answer about an upload. `only: 'flagged'` lists the flagged rows only; the counts always
 * cover the whole file.
 */
export function presentUpload(upload: LoginUpload, options: { readonly only?: 'flagged' | 'all' } = {}) {
  const { scoring, newHashes } = upload;
  const listed = options.only === 'flagged' ? scoring.rows.filter((r) => r.flagged) : scoring.rows;
  return {
    uploadId: upload.uploadId,
    rows: scoring.rows.length,
    flagged: scoring.flagged,
    threshold: scoring.threshold,
    contamination: scoring.contamination,
    stored: { new: newHashes.size, alreadyStored: scoring.flagged - newHashes.size },
    emailed: upload.emailed,
    columns: {
      mapped: canonicalMapping(scoring.mapped),
      numeric: scoring.features.numericColumns,
      categorical: scoring.features.categoricalColumns,
      features: scoring.features.names,
    },
    results: listed.map((r) => ({
      line: r.line,
      user: r.user,
      timestamp: new Date(r.at).toISOString(),
      anomaly_score: Math.round(r.score * 1e4) / 1e4,
      anomaly_flag: r.flagged ? (1 as const) : (0 as const),
      reasons: r.reasons,
    })),
  };
}
