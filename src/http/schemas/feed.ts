import { Type } from '@sinclair/typebox';
import { LockScopeSchema } from './accounts.js';
import { type Body, IsoTime, Obj } from './common.js';

export const ActivityStatsSchema = Obj(
  {
    from: IsoTime,
    to: IsoTime,
    minutes: Type.Array(
      Obj({
        at: IsoTime,
        events: Type.Record(Type.String(), Type.Integer(), { description: 'Events per type.' }),
        alerts: Type.Record(Type.String(), Type.Integer(), { description: 'Alerts per severity.' }),
      }),
    ),
  },
  { title: 'ActivityStats' },
);
export type ActivityStats = Body<typeof ActivityStatsSchema>;

/** `event: account` of the live feed: a lock or unlock. (`event: alert` carries an Alert.) */
export const AccountChangeSchema = Obj(
  {
    user: Type.String(),
    locked: Type.Boolean(),
    scope: LockScopeSchema,
    at: IsoTime,
    actor: Type.String(),
    reason: Type.String(),
    alertId: Type.Optional(Type.String()),
  },
  { title: 'AccountChange' },
);
export type AccountChange = Body<typeof AccountChangeSchema>;

/** GET /v1/feed: a Server-Sent Events stream. */
export const FeedStreamSchema = {
  content: {
    'text/event-stream': {
      schema: Type.String({
        description: '`event: alert` with an Alert, `event: account` with an AccountChange, one JSON `data:` line each.',
      }),
    },
  },
};
