import type { Selectable } from 'kysely';
import type {
  AttemptOutcome,
  Delivery,
  DeliveryEventType,
  DeliveryQuery,
  DeliveryStatus,
  SealedWebhook,
  WebhookEventType,
  WebhookStore,
} from '../webhooks/ports.js';
import type { DatabaseHandle } from './database.js';
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
  return {
    id: r.id,
    webhookId: r.webhook_id,
    eventType: r.event_type as DeliveryEventType,
    payloadJson: r.payload_json,
    status: r.status as DeliveryStatus,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
  };
}

export class SqlWebhookStore implements WebhookStore {
  constructor(private readonly handle: DatabaseHandle) {}

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
      await trx
        .updateTable('webhook_deliveries')
        .set({ status: 'failed', next_attempt_at: null, last_error: 'webhook disabled' })
        .where('webhook_id', '=', id)
        .where('status', '=', 'pending')
        .execute();
      return true;
    });
  }

  async addDeliveries(deliveries: readonly Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.handle.db
      .insertInto('webhook_deliveries')
      .values(
        deliveries.map((d) => ({
          id: d.id,
          webhook_id: d.webhookId,
          event_type: d.eventType,
          payload_json: d.payloadJson,
          status: d.status,
          attempts: d.attempts,
          next_attempt_at: d.nextAttemptAt,
          last_status_code: d.lastStatusCode,
          last_error: d.lastError,
          created_at: d.createdAt,
          delivered_at: d.deliveredAt,
        })),
      )
      .execute();
  }

  async getDelivery(id: string): Promise<Delivery | undefined> {
    const row = await this.handle.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    return row && deliveryFromRow(row);
  }

  async due(now: number, limit: number): Promise<readonly Delivery[]> {
    const rows = await this.handle.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(deliveryFromRow);
  }

  async claim(id: string, expected: number, leaseUntil: number): Promise<boolean> {
    const result = await this.handle.db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: leaseUntil })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '=', expected)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async recordAttempt(id: string, o: AttemptOutcome): Promise<void> {
    await this.handle.db
      .updateTable('webhook_deliveries')
      .set({
        status: o.status,
        attempts: o.attempts,
        next_attempt_at: o.nextAttemptAt,
        last_status_code: o.lastStatusCode,
        last_error: o.lastError,
        delivered_at: o.deliveredAt,
      })
      .where('id', '=', id)
      // A webhook disabled while the attempt ran has already closed its deliveries.
      .where('status', '=', 'pending')
      .execute();
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
