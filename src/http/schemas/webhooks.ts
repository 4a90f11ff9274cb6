import { Type } from '@sinclair/typebox';
import { AttemptProperties, type Body, IsoTime, literals, NextCursor, Nullable, Obj } from './common.js';

const webhookProperties = {
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(literals(['alert.raised', 'account.locked', 'account.unlocked'])),
  description: Nullable(Type.String()),
  active: Type.Boolean(),
  createdAt: IsoTime,
  createdBy: Type.String(),
  disabledAt: Nullable(IsoTime),
};

/** A webhook, never with its secret. */
export const WebhookSchema = Obj(webhookProperties, { title: 'Webhook' });
export type Webhook = Body<typeof WebhookSchema>;
/** POST /v1/webhooks: the one answer that carries the signing secret. */
export const CreatedWebhookSchema = Obj(
  { ...webhookProperties, secret: Type.String({ description: 'The signing secret, shown this once.' }) },
  { title: 'CreatedWebhook' },
);
export const WebhooksSchema = Obj({ webhooks: Type.Array(WebhookSchema) }, { title: 'Webhooks' });

export const DeliverySchema = Obj(
  {
    id: Type.String(),
    webhookId: Type.String(),
    eventType: literals(['alert.raised', 'account.locked', 'account.unlocked', 'webhook.test']),
    ...AttemptProperties,
    payload: Type.Unknown({ description: 'The JSON body POSTed.' }),
  },
  { title: 'Delivery' },
);
export type Delivery = Body<typeof DeliverySchema>;
export const DeliveryPageSchema = Obj({ deliveries: Type.Array(DeliverySchema), nextCursor: NextCursor }, { title: 'DeliveryPage' });
