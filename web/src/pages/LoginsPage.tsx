import { type FormEvent, lazy, Suspense, useEffect, useId, useMemo, useRef, useState } from 'react';
import type { FlaggedLoginsPage, LoginReason, LoginUploadResult, StoredFlaggedLogin } from '../../../src/http/schemas';
import { ApiError, api, describeError, query } from '../api';
import { Empty, ErrorText, Loading } from '../components/ui';
import { formatDateTime } from '../format';
import { useLoad, useTitle } from '../hooks';

// The chart library is most of the bundle's weight: loaded only once there are scores to chart.
const ScoreHistogram = lazy(() => import('../components/ScoreHistogram').then((m) => ({ default: m.ScoreHistogram })));

const CONTAMINATIONS = [
  { value: 'auto', label: 'Auto (score above 0.5)' },
  { value: '0.01', label: '1% of rows' },
  { value: '0.05', label: '5% of rows' },
] as const;

/** Rows rendered at most: a file of many thousand logins is narrowed with the filters. */
const MAX_ROWS = 500;

interface UploadProblem {
  readonly code: string;
  readonly message: string;
  readonly line?: number | undefined;
  readonly path?: string | undefined;
}

function toProblem(error: unknown): UploadProblem {
  if (error instanceof ApiError) return { code: error.code, message: describeError(error), line: error.line, path: error.path };
  return { code: 'error', message: describeError(error) };
}

function Reasons({ reasons }: { readonly reasons: readonly LoginReason[] }) {
  if (reasons.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="login-reasons">
      {reasons.slice(0, 3).map((r) => (
        <li key={r.feature}>
          {r.detail} <span className="muted">({Math.round(r.contribution * 100)}%)</span>
        </li>
      ))}
    </ul>
  );
}

function FlaggedBadge() {
  return <span className="badge login-flag">Flagged</span>;
}

/**
 * Login-activity files: an admin uploads a CSV, Vigil scores each login with an Isolation Forest
 * fitted on the file (POST /v1/logins/score), stores the flagged ones once and emails the admins.
 */
