import type { Selectable } from 'kysely';
import type { SavedView, SavedViewStore } from '../alerts/ports.js';
import type { DatabaseHandle } from './database.js';
import type { SavedViewsTable } from './schema.js';

const fromRow = (r: Selectable<SavedViewsTable>): SavedView => ({
  id: r.id,
  owner: r.owner,
  name: r.name,
  query: r.query,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export class SqlSavedViewStore implements SavedViewStore {
  constructor(private readonly handle: DatabaseHandle) {}

  async list(owner: string): Promise<readonly SavedView[]> {
    const rows = await this.handle.db
      .selectFrom('saved_views')
      .selectAll()
      .where('owner', '=', owner)
      .orderBy('name')
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }

  async save(v: SavedView): Promise<SavedView> {
    // Same owner and name: the query is replaced, the id and creation time kept.
    await this.handle.db
      .insertInto('saved_views')
      .values({ id: v.id, owner: v.owner, name: v.name, query: v.query, created_at: v.createdAt, updated_at: v.updatedAt })
      .onConflict((oc) => oc.columns(['owner', 'name']).doUpdateSet({ query: v.query, updated_at: v.updatedAt }))
      .execute();
    const row = await this.handle.db
      .selectFrom('saved_views')
      .selectAll()
      .where('owner', '=', v.owner)
      .where('name', '=', v.name)
      .executeTakeFirstOrThrow();
    return fromRow(row);
  }

  async delete(owner: string, id: string): Promise<boolean> {
    const deleted = await this.handle.db.deleteFrom('saved_views').where('owner', '=', owner).where('id', '=', id).executeTakeFirst();
    return Number(deleted.numDeletedRows) > 0;
  }
}
