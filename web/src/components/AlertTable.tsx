import type { Alert, AlertSort } from '../../../src/http/schemas';
import { formatShort } from '../format';
import { Link } from '../router';
import { SeverityBadge, StatusBadge } from './ui';

/**
 * The feed as a dense table: one line per alert, for working through many at once. Time and severity
 * headers sort (the server's order, so the whole filter is sorted, not only the rows loaded); with
 * `selection`, each row has a checkbox for bulk actions. On a phone the rows fold into two-line
 * blocks (the stylesheet), each cell labelled.
 */
export function AlertTable({
  alerts,
  label,
  sort,
  onSort,
  selection,
}: {
  readonly alerts: readonly Alert[];
  readonly label: string;
  readonly sort: AlertSort;
  readonly onSort?: (sort: AlertSort) => void;
  readonly selection?: { readonly selected: ReadonlySet<string>; readonly toggle: (ids: readonly string[], on: boolean) => void };
}) {
  const allSelected = selection !== undefined && alerts.length > 0 && alerts.every((a) => selection.selected.has(a.id));
  const timeSort = sort === 'severity' ? undefined : sort === 'newest' ? 'descending' : 'ascending';
  return (
    <div className="table-wrap alert-table-wrap">
      <table className="alert-table">
        <caption className="visually-hidden">{label}</caption>
        <thead>
          <tr>
            {selection && (
              <th scope="col" className="col-select">
                <input
                  type="checkbox"
                  aria-label="Select all shown"
                  checked={allSelected}
                  onChange={(e) =>
                    selection.toggle(
                      alerts.map((a) => a.id),
                      e.target.checked,
                    )
                  }
                />
              </th>
            )}
            <th scope="col" aria-sort={timeSort ?? 'none'}>
              {onSort ? (
                <button type="button" className="sort-button" onClick={() => onSort(sort === 'newest' ? 'oldest' : 'newest')}>
                  Time <span aria-hidden="true">{timeSort === 'descending' ? '↓' : timeSort === 'ascending' ? '↑' : ''}</span>
                </button>
              ) : (
                'Time'
              )}
            </th>
            <th scope="col" aria-sort={sort === 'severity' ? 'descending' : 'none'}>
              {onSort ? (
                <button type="button" className="sort-button" onClick={() => onSort('severity')}>
                  Severity <span aria-hidden="true">{sort === 'severity' ? '↓' : ''}</span>
                </button>
              ) : (
                'Severity'
              )}
            </th>
            <th scope="col">Status</th>
            <th scope="col">Subject</th>
            <th scope="col">Rules</th>
            <th scope="col">Summary</th>
            <th scope="col" className="col-number">
              Score
            </th>
          </tr>
        </thead>
        <tbody>
          {alerts.map((alert) => (
            <tr key={alert.id} data-alert-id={alert.id} className={`sev-edge-${alert.severity}`}>
              {selection && (
                <td className="col-select">
                  <input
                    type="checkbox"
                    aria-label={`Select: ${alert.summary}`}
                    checked={selection.selected.has(alert.id)}
                    onChange={(e) => selection.toggle([alert.id], e.target.checked)}
                  />
                </td>
              )}
              <td data-label="Time" className="col-time">
                <time dateTime={alert.createdAt}>{formatShort(alert.createdAt)}</time>
              </td>
              <td data-label="Severity">
                <SeverityBadge severity={alert.severity} />
              </td>
              <td data-label="Status">
                <StatusBadge status={alert.status} />
              </td>
              <td data-label="Subject" className="col-subject">
                {alert.subject.kind === 'user' ? '' : `${alert.subject.kind} `}
                <strong>{alert.subject.value}</strong>
                {alert.subject.kind !== 'user' && alert.user !== alert.subject.value && <span className="muted"> · {alert.user}</span>}
              </td>
              <td data-label="Rules" className="col-rules">
                {alert.ruleIds.join(', ')}
              </td>
              <td data-label="Summary" className="col-summary">
                <Link to={`/admin/alerts/${encodeURIComponent(alert.id)}`}>{alert.summary}</Link>
                {alert.occurrences > 1 && <span className="muted"> ×{alert.occurrences}</span>}
              </td>
              <td data-label="Score" className="col-number">
                {alert.risk}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
