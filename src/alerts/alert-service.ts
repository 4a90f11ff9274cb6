import type { AuditTrail } from '../audit/audit-trail.js';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { AlertBook } from '../detect/alert-book.js';
import { type Alert, type AlertAction, nextStatus } from '../domain/alert.js';
import type { BULK_ALERT_ACTIONS } from '../domain/vocabulary.js';
import type { AlertStore } from './ports.js';

export type BulkAlertAction = (typeof BULK_ALERT_ACTIONS)[number] & AlertAction;

/** What became of one alert of a bulk action: moved (and its status now), or why not. */
export type BulkOutcome =
  | { readonly id: string; readonly ok: true; readonly alert: Alert }
  | { readonly id: string; readonly ok: false; readonly error: Problem };

/** People working alerts: every transition is checked against the lifecycle and recorded with who, when and why. */
export class AlertService {
  constructor(
    private readonly store: AlertStore,
    private readonly book: AlertBook,
    private readonly clock: Clock,
    private readonly audit: AuditTrail,
    private readonly bus: Bus,
  ) {}

  get(id: string): Promise<Alert | undefined> {
    return this.store.get(id);
  }

  /**
   * Moves one alert. `foldInto` (the distributed mode's duplicates, duplicate-alerts.ts): that alert
   * takes this one's occurrences in the same transaction, and its new state is announced too.
   */
  async act(id: string, action: AlertAction, actor: string, note: string | null, foldInto?: string): Promise<Result<Alert, Problem>> {
    const alert = await this.store.get(id);
    if (!alert) return err({ code: 'not_found', message: `No alert ${id}.` });
    const to = nextStatus(alert.status, action);
    // No action leads back to `new`; saying so here also names the audit action below from `to`.
    if (to === undefined || to === 'new') {
      return err({ code: 'invalid_transition', message: `An alert that is ${alert.status} cannot be moved by "${action}".` });
    }
    // Its raiser's commit may still be under way: said as not found, so that the closer tries again
    // (duplicate-alerts.ts), rather than folded into nothing.
    if (foldInto !== undefined && !(await this.store.get(foldInto))) {
      return err({ code: 'not_found', message: `No alert ${foldInto} to fold ${id} into.` });
    }
    const at = this.clock.now();
    const updated = await this.store.transition(
      { alertId: id, from: alert.status, to, actor, note, at },
      {
        ...(to === 'acknowledged' && alert.acknowledgedAt === null && { acknowledgedAt: at }),
        ...((to === 'resolved' || to === 'false_positive') && { resolvedAt: at }),
      },
      foldInto,
    );
    if (!updated) return err({ code: 'invalid_transition', message: `Alert ${id} changed meanwhile; read it again.` });
    this.book.statusChanged(updated);
    // After the transition committed, so the log never claims one that did not happen. A failed
    // record fails the request (500) rather than passing silently.
    await this.audit.record(actor, `alert.${to}`, `alert:${id}`, { from: alert.status, to, note, user: alert.user });
    const grown = foldInto === undefined ? undefined : await this.store.get(foldInto);
    await this.bus.publish('alert.updated', grown === undefined ? [updated] : [updated, grown]);
    return ok(updated);
  }

  /**
   * One action on several alerts, each moved exactly as `act` moves one (lifecycle check, transition,
   * audit entry, live update), one after the other so the audit trail reads in the order given. An
   * alert that cannot move (unknown, already closed, changed meanwhile) fails on its own and the
   * others go on: the caller gets one outcome per distinct id, in the order given.
   */
  async actOnMany(ids: readonly string[], action: BulkAlertAction, actor: string, note: string | null): Promise<BulkOutcome[]> {
    const outcomes: BulkOutcome[] = [];
    for (const id of new Set(ids)) {
      const result = await this.act(id, action, actor, note);
      outcomes.push(result.ok ? { id, ok: true, alert: result.value } : { id, ok: false, error: result.error });
    }
    return outcomes;
  }
}
