import type { Selectable } from 'kysely';
import type { Delivery, DeliveryEventType, DeliveryQuery, SealedWebhook, WebhookEventType, WebhookStore } from '../webhooks/ports.js';
import type { DatabaseHandle } from './database.js';
import { type OutboundTable, queueColumns, queuedFromRow, SqlOutboundQueue } from './outbound-queue-store.js';
import type { WebhookDeliveriesTable, WebhooksTable } from './schema.js';

function webhookFromRow(r: Selectable<WebhooksTable>): SealedWebhook {
  return {
    id: r.id,
    url: r.url,
    events: JSON.parse(r.events_json) as WebhookEventType[],
    description: r.description,
    createdAt: r.created_at,
    createdBy: r.created_by,
    disabledAt: r.disabled_at,
    secretCiphertext: r.secret_ciphertext,
  };
}

function deliveryFromRow(r: Selectable<WebhookDeliveriesTable>): Delivery {
  return { ...queuedFromRow(r), webhookId: r.webhook_id, eventType: r.event_type as DeliveryEventType };
}

const DELIVERIES: OutboundTable<'webhook_deliveries', Delivery> = {
  name: 'webhook_deliveries',
  owner: 'webhook_id',
  fromRow: deliveryFromRow,
};

export class SqlWebhookStore implements WebhookStore {
  readonly queue: SqlOutboundQueue<'webhook_deliveries', Delivery>;

  constructor(private readonly handle: DatabaseHandle) {
    this.queue = new SqlOutboundQueue(handle, DELIVERIES);
  }

  async create(w: SealedWebhook): Promise<void> {
    await this.handle.db
      .insertInto('webhooks')
      .values({
        id: w.id,
        url: w.url,
        events_json: JSON.stringify(w.events),
        secret_ciphertext: w.secretCiphertext,
        description: w.description,
        created_at: w.createdAt,
        created_by: w.createdBy,
        disabled_at: w.disabledAt,
      })
      .execute();
  }

  async get(id: string): Promise<SealedWebhook | undefined> {
    const row = await this.handle.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    return row && webhookFromRow(row);
  }

  async list(): Promise<readonly SealedWebhook[]> {
    const rows = await this.handle.db.selectFrom('webhooks').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(webhookFromRow);
  }

  async subscribedTo(eventType: WebhookEventType): Promise<readonly SealedWebhook[]> {
    // A handful of rows at most: filtering the JSON list here keeps the query portable.
    const rows = await this.handle.db.selectFrom('webhooks').selectAll().where('disabled_at', 'is', null).orderBy('id').execute();
    return rows.map(webhookFromRow).filter((w) => w.events.includes(eventType));
  }

  async disable(id: string, at: number): Promise<boolean> {
    return this.handle.db.transaction().execute(async (trx) => {
      const hook = await trx.selectFrom('webhooks').select(['id', 'disabled_at']).where('id', '=', id).executeTakeFirst();
      if (!hook) return false;
      if (hook.disabled_at !== null) return true;
      await trx.updateTable('webhooks').set({ disabled_at: at }).where('id', '=', id).execute();
      // Nobody listens there any more: the log says so instead of showing retries that will never come.
      await this.queue.giveUpPending(trx, id, 'webhook disabled');
      return true;
    });
  }

  async addDeliveries(deliveries: readonly Delivery[], origin?: string): Promise<ReadonlySet<string>> {
    if (deliveries.length === 0) return new Set();
    const rows = await this.handle.db
      .insertInto('webhook_deliveries')
      .values(deliveries.map((d) => ({ ...queueColumns(d), webhook_id: d.webhookId, event_type: d.eventType, origin: origin ?? null })))
      // A webhook already given this origin's delivery keeps the one it has.
      .onConflict((oc) => oc.columns(['webhook_id', 'origin']).doNothing())
      .returning('id')
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  async getDelivery(id: string): Promise<Delivery | undefined> {
    const row = await this.handle.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    return row && deliveryFromRow(row);
  }

  async deliveries(webhookId: string, q: DeliveryQuery): Promise<readonly Delivery[]> {
    let query = this.handle.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId);
    const after = q.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]),
      );
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map(deliveryFromRow);
  }
}
