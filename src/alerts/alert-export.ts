import type { AuditTrail } from '../audit/audit-trail.js';
import { csvCell } from '../core/csv-cell.js';
import { type Alert, alertUser } from '../domain/alert.js';
import { alertSortKey } from './alert-order.js';
import type { AlertFilter, AlertSort, AlertStore } from './ports.js';

/** Rows read from the store per query: memory stays at one page however many alerts the filter selects. */
const PAGE_SIZE = 500;

/** One CSV line, CRLF-terminated as RFC 4180 has it; every cell safe from spreadsheet formulas (`csvCell`). */
const csvLine = (cells: ReadonlyArray<string | number | null | undefined>): string =>
  `${cells.map((c) => (c === null || c === undefined ? '' : csvCell(String(c)))).join(',')}\r\n`;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The columns, in order: what the feed's table shows, plus what a spreadsheet needs to follow up. */
const COLUMNS: ReadonlyArray<readonly [string, (a: Alert) => string | number | null | undefined]> = [
  ['id', (a) => a.id],
  ['created_at', (a) => iso(a.createdAt)],
  ['last_seen_at', (a) => iso(a.lastSeenAt)],
  ['severity', (a) => a.severity],
  ['status', (a) => a.status],
  ['risk', (a) => a.risk],
  ['decision', (a) => a.decision],
  ['type', (a) => a.type],
  ['subject_kind', (a) => a.subject.kind],
  ['subject', (a) => a.subject.value],
  ['user', (a) => alertUser(a)],
  ['rules', (a) => a.ruleIds.join(' ')],
  ['summary', (a) => a.summary],
  ['occurrences', (a) => a.occurrences],
  ['ip', (a) => ('ip' in a ? a.ip : undefined)],
  ['country', (a) => ('country' in a ? a.country : undefined)],
  ['city', (a) => ('city' in a ? a.city : undefined)],
  ['acknowledged_at', (a) => iso(a.acknowledgedAt)],
  ['resolved_at', (a) => iso(a.resolvedAt)],
];

/**
 * The alerts a filter selects as CSV, streamed: a page is read only when the one before has been
 * sent, so an export of 100,000 alerts holds one page in memory and a slow download slows the reads.
 * Exporting is recorded in the audit trail (who, which filter): it takes the data out of Vigil.
 */
export class AlertExport {
  constructor(
    private readonly store: AlertStore,
    private readonly audit: AuditTrail,
    private readonly pageSize = PAGE_SIZE,
  ) {}

  /** Records the export, then gives its lines: the header first, one line per alert in `sort` order. */
  async start(filter: AlertFilter, sort: AlertSort, actor: string): Promise<AsyncIterable<string>> {
    await this.audit.record(actor, 'alerts.exported', 'alerts', { filter: { ...filter }, sort });
    return this.lines(filter, sort);
  }

  private async *lines(filter: AlertFilter, sort: AlertSort): AsyncGenerator<string> {
    yield csvLine(COLUMNS.map(([name]) => name));
    let after: { key: number; id: string } | undefined;
    for (;;) {
      const page = await this.store.list({ ...filter, sort, limit: this.pageSize, ...(after && { after }) });
      yield page.map((alert) => csvLine(COLUMNS.map(([, cell]) => cell(alert)))).join('');
      const last = page[page.length - 1];
      if (page.length < this.pageSize || last === undefined) return;
      after = { key: alertSortKey(last, sort), id: last.id };
    }
  }
}
