import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { SavedView, SavedViewList } from '../../../src/http/schemas';
import { api, describeError } from '../api';
import { useLoad } from '../hooks';
import { Link } from '../router';
import { Notice, type NoticeValue } from './ui';

/**
 * Saved views: the signed-in person's named filters of the feed, each a link to the feed with its
 * query (the same link can be sent to a colleague: the filter lives in the address). Saving a name
 * again replaces that view.
 */
export function SavedViewsBar({ search }: { readonly search: string }) {
  const views = useLoad((signal) => api.get<SavedViewList>('/v1/saved-views', { signal }), []);
  const [naming, setNaming] = useState(false);
  const [name, setName] = useState('');
  const [notice, setNotice] = useState<NoticeValue>();
  const [copied, setCopied] = useState(false);
  // The list is in the page only while the menu is open: closed, it is neither read nor reached.
  const [menuOpen, setMenuOpen] = useState(false);
  const nameInput = useRef<HTMLInputElement>(null);
  // The name field takes the focus when it opens: the click that opened it asked for it.
  useEffect(() => {
    if (naming) nameInput.current?.focus();
  }, [naming]);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const saved = await api.post<SavedView>('/v1/saved-views', { name, query: search });
      views.setData((current) => ({
        views: [...(current?.views ?? []).filter((v) => v.id !== saved.id), saved].sort((a, b) => a.name.localeCompare(b.name)),
      }));
      setNotice({ tone: 'success', text: `Saved view “${saved.name}”.` });
      setNaming(false);
      setName('');
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    }
  };

  const remove = async (view: SavedView) => {
    try {
      await api.delete(`/v1/saved-views/${encodeURIComponent(view.id)}`);
      views.setData((current) => ({ views: (current?.views ?? []).filter((v) => v.id !== view.id) }));
      setNotice({ tone: 'success', text: `Deleted view “${view.name}”.` });
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    }
  };

  const copyLink = async () => {
    try {
      await navigator.clipboard.writeText(window.location.href);
      setCopied(true);
      window.setTimeout(() => setCopied(false), 2000);
    } catch {
      setNotice({ tone: 'info', text: `Copy this link: ${window.location.href}` });
    }
  };

  return (
    <div className="saved-views">
      <details className="saved-views-menu" onToggle={(e) => setMenuOpen(e.currentTarget.open)}>
        <summary>Saved views{views.data && views.data.views.length > 0 ? ` (${views.data.views.length})` : ''}</summary>
        {menuOpen && (
          <ul aria-label="Saved views">
            {views.data?.views.length === 0 && <li className="muted">None yet: filter the feed, then “Save view”.</li>}
            {views.data?.views.map((v) => (
              <li key={v.id}>
                <Link to={`/admin/alerts${v.query ? `?${v.query}` : ''}`}>{v.name}</Link>
                <button
                  type="button"
                  className="button-quiet button-small"
                  aria-label={`Delete view ${v.name}`}
                  onClick={() => void remove(v)}
                >
                  Delete
                </button>
              </li>
            ))}
          </ul>
        )}
      </details>
      {naming ? (
        <form className="saved-view-form" onSubmit={(e) => void save(e)}>
          <label>
            View name <input value={name} onChange={(e) => setName(e.target.value)} maxLength={80} required ref={nameInput} />
          </label>
          <button type="submit" className="button-primary button-small">
            Save
          </button>
          <button type="button" className="button-quiet button-small" onClick={() => setNaming(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <button type="button" className="button-quiet" onClick={() => setNaming(true)}>
          Save view
        </button>
      )}
      <button type="button" className="button-quiet" onClick={() => void copyLink()}>
        {copied ? 'Link copied' : 'Copy link'}
      </button>
      <Notice notice={notice} />
    </div>
  );
}
