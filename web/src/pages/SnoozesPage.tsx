import { type FormEvent, useId, useState } from 'react';
import type { Rule, Snooze, SnoozeList } from '../../../src/http/schemas';
import { ApiError, api, describeError, query } from '../api';
import { Empty, ErrorText, Loading, Notice, type NoticeValue, ReadOnlyNote } from '../components/ui';
import { formatDateTime } from '../format';
import { useLoad, useTitle } from '../hooks';
import { can } from '../roles';
import { usePerson } from '../session';

interface Draft {
  readonly rule: string;
  readonly user: string;
  readonly until: string;
  readonly reason: string;
}

const EMPTY_DRAFT: Draft = { rule: '', user: '', until: '', reason: '' };

/**
 * Rules snoozed per account until a time: the rule still runs for that account and its findings
 * are recorded as suppressed, but they add nothing to risk, decision or alerts.
 */
export function SnoozesPage() {
  const manage = can(usePerson(), 'manage');
  useTitle('Snoozes');
  const filterId = useId();
  const [showAll, setShowAll] = useState(false);
  const [notice, setNotice] = useState<NoticeValue>();
  const rules = useLoad((signal) => api.get<{ rules: readonly Rule[] }>('/v1/rules', { signal }), []);
  const list = useLoad(
    (signal) => api.get<SnoozeList>(`/v1/snoozes${query({ active: showAll ? undefined : true, limit: 200 })}`, { signal }),
    [showAll],
  );
  const titleOf = (id: string) => rules.data?.rules.find((r) => r.id === id)?.title ?? id;

  const cancel = async (snooze: Snooze) => {
    try {
      const cancelled = await api.delete<Snooze>(`/v1/snoozes/${encodeURIComponent(snooze.id)}`);
      list.setData(
        (d) =>
          d && {
            snoozes: showAll ? d.snoozes.map((s) => (s.id === snooze.id ? cancelled : s)) : d.snoozes.filter((s) => s.id !== snooze.id),
          },
      );
      setNotice({ tone: 'success', text: `Cancelled the snooze of ${titleOf(snooze.rule)} for ${snooze.user}.` });
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    }
  };

  return (
    <section className="page">
      <div className="page-head">
        <h1 tabIndex={-1}>Snoozes</h1>
        <p className="muted">
          A snoozed rule still runs for that account, and its findings are kept with each event marked as snoozed, but they add nothing to
          the risk, the decision or alerts until the snooze ends or is cancelled. Members can snooze the travel and new-device rules on
          their own account for up to 30 days; you can snooze any rule for up to 90.
        </p>
      </div>
      {manage ? (
        <NewSnooze
          rules={rules.data?.rules}
          rulesError={rules.error}
          onCreated={(snooze) => {
            list.setData((d) => d && { snoozes: [snooze, ...d.snoozes] });
            setNotice({
              tone: 'success',
              text: `Snoozed ${titleOf(snooze.rule)} for ${snooze.user} until ${formatDateTime(snooze.until)}.`,
            });
          }}
        />
      ) : (
        <ReadOnlyNote what="snoozes" />
      )}
      <Notice notice={notice} />
      <div className="inline-filters">
        <label className="check" htmlFor={`${filterId}-all`}>
          <input id={`${filterId}-all`} type="checkbox" checked={showAll} onChange={(e) => setShowAll(e.target.checked)} />
          Include ended and cancelled snoozes
        </label>
      </div>
      <ErrorText error={list.error} />
      {list.loading && !list.data && <Loading what="snoozes" />}
      {list.data && list.data.snoozes.length === 0 && <Empty>{showAll ? 'No snoozes yet.' : 'No rule is snoozed right now.'}</Empty>}
      {list.data && list.data.snoozes.length > 0 && (
        <div className="table-wrap">
          <table className="snooze-table">
            <caption className="visually-hidden">Snoozes, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Rule</th>
                <th scope="col">Until</th>
                <th scope="col">Reason</th>
                <th scope="col">Set by</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.snoozes.map((s) => (
                <tr key={s.id}>
                  <td className="mono break">{s.user}</td>
                  <td>
                    {titleOf(s.rule)}
                    <div className="muted small mono">{s.rule}</div>
                  </td>
                  <td className="nowrap">
                    {formatDateTime(s.until)}
                    {!s.active && (
                      <div className="muted small">{s.cancelledAt ? `Cancelled ${formatDateTime(s.cancelledAt)}` : 'Ended'}</div>
                    )}
                  </td>
                  <td className="break">{s.reason}</td>
                  <td className="small break">
                    {s.createdBy}
                    <div className="muted">{formatDateTime(s.createdAt)}</div>
                  </td>
                  <td>
                    {s.active && manage && (
                      <button type="button" className="button-quiet" onClick={() => void cancel(s)}>
                        Cancel
                        <span className="visually-hidden">
                          {' '}
                          the snooze of {titleOf(s.rule)} for {s.user}
                        </span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function NewSnooze({
  rules,
  rulesError,
  onCreated,
}: {
  readonly rules: readonly Rule[] | undefined;
  readonly rulesError: string | undefined;
  readonly onCreated: (snooze: Snooze) => void;
}) {
  const id = useId();
  const [draft, setDraft] = useState<Draft>(EMPTY_DRAFT);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ text: string; path: string | undefined }>();
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const invalid = (path: string) => (problem?.path === path ? true : undefined);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const until = new Date(draft.until);
      if (Number.isNaN(until.getTime())) {
        setProblem({ text: 'Pick when the snooze ends.', path: '/until' });
        return;
      }
      const snooze = await api.post<Snooze>('/v1/snoozes', {
        rule: draft.rule,
        user: draft.user.trim(),
        until: until.toISOString(),
        reason: draft.reason,
      });
      onCreated(snooze);
      setDraft(EMPTY_DRAFT);
    } catch (e) {
      setProblem({ text: describeError(e), path: e instanceof ApiError ? e.path : undefined });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card snooze-form" onSubmit={(e) => void submit(e)} aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Snooze a rule</h2>
      <ErrorText error={rulesError} />
      <div className="rule-fields">
        <div className="field">
          <label htmlFor={`${id}-rule`}>Rule</label>
          <select
            id={`${id}-rule`}
            required
            value={draft.rule}
            aria-invalid={invalid('/rule')}
            onChange={(e) => set({ rule: e.target.value })}
          >
            <option value="">Choose a rule…</option>
            {rules?.map((r) => (
              <option key={r.id} value={r.id}>
                {r.title} ({r.id})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-user`}>Account (user id)</label>
          <input
            id={`${id}-user`}
            required
            maxLength={200}
            spellCheck={false}
            autoComplete="off"
            className="mono"
            value={draft.user}
            aria-invalid={invalid('/user')}
            onChange={(e) => set({ user: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-until`}>Until</label>
          <input
            id={`${id}-until`}
            type="datetime-local"
            required
            value={draft.until}
            aria-invalid={invalid('/until')}
            aria-describedby={`${id}-until-hint`}
            onChange={(e) => set({ until: e.target.value })}
          />
          <p className="hint" id={`${id}-until-hint`}>
            Your local time; at most 90 days ahead.
          </p>
        </div>
        <div className="field">
          <label htmlFor={`${id}-reason`}>Reason</label>
          <input
            id={`${id}-reason`}
            required
            maxLength={500}
            value={draft.reason}
            aria-invalid={invalid('/reason')}
            onChange={(e) => set({ reason: e.target.value })}
          />
        </div>
      </div>
      {problem && (
        <p className="notice notice-error" role="alert">
          {problem.text}
        </p>
      )}
      <div className="button-row">
        <button type="submit" className="button-primary" disabled={busy}>
          {busy ? 'Snoozing…' : 'Snooze'}
        </button>
      </div>
    </form>
  );
}
