import { type FormEvent, useId, useState } from 'react';
import { LIST_KINDS, LIST_NAMES } from '../../../src/domain/vocabulary';
import type { ListEntry, ListKind, ListName, Rule } from '../../../src/http/schemas';
import { ApiError, api, describeError, query } from '../api';
import { Empty, ErrorText, Loading, Notice, type NoticeValue, ReadOnlyNote } from '../components/ui';
import { formatDateTime } from '../format';
import { useLoad, useTitle } from '../hooks';
import { can } from '../roles';
import { usePerson } from '../session';

const LIST_LABEL: Readonly<Record<ListName, string>> = { block: 'Block', allow: 'Allow' };

const KIND_LABEL: Readonly<Record<ListKind, string>> = {
  ip: 'IP address or range',
  email: 'Email address',
  email_domain: 'Email domain',
  country: 'Country',
  device: 'Device',
  payment_method: 'Payment method',
  user: 'User',
};

const KIND_HINT: Readonly<Record<ListKind, string>> = {
  ip: 'An IPv4 or IPv6 address, or a CIDR range such as 203.0.113.0/24.',
  email: 'The whole address; case does not matter.',
  email_domain: 'A domain such as example.com; its subdomains match too.',
  country: 'Two letters (ISO 3166-1), e.g. DE; matched against the country of the event’s IP address.',
  device: 'The device id your app sends.',
  payment_method: 'The payment method id your app sends, e.g. card_visa_4242.',
  user: 'The user id your app sends.',
};

interface Draft {
  readonly list: ListName;
  readonly kind: ListKind;
  readonly value: string;
  readonly reason: string;
  readonly rules: readonly string[];
  readonly expiresAt: string;
}

const EMPTY_DRAFT: Draft = { list: 'block', kind: 'ip', value: '', reason: '', rules: [], expiresAt: '' };

