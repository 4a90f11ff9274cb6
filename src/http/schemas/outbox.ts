import { Type } from '@sinclair/typebox';
import { type Body, IsoTime, literals, NextCursor, Nullable, Obj } from './common.js';

export const OutboxMessageSchema = Obj(
  {
    id: Type.String(),
    channel: literals(['email', 'sms']),
    to: Type.String(),
    subject: Type.String(),
    text: Type.String(),
    html: Type.Optional(Type.String()),
    user: Nullable(Type.String()),
    createdAt: IsoTime,
  },
  { title: 'OutboxMessage' },
);
export type OutboxMessage = Body<typeof OutboxMessageSchema>;
export const OutboxPageSchema = Obj({ messages: Type.Array(OutboxMessageSchema), nextCursor: NextCursor }, { title: 'OutboxPage' });
export type OutboxPage = Body<typeof OutboxPageSchema>;
