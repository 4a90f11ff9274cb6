import { useState } from 'react';
import { BULK_ALERT_ACTIONS, MAX_BULK_ALERTS } from '../../../src/domain/vocabulary';
import type { Alert, BulkAlertAction, BulkAlertResult, BulkAssignResult } from '../../../src/http/schemas';
import { api, describeError } from '../api';
import { Notice, type NoticeValue } from './ui';

const ACTION_LABEL: Readonly<Record<BulkAlertAction, { readonly button: string; readonly done: string }>> = {
  acknowledge: { button: 'Acknowledge', done: 'Acknowledged' },
  resolve: { button: 'Resolve', done: 'Resolved' },
  'false-positive': { button: 'Mark false positive', done: 'Marked false positive' },
};

type Moved = BulkAlertResult['results'][number];

/**
 * Actions on the selected alerts, sent in calls of at most MAX_BULK_ALERTS. Each alert moves on its
 * own, so the result names the ones that could not (already closed, changed meanwhile) and why.
 */
export function BulkBar({
  selected,
  onDone,
  onAssigned,
  onClear,
}: {
  readonly selected: readonly string[];
  readonly onDone: (results: readonly Moved[]) => void;
  /** The alerts given to the signed-in person, as they are now. */
  readonly onAssigned: (alerts: readonly Alert[]) => void;
  readonly onClear: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<NoticeValue>();

  const run = async (action: BulkAlertAction) => {
    setBusy(true);
    setNotice(undefined);
    const results: Moved[] = [];
    try {
      for (let i = 0; i < selected.length; i += MAX_BULK_ALERTS) {
        const answer = await api.post<BulkAlertResult>('/v1/alerts/bulk', { action, ids: selected.slice(i, i + MAX_BULK_ALERTS) });
        results.push(...answer.results);
      }
      const failed = results.filter((r) => !r.ok);
      const moved = results.length - failed.length;
      const text = `${ACTION_LABEL[action].done} ${moved} ${moved === 1 ? 'alert' : 'alerts'}.${
        failed.length === 0
          ? ''
          : ` ${failed.length} could not be: ${failed.map((f) => `${f.id} (${f.error?.message ?? f.error?.code})`).join('; ')}`
      }`;
      setNotice({ tone: failed.length === 0 ? 'success' : 'error', text });
      onDone(results);
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
      if (results.length > 0) onDone(results);
    } finally {
      setBusy(false);
    }
  };

  // POST /v1/alerts/assign, in the same calls of at most MAX_BULK_ALERTS: each alert is given on its
  // own, so one closed meanwhile or gone does not stop the others.
  const assignToMe = async () => {
    setBusy(true);
    setNotice(undefined);
    const assigned: Alert[] = [];
    const failed: BulkAssignResult['results'][number][] = [];
    try {
      for (let i = 0; i < selected.length; i += MAX_BULK_ALERTS) {
        const answer = await api.post<BulkAssignResult>('/v1/alerts/assign', { owner: 'me', ids: selected.slice(i, i + MAX_BULK_ALERTS) });
        for (const r of answer.results) {
          if (r.ok && r.alert) assigned.push(r.alert);
          else failed.push(r);
        }
      }
      const text = `Assigned ${assigned.length} ${assigned.length === 1 ? 'alert' : 'alerts'} to you.${
        failed.length === 0
          ? ''
          : ` ${failed.length} could not be: ${failed.map((f) => `${f.id} (${f.error?.message ?? f.error?.code})`).join('; ')}`
      }`;
      setNotice({ tone: failed.length === 0 ? 'success' : 'error', text });
    } catch (e) {
      setNotice({ tone: 'error', text: describeError(e) });
    } finally {
      if (assigned.length > 0) onAssigned(assigned);
      setBusy(false);
    }
  };

  // Kept in the page with nothing selected, so the result of the last action stays to be read.
  if (selected.length === 0) return <Notice notice={notice} />;
  return (
    <section className="bulk-bar" aria-label="Bulk actions">
      <p className="bulk-count">
        <strong>{selected.length}</strong> selected
      </p>
      <div className="button-row">
        {BULK_ALERT_ACTIONS.map((action) => (
          <button key={action} type="button" className="button-primary" disabled={busy} onClick={() => void run(action)}>
            {ACTION_LABEL[action].button}
          </button>
        ))}
        <button type="button" disabled={busy} onClick={() => void assignToMe()}>
          Assign to me
        </button>
        <button type="button" className="button-quiet" disabled={busy} onClick={onClear}>
          Clear selection
        </button>
      </div>
      <Notice notice={notice} />
    </section>
  );
}
