import { useId, useState } from 'react';
import type { Alert, AlertOwner, Person, StaffMember } from '../../../src/http/schemas';
import { api, describeError } from '../api';
import { useLoad } from '../hooks';
import { can } from '../roles';
import { usePerson } from '../session';
import { ErrorText, Notice, type NoticeValue } from './ui';

/** Whose an alert is, in words: "you", their email, or nobody. */
export function ownerLabel(owner: AlertOwner | null | undefined, me: Person): string {
  if (!owner) return 'Nobody';
  return owner.id === me.id ? `You (${owner.email})` : owner.email;
}

/** Gives the alert an owner (null: nobody); the answer is the alert after it. */
export const assignAlert = (id: string, owner: 'me' | string | null) =>
  api.put<Alert>(`/v1/alerts/${encodeURIComponent(id)}/owner`, { owner });

/**
 * The owner of an alert on its page: who it is, and for analysts and admins "Assign to me", a
 * picker of the staff who can own alerts, and "Unassign".
 */
export function OwnerCard({ alert, onDone }: { readonly alert: Alert; readonly onDone: () => Promise<void> }) {
  const person = usePerson();
  const triage = can(person, 'triage');
  const pickerId = useId();
  const staff = useLoad(
    async (signal) => (triage ? (await api.get<{ staff: readonly StaffMember[] }>('/v1/staff', { signal })).staff : []),
    [triage],
  );
  const [chosen, setChosen] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<NoticeValue>();
  const owner = alert.owner ?? null;
  const mine = owner?.id === person.id;

  const assign = async (to: 'me' | string | null) => {
    setBusy(true);
    try {
      const updated = await assignAlert(alert.id, to);
      setNotice({ tone: 'success', text: `Owner: ${ownerLabel(updated.owner, person)}.` });
      setChosen('');
      await onDone();
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card owner-card" aria-labelledby="owner-heading">
      <h2 id="owner-heading">Owner</h2>
      <p className="owner-now" data-testid="alert-owner">
        {ownerLabel(owner, person)}
      </p>
      {triage && (
        <>
          <div className="button-row">
            {!mine && (
              <button type="button" className="button-primary" disabled={busy} onClick={() => void assign('me')}>
                Assign to me
              </button>
            )}
            {owner && (
              <button type="button" disabled={busy} onClick={() => void assign(null)}>
                Unassign
              </button>
            )}
          </div>
          <form
            className="owner-picker"
            onSubmit={(e) => {
              e.preventDefault();
              if (chosen) void assign(chosen);
            }}
          >
            <label htmlFor={pickerId}>Assign to</label>
            <div className="inline-fields">
              <select id={pickerId} value={chosen} onChange={(e) => setChosen(e.target.value)}>
                <option value="">Choose someone…</option>
                {staff.data
                  ?.filter((s) => s.canOwnAlerts && s.id !== owner?.id)
                  .map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.email} ({s.role})
                    </option>
                  ))}
              </select>
              <button type="submit" disabled={busy || !chosen}>
                Assign
              </button>
            </div>
          </form>
        </>
      )}
      <Notice notice={notice} />
    </section>
  );
}

/** The owner on a feed card, and "Assign to me" for analysts and admins when it is not theirs yet. */
export function OwnerInline({ alert, onAssigned }: { readonly alert: Alert; readonly onAssigned: (alert: Alert) => void }) {
  const person = usePerson();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const owner = alert.owner ?? null;
  const take = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onAssigned(await assignAlert(alert.id, 'me'));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="owner-inline">
      <span className={owner ? undefined : 'muted'}>Owner: {ownerLabel(owner, person)}</span>
      {can(person, 'triage') && owner?.id !== person.id && (
        <button type="button" disabled={busy} onClick={() => void take()}>
          Assign to me<span className="visually-hidden">: {alert.summary}</span>
        </button>
      )}
      <ErrorText error={error} />
    </div>
  );
}
