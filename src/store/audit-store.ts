import type { Kysely, Selectable, Transaction } from 'kysely';
import { type AuditAction, type AuditDetails, type AuditDraft, type AuditEntry, chainDrafts } from '../audit/audit-entry.js';
import type { AuditQuery, AuditStore } from '../audit/ports.js';
import type { AppendLock } from './append-lock.js';
import type { DatabaseHandle } from './database.js';
import { openAppendLock } from './open-append-lock.js';
import type { AuditLogTable, Database } from './schema.js';

/** The append lock's key (PostgreSQL's advisory lock: store/postgres/append-lock.ts). */
const AUDIT_CHAIN_LOCK = BigInt('6051954932401837415');

export class SqlAuditStore implements AuditStore {
  private readonly appendLock: AppendLock;

  constructor(private readonly handle: DatabaseHandle) {
    this.appendLock = openAppendLock(handle, AUDIT_CHAIN_LOCK);
  }

  async append(drafts: readonly AuditDraft[]): Promise<readonly AuditEntry[]> {
    if (drafts.length === 0) return [];
    return this.handle.db.transaction().execute(async (trx) => {
      // Appenders take turns, so that each chains onto the tail the last one committed.
      await this.appendLock.hold(trx);
      return appendAfterTail(trx, drafts);
    });
  }

  async list(q: AuditQuery): Promise<readonly AuditEntry[]> {
    let query = this.handle.db.selectFrom('audit_log').selectAll();
    if (q.subject !== undefined) query = query.where('subject', '=', q.subject);
    if (q.action !== undefined) query = query.where('action', '=', q.action);
    if (q.actor !== undefined) query = query.where('actor', '=', q.actor);
    if (q.beforeSeq !== undefined) query = query.where('seq', '<', q.beforeSeq);
    const rows = await query.orderBy('seq', 'desc').limit(q.limit).execute();
    return rows.map(fromRow);
  }

  async scan(fromSeq: number, pageSize: number): Promise<readonly AuditEntry[]> {
    const rows = await this.handle.db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>=', fromSeq)
      .orderBy('seq', 'asc')
      .limit(pageSize)
      .execute();
    return rows.map(fromRow);
  }
}

async function appendAfterTail(db: Kysely<Database> | Transaction<Database>, drafts: readonly AuditDraft[]): Promise<AuditEntry[]> {
  const tail = await db.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  const entries = chainDrafts(tail && { seq: Number(tail.seq), hash: tail.hash }, drafts);
  await db
    .insertInto('audit_log')
    .values(
      entries.map((e) => ({
        seq: e.seq,
        at: e.at,
        actor: e.actor,
        action: e.action,
        subject: e.subject,
        // Details are already normalised (auditDetails), so this text parses back to the value hashed.
        details_json: JSON.stringify(e.details),
        prev_hash: e.prevHash,
        hash: e.hash,
      })),
    )
    .execute();
  return entries;
}

function fromRow(r: Selectable<AuditLogTable>): AuditEntry {
  return {
    seq: Number(r.seq),
    at: Number(r.at),
    actor: r.actor,
    // Read as stored, even if not a known action: verification must see exactly what is there.
    action: r.action as AuditAction,
    subject: r.subject,
    details: parseDetails(r.details_json),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/**
 * Vigil always writes valid JSON here, so text that does not parse was written by someone else.
 * Kept as text under a key no caller can use, so verification reports a hash mismatch at this
 * entry instead of failing on the parse.
 */
function parseDetails(text: string): AuditDetails {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as AuditDetails;
  } catch {}
  return { $unparsable: text };
}
