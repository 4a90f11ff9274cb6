import type { Selectable } from 'kysely';
import type { FlaggedLogin, FlaggedLoginQuery, LoginScoreStore } from '../logins/ports.js';
import type { DatabaseHandle } from './database.js';
import type { LoginScoresTable } from './schema.js';

/** 15 columns a row: 200 rows stay far below SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 200;

function fromRow(r: Selectable<LoginScoresTable>): FlaggedLogin {
  return {
    id: r.id,
    rowHash: r.row_hash,
    uploadId: r.upload_id,
    line: r.line,
    user: r.user_id,
    occurredAt: r.occurred_at,
    ip: r.ip,
    location: r.location,
    device: r.device,
    score: Number(r.score),
    threshold: Number(r.threshold),
    reasons: JSON.parse(r.reasons_json) as FlaggedLogin['reasons'],
    row: JSON.parse(r.row_json) as FlaggedLogin['row'],
    flaggedAt: r.flagged_at,
  };
}

export class SqlLoginScoreStore implements LoginScoreStore {
  constructor(private readonly handle: DatabaseHandle) {}

  async addFlagged(logins: readonly FlaggedLogin[]): Promise<ReadonlySet<string>> {
    // A file may hold the same login twice: one insert per hash.
    const unique = [...new Map(logins.map((l) => [l.rowHash, l])).values()];
    const inserted = new Set<string>();
    await this.handle.db.transaction().execute(async (tx) => {
      for (let i = 0; i < unique.length; i += CHUNK) {
        // ON CONFLICT DO NOTHING … RETURNING gives back only the rows this statement inserted, on
        // both dialects: a login stored before, or by a concurrent upload, is not counted as new.
        const rows = await tx
          .insertInto('login_scores')
          .values(
            unique.slice(i, i + CHUNK).map((l) => ({
              id: l.id,
              row_hash: l.rowHash,
              upload_id: l.uploadId,
              line: l.line,
              user_id: l.user,
              occurred_at: l.occurredAt,
              ip: l.ip,
              location: l.location,
              device: l.device,
              score: l.score,
              threshold: l.threshold,
              reasons_json: JSON.stringify(l.reasons),
              row_json: JSON.stringify(l.row),
              flagged_at: l.flaggedAt,
            })),
          )
          .onConflict((oc) => oc.column('row_hash').doNothing())
          .returning('row_hash')
          .execute();
        for (const r of rows) inserted.add(r.row_hash);
      }
    });
    return inserted;
  }

  async listFlagged(q: FlaggedLoginQuery): Promise<readonly FlaggedLogin[]> {
    let query = this.handle.db.selectFrom('login_scores').selectAll();
    if (q.user !== undefined) query = query.where('user_id', '=', q.user);
    const after = q.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([eb('flagged_at', '<', after.flaggedAt), eb.and([eb('flagged_at', '=', after.flaggedAt), eb('id', '<', after.id)])]),
      );
    }
    const rows = await query.orderBy('flagged_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map(fromRow);
  }
}
