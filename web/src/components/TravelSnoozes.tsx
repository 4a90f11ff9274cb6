import { type FormEvent, useId, useState } from 'react';
import type { Snooze, SnoozeList } from '../../../src/http/schemas';
import { ApiError, api, describeError } from '../api';
import { formatDateTime } from '../format';
import { useLoad } from '../hooks';

const DAY_MS = 86_400_000;

/** The rules a member may snooze, in words a shopper reads (the server lists the ids: GET /v1/me/snoozes). */
export const MEMBER_SNOOZE_LABEL: Readonly<Record<string, string>> = {
  'new-login-context': 'New device or country logins',
  'impossible-travel': 'Impossible travel',
  'behaviour-anomaly': 'Unusual behaviour',
};

/** A local calendar date as `YYYY-MM-DD`, what a date input reads and writes. */
function localDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The end of that local day (the snooze covers the whole day picked), as ISO 8601. */
function endOfDay(date: string): string | undefined {
  const end = new Date(`${date}T23:59:59`);
  return Number.isNaN(end.getTime()) ? undefined : end.toISOString();
}

/**
 * "Travelling?": the member snoozes the travel and new-device rules on their own account for a while,
 * so that logging in from abroad is not flagged; and sees and cancels the snoozes in force.
 */
export function TravelSnoozes() {
  const id = useId();
  const list = useLoad((signal) => api.get<SnoozeList>('/v1/me/snoozes?active=true', { signal }), []);
  const rules = list.data?.rules ?? Object.keys(MEMBER_SNOOZE_LABEL);
  const [rule, setRule] = useState('new-login-context');
  const [until, setUntil] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ text: string; path: string | undefined }>();
  const [done, setDone] = useState<string>();
  const now = Date.now();
  // The end of the last day allowed stays within the 30 days members may snooze for.
  const minDate = localDate(now);
  const maxDate = localDate(now + 29 * DAY_MS);
  const labelOf = (r: string) => MEMBER_SNOOZE_LABEL[r] ?? r;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(undefined);
    setDone(undefined);
    const end = endOfDay(until);
    if (end === undefined) {
      setProblem({ text: 'Pick the last day of your trip.', path: '/until' });
      return;
    }
    setBusy(true);
    try {
      const snooze = await api.post<Snooze>('/v1/me/snoozes', { rule, until: end, reason });
      list.setData((d) => d && { ...d, snoozes: [snooze, ...d.snoozes] });
      setDone(`${labelOf(snooze.rule)} won’t be flagged until ${formatDateTime(snooze.until)}.`);
      setReason('');
      setUntil('');
    } catch (e) {
      setProblem({ text: describeError(e), path: e instanceof ApiError ? e.path : undefined });
    } finally {
      setBusy(false);
    }
  };

  const cancel = async (snooze: Snooze) => {
    setProblem(undefined);
    setDone(undefined);
    try {
      await api.delete(`/v1/me/snoozes/${encodeURIComponent(snooze.id)}`);
      list.setData((d) => d && { ...d, snoozes: d.snoozes.filter((s) => s.id !== snooze.id) });
      setDone(`${labelOf(snooze.rule)} is checked again.`);
    } catch (e) {
      setProblem({ text: describeError(e), path: undefined });
    }
  };

  return (
    <section className="card travel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Travelling?</h2>
      <p className="muted">
        Going abroad or using a new device for a while? Tell us until when, and we won’t flag that kind of sign-in on your account
        meanwhile. Everything else is still checked.
      </p>
      {list.error && (
        <p className="notice notice-error" role="alert">
          {list.error}
        </p>
      )}
      {list.data && list.data.snoozes.length > 0 && (
        <ul className="travel-list" aria-label="Your snoozes">
          {list.data.snoozes.map((s) => (
            <li key={s.id}>
              <strong>{labelOf(s.rule)}</strong> until {formatDateTime(s.until)}
              <div className="muted small">{s.reason}</div>
              <button type="button" className="button-quiet" onClick={() => void cancel(s)}>
                Cancel<span className="visually-hidden"> {labelOf(s.rule)} snooze</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={(e) => void submit(e)} aria-label="Snooze a check while travelling">
        <div className="field">
          <label htmlFor={`${id}-rule`}>Don’t flag</label>
          <select
            id={`${id}-rule`}
            value={rule}
            aria-invalid={problem?.path === '/rule' ? true : undefined}
            onChange={(e) => setRule(e.target.value)}
          >
            {rules.map((r) => (
              <option key={r} value={r}>
                {labelOf(r)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-until`}>Until (last day)</label>
          <input
            id={`${id}-until`}
            type="date"
            required
            min={minDate}
            max={maxDate}
            value={until}
            aria-invalid={problem?.path === '/until' ? true : undefined}
            aria-describedby={`${id}-until-hint`}
            onChange={(e) => setUntil(e.target.value)}
          />
          <p className="hint" id={`${id}-until-hint`}>
            Up to 30 days ahead; the whole day counts.
          </p>
        </div>
        <div className="field">
          <label htmlFor={`${id}-reason`}>Why</label>
          <input
            id={`${id}-reason`}
            required
            maxLength={500}
            placeholder="e.g. Holiday in Japan"
            value={reason}
            aria-invalid={problem?.path === '/reason' ? true : undefined}
            onChange={(e) => setReason(e.target.value)}
          />
        </div>
        <button type="submit" className="button-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Snooze'}
        </button>
      </form>
      <div className="notice-region" role={problem ? 'alert' : 'status'} aria-live="polite">
        {problem && <p className="notice notice-error">{problem.text}</p>}
        {done && <p className="notice notice-success">{done}</p>}
      </div>
    </section>
  );
}
