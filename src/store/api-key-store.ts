import type { Selectable } from 'kysely';
import type { ApiKey, ApiKeyStore, Role } from '../auth/api-keys.js';
import type { DatabaseHandle } from './database.js';
import type { ApiKeysTable } from './schema.js';

export class SqlApiKeyStore implements ApiKeyStore {
  constructor(private readonly handle: DatabaseHandle) {}

  async findByHash(secretHash: string): Promise<ApiKey | undefined> {
    const row = await this.handle.db.selectFrom('api_keys').selectAll().where('secret_hash', '=', secretHash).executeTakeFirst();
    return row && fromRow(row);
  }

  async ensure(key: ApiKey, secretHash: string): Promise<ApiKey> {
    await this.handle.db
      .insertInto('api_keys')
      .values({
        id: key.id,
        name: key.name,
        role: key.role,
        prefix: key.prefix,
        secret_hash: secretHash,
        source: key.source,
        created_at: key.createdAt,
        revoked_at: key.revokedAt,
      })
      .onConflict((oc) => oc.column('secret_hash').doNothing())
      .execute();
    return (await this.findByHash(secretHash)) as ApiKey;
  }

  async list(): Promise<readonly ApiKey[]> {
    const rows = await this.handle.db.selectFrom('api_keys').selectAll().orderBy('created_at').execute();
    return rows.map(fromRow);
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const r = await this.handle.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async count(): Promise<number> {
    const row = await this.handle.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

function fromRow(row: Selectable<ApiKeysTable>): ApiKey {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    prefix: row.prefix,
    source: row.source as ApiKey['source'],
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
