import { Type } from '@sinclair/typebox';
import { ReasonSchema } from '../../domain/event-schema.js';
import {
  type ALERT_ACTIONS,
  ALERT_GROUPINGS,
  ALERT_SEVERITIES,
  type ALERT_SORTS,
  ALERT_STATUSES,
  ALERT_TYPES,
  BULK_ALERT_ACTIONS,
} from '../../domain/vocabulary.js';
import { type Body, DecisionSchema, EventTypeSchema, IsoTime, literals, NextCursor, Nullable, Obj, SeveritySchema } from './common.js';

export const AlertStatusSchema = literals(ALERT_STATUSES);
export type AlertStatus = Body<typeof AlertStatusSchema>;
export const AlertTypeSchema = literals(ALERT_TYPES);
export type AlertType = Body<typeof AlertTypeSchema>;
export type AlertAction = (typeof ALERT_ACTIONS)[number];
export type Reason = Body<typeof ReasonSchema>;

/** A triggering event as the alert keeps it. */
export const AlertEventSnapshotSchema = Obj({
  id: Type.String(),
  type: EventTypeSchema,
  occurredAt: IsoTime,
  ip: Type.Optional(Type.String()),
  device: Type.Optional(Type.String()),
  country: Type.Optional(Type.String()),
  city: Type.Optional(Type.String()),
  amount: Type.Optional(Type.Number()),
  currency: Type.Optional(Type.String()),
  path: Type.Optional(Type.String()),
});
export type AlertEventSnapshot = Body<typeof AlertEventSnapshotSchema>;

export const AlertSchema = Obj(
  {
    id: Type.String(),
    dedupKey: Type.String({ description: 'Rule and subject: repeats within the rule’s window update this alert.' }),
    ruleId: Type.String(),
    ruleIds: Type.Array(Type.String()),
    subject: Obj({ kind: literals(['user', 'ip', 'device', 'status']), value: Type.String() }),
    user: Type.String(),
    session: Type.Optional(Type.String()),
    device: Type.Optional(Type.String()),
    ip: Type.Optional(Type.String()),
    country: Type.Optional(Type.String()),
    city: Type.Optional(Type.String()),
    userAgent: Type.Optional(Type.String()),
    summary: Type.String(),
    type: AlertTypeSchema,
    severity: SeveritySchema,
    risk: Type.Number(),
    decision: DecisionSchema,
    status: AlertStatusSchema,
    reasons: Type.Array(ReasonSchema),
    events: Type.Array(AlertEventSnapshotSchema),
    relatedEventIds: Type.Array(Type.String()),
    suggestedActions: Type.Array(Type.String()),
    occurrences: Type.Integer(),
    firstSeenAt: IsoTime,
    lastSeenAt: IsoTime,
    createdAt: IsoTime,
    updatedAt: IsoTime,
    acknowledgedAt: Nullable(IsoTime),
    resolvedAt: Nullable(IsoTime),
    timeToAcknowledgeMs: Nullable(Type.Number()),
    timeToResolveMs: Nullable(Type.Number()),
  },
  { title: 'Alert' },
);
export type Alert = Body<typeof AlertSchema>;

export const AlertTransitionSchema = Obj({
  alertId: Type.String(),
  from: AlertStatusSchema,
  to: AlertStatusSchema,
  actor: Type.String(),
  note: Nullable(Type.String()),
  at: IsoTime,
});
export type AlertTransition = Body<typeof AlertTransitionSchema>;

export const AlertDetailSchema = Obj(
  { ...AlertSchema.properties, transitions: Type.Array(AlertTransitionSchema) },
  { title: 'AlertDetail' },
);
export type AlertDetail = Body<typeof AlertDetailSchema>;

export const AlertPageSchema = Obj({ alerts: Type.Array(AlertSchema), nextCursor: NextCursor }, { title: 'AlertPage' });
export type AlertPage = Body<typeof AlertPageSchema>;

const countsOf = <const T extends readonly string[]>(keys: T) =>
  Obj(Object.fromEntries(keys.map((k) => [k, Type.Integer({ minimum: 0 })])) as { [K in T[number]]: ReturnType<typeof Type.Integer> });

export const AlertCountsSchema = Obj(
  {
    total: Type.Integer({ minimum: 0 }),
    status: countsOf(ALERT_STATUSES),
    severity: countsOf(ALERT_SEVERITIES),
  },
  { title: 'AlertCounts', description: 'How many alerts the filter selects, per status and per severity.' },
);
export type AlertCounts = Body<typeof AlertCountsSchema>;

export type AlertSort = (typeof ALERT_SORTS)[number];

export const AlertGroupingSchema = literals(ALERT_GROUPINGS);
export type AlertGrouping = Body<typeof AlertGroupingSchema>;

export const AlertGroupsSchema = Obj(
  {
    by: AlertGroupingSchema,
    groups: Type.Array(
      Obj({
        key: Type.String({ description: 'The story (session, else device, else subject), user or rule.' }),
        count: Type.Integer({ minimum: 1 }),
        latestAt: IsoTime,
        severity: SeveritySchema,
      }),
    ),
    more: Type.Boolean({ description: 'More groups than the limit match the filter.' }),
  },
  { title: 'AlertGroups' },
);
export type AlertGroups = Body<typeof AlertGroupsSchema>;

export const BulkAlertActionSchema = literals(BULK_ALERT_ACTIONS);
export type BulkAlertAction = Body<typeof BulkAlertActionSchema>;

export const BulkAlertResultSchema = Obj(
  {
    action: BulkAlertActionSchema,
    succeeded: Type.Integer({ minimum: 0 }),
    failed: Type.Integer({ minimum: 0 }),
    results: Type.Array(
      Obj({
        id: Type.String(),
        ok: Type.Boolean(),
        status: Type.Optional(AlertStatusSchema),
        error: Type.Optional(Obj({ code: Type.String(), message: Type.String() })),
      }),
      { description: 'One per distinct id, in the order given.' },
    ),
  },
  { title: 'BulkAlertResult' },
);
export type BulkAlertResult = Body<typeof BulkAlertResultSchema>;

export const SavedViewSchema = Obj(
  {
    id: Type.String(),
    name: Type.String(),
    query: Type.String({ description: 'The feed’s query string: /admin/alerts?{query} shows the view.' }),
    createdAt: IsoTime,
    updatedAt: IsoTime,
  },
  { title: 'SavedView' },
);
export type SavedView = Body<typeof SavedViewSchema>;
export const SavedViewListSchema = Obj({ views: Type.Array(SavedViewSchema) }, { title: 'SavedViewList' });
export type SavedViewList = Body<typeof SavedViewListSchema>;
