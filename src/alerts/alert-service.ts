import type { AuditTrail } from '../audit/audit-trail.js';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { AlertBook } from '../detect/alert-book.js';
import { type Alert, type AlertAction, nextStatus } from '../domain/alert.js';
import type { AlertStore } from './ports.js';

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

  async act(id: string, action: AlertAction, actor: string, note: string | null): Promise<Result<Alert, Problem>> {
    const alert = await this.store.get(id);
    if (!alert) return err({ code: 'not_found', message: `No alert ${id}.` });
    const to = nextStatus(alert.status, action);
    // No action leads back to `new`; saying so here also names the audit action below from `to`.
    if (to === undefined || to === 'new') {
      return err({ code: 'invalid_transition', message: `An alert that is ${alert.status} cannot be moved by "${action}".` });
    }
    const at = this.clock.now();
    const updated = await this.store.transition(
      { alertId: id, from: alert.status, to, actor, note, at },
      {
        ...(to === 'acknowledged' && alert.acknowledgedAt === null && { acknowledgedAt: at }),
        ...((to === 'resolved' || to === 'false_positive') && { resolvedAt: at }),
      },
    );
    if (!updated) return err({ code: 'invalid_transition', message: `Alert ${id} changed meanwhile; read it again.` });
    this.book.statusChanged(updated);
    // After the transition committed, so the log never claims one that did not happen. A failed
    // record fails the request (500) rather than passing silently.
    await this.audit.record(actor, `alert.${to}`, `alert:${id}`, { from: alert.status, to, note, user: alert.user });
    await this.bus.publish('alert.updated', [updated]);
    return ok(updated);
  }
}
