import { type ReactNode, useId, useState } from 'react';
import { OPEN_STATUSES } from '../../../src/domain/vocabulary';
import type { Account, AlertAction, AlertDetail, AlertStatus, EventPage } from '../../../src/http/schemas';
import { ApiError, api, describeError } from '../api';
import { AccountActions } from '../components/AccountActions';
import { AlertCommentThread } from '../components/AlertComments';
import { OwnerCard } from '../components/AlertOwner';
import {
  DecisionBadge,
  Empty,
  ErrorText,
  Evidence,
  HealthMeter,
  Loading,
  LockIcon,
  Notice,
  type NoticeValue,
  ReadOnlyNote,
  SeverityBadge,
  StatusBadge,
  Time,
} from '../components/ui';
import { useFeedMessages } from '../feed';
import {
  actionLabel,
  describeUserAgent,
  eventLabel,
  formatAmount,
  formatDateTime,
  formatDuration,
  place,
  SCOPE_LABEL,
  STATUS_LABEL,
  UNLOCK_LABEL,
} from '../format';
import { useLoad, useTitle } from '../hooks';
import { can } from '../roles';
import { Link } from '../router';
import { usePerson } from '../session';

const ACTIONS: ReadonlyArray<{ readonly action: AlertAction; readonly label: string; readonly className?: string }> = [
  { action: 'acknowledge', label: 'Acknowledge' },
  { action: 'escalate', label: 'Escalate', className: 'button-warning' },
  { action: 'resolve', label: 'Resolve', className: 'button-primary' },
  { action: 'false-positive', label: 'False positive' },
];

/** The lifecycle of src/domain/alert.ts: which actions each status allows. */
function allowed(status: AlertStatus, action: AlertAction): boolean {
  if (!OPEN_STATUSES.has(status)) return false;
  if (action === 'acknowledge') return status !== 'acknowledged';
  if (action === 'escalate') return status !== 'escalated';
  return true;
}

