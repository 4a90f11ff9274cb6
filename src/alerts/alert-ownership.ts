import type { AuditTrail } from '../audit/audit-trail.js';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../core/clock.js';
import type { Problem } from '../core/errors.js';
import { err, ok, type Result } from '../core/result.js';
import type { AlertBook } from '../detect/alert-book.js';
import { type Alert, type AlertOwner, alertUser } from '../domain/alert.js';
import type { AlertStore, StaffDirectory } from './ports.js';

/** At most this many alerts in one bulk assignment: one audit entry and one write each. */
export const MAX_BULK_ASSIGN = 200;

/**
 * Who is asked to take an alert: the caller themself (`me`, a signed-in person), someone by their
 * person id, or nobody (unassign).
 */
export type Assignee =
  | { readonly kind: 'me'; readonly me: AlertOwner | undefined }
  | { readonly kind: 'person'; readonly id: string }
  | null;

export type BulkOutcome = { readonly id: string; readonly alert: Alert } | { readonly id: string; readonly problem: Problem };

export interface AlertOwnershipDependencies {
  readonly store: AlertStore;
  readonly staff: StaffDirectory;
  readonly book: AlertBook;
  readonly clock: Clock;
  readonly audit: AuditTrail;
  readonly bus: Bus;
}

/** An owner per alert: assigned to a member of staff who triages (analyst or admin), or to nobody; audited. */
export class AlertOwnership {
  constructor(private readonly deps: AlertOwnershipDependencies) {}

  /** The owner an assignee names, or why it cannot own alerts. */
  async resolve(assignee: Assignee): Promise<Result<AlertOwner | null, Problem>> {
    if (assignee === null) return ok(null);
    if (assignee.kind === 'me') {
      // An API key is no one: it cannot own alerts, but it may name the person who should.
      if (assignee.me === undefined) {
        return err({
          code: 'not_a_person',
          message: '"me" is the signed-in person; with an API key, name the person by id.',
          path: '/owner',
        });
      }
      return ok(assignee.me);
    }
    const owner = await this.deps.staff.assignable(assignee.id);
    if (owner === undefined) {
      return err({ code: 'invalid_assignee', message: `${assignee.id} is not an analyst or admin who can own alerts.`, path: '/owner' });
    }
    return ok(owner);
  }

  async assign(alertId: string, assignee: Assignee, actor: string): Promise<Result<Alert, Problem>> {
    const owner = await this.resolve(assignee);
    if (!owner.ok) return owner;
    return this.give(alertId, owner.value, actor);
  }

  /**
   * The same owner for many alerts: the assignee is checked once (a bad one refuses the whole
   * request), then each alert is given and audited on its own, and its outcome reported by id.
   */
  async assignMany(alertIds: readonly string[], assignee: Assignee, actor: string): Promise<Result<readonly BulkOutcome[], Problem>> {
    const owner = await this.resolve(assignee);
    if (!owner.ok) return owner;
    const outcomes: BulkOutcome[] = [];
    for (const id of new Set(alertIds)) {
      const given = await this.give(id, owner.value, actor);
      outcomes.push(given.ok ? { id, alert: given.value } : { id, problem: given.error });
    }
    return ok(outcomes);
  }

  private async give(alertId: string, owner: AlertOwner | null, actor: string): Promise<Result<Alert, Problem>> {
    const before = await this.deps.store.get(alertId);
    if (!before) return err({ code: 'not_found', message: `No alert ${alertId}.` });
    const from = before.owner ?? null;
    // Giving an alert to its owner again changes nothing and records nothing.
    if (from?.id === owner?.id) return ok(before);
    const updated = await this.deps.store.assign(alertId, owner, this.deps.clock.now());
    if (!updated) return err({ code: 'not_found', message: `No alert ${alertId}.` });
    // Detection's copy of an open alert carries the owner on to the alert's next repeat.
    this.deps.book.statusChanged(updated);
    await this.deps.audit.record(actor, owner === null ? 'alert.unassigned' : 'alert.assigned', `alert:${alertId}`, {
      from: from?.email ?? null,
      to: owner?.email ?? null,
      user: alertUser(updated),
    });
    await this.deps.bus.publish('alert.updated', [updated]);
    return ok(updated);
  }
}
