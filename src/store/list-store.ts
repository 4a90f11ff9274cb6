import type { Selectable } from 'kysely';
import type { ListEntry, ListKind, ListName } from '../detect/lists.js';
import type { ListQuery, ListStore, StoredListEntry } from '../lists/ports.js';
import type { DatabaseHandle } from './database.js';
import type { ListEntriesTable } from './schema.js';

function entryFromRow(r: Selectable<ListEntriesTable>): StoredListEntry {
  return {
    id: r.id,
    list: r.list as ListName,
    kind: r.kind as ListKind,
    value: r.value,
    reason: r.reason,
    rules: JSON.parse(r.rules_json) as string[],
    createdBy: r.created_by,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    removedAt: r.removed_at,
    removedBy: r.removed_by,
  };
}

/** Drops the removal fields: what the book and the API's lists hold. */
function entryOf(stored: StoredListEntry): ListEntry {
  const { removedAt: _at, removedBy: _by, ...entry } = stored;
  return entry;
}

export class SqlListStore implements ListStore {
  constructor(private readonly handle: DatabaseHandle) {}

  async add(e: ListEntry): Promise<void> {
    await this.handle.db
      .insertInto('list_entries')
      .values({
        id: e.id,
        list: e.list,
        kind: e.kind,
        value: e.value,
        reason: e.reason,
        rules_json: JSON.stringify(e.rules),
        created_by: e.createdBy,
        created_at: e.createdAt,
        expires_at: e.expiresAt,
        removed_at: null,
        removed_by: null,
      })
      .execute();
  }

  async get(id: string): Promise<StoredListEntry | undefined> {
    const row = await this.handle.db.selectFrom('list_entries').selectAll().where('id', '=', id).executeTakeFirst();
    return row && entryFromRow(row);
  }

  async remove(id: string, at: number, by: string): Promise<boolean> {
    const result = await this.handle.db
      .updateTable('list_entries')
      .set({ removed_at: at, removed_by: by })
      .where('id', '=', id)
      .where('removed_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async listNotRemoved(): Promise<readonly ListEntry[]> {
    const rows = await this.handle.db
      .selectFrom('list_entries')
      .selectAll()
      .where('removed_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => entryOf(entryFromRow(r)));
  }

  async list(q: ListQuery): Promise<readonly ListEntry[]> {
    let query = this.handle.db.selectFrom('list_entries').selectAll().where('removed_at', 'is', null);
    if (q.list !== undefined) query = query.where('list', '=', q.list);
    if (q.kind !== undefined) query = query.where('kind', '=', q.kind);
    if (!q.includeExpired) query = query.where((w) => w.or([w('expires_at', 'is', null), w('expires_at', '>', q.now)]));
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map((r) => entryOf(entryFromRow(r)));
  }
}
