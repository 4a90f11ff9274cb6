const PLAIN_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/**
 * Where a spreadsheet may start a cell, before spaces it may trim: the start, or after a separator or
 * quote (`,` `;` tab, line break, `"`).
 */
const FORMULA_START = /(^|[,;\t\r\n"])(?= *[=+\-@\t\r])/g;
const CELL_BREAK = /[,;\t\r\n"]/;

/**
 * A CSV cell, quoted when it must be (RFC 4180), that no spreadsheet will run as a formula. Exports
 * (scored login files, alerts) are opened by staff in spreadsheets, and their cells carry text an
 * attacker may have written (a user agent or user id of `=HYPERLINK(…)`). Following OWASP's CSV-injection
 * guidance, a `'` goes before every `=`, `+`, `-`, `@`, tab or carriage return that could begin a
 * cell (and before the spaces ahead of it): at the start of the value, and also right after a `,`,
 * `;`, tab, line break or `"`, where a spreadsheet that splits on `;` (many locales do) or ignores
 * the quoting would start a new cell (`x;=cmd|' /C calc'!A0` becomes `x;'=cmd|' /C calc'!A0`).
 * Plain numbers (`-3`, `+0.5`) are left as they are.
 */
export function csvCell(value: string): string {
  const safe = value.replace(FORMULA_START, (sep: string, _s: string, at: number) => {
    const rest = value.slice(at + sep.length);
    const end = rest.slice(1).search(CELL_BREAK);
    return PLAIN_NUMBER.test((end === -1 ? rest : rest.slice(0, end + 1)).replace(/^ +/, '')) ? sep : `${sep}'`;
  });
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
