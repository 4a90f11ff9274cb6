import { type FormEvent, useId, useState } from 'react';
import { ALERT_TYPES } from '../../../src/domain/vocabulary';
import type { StaffChannel, StaffMessage } from '../../../src/http/schemas';
import { ApiError, api, describeError } from '../api';
import { useLoad } from '../hooks';
import { Empty, ErrorText, Loading, Notice, type NoticeValue } from './ui';

type Kind = StaffChannel['kind'];
type MinSeverity = StaffChannel['minSeverity'];
type AlertType = (typeof ALERT_TYPES)[number];

const KIND_LABEL: Readonly<Record<Kind, string>> = { slack: 'Slack', teams: 'Microsoft Teams', chat: 'Other chat (JSON webhook)' };
const KIND_HINT: Readonly<Record<Kind, string>> = {
  slack: 'An incoming-webhook URL from a Slack app: https://hooks.slack.com/services/…',
  teams: 'A channel’s Incoming Webhook connector URL, or a Workflows “when a webhook request is received” URL.',
  chat: 'Any URL that takes a JSON POST; Vigil sends {"text", "fields", "alert"}.',
};
const SEVERITIES: readonly MinSeverity[] = ['low', 'medium', 'high', 'critical'];

interface Draft {
  readonly kind: Kind;
  readonly name: string;
  readonly url: string;
  readonly minSeverity: MinSeverity;
  readonly ruleIds: string;
  readonly alertTypes: readonly AlertType[];
}
const EMPTY: Draft = { kind: 'slack', name: '', url: '', minSeverity: 'high', ruleIds: '', alertTypes: [] };

/**
 * Chat channels for staff (admins only: the server refuses anyone else). The URL is typed once and
 * never shown back: the server keeps it encrypted and answers with its scheme and host.
 */