export function AlertDetailPage({ id }: { readonly id: string }) {
  const triage = can(usePerson(), 'triage');
  const detail = useLoad((signal) => api.get<AlertDetail>(`/v1/alerts/${encodeURIComponent(id)}`, { signal }), [id]);
  // A traffic alert (the volume monitor's, subject a status) is about no account: nothing to load or lock.
  const user = detail.data?.subject.kind === 'status' ? undefined : detail.data?.user;
  const account = useLoad(
    async (signal) => (user === undefined ? undefined : api.get<Account>(`/v1/accounts/${encodeURIComponent(user)}`, { signal })),
    [user],
  );
  const events = useLoad(
    async (signal) =>
      user === undefined ? undefined : api.get<EventPage>(`/v1/users/${encodeURIComponent(user)}/events?limit=10`, { signal }),
    [user],
  );
  useTitle(detail.data ? `Alert: ${detail.data.summary}` : 'Alert');

  useFeedMessages((message) => {
    if (message.kind === 'alert' && message.alert.id === id) void detail.reload();
    if (message.kind === 'account' && message.change.user === user) void account.reload();
  });

  const notFound = detail.error !== undefined && !detail.data;
  const alert = detail.data;

  return (
    <section className="page">
      <p className="breadcrumb">
        <Link to="/admin/alerts">← All alerts</Link>
      </p>
      {/* One heading element throughout, so that focus given to it on arrival stays when the alert loads. */}
      <div className="page-head">
        {alert && (
          <div className="detail-badges">
            <SeverityBadge severity={alert.severity} />
            <StatusBadge status={alert.status} />
            <DecisionBadge decision={alert.decision} />
            <span className="muted">Risk {alert.risk}/100</span>
          </div>
        )}
        <h1 tabIndex={-1}>{alert ? alert.summary : 'Alert'}</h1>
        {alert && (
          <p className="muted">
            {alert.id} · {alert.type} · raised <Time iso={alert.createdAt} />
          </p>
        )}
      </div>
      {!alert && detail.loading && <Loading what="the alert" />}
      {notFound && <ErrorText error={detail.error} />}
      {alert && (
        <div className="detail-grid">
          <div className="detail-main">
            {triage ? <AlertActions alert={alert} onDone={detail.reload} /> : <ReadOnlyNote what="this alert" />}
            <section className="card" aria-labelledby="reasons-heading">
              <h2 id="reasons-heading">Why: reasons and evidence</h2>
              <ul className="reasons">
                {alert.reasons.map((r) => (
                  <li key={`${r.rule}:${r.message}`}>
                    <div className="reason-head">
                      <SeverityBadge severity={r.severity} />
                      <span>{r.message}</span>
                    </div>
                    <p className="muted small">Rule: {r.rule}</p>
                    <Evidence evidence={r.evidence} />
                  </li>
                ))}
              </ul>
              {alert.suggestedActions.length > 0 && (
                <>
                  <h3 className="small-heading">Suggested actions</h3>
                  <ul className="suggestions">
                    {alert.suggestedActions.map((a) => (
                      <li key={a}>{actionLabel(a)}</li>
                    ))}
                  </ul>
                </>
              )}
            </section>
            <section className="card" aria-labelledby="events-heading">
              <h2 id="events-heading">Triggering events</h2>
              <div className="table-wrap">
                <table className="stack-on-phone">
                  <caption className="visually-hidden">Events that triggered this alert</caption>
                  <thead>
                    <tr>
                      <th scope="col">Event</th>
                      <th scope="col">Time</th>
                      <th scope="col">Where</th>
                      <th scope="col">IP</th>
                      <th scope="col">Device</th>
                      <th scope="col">Details</th>
                    </tr>
                  </thead>
                  <tbody>
                    {alert.events.map((e) => (
                      <tr key={e.id}>
                        <td data-label="Event">
                          {eventLabel(e.type)}
                          <div className="muted small mono">{e.id}</div>
                        </td>
                        <td data-label="Time">{formatDateTime(e.occurredAt)}</td>
                        <td data-label="Where">{place(e.city, e.country) ?? '—'}</td>
                        <td data-label="IP" className="mono">
                          {e.ip ?? '—'}
                        </td>
                        <td data-label="Device" className="mono">
                          {e.device ?? '—'}
                        </td>
                        <td data-label="Details">{formatAmount(e.amount, e.currency) ?? (e.path ? <code>{e.path}</code> : '—')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {alert.relatedEventIds.length > alert.events.length && (
                <p className="muted small">{alert.relatedEventIds.length} related events in all.</p>
              )}
            </section>
            <AlertCommentThread alertId={alert.id} />
            {alert.subject.kind !== 'status' && <RecentEvents user={alert.user} page={events.data} error={events.error} />}
            <section className="card" aria-labelledby="history-heading">
              <h2 id="history-heading">History</h2>
              {alert.transitions.length === 0 ? (
                <Empty>No one has acted on this alert yet.</Empty>
              ) : (
                <ol className="history">
                  {alert.transitions.map((t) => (
                    <li key={`${t.at}:${t.from}:${t.to}`}>
                      <strong>
                        {STATUS_LABEL[t.from]} → {STATUS_LABEL[t.to]}
                      </strong>{' '}
                      by {t.actor}, <Time iso={t.at} />
                      {t.note && <blockquote>{t.note}</blockquote>}
                    </li>
                  ))}
                </ol>
              )}
            </section>
          </div>
          <div className="detail-side">
            <OwnerCard alert={alert} onDone={detail.reload} />
            <section className="card" aria-labelledby="context-heading">
              <h2 id="context-heading">Context</h2>
              <dl className="facts facts-stacked">
                <Fact label="User" value={<strong>{alert.user}</strong>} />
                {alert.subject.kind !== 'user' && <Fact label={`Subject (${alert.subject.kind})`} value={alert.subject.value} mono />}
                <Fact label="Where" value={place(alert.city, alert.country)} />
                <Fact label="IP address" value={alert.ip} mono />
                <Fact label="Device" value={alert.device} mono />
                <Fact label="Browser" value={describeUserAgent(alert.userAgent)} />
                {alert.userAgent && <Fact label="User agent" value={alert.userAgent} mono />}
                <Fact label="Session" value={alert.session} mono />
                <Fact label="Rules" value={alert.ruleIds.join(', ')} />
                <Fact label="Occurrences" value={String(alert.occurrences)} />
                <Fact label="First seen" value={formatDateTime(alert.firstSeenAt)} />
                <Fact label="Last seen" value={formatDateTime(alert.lastSeenAt)} />
                <Fact label="Time to acknowledge" value={formatDuration(alert.timeToAcknowledgeMs)} />
                <Fact label="Time to resolve" value={formatDuration(alert.timeToResolveMs)} />
              </dl>
            </section>
            {alert.subject.kind === 'status' ? (
              <section className="card" aria-labelledby="account-heading">
                <h2 id="account-heading">Transaction volume</h2>
                <p>
                  An abnormal number of <strong>{alert.subject.value}</strong> transactions per minute, across all accounts.
                </p>
                <p>
                  <Link to={`/admin/monitor?status=${encodeURIComponent(alert.subject.value)}&hours=24`}>See it on the monitor</Link>
                </p>
              </section>
            ) : (
              <section className="card" aria-labelledby="account-heading">
                <h2 id="account-heading">Account {alert.user}</h2>
                <ErrorText error={account.error} />
                {account.data ? (
                  <>
                    <HealthMeter score={account.data.health.score} compact />
                    <AccountState account={account.data} />
                    {triage && <AccountActions account={account.data} alertId={alert.id} summary={alert.summary} onDone={account.reload} />}
                  </>
                ) : (
                  !account.error && <Loading what="the account" />
                )}
              </section>
            )}
          </div>
        </div>
      )}
    </section>
  );
}

function Fact({ label, value, mono = false }: { readonly label: string; readonly value: ReactNode; readonly mono?: boolean }) {
  if (value === undefined || value === null || value === '') return null;
  return (
    <div>
      <dt>{label}</dt>
      <dd className={mono ? 'mono' : undefined}>{value}</dd>
    </div>
  );
}

export function AccountState({ account }: { readonly account: Account }) {
  if (!account.locked) return <p className="account-state">Not locked.</p>;
  return (
    <div className="account-state account-locked">
      <p>
        <strong>
          <LockIcon /> {SCOPE_LABEL[account.lockScope ?? 'sensitive']}
        </strong>{' '}
        {account.lockedAt && (
          <>
            since <Time iso={account.lockedAt} />
          </>
        )}
      </p>
      {account.reason && <p className="small">Reason: {account.reason}</p>}
      {account.unlockBy && <p className="small muted">Unlocked by {UNLOCK_LABEL[account.unlockBy]}.</p>}
    </div>
  );
}

function AlertActions({ alert, onDone }: { readonly alert: AlertDetail; readonly onDone: () => Promise<void> }) {
  const noteId = useId();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState<AlertAction>();
  const [notice, setNotice] = useState<NoticeValue>();
  const open = OPEN_STATUSES.has(alert.status);

  const act = async (action: AlertAction, label: string) => {
    setBusy(action);
    try {
      const updated = await api.post<AlertDetail>(
        `/v1/alerts/${encodeURIComponent(alert.id)}/${action}`,
        note.trim() ? { note: note.trim() } : {},
      );
      setNote('');
      setNotice({ tone: 'success', text: `${label}: the alert is now ${STATUS_LABEL[updated.status].toLowerCase()}.` });
      await onDone();
    } catch (e) {
      setNotice({ tone: 'error', text: e instanceof ApiError && e.code === 'invalid_transition' ? e.message : describeError(e) });
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section className="card actions-card" aria-labelledby="actions-heading">
      <h2 id="actions-heading">Actions</h2>
      {open ? (
        <>
          <div className="field">
            <label htmlFor={noteId}>Note (optional, kept in the alert’s history and the audit log)</label>
            <textarea id={noteId} rows={2} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />
          </div>
          <div className="button-row">
            {ACTIONS.map(({ action, label, className }) => (
              <button
                key={action}
                type="button"
                className={className}
                disabled={busy !== undefined || !allowed(alert.status, action)}
                onClick={() => void act(action, label)}
              >
                {busy === action ? `${label}…` : label}
              </button>
            ))}
          </div>
        </>
      ) : (
        <p>This alert is closed ({STATUS_LABEL[alert.status].toLowerCase()}).</p>
      )}
      <Notice notice={notice} />
    </section>
  );
}

function RecentEvents({
  user,
  page,
  error,
}: {
  readonly user: string;
  readonly page: EventPage | undefined;
  readonly error: string | undefined;
}) {
  return (
    <section className="card" aria-labelledby="recent-heading">
      <h2 id="recent-heading">Recent activity of {user}</h2>
      <ErrorText error={error} />
      {!page && !error && <Loading what="recent activity" />}
      {page && page.events.length === 0 && <Empty>No events stored for this user.</Empty>}
      {page && page.events.length > 0 && (
        <ol className="timeline">
          {page.events.map((e) => (
            <li key={e.id} className={`timeline-item decision-${e.decision}`}>
              <div className="timeline-what">
                <strong>{eventLabel(e.type)}</strong>
                {formatAmount(e.amount, e.currency) && <span> · {formatAmount(e.amount, e.currency)}</span>}
                {e.path && <code className="path">{e.path}</code>}
                {e.severity !== 'none' && <SeverityBadge severity={e.severity} />}
                {e.decision !== 'allow' && <DecisionBadge decision={e.decision} />}
              </div>
              <div className="timeline-meta muted small">
                <Time iso={e.timestamp} />
                {place(e.enrichment?.geo?.city, e.enrichment?.geo?.country) && (
                  <span> · {place(e.enrichment?.geo?.city, e.enrichment?.geo?.country)}</span>
                )}
                {e.ip && <span className="mono"> · {e.ip}</span>}
                {(e.enrichment?.userAgent?.summary ?? e.device) && <span> · {e.enrichment?.userAgent?.summary ?? e.device}</span>}
              </div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
