import type { Insertable, Selectable } from 'kysely';
import type { OwedEffects } from '../domain/owed-effects.js';
import type { PlannedResponse } from '../domain/response.js';
import type { PendingEffectsStore } from '../ingest/pending-effects.js';
import type { DatabaseHandle } from './database.js';
import type { PendingEffectsTable } from './schema.js';

/** The columns of a row, in the order of the SQLite writer's insert (sqlite/batch-writer.ts). */
export const OWED_COLUMNS = ['id', 'user_id', 'created_at', 'effects_json'] as const;

interface EffectsJson {
  readonly raised: readonly string[];
  readonly responses: readonly PlannedResponse[];
}

/** The row of what a batch owes, written by the group commit in the events' transaction. */
export function owedRow(o: OwedEffects): Insertable<PendingEffectsTable> {
  const effects: EffectsJson = { raised: o.raised, responses: o.responses };
  return { id: o.id, user_id: o.user, created_at: o.createdAt, effects_json: JSON.stringify(effects) };
}

function fromRow(r: Selectable<PendingEffectsTable>): OwedEffects {
  const effects = JSON.parse(r.effects_json) as EffectsJson;
  return { id: r.id, user: r.user_id, createdAt: Number(r.created_at), raised: effects.raised, responses: effects.responses };
}

/** Ids deleted per statement: well under both dialects' limits on bound parameters. */
const IDS_PER_DELETE = 500;

export class SqlPendingEffectsStore implements PendingEffectsStore {
  constructor(private readonly handle: DatabaseHandle) {}

  async list(after: string | undefined, limit: number): Promise<readonly OwedEffects[]> {
    let query = this.handle.db.selectFrom('pending_effects').selectAll();
    if (after !== undefined) query = query.where('id', '>', after);
    return (await query.orderBy('id').limit(limit).execute()).map(fromRow);
  }

  async remove(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += IDS_PER_DELETE) {
      await this.handle.db
        .deleteFrom('pending_effects')
        .where('id', 'in', ids.slice(i, i + IDS_PER_DELETE))
        .execute();
    }
  }
}