export function LoginsPage() {
  useTitle('Login files');
  const id = useId();
  const fileInput = useRef<HTMLInputElement>(null);
  const summaryHeading = useRef<HTMLHeadingElement>(null);
  const [contamination, setContamination] = useState<string>('auto');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<UploadProblem>();
  const [result, setResult] = useState<LoginUploadResult & { readonly file: string }>();
  const [show, setShow] = useState<'all' | 'flagged'>('all');
  const [userFilter, setUserFilter] = useState('');

  const [stored, setStored] = useState<readonly StoredFlaggedLogin[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<string>();
  const flagged = useLoad(async (signal) => {
    const page = await api.get<FlaggedLoginsPage>(`/v1/logins/flagged${query({ limit: 50 })}`, { signal });
    setStored(page.logins);
    setCursor(page.nextCursor);
    return page;
  }, []);

  const loadMore = async () => {
    if (!cursor) return;
    try {
      const next = await api.get<FlaggedLoginsPage>(`/v1/logins/flagged${query({ limit: 50, cursor })}`);
      setStored((s) => [...s, ...next.logins]);
      setCursor(next.nextCursor);
    } catch (e) {
      setMoreError(describeError(e));
    }
  };

  const score = async (event: FormEvent) => {
    event.preventDefault();
    const file = fileInput.current?.files?.[0];
    if (!file) {
      setProblem({ code: 'no_file', message: 'Choose a CSV file of logins first.' });
      fileInput.current?.focus();
      return;
    }
    setBusy(true);
    setProblem(undefined);
    try {
      const text = await file.text();
      const answer = await api.postText<LoginUploadResult>(`/v1/logins/score${query({ contamination, only: 'all' })}`, text, 'text/csv');
      setResult({ ...answer, file: file.name });
      setShow('all');
      setUserFilter('');
      void flagged.reload();
    } catch (e) {
      setResult(undefined);
      setProblem(toProblem(e));
    } finally {
      setBusy(false);
    }
  };

  // Keyboard and screen-reader users land on what the upload did (the button they pressed was disabled meanwhile).
  useEffect(() => {
    if (result) summaryHeading.current?.focus();
  }, [result]);

  const rows = useMemo(() => {
    if (!result) return [];
    const needle = userFilter.trim().toLowerCase();
    return result.results.filter(
      (r) => (show === 'all' || r.anomaly_flag === 1) && (needle === '' || r.user.toLowerCase().includes(needle)),
    );
  }, [result, show, userFilter]);
  const scores = useMemo(() => result?.results.map((r) => r.anomaly_score) ?? [], [result]);

  return (
    <section className="page">
      <div className="page-head">
        <h1 tabIndex={-1}>Login files</h1>
        <p className="muted">
          Score a CSV export of logins: an Isolation Forest is fitted on the file’s own rows and each login gets an anomaly score between 0
          and 1 (about 0.5 is ordinary). Flagged logins are stored once each and emailed to the admins. The file needs <code>user_id</code>{' '}
          and <code>timestamp</code> columns; <code>ip_address</code>, <code>location</code>, <code>device_type</code> and any other column
          are used when present.
        </p>
      </div>

      <form className="inline-filters" onSubmit={(e) => void score(e)} aria-label="Score a login file">
        <div className="field">
          <label htmlFor={`${id}-file`}>Login file (CSV)</label>
          <input id={`${id}-file`} ref={fileInput} type="file" accept=".csv,text/csv" aria-describedby={`${id}-file-hint`} />
          <span id={`${id}-file-hint`} className="hint">
            A header row, then one login per line.
          </span>
        </div>
        <div className="field">
          <label htmlFor={`${id}-contamination`}>Contamination</label>
          <select id={`${id}-contamination`} value={contamination} onChange={(e) => setContamination(e.target.value)}>
            {CONTAMINATIONS.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <div className="button-row">
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? 'Scoring…' : 'Score file'}
          </button>
        </div>
      </form>

      <div className="notice-region" role="alert" aria-live="assertive">
        {problem && (
          <div className="notice notice-error login-problem">
            <p>
              <strong>The file was not scored.</strong> {problem.message}
            </p>
            <p className="small">
              Code <code>{problem.code}</code>
              {problem.line !== undefined && <> · line {problem.line}</>}
              {problem.path !== undefined && (
                <>
                  {' '}
                  · column <code>{problem.path.replace(/^\//, '')}</code>
                </>
              )}
            </p>
          </div>
        )}
      </div>
      {busy && <Loading what="the scores" />}

      {result && (
        <>
          <section className="card" aria-labelledby={`${id}-summary`}>
            <h2 id={`${id}-summary`} ref={summaryHeading} tabIndex={-1}>
              Scores of {result.file}
            </h2>
            <dl className="facts login-summary">
              <div>
                <dt>Rows</dt>
                <dd>{result.rows.toLocaleString()}</dd>
              </div>
              <div>
                <dt>Flagged</dt>
                <dd>{result.flagged.toLocaleString()}</dd>
              </div>
              <div>
                <dt>Threshold</dt>
                <dd>
                  {result.threshold.toFixed(4)}{' '}
                  <span className="muted">({result.contamination === 'auto' ? 'auto' : `contamination ${result.contamination}`})</span>
                </dd>
              </div>
              <div>
                <dt>New</dt>
                <dd>{result.stored.new.toLocaleString()}</dd>
              </div>
              <div>
                <dt>Already stored</dt>
                <dd>{result.stored.alreadyStored.toLocaleString()}</dd>
              </div>
              <div>
                <dt>Emailed</dt>
                <dd>{result.emailed > 0 ? `Yes (${result.emailed})` : 'No'}</dd>
              </div>
            </dl>
          </section>

          <section className="card" aria-labelledby={`${id}-chart`}>
            <h2 id={`${id}-chart`}>Score distribution</h2>
            <p className="muted small">Rows per score band; the dashed line is the threshold, bands above it are drawn in orange.</p>
            <Suspense fallback={<p role="status">Loading the chart…</p>}>
              <ScoreHistogram scores={scores} threshold={result.threshold} />
            </Suspense>
          </section>

          <section aria-labelledby={`${id}-results`}>
            <h2 id={`${id}-results`}>Rows</h2>
            <form className="inline-filters" aria-label="Filter the rows" onSubmit={(e) => e.preventDefault()}>
              <fieldset className="login-show">
                <legend>Show</legend>
                <label className="check">
                  <input type="radio" name={`${id}-show`} checked={show === 'all'} onChange={() => setShow('all')} /> All rows
                </label>
                <label className="check">
                  <input type="radio" name={`${id}-show`} checked={show === 'flagged'} onChange={() => setShow('flagged')} /> Flagged only
                </label>
              </fieldset>
              <div className="field">
                <label htmlFor={`${id}-user`}>User contains</label>
                <input id={`${id}-user`} spellCheck={false} value={userFilter} onChange={(e) => setUserFilter(e.target.value)} />
              </div>
            </form>
            <p className="results-count" aria-live="polite">
              {rows.length.toLocaleString()} of {result.results.length.toLocaleString()} rows
              {rows.length > MAX_ROWS && ` (the first ${MAX_ROWS} shown; narrow with the filters)`}.
            </p>
            {rows.length === 0 ? (
              <Empty>No row matches.</Empty>
            ) : (
              <div className="table-wrap">
                <table className="login-table">
                  <caption className="visually-hidden">Scored logins in file order; flagged rows are marked Flagged</caption>
                  <thead>
                    <tr>
                      <th scope="col">Line</th>
                      <th scope="col">User</th>
                      <th scope="col">Time</th>
                      <th scope="col">Score</th>
                      <th scope="col">Flag</th>
                      <th scope="col">Top reasons</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.slice(0, MAX_ROWS).map((r) => (
                      <tr key={r.line} className={r.anomaly_flag === 1 ? 'login-row-flagged' : undefined}>
                        <td className="mono">{r.line}</td>
                        <td className="break">{r.user}</td>
                        <td className="nowrap">{formatDateTime(r.timestamp)}</td>
                        <td className="mono">{r.anomaly_score.toFixed(4)}</td>
                        <td>{r.anomaly_flag === 1 ? <FlaggedBadge /> : <span className="muted">—</span>}</td>
                        <td className="small">
                          <Reasons reasons={r.reasons} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}

      <section aria-labelledby={`${id}-stored`}>
        <div className="page-head-row">
          <h2 id={`${id}-stored`}>Stored flagged logins</h2>
          <button type="button" className="button-quiet" onClick={() => void flagged.reload()}>
            Refresh
          </button>
        </div>
        <p className="muted small">Every flagged login of every upload, newest first, each stored once.</p>
        <ErrorText error={flagged.error} />
        {flagged.loading && !flagged.data && <Loading what="the flagged logins" />}
        {flagged.data && stored.length === 0 && <Empty>No login has been flagged yet.</Empty>}
        {stored.length > 0 && (
          <div className="table-wrap">
            <table className="login-table">
              <caption className="visually-hidden">Stored flagged logins, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Flagged</th>
                  <th scope="col">User</th>
                  <th scope="col">Time</th>
                  <th scope="col">Score</th>
                  <th scope="col">IP, place, device</th>
                  <th scope="col">Top reasons</th>
                </tr>
              </thead>
              <tbody>
                {stored.map((l) => (
                  <tr key={l.id}>
                    <td className="nowrap">{formatDateTime(l.flaggedAt)}</td>
                    <td className="break">{l.user}</td>
                    <td className="nowrap">{formatDateTime(l.timestamp)}</td>
                    <td className="mono">
                      {l.anomaly_score.toFixed(4)} <span className="muted">/ {l.threshold.toFixed(4)}</span>
                    </td>
                    <td className="small break">{[l.ip, l.location, l.device].filter(Boolean).join(' · ') || '—'}</td>
                    <td className="small">
                      <Reasons reasons={l.reasons} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {cursor && (
          <button type="button" className="button-quiet" onClick={() => void loadMore()}>
            Load older flagged logins
          </button>
        )}
        <ErrorText error={moreError} />
      </section>
    </section>
  );
}
