import { sql } from 'kysely';
import type { ActivityStore, MinuteCount } from '../feed/activity.js';
import type { DatabaseHandle } from './database.js';

/** Integer division is integer on both SQLite and PostgreSQL (bigint), so this buckets by minute on both. */
const minuteOf = (column: string) => sql<number>`${sql.ref(column)} / 60000`;

export class SqlActivityStore implements ActivityStore {
  constructor(private readonly handle: DatabaseHandle) {}

  async eventsPerMinute(from: number, to: number): Promise<readonly MinuteCount[]> {
    const rows = await this.handle.db
      .selectFrom('events')
      .select([minuteOf('occurred_at').as('minute'), 'type as key', (eb) => eb.fn.countAll().as('n')])
      .where('occurred_at', '>=', from)
      .where('occurred_at', '<', to)
      .groupBy([minuteOf('occurred_at'), 'type'])
      .execute();
    return rows.map((r) => ({ minute: Number(r.minute), key: r.key, count: Number(r.n) }));
  }

  async alertsPerMinute(from: number, to: number): Promise<readonly MinuteCount[]> {
    const rows = await this.handle.db
      .selectFrom('alerts')
      .select([minuteOf('first_seen_at').as('minute'), 'severity as key', (eb) => eb.fn.countAll().as('n')])
      .where('first_seen_at', '>=', from)
      .where('first_seen_at', '<', to)
      .groupBy([minuteOf('first_seen_at'), 'severity'])
      .execute();
    return rows.map((r) => ({ minute: Number(r.minute), key: r.key, count: Number(r.n) }));
  }
}
