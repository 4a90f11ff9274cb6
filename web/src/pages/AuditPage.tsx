import { type FormEvent, useId, useState } from 'react';
import { AUDIT_ACTIONS } from '../../../src/domain/vocabulary';
import type { AuditEntry, AuditPage as AuditPageData, AuditVerify } from '../../../src/http/schemas';
import { api, describeError, query } from '../api';
import { Empty, ErrorText, Field, Loading, Notice, type NoticeValue } from '../components/ui';
import { formatDateTime, formatValue } from '../format';
import { useLoad, useTitle } from '../hooks';
import { navigate, useLocation } from '../router';

export function AuditPage() {
  useTitle('Audit log');
  const _id = useId();
  const { search } = useLocation();
  const filters = { subject: search.get('subject') ?? '', action: search.get('action') ?? '', actor: search.get('actor') ?? '' };
  const [form, setForm] = useState(filters);
  const [entries, setEntries] = useState<readonly AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<string>();
  const [verify, setVerify] = useState<NoticeValue>();

  const page = useLoad(
    async (signal) => {
      const result = await api.get<AuditPageData>(`/v1/audit${query({ ...filters, limit: 50 })}`, { signal });
      setEntries(result.entries);
      setCursor(result.nextCursor);
      return result;
    },
    [search.toString()],
  );

  const apply = (event: FormEvent) => {
    event.preventDefault();
    navigate(`/admin/audit${query({ subject: form.subject.trim(), action: form.action, actor: form.actor.trim() })}`, { replace: true });
  };

  const loadMore = async () => {
    if (!cursor) return;
    try {
      const next = await api.get<AuditPageData>(`/v1/audit${query({ ...filters, limit: 50, cursor })}`);
      setEntries((e) => [...e, ...next.entries]);
      setCursor(next.nextCursor);
    } catch (e) {
      setMoreError(describeError(e));
    }
  };

  const runVerify = async () => {
    setVerify({ tone: 'info', text: 'Re-hashing the whole chain…' });
    try {
      const result = await api.get<AuditVerify>('/v1/audit/verify');
      setVerify(
        result.ok
          ? {
              tone: 'success',
              text: `Chain intact: ${result.entries} entries${result.head ? `; head #${result.head.seq} ${result.head.hash.slice(0, 16)}…` : ''}.`,
            }
          : { tone: 'error', text: `Chain broken at entry #${result.broken.seq}: ${result.broken.reason}.` },
      );
    } catch (e) {
      setVerify({ tone: 'error', text: describeError(e) });
    }
  };

  return (
    <section className="page">
      <div className="page-head page-head-row">
        <div>
          <h1 tabIndex={-1}>Audit log</h1>
          <p className="muted">
            Everything Vigil or a person did, newest first. Each entry is chained to the one before by its SHA-256 hash.
          </p>
        </div>
        <div>
          <button type="button" className="button-quiet" onClick={() => void runVerify()}>
            Verify the chain
          </button>
        </div>
      </div>
      <Notice notice={verify} />
      <form className="inline-filters" onSubmit={apply} aria-label="Filter the audit log">
        <Field label="Subject">
          {(props) => (
            <input
              {...props}
              placeholder="account:alice"
              spellCheck={false}
              value={form.subject}
              onChange={(e) => setForm((f) => ({ ...f, subject: e.target.value }))}
            />
          )}
        </Field>
        <Field label="Action">
          {(props) => (
            <select {...props} value={form.action} onChange={(e) => setForm((f) => ({ ...f, action: e.target.value }))}>
              <option value="">Any action</option>
              {AUDIT_ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Actor">
          {(props) => (
            <input
              {...props}
              placeholder="vigil"
              spellCheck={false}
              value={form.actor}
              onChange={(e) => setForm((f) => ({ ...f, actor: e.target.value }))}
            />
          )}
        </Field>
        <div className="button-row">
          <button type="submit" className="button-primary">
            Apply
          </button>
          <button
            type="button"
            className="button-quiet"
            onClick={() => {
              setForm({ subject: '', action: '', actor: '' });
              navigate('/admin/audit', { replace: true });
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <ErrorText error={page.error} />
      {page.loading && !page.data && <Loading what="the audit log" />}
      {page.data && entries.length === 0 && <Empty>No entries match.</Empty>}
      {entries.length > 0 && (
        <div className="table-wrap">
          <table className="audit-table">
            <caption className="visually-hidden">Audit entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Subject</th>
                <th scope="col">Details</th>
                <th scope="col">Hash</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.seq}>
                  <td className="mono">{e.seq}</td>
                  <td className="nowrap">{formatDateTime(e.at)}</td>
                  <td className="break">{e.actor}</td>
                  <td className="mono">{e.action}</td>
                  <td className="mono break">{e.subject}</td>
                  <td className="small">
                    {Object.entries(e.details).map(([k, v]) => (
                      <div key={k}>
                        <span className="muted">{k}:</span> {formatValue(v)}
                      </div>
                    ))}
                  </td>
                  <td className="mono small" title={e.hash}>
                    {e.hash.slice(0, 10)}…
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" className="button-quiet" onClick={() => void loadMore()}>
          Load older entries
        </button>
      )}
      <ErrorText error={moreError} />
    </section>
  );
}