export function StaffChannels() {
  const id = useId();
  const channels = useLoad((signal) => api.get<{ channels: readonly StaffChannel[] }>('/v1/staff-channels', { signal }), []);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<NoticeValue>();
  const [problemPath, setProblemPath] = useState<string>();
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const invalid = (path: string) => (problemPath === path || problemPath?.startsWith(`${path}/`) ? true : undefined);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setNotice(undefined);
    setProblemPath(undefined);
    try {
      const ruleIds = draft.ruleIds
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean);
      const created = await api.post<StaffChannel>('/v1/staff-channels', {
        kind: draft.kind,
        name: draft.name,
        url: draft.url,
        minSeverity: draft.minSeverity,
        ruleIds,
        alertTypes: draft.alertTypes,
      });
      channels.setData((d) => d && { channels: [created, ...d.channels] });
      setDraft(EMPTY);
      setNotice({ tone: 'success', text: `Added ${created.name}. Send a test message to check it.` });
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
      setProblemPath(e instanceof ApiError ? e.path : undefined);
    } finally {
      setBusy(false);
    }
  };

  const test = async (c: StaffChannel) => {
    try {
      const m = await api.post<StaffMessage>(`/v1/staff-channels/${encodeURIComponent(c.id)}/test`, {});
      setNotice(
        m.status === 'delivered'
          ? { tone: 'success', text: `${c.name} accepted the test message.` }
          : { tone: 'error', text: `${c.name} did not accept the test message: ${m.lastError ?? 'no answer'}.` },
      );
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    }
  };

  const disable = async (c: StaffChannel) => {
    try {
      const d = await api.delete<StaffChannel>(`/v1/staff-channels/${encodeURIComponent(c.id)}`);
      channels.setData((cur) => cur && { channels: cur.channels.map((x) => (x.id === d.id ? d : x)) });
      setNotice({ tone: 'success', text: `${c.name} is disabled: nothing more is posted there.` });
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Chat notifications</h2>
      <p className="muted">
        Alerts at or above a severity go to a Slack, Teams or other chat channel. Alerts of one rule are grouped: the first is posted, the
        rest are summed up in one message when the group closes (10 minutes), so an attack sends one message rather than hundreds.
      </p>
      <ErrorText error={channels.error} />
      {channels.loading && !channels.data && <Loading what="chat channels" />}
      {channels.data && channels.data.channels.length === 0 && <Empty>No chat channels yet.</Empty>}
      {channels.data && channels.data.channels.length > 0 && (
        <ul className="channel-list">
          {channels.data.channels.map((c) => (
            <li key={c.id} className="channel-item" data-channel-id={c.id}>
              <strong>{c.name}</strong> · {KIND_LABEL[c.kind]} · <span className="mono">{c.urlHint}</span>
              <br />
              <span className="muted">
                {c.minSeverity} and above
                {c.ruleIds.length > 0 && ` · rules ${c.ruleIds.join(', ')}`}
                {c.alertTypes.length > 0 && ` · ${c.alertTypes.join(', ')} alerts`} · at most {c.perMinute} a minute
                {!c.active && ' · disabled'}
              </span>
              {c.active && (
                <span className="channel-actions">
                  <button type="button" onClick={() => void test(c)}>
                    Send a test message
                  </button>
                  <button type="button" className="button-quiet" onClick={() => void disable(c)}>
                    Disable
                  </button>
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={(e) => void submit(e)} aria-label="Add a chat channel">
        <div className="rule-fields">
          <div className="field">
            <label htmlFor={`${id}-kind`}>Service</label>
            <select id={`${id}-kind`} value={draft.kind} onChange={(e) => set({ kind: e.target.value as Kind })}>
              {(Object.keys(KIND_LABEL) as Kind[]).map((k) => (
                <option key={k} value={k}>
                  {KIND_LABEL[k]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-name`}>Name</label>
            <input
              id={`${id}-name`}
              required
              maxLength={100}
              value={draft.name}
              placeholder="#security"
              aria-invalid={invalid('/name')}
              onChange={(e) => set({ name: e.target.value })}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-url`}>Webhook URL</label>
            {/* A secret: not echoed by the browser's autofill, and never shown again once saved. */}
            <input
              id={`${id}-url`}
              type="password"
              required
              maxLength={2048}
              autoComplete="off"
              spellCheck={false}
              value={draft.url}
              aria-invalid={invalid('/url')}
              aria-describedby={`${id}-url-hint`}
              onChange={(e) => set({ url: e.target.value })}
            />
            <p className="hint" id={`${id}-url-hint`}>
              {KIND_HINT[draft.kind]} Kept encrypted; only its host is shown afterwards.
            </p>
          </div>
          <div className="field">
            <label htmlFor={`${id}-severity`}>Lowest severity posted</label>
            <select id={`${id}-severity`} value={draft.minSeverity} onChange={(e) => set({ minSeverity: e.target.value as MinSeverity })}>
              {SEVERITIES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-rules`}>Only these rules</label>
            <input
              id={`${id}-rules`}
              className="mono"
              value={draft.ruleIds}
              placeholder="all rules"
              aria-invalid={invalid('/ruleIds')}
              aria-describedby={`${id}-rules-hint`}
              onChange={(e) => set({ ruleIds: e.target.value })}
            />
            <p className="hint" id={`${id}-rules-hint`}>
              Rule ids, separated by commas, e.g. credential-stuffing, card-testing. Empty: every rule.
            </p>
          </div>
          <fieldset className="field">
            <legend>Only these alert types</legend>
            {ALERT_TYPES.map((t) => (
              <label key={t} className="check">
                <input
                  type="checkbox"
                  checked={draft.alertTypes.includes(t)}
                  onChange={(e) =>
                    set({ alertTypes: e.target.checked ? [...draft.alertTypes, t] : draft.alertTypes.filter((x) => x !== t) })
                  }
                />
                {t}
              </label>
            ))}
          </fieldset>
        </div>
        <button type="submit" className="button-primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add the channel'}
        </button>
      </form>
      <Notice notice={notice} />
    </section>
  );
}
