import { useId, useState } from 'react';
import type { AlertComment, AlertComments } from '../../../src/http/schemas';
import { api, describeError } from '../api';
import { useLoad } from '../hooks';
import { can } from '../roles';
import { usePerson } from '../session';
import { Empty, ErrorText, Loading, Notice, type NoticeValue, Time } from './ui';

/** The server's limit (src/alerts/alert-comments.ts). */
const MAX_COMMENT_LENGTH = 4000;

/**
 * An alert's comment thread: everyone on staff reads it, analysts and admins add to it. Comments are
 * plain text and shown as text (React escapes it; line breaks kept by CSS), never as HTML.
 */
export function AlertCommentThread({ alertId }: { readonly alertId: string }) {
  const triage = can(usePerson(), 'triage');
  const textId = useId();
  const thread = useLoad((signal) => api.get<AlertComments>(`/v1/alerts/${encodeURIComponent(alertId)}/comments`, { signal }), [alertId]);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<NoticeValue>();

  const add = async () => {
    setBusy(true);
    try {
      await api.post<AlertComment>(`/v1/alerts/${encodeURIComponent(alertId)}/comments`, { text });
      setText('');
      setNotice({ tone: 'success', text: 'Comment added.' });
      await thread.reload();
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  const comments = thread.data?.comments;
  return (
    <section className="card" aria-labelledby="comments-heading">
      <h2 id="comments-heading">Comments</h2>
      <ErrorText error={thread.error} />
      {!comments && !thread.error && <Loading what="comments" />}
      {comments && comments.length === 0 && <Empty>No comments yet.</Empty>}
      {comments && comments.length > 0 && (
        <ol className="comment-list" aria-label="Comments, oldest first">
          {comments.map((c) => (
            <li key={c.id} className="comment-item">
              <p className="comment-meta muted small">
                <strong>{c.author}</strong>, <Time iso={c.createdAt} />
              </p>
              <p className="comment-text">{c.text}</p>
            </li>
          ))}
        </ol>
      )}
      {triage && (
        <form
          className="comment-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim()) void add();
          }}
        >
          <div className="field">
            <label htmlFor={textId}>Add a comment (plain text; everyone on staff can read it)</label>
            <textarea id={textId} rows={3} maxLength={MAX_COMMENT_LENGTH} value={text} onChange={(e) => setText(e.target.value)} />
          </div>
          <button type="submit" disabled={busy || !text.trim()}>
            {busy ? 'Adding…' : 'Add comment'}
          </button>
        </form>
      )}
      <Notice notice={notice} />
    </section>
  );
}
