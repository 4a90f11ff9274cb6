import type { Selectable } from 'kysely';
import type { Channel, OutboxMessage, OutboxQuery, OutboxStore } from '../notify/ports.js';
import type { DatabaseHandle } from './database.js';
import type { OutboxTable } from './schema.js';

function fromRow(r: Selectable<OutboxTable>): OutboxMessage {
  return {
    id: r.id,
    channel: r.channel as Channel,
    recipient: r.recipient,
    subject: r.subject,
    body: r.body,
    user: r.user_id,
    createdAt: r.created_at,
    ...(r.html !== null && { html: r.html }),
  };
}

export class SqlOutboxStore implements OutboxStore {
  constructor(private readonly handle: DatabaseHandle) {}

  async add(m: OutboxMessage): Promise<void> {
    await this.handle.db
      .insertInto('outbox')
      .values({
        id: m.id,
        channel: m.channel,
        recipient: m.recipient,
        subject: m.subject,
        body: m.body,
        user_id: m.user,
        created_at: m.createdAt,
        html: m.html ?? null,
      })
      .execute();
  }

  async list(q: OutboxQuery): Promise<readonly OutboxMessage[]> {
    let query = this.handle.db.selectFrom('outbox').selectAll();
    if (q.user !== undefined) query = query.where('user_id', '=', q.user);
    const after = q.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]),
      );
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map(fromRow);
  }
}