export function ListsPage() {
  const manage = can(usePerson(), 'manage');
  useTitle('Lists');
  const [show, setShow] = useState<ListName | ''>('');
  const [includeExpired, setIncludeExpired] = useState(false);
  const [notice, setNotice] = useState<NoticeValue>();
  const filterId = useId();
  const entries = useLoad(
    (signal) =>
      api.get<{ entries: readonly ListEntry[] }>(
        `/v1/lists${query({ list: show || undefined, includeExpired: includeExpired || undefined })}`,
        {
          signal,
        },
      ),
    [show, includeExpired],
  );

  const remove = async (entry: ListEntry) => {
    try {
      await api.delete(`/v1/lists/${encodeURIComponent(entry.id)}`);
      entries.setData((d) => d && { entries: d.entries.filter((e) => e.id !== entry.id) });
      setNotice({ tone: 'success', text: `Removed ${KIND_LABEL[entry.kind].toLowerCase()} ${entry.value} from the ${entry.list} list.` });
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    }
  };

  return (
    <section className="page">
      <div className="page-head">
        <h1 tabIndex={-1}>Lists</h1>
        <p className="muted">
          A block entry blocks every event that matches it. An allow entry stops the rules it names (or every rule) for matching events;
          their findings are kept, marked suppressed. Entries take effect at once.
        </p>
      </div>
      {manage ? (
        <AddEntry
          onAdded={(entry) => {
            entries.setData((d) => d && (show === '' || show === entry.list ? { entries: [entry, ...d.entries] } : d));
            setNotice({ tone: 'success', text: `Added ${KIND_LABEL[entry.kind].toLowerCase()} ${entry.value} to the ${entry.list} list.` });
          }}
        />
      ) : (
        <ReadOnlyNote what="the lists" />
      )}
      <Notice notice={notice} />
      <fieldset className="inline-filters">
        <legend className="visually-hidden">Filter the entries</legend>
        <div className="field">
          <label htmlFor={`${filterId}-list`}>Show</label>
          <select id={`${filterId}-list`} value={show} onChange={(e) => setShow(e.target.value as ListName | '')}>
            <option value="">Both lists</option>
            {LIST_NAMES.map((n) => (
              <option key={n} value={n}>
                {LIST_LABEL[n]} list
              </option>
            ))}
          </select>
        </div>
        <label className="check" htmlFor={`${filterId}-expired`}>
          <input
            id={`${filterId}-expired`}
            type="checkbox"
            checked={includeExpired}
            onChange={(e) => setIncludeExpired(e.target.checked)}
          />
          Include expired entries
        </label>
      </fieldset>
      <ErrorText error={entries.error} />
      {entries.loading && !entries.data && <Loading what="list entries" />}
      {entries.data && entries.data.entries.length === 0 && <Empty>No entries.</Empty>}
      {entries.data && entries.data.entries.length > 0 && (
        <div className="table-wrap">
          <table className="list-table">
            <caption className="visually-hidden">Allow and block list entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">List</th>
                <th scope="col">Kind</th>
                <th scope="col">Value</th>
                <th scope="col">Reason</th>
                <th scope="col">Rules</th>
                <th scope="col">Added by</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.data.entries.map((e) => (
                <tr key={e.id} className={e.expired ? 'list-row-expired' : undefined}>
                  <td>
                    <span className={`tag list-tag-${e.list}`}>{LIST_LABEL[e.list]}</span>
                  </td>
                  <td>{KIND_LABEL[e.kind]}</td>
                  <td className="mono break">{e.value}</td>
                  <td className="break">{e.reason}</td>
                  <td className="small">{e.list === 'block' ? '—' : e.rules.length === 0 ? 'All rules' : e.rules.join(', ')}</td>
                  <td className="small break">
                    {e.createdBy}
                    <div className="muted">{formatDateTime(e.createdAt)}</div>
                  </td>
                  <td className="nowrap">
                    {e.expiresAt === null ? 'Never' : formatDateTime(e.expiresAt)}
                    {e.expired && <div className="muted small">Expired</div>}
                  </td>
                  <td>
                    {manage && (
                      <button type="button" className="button-quiet" onClick={() => void remove(e)}>
                        Remove
                        <span className="visually-hidden">
                          {' '}
                          {e.value} from the {e.list} list
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

function AddEntry({ onAdded }: { readonly onAdded: (entry: ListEntry) => void }) {
  const id = useId();
  const [draft, setDraft] = useState<Draft>(EMPTY_DRAFT);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ text: string; path: string | undefined }>();
  const rules = useLoad((signal) => api.get<{ rules: readonly Rule[] }>('/v1/rules', { signal }), []);
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const invalid = (path: string) => (problem?.path === path || problem?.path?.startsWith(`${path}/`) ? true : undefined);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const body = {
        list: draft.list,
        kind: draft.kind,
        value: draft.value,
        reason: draft.reason,
        ...(draft.list === 'allow' && draft.rules.length > 0 && { rules: draft.rules }),
        ...(draft.expiresAt !== '' && { expiresAt: new Date(draft.expiresAt).toISOString() }),
      };
      const entry = await api.post<ListEntry>('/v1/lists', body);
      onAdded(entry);
      setDraft((d) => ({ ...EMPTY_DRAFT, list: d.list, kind: d.kind }));
    } catch (e) {
      setProblem({ text: describeError(e), path: e instanceof ApiError ? e.path : undefined });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card list-form" onSubmit={(e) => void submit(e)} aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Add an entry</h2>
      <div className="rule-fields">
        <div className="field">
          <label htmlFor={`${id}-list`}>List</label>
          <select id={`${id}-list`} value={draft.list} onChange={(e) => set({ list: e.target.value as ListName })}>
            {LIST_NAMES.map((n) => (
              <option key={n} value={n}>
                {LIST_LABEL[n]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-kind`}>Kind</label>
          <select id={`${id}-kind`} value={draft.kind} onChange={(e) => set({ kind: e.target.value as ListKind })}>
            {LIST_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-value`}>Value</label>
          <input
            id={`${id}-value`}
            required
            maxLength={512}
            spellCheck={false}
            autoComplete="off"
            className="mono"
            value={draft.value}
            aria-invalid={invalid('/value')}
            aria-describedby={`${id}-value-hint`}
            onChange={(e) => set({ value: e.target.value })}
          />
          <p className="hint" id={`${id}-value-hint`}>
            {KIND_HINT[draft.kind]}
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
        <div className="field">
          <label htmlFor={`${id}-expires`}>Expires (optional)</label>
          <input
            id={`${id}-expires`}
            type="datetime-local"
            value={draft.expiresAt}
            aria-invalid={invalid('/expiresAt')}
            aria-describedby={`${id}-expires-hint`}
            onChange={(e) => set({ expiresAt: e.target.value })}
          />
          <p className="hint" id={`${id}-expires-hint`}>
            Your local time. Leave empty to keep the entry until it is removed.
          </p>
        </div>
      </div>
      {draft.list === 'allow' && (
        <fieldset className="checks list-rules" aria-describedby={`${id}-rules-hint`}>
          <legend>Rules it stops</legend>
          <p className="hint" id={`${id}-rules-hint`}>
            Tick none to stop every rule for matching events.
          </p>
          <ErrorText error={rules.error} />
          {rules.data?.rules.map((rule) => (
            <label key={rule.id} className="check">
              <input
                type="checkbox"
                checked={draft.rules.includes(rule.id)}
                onChange={(e) => set({ rules: e.target.checked ? [...draft.rules, rule.id] : draft.rules.filter((r) => r !== rule.id) })}
              />
              {rule.title} <span className="muted small mono">{rule.id}</span>
            </label>
          ))}
        </fieldset>
      )}
      <div className="button-row">
        <button type="submit" className="button-primary" disabled={busy}>
          {busy ? 'Adding…' : `Add to the ${draft.list} list`}
        </button>
      </div>
      <Notice notice={problem && { tone: 'error', text: problem.text }} />
    </form>
  );
}
