import { useId, useState } from 'react';
import type { Account, AccountPage } from '../../../src/http/schemas';
import { api, describeError, query } from '../api';
import { AccountActions } from '../components/AccountActions';
import { Empty, ErrorText, HealthMeter, Loading } from '../components/ui';
import { useFeedMessages } from '../feed';
import { useLoad, useTitle } from '../hooks';
import { can } from '../roles';
import { Link } from '../router';
import { usePerson } from '../session';
import { AccountState } from './AlertDetailPage';

export function AccountsPage() {
  useTitle('Accounts');
  const id = useId();
  const [lockedOnly, setLockedOnly] = useState(false);
  const [accounts, setAccounts] = useState<readonly Account[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<string>();
  const page = useLoad(
    async (signal) => {
      const result = await api.get<AccountPage>(`/v1/accounts${query({ locked: lockedOnly || undefined, limit: 50 })}`, { signal });
      setAccounts(result.accounts);
      setCursor(result.nextCursor);
      return result;
    },
    [lockedOnly],
  );

  // A lock or unlock anywhere reorders the list (locked first).
  useFeedMessages((message) => {
    if (message.kind === 'account') void page.reload();
  });

  const loadMore = async () => {
    if (!cursor) return;
    try {
      const next = await api.get<AccountPage>(`/v1/accounts${query({ locked: lockedOnly || undefined, limit: 50, cursor })}`);
      setAccounts((a) => [...a, ...next.accounts]);
      setCursor(next.nextCursor);
    } catch (e) {
      setMoreError(describeError(e));
    }
  };

  return (
    <section className="page">
      <div className="page-head page-head-row">
        <div>
          <h1 tabIndex={-1}>Accounts</h1>
          <p className="muted">Locked accounts first, then the least healthy.</p>
        </div>
        <label className="check" htmlFor={`${id}-locked`}>
          <input id={`${id}-locked`} type="checkbox" checked={lockedOnly} onChange={(e) => setLockedOnly(e.target.checked)} />
          Only locked accounts
        </label>
      </div>
      <p className="visually-hidden" role="status">
        {page.data ? `${accounts.length} accounts shown` : ''}
      </p>
      <ErrorText error={page.error} />
      {page.loading && !page.data && <Loading what="accounts" />}
      {page.data && accounts.length === 0 && <Empty>{lockedOnly ? 'No account is locked.' : 'No accounts yet.'}</Empty>}
      <ul className="account-list">
        {accounts.map((account) => (
          <AccountCard key={account.user} account={account} onChanged={page.reload} />
        ))}
      </ul>
      {cursor && (
        <button type="button" className="button-quiet" onClick={() => void loadMore()}>
          Load more accounts
        </button>
      )}
      <ErrorText error={moreError} />
    </section>
  );
}

function AccountCard({ account, onChanged }: { readonly account: Account; readonly onChanged: () => Promise<void> }) {
  const headingId = useId();
  return (
    <li className={`card account-card ${account.locked ? 'account-card-locked' : ''}`} aria-labelledby={headingId}>
      <div className="account-card-head">
        <h2 id={headingId} className="account-name">
          {account.user}
        </h2>
        <HealthMeter score={account.health.score} compact />
      </div>
      <AccountState account={account} />
      {account.health.reasons.length > 0 && (
        <ul className="health-reasons small">
          {account.health.reasons.slice(0, 4).map((r) => (
            <li key={r.factor}>
              <span className="impact">−{r.impact}</span> {r.message}
            </li>
          ))}
        </ul>
      )}
      <p className="small muted">
        Contact: {[account.contact.email, account.contact.phone].filter(Boolean).join(', ') || 'none on record'} ·{' '}
        <Link to={`/admin/alerts?user=${encodeURIComponent(account.user)}`}>Alerts of {account.user}</Link>
        {account.alertId && (
          <>
            {' '}
            · <Link to={`/admin/alerts/${encodeURIComponent(account.alertId)}`}>Alert behind the lock</Link>
          </>
        )}
      </p>
      {can(usePerson(), 'triage') && (
        <details className="account-details">
          <summary>{account.locked ? 'Unlock' : 'Lock'}</summary>
          <AccountActions account={account} onDone={onChanged} />
        </details>
      )}
    </li>
  );
}
