import { type FormEvent, useId, useState } from 'react';
import type { OutboxMessage, OutboxPage as OutboxPageData } from '../../../src/http/schemas';
import { api, describeError, query } from '../api';
import { Empty, ErrorText, Loading, Time } from '../components/ui';
import { useFeedMessages } from '../feed';
import { useInterval, useLoad, useTitle } from '../hooks';
import { navigate, useLocation } from '../router';

/**
 * Messages Vigil kept instead of sending, because no SMTP server (or SMS gateway) is configured: the
 * demo's mailbox, where one-time codes can be read. In production it stays empty.
 */
export function OutboxPage() {
  useTitle('Outbox');
  const id = useId();
  const { search } = useLocation();
  const user = search.get('user') ?? '';
  const [userInput, setUserInput] = useState(user);
  const [messages, setMessages] = useState<readonly OutboxMessage[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<string>();

  const page = useLoad(
    async (signal) => {
      const result = await api.get<OutboxPageData>(`/v1/outbox${query({ user, limit: 50 })}`, { signal });
      setMessages(result.messages);
      setCursor(result.nextCursor);
      return result;
    },
    [user],
  );
  // Codes follow locks by a moment; new messages show up without a reload.
  useFeedMessages((message) => {
    if (message.kind === 'account') window.setTimeout(() => void page.reload(), 500);
  });
  useInterval(() => void page.reload(), 15_000);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    navigate(`/admin/outbox${query({ user: userInput.trim() })}`, { replace: true });
  };

  const loadMore = async () => {
    if (!cursor) return;
    try {
      const next = await api.get<OutboxPageData>(`/v1/outbox${query({ user, limit: 50, cursor })}`);
      setMessages((m) => [...m, ...next.messages]);
      setCursor(next.nextCursor);
    } catch (e) {
      setMoreError(describeError(e));
    }
  };

  return (
    <section className="page">
      <div className="page-head">
        <h1 tabIndex={-1}>Outbox</h1>
        <p className="muted">
          Email and text messages Vigil kept instead of sending, because no SMTP server (<code>VIGIL_SMTP_URL</code>) or SMS gateway (
          <code>VIGIL_SMS_GATEWAY_URL</code>) is configured. It is the mailbox of a demo: one-time codes can be read here. With both
          configured, messages are sent and this list stays empty.
        </p>
      </div>
      <form className="inline-filters" onSubmit={apply} aria-label="Filter the outbox">
        <div className="field">
          <label htmlFor={`${id}-user`}>User</label>
          <input id={`${id}-user`} spellCheck={false} value={userInput} onChange={(e) => setUserInput(e.target.value)} />
        </div>
        <div className="button-row">
          <button type="submit" className="button-primary">
            Apply
          </button>
          <button type="button" className="button-quiet" onClick={() => void page.reload()}>
            Refresh
          </button>
        </div>
      </form>
      <ErrorText error={page.error} />
      {page.loading && !page.data && <Loading what="the outbox" />}
      {page.data && messages.length === 0 && <Empty>The outbox is empty.</Empty>}
      <ol className="outbox-list">
        {messages.map((m) => (
          <li key={m.id} className="card outbox-message">
            <div className="outbox-head">
              <span className="tag">{m.channel === 'sms' ? 'SMS' : 'Email'}</span>
              <strong>{m.subject || '(no subject)'}</strong>
            </div>
            <p className="small muted">
              To {m.to}
              {m.user && <> · account {m.user}</>} · <Time iso={m.createdAt} />
            </p>
            <pre className="message-body">{m.text}</pre>
          </li>
        ))}
      </ol>
      {cursor && (
        <button type="button" className="button-quiet" onClick={() => void loadMore()}>
          Load older messages
        </button>
      )}
      <ErrorText error={moreError} />
    </section>
  );
}
