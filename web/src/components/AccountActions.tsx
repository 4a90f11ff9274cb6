import { type FormEvent, useId, useState } from 'react';
import type { Account, LockScope } from '../../../src/http/schemas';
import { api, describeError } from '../api';
import { Notice, type NoticeValue } from './ui';

/**
 * Lock or unlock an account by hand. The reason is required by the API and kept in the audit log;
 * from an alert it is filled in, so locking is one click.
 */
export function AccountActions({
  account,
  alertId,
  summary,
  onDone,
}: {
  readonly account: Account;
  readonly alertId?: string;
  readonly summary?: string;
  readonly onDone: () => Promise<void>;
}) {
  const id = useId();
  const [scope, setScope] = useState<LockScope>('sensitive');
  // Filled with what a person reads (the alert's summary); the alert id goes with the lock as its own
  // field, so it need not be in the text.
  const [reason, setReason] = useState(summary ?? '');
  const [unlockReason, setUnlockReason] = useState(summary ? `Reviewed: ${summary}` : '');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<NoticeValue>();
  const user = encodeURIComponent(account.user);

  const lock = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await api.post(`/v1/accounts/${user}/lock`, { scope, reason: reason.trim(), ...(alertId !== undefined && { alertId }) });
      setNotice({ tone: 'success', text: `${account.user} is locked (${scope === 'full' ? 'everything' : 'sensitive actions'}).` });
      await onDone();
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  const unlock = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await api.post(`/v1/accounts/${user}/unlock`, { reason: unlockReason.trim() });
      setNotice({ tone: 'success', text: `${account.user} is unlocked.` });
      await onDone();
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="account-actions">
      {account.locked ? (
        <form onSubmit={(e) => void unlock(e)}>
          <div className="field">
            <label htmlFor={`${id}-unlock-reason`}>Reason for unlocking {account.user}</label>
            <input
              id={`${id}-unlock-reason`}
              required
              maxLength={2000}
              value={unlockReason}
              onChange={(e) => setUnlockReason(e.target.value)}
            />
          </div>
          <button type="submit" className="button-primary" disabled={busy}>
            Unlock {account.user}
          </button>
        </form>
      ) : (
        <form onSubmit={(e) => void lock(e)}>
          <div className="field">
            <label htmlFor={`${id}-scope`}>What to lock</label>
            <select id={`${id}-scope`} value={scope} onChange={(e) => setScope(e.target.value as LockScope)}>
              <option value="sensitive">Sensitive actions (purchases, password, email, payment, 2FA)</option>
              <option value="full">Everything but signing out</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-reason`}>Reason for locking {account.user}</label>
            <input id={`${id}-reason`} required maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} />
          </div>
          <button type="submit" className="button-danger" disabled={busy}>
            Lock {account.user}
          </button>
        </form>
      )}
      <Notice notice={notice} />
    </div>
  );
}
