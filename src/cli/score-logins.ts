import fs from 'node:fs';
import path from 'node:path';
import { AuditTrail } from '../audit/audit-trail.js';
import type { Config } from '../config/config.js';
import { systemClock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import type { Result } from '../core/result.js';
import { decodeText } from '../core/text-encoding.js';
import { scoredRowsCsv } from '../logins/login-report.js';
import type { Contamination } from '../logins/login-scoring.js';
import { LoginScoringService, type LoginUpload, type ScoredUpload, scoreUpload } from '../logins/login-scoring-service.js';
import { createNotifier } from '../notify/notifier.js';
import { SqlAuditStore } from '../store/audit-store.js';
import { openDatabase } from '../store/database.js';
import { SqlLoginScoreStore } from '../store/login-score-store.js';
import { SqlOutboxStore } from '../store/outbox-store.js';

export interface ScoreLoginsOptions {
  readonly contamination: Contamination;
  /** Where to write every row with its score, flag and reasons, as CSV. */
  readonly out?: string;
  /** false: score only; no database is opened, nothing is stored and nobody is emailed. */
  readonly store: boolean;
  /** The file's charset (utf-8 when not given; iso-8859-1, iso-8859-15, windows-1252). */
  readonly charset?: string;
}

/** Flagged rows printed; `--out` has them all. */
const PRINTED = 10;

/**
 * `vigil score-logins FILE.csv`: the same scoring as POST /v1/logins/score, from a file. Flagged
 * logins are stored and the admins emailed exactly as for an upload, unless --no-store. Exit 0 when
 * the file was scored, 1 when it could not be (the line and column on stderr).
 */
export async function scoreLoginsFile(config: Config, file: string, options: ScoreLoginsOptions): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    process.stderr.write(`vigil score-logins: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.\n`);
    return 1;
  }
  const decoded = decodeText(bytes, options.charset);
  if (!decoded.ok) {
    const { code, message, line } = decoded.error;
    process.stderr.write(`vigil score-logins: ${file}${line !== undefined ? `:${line}` : ''}: ${code}: ${message}\n`);
    return 1;
  }
  const text = decoded.value;

  let outcome: Result<ScoredUpload & Partial<Pick<LoginUpload, 'newHashes' | 'emailed'>>, Problem>;
  if (!options.store) outcome = scoreUpload(text, options.contamination, systemClock.now());
  else {
    const handle = await openDatabase(config.database, { migrate: true });
    try {
      const service = new LoginScoringService({
        store: new SqlLoginScoreStore(handle),
        // The same transports as the server: SMTP when VIGIL_SMTP_URL is set, the outbox otherwise.
        notifier: createNotifier(config, { outbox: new SqlOutboxStore(handle), clock: systemClock, log: cliLog }),
        adminEmails: config.adminEmails,
        clock: systemClock,
        log: cliLog,
        audit: new AuditTrail(new SqlAuditStore(handle), systemClock),
      });
      outcome = await service.scoreCsv(text, { contamination: options.contamination, actor: 'cli', file: path.basename(file) });
    } finally {
      await handle.close();
    }
  }

  if (!outcome.ok) {
    const { code, message, line } = outcome.error;
    process.stderr.write(`vigil score-logins: ${file}${line !== undefined ? `:${line}` : ''}: ${code}: ${message}\n`);
    return 1;
  }
  const { scoring, newHashes = new Set<string>(), emailed = 0 } = outcome.value;
  const rule =
    scoring.contamination === 'auto'
      ? `contamination auto: score above ${scoring.threshold}`
      : `contamination ${scoring.contamination}: score above ${scoring.threshold}`;
  const lines = [`Scored ${file}: ${scoring.rows.length} logins, ${scoring.flagged} flagged (${rule}).`];
  if (options.store) {
    lines.push(
      `Stored ${newHashes.size} new flagged logins (${scoring.flagged - newHashes.size} already stored); ` +
        `${emailed > 0 ? `emailed ${emailed} admin${emailed === 1 ? '' : 's'}` : 'no email (nothing new, or VIGIL_ADMIN_ALERT_EMAILS unset)'}.`,
    );
  } else lines.push('Nothing stored, nobody emailed (--no-store).');
  const top = scoring.rows
    .filter((r) => r.flagged)
    .sort((a, b) => b.score - a.score)
    .slice(0, PRINTED);
  if (top.length > 0) lines.push('Most abnormal:');
  for (const r of top) {
    const why = r.reasons.map((x) => `${x.feature} ${Math.round(x.contribution * 100)}%`).join(', ');
    lines.push(`  line ${r.line}  ${r.user}  ${new Date(r.at).toISOString()}  score ${r.score.toFixed(3)}  ${why}`);
  }
  if (scoring.flagged > top.length) lines.push(`  … and ${scoring.flagged - top.length} more${options.out ? ` in ${options.out}` : ''}.`);
  if (options.out) {
    fs.writeFileSync(options.out, scoredRowsCsv(scoring, scoring.rows));
    lines.push(`Wrote every row with anomaly_score, anomaly_flag and reasons to ${options.out}.`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** Transport notes ("email goes to the outbox") are for a server's log, not for this command's output. */
const cliLog = { info() {}, warn: (message: string) => process.stderr.write(`vigil score-logins: ${message}\n`) };
