import type { Selectable } from 'kysely';
import type { Snooze } from '../detect/snoozes.js';
import type { SnoozeQuery, SnoozeStore } from '../snoozes/ports.js';
import type { DatabaseHandle } from './database.js';
import type { SnoozesTable } from './schema.js';

function snoozeFromRow(r: Selectable<SnoozesTable>): Snooze {
  return {
    id: r.id,
    ruleId: r.rule_id,
    user: r.user_id,
    until: Number(r.until),
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    cancelledAt: r.cancelled_at === null ? null : Number(r.cancelled_at),
    cancelledBy: r.cancelled_by,
  };
}

export class SqlSnoozeStore implements SnoozeStore {
  constructor(private readonly handle: DatabaseHandle) {}

  async create(s: Snooze): Promise<void> {
    await this.handle.db
      .insertInto('snoozes')
      .values({
        id: s.id,
        rule_id: s.ruleId,
        user_id: s.user,
        until: s.until,
        reason: s.reason,
        created_by: s.createdBy,
        created_at: s.createdAt,
        cancelled_at: s.cancelledAt,
        cancelled_by: s.cancelledBy ?? null,
      })
      .execute();
  }

  async get(id: string): Promise<Snooze | undefined> {
    const row = await this.handle.db.selectFrom('snoozes').selectAll().where('id', '=', id).executeTakeFirst();
    return row && snoozeFromRow(row);
  }

  async list(q: SnoozeQuery): Promise<readonly Snooze[]> {
    let query = this.handle.db.selectFrom('snoozes').selectAll();
    if (q.user !== undefined) query = query.where('user_id', '=', q.user);
    if (q.rule !== undefined) query = query.where('rule_id', '=', q.rule);
    if (q.activeAt !== undefined) query = query.where('cancelled_at', 'is', null).where('until', '>', q.activeAt);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map(snoozeFromRow);
  }

  async listInForce(now: number): Promise<readonly Snooze[]> {
    const rows = await this.handle.db
      .selectFrom('snoozes')
      .selectAll()
      .where('cancelled_at', 'is', null)
      .where('until', '>', now)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(snoozeFromRow);
  }

  async cancel(id: string, at: number, by: string): Promise<{ snooze: Snooze; changed: boolean } | undefined> {
    return this.handle.db.transaction().execute(async (trx) => {
      // Only a snooze not cancelled yet is stamped: two cancels racing leave the first one's stamp.
      const updated = await trx
        .updateTable('snoozes')
        .set({ cancelled_at: at, cancelled_by: by })
        .where('id', '=', id)
        .where('cancelled_at', 'is', null)
        .executeTakeFirst();
      const row = await trx.selectFrom('snoozes').selectAll().where('id', '=', id).executeTakeFirst();
      return row && { snooze: snoozeFromRow(row), changed: Number(updated.numUpdatedRows) > 0 };
    });
  }
}
