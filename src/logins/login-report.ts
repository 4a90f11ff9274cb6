import type { LoginRole } from './login-csv.js';
import type { LoginScoring, ScoredLogin } from './login-scoring.js';

// The one CSV cell writer of every export (moved to core so the alert export uses it too).
export { csvCell } from '../core/csv-cell.js';

import { csvCell } from '../core/csv-cell.js';

const reasonsText = (row: ScoredLogin) =>
  row.reasons.map((r) => `${r.feature} (${Math.round(r.contribution * 100)}%): ${r.detail}`).join('; ');

/**
 * The uploaded rows with their scores: every column as uploaded, then `anomaly_score`,
 * `anomaly_flag` (1 or 0) and `reasons`; with `newHashes`, also `new` (1 when this upload stored the
 * row for the first time).
 */
export function scoredRowsCsv(
  scoring: Pick<LoginScoring, 'header'>,
  rows: readonly ScoredLogin[],
  options: { readonly newHashes?: ReadonlySet<string> } = {},
): string {
  const { newHashes } = options;
  const header = [...scoring.header, 'anomaly_score', 'anomaly_flag', 'reasons', ...(newHashes ? ['new'] : [])];
  const lines = rows.map((row) =>
    [
      ...row.cells,
      row.score.toFixed(4),
      row.flagged ? '1' : '0',
      reasonsText(row),
      ...(newHashes ? [newHashes.has(row.hash) ? '1' : '0'] : []),
    ]
      .map(csvCell)
      .join(','),
  );
  return `${[header.map(csvCell).join(','), ...lines].join('\r\n')}\r\n`;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** Rows listed in the body of the email; the attachment has them all. */
export const EMAIL_ROWS = 20;

export interface LoginEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly attachment: { readonly filename: string; readonly content: string; readonly contentType: string };
}

/**
 * The admins' email about an upload: a summary, the most abnormal flagged logins (highest score
 * first) with why, and every flagged login as a CSV attachment. Every uploaded cell is HTML-escaped:
 * the file's content is not trusted.
 */
export function loginEmail(
  uploadId: string,
  scoring: LoginScoring,
  newHashes: ReadonlySet<string>,
  cellOf: (row: ScoredLogin, role: LoginRole) => string,
): LoginEmail {
  const flagged = scoring.rows.filter((r) => r.flagged);
  const fresh = flagged.filter((r) => newHashes.has(r.hash)).length;
  const top = [...flagged].sort((a, b) => b.score - a.score).slice(0, EMAIL_ROWS);
  const rule =
    scoring.contamination === 'auto'
      ? `score above ${scoring.threshold} (contamination auto)`
      : `the ${scoring.contamination * 100}% highest scores, above ${scoring.threshold}`;
  const summary =
    `Vigil scored an uploaded login file (upload ${uploadId}): ${scoring.rows.length} logins, ${flagged.length} flagged ` +
    `(${rule}), ${fresh} of them not reported before.`;
  const when = (r: ScoredLogin) => new Date(r.at).toISOString();
  const more = flagged.length > top.length ? `\n… and ${flagged.length - top.length} more in the attached CSV.` : '';

  const text = [
    summary,
    '',
    `Most abnormal first (score: s(x) in (0, 1], about 0.5 is ordinary):`,
    ...top.map(
      (r) =>
        `- line ${r.line}: ${r.user} at ${when(r)} from ${cellOf(r, 'ip') || '?'} ${cellOf(r, 'location') || ''} on ${cellOf(r, 'device') || '?'}, ` +
        `score ${r.score.toFixed(3)}: ${reasonsText(r)}`,
    ),
    more,
    'Every flagged login, with its scores and reasons, is in the attached CSV.',
  ].join('\n');

  const cells = (r: ScoredLogin) => [
    ...[String(r.line), r.user, when(r), cellOf(r, 'ip'), cellOf(r, 'location'), cellOf(r, 'device'), r.score.toFixed(3)].map(escapeHtml),
    r.reasons.map((x) => escapeHtml(`${x.feature} ${Math.round(x.contribution * 100)}%: ${x.detail}`)).join('<br>'),
  ];
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif">',
    `<h2>${flagged.length} anomalous login${flagged.length === 1 ? '' : 's'} in an uploaded file</h2>`,
    `<p>${escapeHtml(summary)}</p>`,
    '<table border="1" cellpadding="4" cellspacing="0" style="border-collapse: collapse">',
    '<tr><th>line</th><th>user</th><th>time (UTC)</th><th>IP</th><th>location</th><th>device</th><th>score</th><th>why</th></tr>',
    ...top.map(
      (r) =>
        `<tr>${cells(r)
          .map((c) => `<td>${c}</td>`)
          .join('')}</tr>`,
    ),
    '</table>',
    more ? `<p>${escapeHtml(more.trim())}</p>` : '',
    '<p>Every flagged login, with its scores and reasons, is in the attached CSV.</p>',
    '</body></html>',
  ].join('\n');

  return {
    subject: `[Vigil] ${flagged.length} anomalous login${flagged.length === 1 ? '' : 's'} in upload ${uploadId} (${fresh} new)`,
    text,
    html,
    attachment: {
      filename: `flagged-logins-${uploadId}.csv`,
      content: scoredRowsCsv(scoring, flagged, { newHashes }),
      contentType: 'text/csv',
    },
  };
}
