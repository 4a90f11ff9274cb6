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

/** The member of staff working an alert. */
export const AlertOwnerSchema = Obj(
  { id: Type.String({ description: 'Their person id.' }), email: Type.String() },
  { title: 'AlertOwner' },
);
export type AlertOwner = Body<typeof AlertOwnerSchema>;

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
    owner: Type.Optional(
      Type.Union([AlertOwnerSchema, Type.Null()], {
        description: 'Who works the alert (null: nobody). Shown to staff only: members and the shop’s app never see it.',
      }),
    ),
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

export const AlertCommentSchema = Obj(
  {
    id: Type.String(),
    alertId: Type.String(),
    author: Type.String({ description: 'The person (email and id) or API key (name and id) who wrote it.' }),
    text: Type.String({ description: 'Plain text, as written: show it as text, never as HTML.' }),
    createdAt: IsoTime,
  },
  { title: 'AlertComment' },
);
export type AlertComment = Body<typeof AlertCommentSchema>;
export const AlertCommentsSchema = Obj({ comments: Type.Array(AlertCommentSchema) }, { title: 'AlertComments' });
export type AlertComments = Body<typeof AlertCommentsSchema>;

/** Each alert of a bulk assignment: the alert after it, or why it was not assigned. */
export const BulkAssignResultSchema = Obj(
  {
    results: Type.Array(
      Obj({
        id: Type.String(),
        ok: Type.Boolean(),
        alert: Type.Optional(AlertSchema),
        error: Type.Optional(Obj({ code: Type.String(), message: Type.String() })),
      }),
    ),
  },
  { title: 'BulkAssignResult' },
);
export type BulkAssignResult = Body<typeof BulkAssignResultSchema>;

/** Staff as the assignment picker lists them. */
export const StaffMemberSchema = Obj(
  { id: Type.String(), email: Type.String(), role: literals(['viewer', 'analyst', 'admin']), canOwnAlerts: Type.Boolean() },
  { title: 'StaffMember' },
);
export type StaffMember = Body<typeof StaffMemberSchema>;
export const StaffSchema = Obj({ staff: Type.Array(StaffMemberSchema) }, { title: 'Staff' });

const DurationsSchema = Obj({
  count: Type.Integer(),
  medianMs: Nullable(Type.Number({ description: 'Nearest-rank median; null without alerts.' })),
  p90Ms: Nullable(Type.Number({ description: 'Nearest-rank 90th percentile; null without alerts.' })),
});
const HandlingProperties = {
  toAcknowledge: DurationsSchema,
  toResolve: DurationsSchema,
};
export const HandlingFiguresSchema = Obj(HandlingProperties);
export type HandlingFigures = Body<typeof HandlingFiguresSchema>;
export const TeamPeriodSchema = Obj({
  days: Type.Integer(),
  from: IsoTime,
  to: IsoTime,
  all: HandlingFiguresSchema,
  byOwner: Type.Array(Obj({ owner: Nullable(AlertOwnerSchema), ...HandlingProperties })),
  byRule: Type.Array(Obj({ ruleId: Type.String(), ...HandlingProperties })),
});
export type TeamPeriod = Body<typeof TeamPeriodSchema>;
export const TeamFiguresSchema = Obj({ periods: Type.Array(TeamPeriodSchema) }, { title: 'TeamFigures' });
export type TeamFigures = Body<typeof TeamFiguresSchema>;

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
