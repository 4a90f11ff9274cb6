import { sql } from 'kysely';
import type { RuleDayCount, RuleMode, RuleStatsStore } from '../detect/rule-stats.js';
import type { DatabaseHandle } from './database.js';

// Three columns a row: far below either dialect's parameter limit (SQLite 32,766, PostgreSQL 65,535).
const CHUNK = 1_000;

/** Daily counts per rule and mode; a flush adds to the rows (`hits = hits + excluded.hits`), on both dialects. */
export class SqlRuleStatsStore implements RuleStatsStore {
  constructor(private readonly handle: DatabaseHandle) {}

  async add(counts: readonly RuleDayCount[]): Promise<void> {
    if (counts.length === 0) return;
    const rows = counts.map((c) => ({ rule_id: c.ruleId, day: c.day, mode: c.mode, hits: c.hits, alerts: c.alerts }));
    await this.handle.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += CHUNK) {
        await trx
          .insertInto('rule_daily_stats')
          .values(rows.slice(i, i + CHUNK))
          .onConflict((oc) =>
            oc.columns(['rule_id', 'day', 'mode']).doUpdateSet({
              hits: sql<number>`rule_daily_stats.hits + excluded.hits`,
              alerts: sql<number>`rule_daily_stats.alerts + excluded.alerts`,
            }),
          )
          .execute();
      }
    });
  }

  async read(fromDay: string, toDay: string): Promise<readonly RuleDayCount[]> {
    const rows = await this.handle.db
      .selectFrom('rule_daily_stats')
      .selectAll()
      .where('day', '>=', fromDay)
      .where('day', '<=', toDay)
      .execute();
    return rows.map((r) => ({
      ruleId: r.rule_id,
      day: r.day,
      mode: r.mode as RuleMode,
      hits: Number(r.hits),
      alerts: Number(r.alerts),
    }));
  }
}
