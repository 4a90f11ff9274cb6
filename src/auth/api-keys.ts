import { createHash, randomBytes } from 'node:crypto';
import type { LRUCache } from 'lru-cache';
import { boundedCache } from '../core/bounded-cache.js';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { KEY_ROLES, STAFF_ROLES } from '../domain/vocabulary.js';

export const ROLES = KEY_ROLES;
export type Role = (typeof ROLES)[number];
export type StaffRole = (typeof STAFF_ROLES)[number];

export const isStaffRole = (role: string): role is StaffRole => (STAFF_ROLES as readonly string[]).includes(role);

/** Whether a staff role may do what `needed` allows: admin ⊇ analyst ⊇ viewer. */
export function staffAllows(role: StaffRole, needed: StaffRole): boolean {
  return STAFF_ROLES.indexOf(role) >= STAFF_ROLES.indexOf(needed);
}

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly prefix: string;
  readonly source: 'cli' | 'env' | 'demo';
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

export interface ApiKeyStore {
  findByHash(secretHash: string): Promise<ApiKey | undefined>;
  /** Inserts the key unless one with this hash exists; returns the stored key either way. */
  ensure(key: ApiKey, secretHash: string): Promise<ApiKey>;
  list(): Promise<readonly ApiKey[]>;
  revoke(id: string, at: number): Promise<boolean>;
  count(): Promise<number>;
}

/**
 * Whether a key of this role may do what `needed` allows. Admin keys may also ingest; the other staff
 * keys may not (a read-only or triage key cannot write events or send shoppers codes).
 */
export function roleAllows(role: Role, needed: Role): boolean {
  if (role === 'admin' || role === needed) return true;
  return isStaffRole(role) && isStaffRole(needed) && staffAllows(role, needed);
}

/**
 * Keys are 256 random bits, so a plain SHA-256 is the right hash at rest: there is nothing to
 * brute-force, and a slow hash would cost every request. Lookup is by hash, so comparing the secret
 * itself never happens and cannot leak timing about it.
 */
export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A new key: `vgl_<role>_<43 chars>`. The role in the text helps a human tell keys apart. */
export function generateKey(role: Role, name: string, clock: Clock): { secret: string; key: ApiKey; secretHash: string } {
  const secret = `vgl_${role}_${randomBytes(32).toString('base64url')}`;
  return { secret, secretHash: hashKey(secret), key: describeKey(secret, role, name, 'cli', clock) };
}

export function describeKey(secret: string, role: Role, name: string, source: ApiKey['source'], clock: Clock): ApiKey {
  return {
    id: newId('key'),
    name,
    role,
    prefix: `${secret.slice(0, secret.indexOf('_', 4) + 5)}…`,
    source,
    createdAt: clock.now(),
    revokedAt: null,
  };
}

/**
 * Resolves bearer secrets to keys. Valid keys are cached for a short time so that a request costs a
 * hash and a map lookup, not a database read; a revocation takes effect within that time.
 */
export class ApiKeyAuthenticator {
  private readonly cache: LRUCache<string, ApiKey>;

  constructor(
    private readonly store: ApiKeyStore,
    cacheTtlMs = 30_000,
  ) {
    this.cache = boundedCache(10_000, { ttl: cacheTtlMs });
  }

  async authenticate(secret: string): Promise<ApiKey | undefined> {
    const secretHash = hashKey(secret);
    const cached = this.cache.get(secretHash);
    if (cached) return cached;
    const key = await this.store.findByHash(secretHash);
    if (!key || key.revokedAt !== null) return undefined;
    this.cache.set(secretHash, key);
    return key;
  }
}
