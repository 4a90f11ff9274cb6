import { createHash } from 'node:crypto';
import { IsolationForest } from '../anomaly/isolation-forest.js';
import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import { type LoginRole, type LoginTable, ROLE_COLUMN } from './login-csv.js';
import { type LoginFeatures, loginFeatures } from './login-features.js';

/** `auto` flags s(x) > 0.5 as scikit-learn's contamination='auto'; a share flags that share of the rows. */
export type Contamination = 'auto' | number;
export const MAX_CONTAMINATION = 0.5;
/** The forest's seed: the same file always gets the same scores. */
export const LOGIN_FOREST_SEED = 42;
/** Reasons listed per flagged row, strongest first; features with a smaller share than this are left out. */
const MAX_REASONS = 3;
const MIN_REASON_SHARE = 0.05;

/** `auto`, or a share of the rows above 0 and at most 0.5, as scikit-learn accepts. */
export function parseContamination(raw: string | undefined): Result<Contamination, Problem> {
  if (raw === undefined || raw === 'auto') return ok('auto');
  const share = /^\d*\.?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (share > 0 && share <= MAX_CONTAMINATION) return ok(share);
  return err({
    code: 'invalid_query',
    message: `contamination must be auto or a share of the rows above 0 and at most ${MAX_CONTAMINATION} (got "${raw.slice(0, 32)}").`,
  });
}

export interface LoginReason {
  readonly feature: string;
  /** Share of the isolation credited to this feature (all features of the row sum to 1). */
  readonly contribution: number;
  /** The feature's value for this row. */
  readonly value: number;
  /** The same in words, with the cell it comes from. */
  readonly detail: string;
}

export interface ScoredLogin {
  readonly line: number;
  readonly user: string;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly cells: readonly string[];
  /** s(x) in (0, 1]: about 0.5 for an ordinary login, towards 1 for an isolated one. */
  readonly score: number;
  readonly flagged: boolean;
  /** Empty for rows that are not flagged. */
  readonly reasons: readonly LoginReason[];
  /** SHA-256 of the login's normalised content: the same login in another upload has the same hash. */
  readonly hash: string;
}

export interface LoginScoring {
  readonly rows: readonly ScoredLogin[];
  readonly flagged: number;
  /** Rows with s(x) above this are flagged. */
  readonly threshold: number;
  readonly contamination: Contamination;
  readonly header: readonly string[];
  readonly mapped: Readonly<Partial<Record<LoginRole, string>>>;
  readonly features: Pick<LoginFeatures, 'names' | 'numericColumns' | 'categoricalColumns'>;
}

/**
 * Fits a seeded Isolation Forest (100 trees, ψ = min(256, rows)) on the file's own rows and scores
 * each of them: an upload is judged against itself, so it needs no stored model and no history.
 */
export function scoreLogins(table: LoginTable, contamination: Contamination = 'auto'): LoginScoring {
  const features = loginFeatures(table);
  const forest = IsolationForest.fit(features.matrix, { seed: LOGIN_FOREST_SEED });
  const samples = forest.scoreSamples(features.matrix);
  const threshold = contamination === 'auto' ? 0.5 : -percentile(samples, contamination);
  const { cols, values } = features.matrix;
  const rows = table.rows.map((row, r): ScoredLogin => {
    const score = -(samples[r] as number);
    const flagged = score > threshold;
    let reasons: LoginReason[] = [];
    if (flagged) {
      const features_ = values.subarray(r * cols, (r + 1) * cols);
      const shares = forest.explain(features_);
      reasons = [...shares.keys()]
        .sort((a, b) => (shares[b] as number) - (shares[a] as number))
        .slice(0, MAX_REASONS)
        .filter((f) => (shares[f] as number) >= MIN_REASON_SHARE)
        .map((f) => ({
          feature: features.names[f] as string,
          contribution: round(shares[f] as number),
          value: round(features_[f] as number),
          detail: features.describe(f, r),
        }));
    }
    return { line: row.line, user: row.user, at: row.at, cells: row.cells, score, flagged, reasons, hash: rowHash(table, r) };
  });
  const mapped: Partial<Record<LoginRole, string>> = {};
  for (const [role, col] of Object.entries(table.mapped) as Array<[LoginRole, number]>) mapped[role] = table.header[col] as string;
  return {
    rows,
    flagged: rows.filter((r) => r.flagged).length,
    threshold: round(threshold),
    contamination,
    header: table.header,
    mapped,
    features: { names: features.names, numericColumns: features.numericColumns, categoricalColumns: features.categoricalColumns },
  };
}

/**
 * numpy.percentile with linear interpolation, as scikit-learn sets its offset: with contamination c,
 * the rows whose score_samples fall below the c-th quantile are flagged.
 */
function percentile(samples: Float64Array, share: number): number {
  const sorted = Float64Array.from(samples).sort();
  const pos = (sorted.length - 1) * share;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/**
 * The identity of a login across uploads: who (the user, case kept: ids may be case-sensitive), when
 * (as an instant, so `…T08:00:00Z` and `… 08:00:00` agree), from where and on what (IP, location and
 * device, trimmed and lower-cased). Other columns describe the login (its status, attempts) and are
 * left out: an export that gains or loses a column must not make every login in it new again. The
 * parts are hashed as a JSON array, so no cell content can make two logins hash alike.
 */
function rowHash(table: LoginTable, r: number): string {
  const row = table.rows[r] as LoginTable['rows'][number];
  const cell = (role: LoginRole) => {
    const col = table.mapped[role];
    return col === undefined ? null : (row.cells[col] as string).toLowerCase();
  };
  const parts = [row.user, new Date(row.at).toISOString(), cell('ip'), cell('location'), cell('device')];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** The mapped columns under their canonical names, for answers and reports. */
export function canonicalMapping(mapped: LoginScoring['mapped']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [role, column] of Object.entries(mapped) as Array<[LoginRole, string]>) out[ROLE_COLUMN[role]] = column;
  return out;
}
