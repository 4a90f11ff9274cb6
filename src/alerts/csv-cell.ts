/**
 * One CSV cell (RFC 4180), safe to open in a spreadsheet. A cell a spreadsheet would read as a formula
 * (starting with `=`, `+`, `-`, `@`, or a tab or carriage return that some programs skip before
 * looking) gets a leading `'`, which shows the text as it is: alert summaries, user ids and reasons
 * carry text an attacker chose (a user id `=HYPERLINK(…)`), and an export must not run it on an
 * analyst's machine (OWASP, "CSV Injection"). Cells with a comma, quote or line break are quoted.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line, CRLF-terminated as RFC 4180 has it. */
export const csvLine = (cells: ReadonlyArray<string | number | null | undefined>): string => `${cells.map(csvCell).join(',')}\r\n`;
