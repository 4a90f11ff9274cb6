import { AuditTrail } from '../audit/audit-trail.js';
import { generateKey, type Role } from '../auth/api-keys.js';
import type { Config } from '../config/config.js';
import { systemClock } from '../core/clock.js';
import { SqlApiKeyStore } from '../store/api-key-store.js';
import { SqlAuditStore } from '../store/audit-store.js';
import { type DatabaseHandle, openDatabase } from '../store/database.js';

async function withKeyStore<T>(config: Config, work: (store: SqlApiKeyStore, audit: AuditTrail) => Promise<T>): Promise<T> {
  const handle: DatabaseHandle = await openDatabase(config.database, { migrate: true });
  try {
    return await work(new SqlApiKeyStore(handle), new AuditTrail(new SqlAuditStore(handle), systemClock));
  } finally {
    await handle.close();
  }
}

export async function createKey(config: Config, role: Role, name: string): Promise<void> {
  const created = generateKey(role, name || `${role} key`, systemClock);
  await withKeyStore(config, async (store, audit) => {
    const stored = await store.ensure(created.key, created.secretHash);
    // The prefix identifies the key in `keys list`; the secret itself is never recorded.
    await audit.record('cli', 'key.created', `key:${stored.id}`, { keyId: stored.id, role: stored.role, prefix: stored.prefix });
  });
  // The secret goes to stdout alone on its line, so `KEY=$(npx vigil keys create …)` works; the
  // rest goes to stderr.
  process.stderr.write(`Created ${role} key ${created.key.id}. It is shown once; only its hash is stored.\n`);
  process.stdout.write(`${created.secret}\n`);
}

export async function listKeys(config: Config): Promise<void> {
  const keys = await withKeyStore(config, (store) => store.list());
  for (const k of keys) {
    const state = k.revokedAt === null ? 'active' : `revoked ${new Date(k.revokedAt).toISOString()}`;
    process.stdout.write(`${k.id}  ${k.role.padEnd(7)}  ${k.prefix.padEnd(16)}  ${k.source.padEnd(4)}  ${state}  ${k.name}\n`);
  }
}

export async function revokeKey(config: Config, id: string): Promise<number> {
  const revoked = await withKeyStore(config, async (store, audit) => {
    const done = await store.revoke(id, systemClock.now());
    if (done) {
      const key = (await store.list()).find((k) => k.id === id);
      await audit.record('cli', 'key.revoked', `key:${id}`, { keyId: id, role: key?.role, prefix: key?.prefix });
    }
    return done;
  });
  process.stderr.write(revoked ? `Revoked ${id}.\n` : `No active key ${id}.\n`);
  return revoked ? 0 : 1;
}
