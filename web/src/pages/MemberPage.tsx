import { useCallback, useId, useState } from 'react';
import { SEVERITY_RANK } from '../../../src/domain/severity';
import { OPEN_STATUSES, SCENARIOS } from '../../../src/domain/vocabulary';
import type {
  Account,
  Alert,
  AlertPage,
  EventPage,
  MyAccount,
  Scenario,
  SentCode,
  Severity,
  SimulationResult,
  StoredEvent,
} from '../../../src/http/schemas';
import { ApiError, api, describeError, query } from '../api';
import { CodeForm } from '../components/CodeForm';
import { TravelSnoozes } from '../components/TravelSnoozes';
import {
  Empty,
  ErrorText,
  HealthMeter,
  Loading,
  LockIcon,
  Notice,
  type NoticeValue,
  ReasonList,
  SeverityBadge,
  Time,
} from '../components/ui';
import {
  actionLabel,
  describeUserAgent,
  eventLabel,
  formatAmount,
  formatClock,
  place,
  SCENARIO_LABEL,
  SCOPE_DESCRIPTION,
  SEVERITY_LABEL,
} from '../format';
import { useInterval, useLoad, useTitle } from '../hooks';
import { usePerson } from '../session';

function sentText(sent: SentCode): string {
  return `We sent a code by ${sent.channel === 'sms' ? 'text message' : 'email'} to ${sent.to}. It expires at ${formatClock(sent.expiresAt)}.`;
}

/** The member's own account: health, lock, flagged activity, timeline and the simulator. */
export function MemberPage() {
  useTitle('My account');
  const person = usePerson();
  const account = useLoad((signal) => api.get<MyAccount>('/v1/me', { signal }), []);
  const alerts = useLoad((signal) => api.get<AlertPage>('/v1/me/alerts?limit=20', { signal }), []);
  const [timelineKey, setTimelineKey] = useState(0);

  const refresh = useCallback(async () => {
    setTimelineKey((k) => k + 1);
    await Promise.all([account.reload(), alerts.reload()]);
    // Security Health is recomputed just after a change settles: read it once more a moment later.
    window.setTimeout(() => void account.reload(), 1200);
  }, [account.reload, alerts.reload]);

  // What an admin or Vigil does meanwhile (an unlock, a new alert) shows up without a reload.
  useInterval(() => {
    void account.reload();
    void alerts.reload();
  }, 20_000);

  return (
    <section className="page">
      <div className="page-head">
        <h1 tabIndex={-1}>My account</h1>
        <p className="muted">
          Signed in as {person.email}
          {person.user && (
            <>
              {' '}
              · shopper <strong>{person.user}</strong>
            </>
          )}
        </p>
      </div>
      <ErrorText error={account.error} />
      {account.data?.locked && <LockBanner account={account.data} onUnlocked={refresh} />}
      <div className="member-grid">
        <div className="member-main">
          {account.data ? <HealthPanel account={account.data} /> : !account.error && <Loading what="your account" />}
          <FlaggedActivity page={alerts.data} error={alerts.error} onChanged={refresh} />
          <Timeline key={timelineKey} />
        </div>
        <div className="member-side">
          <TravelSnoozes />
          {account.data?.simulator && <Simulator onDone={refresh} />}
        </div>
      </div>
    </section>
  );
}

function HealthPanel({ account }: { readonly account: Account }) {
  const { health, suggestions } = account;
  return (
    <section className="card" aria-labelledby="health-heading">
      <h2 id="health-heading" className="visually-hidden">
        Security Health
      </h2>
      <HealthMeter score={health.score} />
      {health.reasons.length > 0 ? (
        <>
          <h3 className="small-heading">What lowers it</h3>
          <ul className="health-reasons">
            {health.reasons.map((r) => (
              <li key={r.factor}>
                <span className="impact">−{r.impact}</span> {r.message}
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p className="muted">Nothing lowers your score right now.</p>
      )}
      {suggestions.length > 0 && (
        <>
          <h3 className="small-heading">What you can do</h3>
          <ul className="suggestions">
            {suggestions.map((s) => (
              <li key={s.action}>
                <strong>{actionLabel(s.action)}.</strong> {s.why}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/**
 * What is true of the unlock code: a lock within a minute of the last code sends none, so the page
 * says when the code in force was sent and when another may be asked for, rather than "we sent you".
 */
function UnlockCodeText({ account }: { readonly account: Account }) {
  const code = account.unlockCode;
  const to = code?.channel === 'sms' ? account.contact.phone : code?.channel === 'email' ? account.contact.email : undefined;
  if (!code) {
    return <p>If the flagged activity was yours, ask for a one-time code below and unlock with it.</p>;
  }
  const another = (
    <>
      You can ask for another from <time dateTime={code.nextCodeAt}>{formatClock(code.nextCodeAt)}</time>.
    </>
  );
  if (!code.valid) {
    return (
      <p data-testid="unlock-code-state">
        The last code we sent{to ? ` to ${to}` : ''}, at <time dateTime={code.sentAt}>{formatClock(code.sentAt)}</time>, can no longer be
        used: ask for a new one below. {Date.parse(code.nextCodeAt) > Date.now() && another}
      </p>
    );
  }
  return (
    <p data-testid="unlock-code-state">
      If the flagged activity was yours, unlock with the one-time code we sent{to ? ` to ${to}` : ''} at{' '}
      <time dateTime={code.sentAt}>{formatClock(code.sentAt)}</time> (valid until{' '}
      <time dateTime={code.expiresAt}>{formatClock(code.expiresAt)}</time>). {another}
    </p>
  );
}

function LockBanner({ account, onUnlocked }: { readonly account: Account; readonly onUnlocked: () => Promise<void> }) {
  const [notice, setNotice] = useState<NoticeValue>();
  const [sending, setSending] = useState(false);
  const scope = account.lockScope ?? 'sensitive';

  const sendCode = async () => {
    setSending(true);
    try {
      setNotice({ tone: 'success', text: sentText(await api.post<SentCode>('/v1/me/unlock-code', {})) });
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    } finally {
      setSending(false);
    }
  };

  const unlock = async (code: string) => {
    try {
      await api.post('/v1/me/unlock', { code });
      setNotice({ tone: 'success', text: 'Your account is unlocked.' });
      await onUnlocked();
      return true;
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
      return false;
    }
  };

  return (
    <section className="lock-banner" aria-labelledby="lock-heading">
      <h2 id="lock-heading">
        <LockIcon /> Your account is locked
      </h2>
      <p>
        {SCOPE_DESCRIPTION[scope]} {account.reason && <>Why: {account.reason}.</>}{' '}
        {account.lockedAt && (
          <>
            Since <Time iso={account.lockedAt} />.
          </>
        )}
      </p>
      {account.unlockBy === 'code' && (
        <div className="lock-actions">
          <UnlockCodeText account={account} />
          <CodeForm label="One-time code" hint="6 digits, valid for 10 minutes." submitLabel="Unlock my account" onSubmit={unlock} />
          <button type="button" className="button-quiet" onClick={() => void sendCode()} disabled={sending}>
            {sending ? 'Sending…' : 'Send me a new code'}
          </button>
        </div>
      )}
      {account.unlockBy === 'password_change' && (
        <p>
          You told us some activity was not yours. <strong>Change your password</strong> in the shop to unlock your account. (The
          simulator’s “Password change” does not count: it is not a real one.)
        </p>
      )}
      {account.unlockBy === 'admin' && (
        <p>The security team is reviewing your account and will unlock it. You do not need to do anything.</p>
      )}
      <Notice notice={notice} />
    </section>
  );
}

function FlaggedActivity({
  page,
  error,
  onChanged,
}: {
  readonly page: AlertPage | undefined;
  readonly error: string | undefined;
  readonly onChanged: () => Promise<void>;
}) {
  const [loadedMore, setMore] = useState<{ after: string; alerts: readonly Alert[]; nextCursor: string | null }>();
  const [moreError, setMoreError] = useState<string>();
  // Older pages stay while the first page is the same list; a change of it (an action, a new alert) starts again.
  const firstPage = page?.alerts.map((a) => `${a.id}:${a.status}`).join(',');
  const more = loadedMore !== undefined && loadedMore.after === firstPage ? loadedMore : undefined;
  const alerts = [...(page?.alerts ?? []), ...(more?.alerts ?? [])];
  const cursor = more ? more.nextCursor : page?.nextCursor;
  const open = alerts.filter((a) => OPEN_STATUSES.has(a.status)).length;

  const loadMore = async () => {
    if (!cursor) return;
    try {
      const next = await api.get<AlertPage>(`/v1/me/alerts${query({ limit: 20, cursor })}`);
      if (firstPage !== undefined)
        setMore({ after: firstPage, alerts: [...(more?.alerts ?? []), ...next.alerts], nextCursor: next.nextCursor });
    } catch (e) {
      setMoreError(describeError(e));
    }
  };

  return (
    <section className="card" aria-labelledby="flagged-heading">
      <h2 id="flagged-heading">Flagged activity {page && <span className="count">{open} open</span>}</h2>
      <p className="muted">Things Vigil found unusual on your account. Tell us whether each was you.</p>
      <ErrorText error={error} />
      {!page && !error && <Loading what="flagged activity" />}
      {page && alerts.length === 0 && <Empty>Nothing unusual has been found on your account.</Empty>}
      <ol className="flagged-list">
        {alerts.map((alert) => (
          <FlaggedAlert key={alert.id} alert={alert} onChanged={onChanged} />
        ))}
      </ol>
      {cursor && (
        <button type="button" className="button-quiet" onClick={() => void loadMore()}>
          Show older
        </button>
      )}
      <ErrorText error={moreError} />
    </section>
  );
}

const CLOSED_TEXT: Readonly<Record<string, string>> = {
  resolved: 'Resolved by the security team.',
  false_positive: 'Closed: this was you.',
};

function FlaggedAlert({ alert, onChanged }: { readonly alert: Alert; readonly onChanged: () => Promise<void> }) {
  const headingId = useId();
  const [step, setStep] = useState<'idle' | 'confirm-dispute' | 'code'>('idle');
  const [notice, setNotice] = useState<NoticeValue>();
  const [busy, setBusy] = useState(false);
  const open = OPEN_STATUSES.has(alert.status);
  const where = place(alert.city, alert.country);
  const device = describeUserAgent(alert.userAgent);
  const first = alert.events[0];
  const amount = formatAmount(first?.amount, first?.currency);

  const dispute = async () => {
    setBusy(true);
    try {
      await api.post(`/v1/me/alerts/${encodeURIComponent(alert.id)}/dispute`, {});
      setStep('idle');
      setNotice({
        tone: 'success',
        text: 'Thank you. We locked your account to protect it, and blocked that device and address. Change your password to unlock it.',
      });
      await onChanged();
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  const askCode = async () => {
    setBusy(true);
    try {
      const sent = await api.post<SentCode>(`/v1/me/alerts/${encodeURIComponent(alert.id)}/confirm`, {});
      setStep('code');
      setNotice({ tone: 'info', text: `To make sure it is you: ${sentText(sent)}` });
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  const confirm = async (code: string) => {
    try {
      await api.post(`/v1/me/alerts/${encodeURIComponent(alert.id)}/confirm`, { code });
      setStep('idle');
      setNotice({ tone: 'success', text: 'Thanks for confirming. We will remember this device and place as yours.' });
      await onChanged();
      return true;
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
      if (e instanceof ApiError && (e.code === 'too_many_attempts' || e.code === 'code_expired')) setStep('idle');
      return false;
    }
  };

  return (
    <li className={`flagged ${open ? '' : 'flagged-closed'}`} aria-labelledby={headingId}>
      <div className="flagged-head">
        <SeverityBadge severity={alert.severity} />
        <h3 id={headingId}>{alert.summary}</h3>
      </div>
      <dl className="facts">
        <div>
          <dt>When</dt>
          <dd>
            <Time iso={alert.lastSeenAt} relative={false} />
          </dd>
        </div>
        {where && (
          <div>
            <dt>Where</dt>
            <dd>
              {where}
              {alert.ip && <span className="muted"> ({alert.ip})</span>}
            </dd>
          </div>
        )}
        {(device ?? alert.device) && (
          <div>
            <dt>Device</dt>
            <dd>
              {device ?? alert.device}
              {device && alert.device && <span className="muted"> · {alert.device}</span>}
            </dd>
          </div>
        )}
        {amount && (
          <div>
            <dt>Amount</dt>
            <dd>{amount}</dd>
          </div>
        )}
        {alert.occurrences > 1 && (
          <div>
            <dt>Times</dt>
            <dd>{alert.occurrences}</dd>
          </div>
        )}
      </dl>
      <div className="why">
        <h4 className="small-heading">Why it was flagged</h4>
        <ReasonList reasons={alert.reasons} evidence={false} />
      </div>
      {open ? (
        <div className="flagged-actions">
          {step === 'idle' && (
            <>
              <button type="button" className="button-danger" onClick={() => setStep('confirm-dispute')} disabled={busy}>
                This wasn’t me
              </button>
              <button type="button" onClick={() => void askCode()} disabled={busy}>
                This was me
              </button>
            </>
          )}
          {step === 'confirm-dispute' && (
            <fieldset className="confirm-box">
              <legend className="visually-hidden">Report activity that was not yours</legend>
              <p>We will lock your account until you change your password, and block the device and address this came from. Continue?</p>
              <button type="button" className="button-danger" onClick={() => void dispute()} disabled={busy}>
                Yes, it wasn’t me: lock my account
              </button>
              <button type="button" className="button-quiet" onClick={() => setStep('idle')}>
                Cancel
              </button>
            </fieldset>
          )}
          {step === 'code' && (
            <div className="confirm-box">
              <CodeForm label="Code we sent you" submitLabel="Confirm it was me" onSubmit={confirm} autoFocus />
              <button type="button" className="button-quiet" onClick={() => setStep('idle')}>
                Cancel
              </button>
            </div>
          )}
        </div>
      ) : (
        <p className="muted">{CLOSED_TEXT[alert.status] ?? 'Closed.'}</p>
      )}
      <Notice notice={notice} />
    </li>
  );
}

function Timeline() {
  const [pages, setPages] = useState<readonly StoredEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const first = useLoad(async (signal) => {
    const page = await api.get<EventPage>('/v1/me/events?limit=15', { signal });
    setPages(page.events);
    setCursor(page.nextCursor);
    return page;
  }, []);
  const [moreError, setMoreError] = useState<string>();

  const loadMore = async () => {
    if (!cursor) return;
    try {
      const page = await api.get<EventPage>(`/v1/me/events${query({ limit: 30, cursor })}`);
      setPages((p) => [...p, ...page.events]);
      setCursor(page.nextCursor);
    } catch (e) {
      setMoreError(describeError(e));
    }
  };

  return (
    <section className="card" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Recent activity</h2>
      <ErrorText error={first.error} />
      {first.loading && !first.data && <Loading what="your activity" />}
      {first.data && pages.length === 0 && <Empty>No activity yet.</Empty>}
      <ol className="timeline">
        {pages.map((e) => {
          const where = place(e.enrichment?.geo?.city, e.enrichment?.geo?.country);
          const device = e.enrichment?.userAgent?.summary ?? describeUserAgent(e.userAgent) ?? e.device;
          const amount = formatAmount(e.amount, e.currency);
          return (
            <li key={e.id} className={`timeline-item decision-${e.decision}`}>
              <div className="timeline-what">
                <strong>{eventLabel(e.type)}</strong>
                {amount && <span> · {amount}</span>}
                {e.type === 'page.viewed' && e.path && <code className="path">{e.path}</code>}
                {e.decision !== 'allow' && (
                  <span className={`badge decision decision-${e.decision}`}>{e.decision === 'block' ? 'Blocked' : 'Checked'}</span>
                )}
                {e.enrichment?.novelty?.newDevice && <span className="tag">new device</span>}
                {e.severity !== 'none' && <span className="visually-hidden">, severity {SEVERITY_LABEL[e.severity]}</span>}
              </div>
              <div className="timeline-meta muted small">
                <Time iso={e.timestamp} />
                {where && <span> · {where}</span>}
                {device && <span> · {device}</span>}
              </div>
            </li>
          );
        })}
      </ol>
      {cursor && (
        <button type="button" className="button-quiet" onClick={() => void loadMore()}>
          Show older activity
        </button>
      )}
      <ErrorText error={moreError} />
    </section>
  );
}

function summarise(result: SimulationResult, locked: boolean | undefined): string {
  const { title } = SCENARIO_LABEL[result.scenario];
  const n = result.results.length;
  const flagged = result.results.filter((r) => r.severity !== 'none');
  const top = result.results.reduce<Severity>((s, r) => (SEVERITY_RANK[r.severity] > SEVERITY_RANK[s] ? r.severity : s), 'none');
  const blocked = result.results.filter((r) => r.decision === 'block').length;
  const parts = [`${title}: ${n} ${n === 1 ? 'event' : 'events'} sent.`];
  parts.push(
    flagged.length === 0
      ? 'Nothing was flagged.'
      : `${flagged.length} flagged, the highest ${SEVERITY_LABEL[top].toLowerCase()}${blocked > 0 ? `; ${blocked} blocked` : ''}.`,
  );
  if (locked) parts.push('Your account is locked: see the banner at the top.');
  return parts.join(' ');
}

function Simulator({ onDone }: { readonly onDone: () => Promise<void> }) {
  const [busy, setBusy] = useState<Scenario>();
  const [notice, setNotice] = useState<NoticeValue>();
  const describedBy = useId();

  const run = async (scenario: Scenario) => {
    setBusy(scenario);
    setNotice(undefined);
    try {
      const result = await api.post<SimulationResult>('/v1/me/simulate', { scenario });
      await onDone();
      const account = await api.get<MyAccount>('/v1/me');
      setNotice({ tone: 'info', text: summarise(result, account.locked) });
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section className="card simulator" aria-labelledby="sim-heading">
      <h2 id="sim-heading">Try it: simulate activity</h2>
      <p className="muted">
        Each button sends real events for your account through Vigil’s API, so you can watch detection, locks and unlocking happen.
      </p>
      <ul className="sim-list">
        {SCENARIOS.map((scenario) => (
          <li key={scenario}>
            <button
              type="button"
              className="sim-button"
              onClick={() => void run(scenario)}
              disabled={busy !== undefined}
              aria-describedby={`${describedBy}-${scenario}`}
            >
              {busy === scenario ? 'Sending…' : SCENARIO_LABEL[scenario].title}
            </button>
            <p id={`${describedBy}-${scenario}`} className="hint">
              {SCENARIO_LABEL[scenario].what}
            </p>
          </li>
        ))}
      </ul>
      <Notice notice={notice} />
    </section>
  );
}
