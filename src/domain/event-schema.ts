import { type Static, Type } from '@sinclair/typebox';
import { SEVERITIES } from './severity.js';
import { EVENT_TYPES } from './vocabulary.js';

export type EventType = (typeof EVENT_TYPES)[number];

const text = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, description });

/**
 * The wire format of one event: the single boundary schema from which the TypeScript type, the
 * validator and the OpenAPI document all come. Unknown fields are refused rather than dropped, so a
 * typo such as `userId` is reported instead of silently losing the user.
 */
export const EventInputSchema = Type.Object(
  {
    type: Type.Union(
      EVENT_TYPES.map((t) => Type.Literal(t)),
      { description: 'What happened.' },
    ),
    user: text(256, "The user's id in the client app; for a failed login on an unknown account, the attempted username."),
    id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: '^[A-Za-z0-9._:@-]+$',
        description: 'Idempotency key. The same id sent twice is stored once and answered with the first answer.',
      }),
    ),
    timestamp: Type.Optional(
      Type.String({
        maxLength: 40,
        description:
          'Event time, ISO 8601 / RFC 3339 with a time zone (Z or ±hh:mm). Defaults to the time Vigil receives it. At most 5 minutes in the future.',
        examples: ['2026-11-24T09:30:00Z'],
      }),
    ),
    session: Type.Optional(text(256, 'Session id in the client app.')),
    device: Type.Optional(text(256, "The client's device id or fingerprint.")),
    ip: Type.Optional(Type.String({ maxLength: 45, description: 'IPv4 or IPv6 address of the user.' })),
    userAgent: Type.Optional(Type.String({ maxLength: 1024 })),
    email: Type.Optional(Type.String({ maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' })),
    amount: Type.Optional(Type.Number({ minimum: 0, description: 'Transactions and payments; finite and not negative.' })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Za-z]{3}$', description: 'ISO 4217 code, e.g. EUR.' })),
    merchant: Type.Optional(text(256, 'Merchant or shop section.')),
    paymentMethod: Type.Optional(text(128, 'Payment method, e.g. card_visa_4242 (never a full card number).')),
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'Page views: the path visited.' })),
    attributes: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'Free JSON object, stored as it is (at most 8 KiB and 32 levels deep).' }),
    ),
  },
  { additionalProperties: false, $id: 'EventInput', title: 'EventInput' },
);
export type EventInput = Static<typeof EventInputSchema>;

export const MAX_BATCH_EVENTS = 1000;

export const EventBatchSchema = Type.Object(
  { events: Type.Array(Type.Ref('EventInput'), { maxItems: MAX_BATCH_EVENTS }) },
  { additionalProperties: false, title: 'EventBatch' },
);

export const DECISIONS = ['allow', 'challenge', 'block'] as const;
export type Decision = (typeof DECISIONS)[number];

export const ReasonSchema = Type.Object({
  rule: Type.String(),
  severity: Type.Union(SEVERITIES.map((s) => Type.Literal(s))),
  message: Type.String(),
  evidence: Type.Record(Type.String(), Type.Unknown()),
});
export type Reason = Static<typeof ReasonSchema>;

/**
 * A finding that was recorded but counted for nothing: its rule runs in shadow mode, is snoozed for
 * this account, or an allow-list entry stops it. `ref` names the snooze or list entry.
 */
export const SuppressedReasonSchema = Type.Object({
  rule: Type.String(),
  severity: Type.Union(SEVERITIES.map((s) => Type.Literal(s))),
  message: Type.String(),
  evidence: Type.Record(Type.String(), Type.Unknown()),
  suppressedBy: Type.Union([Type.Literal('shadow'), Type.Literal('snooze'), Type.Literal('allow-list')]),
  ref: Type.Optional(Type.String()),
  subject: Type.Optional(
    Type.Object(
      { kind: Type.Union([Type.Literal('ip'), Type.Literal('device')]), value: Type.String() },
      { description: 'A finding about an IP or a device rather than the account: which one.' },
    ),
  ),
});
export type SuppressedReason = Static<typeof SuppressedReasonSchema>;

/** The answer for one event. Final shape: detection fills in decision, risk, severity and reasons. */
export const EventResultSchema = Type.Object(
  {
    id: Type.String(),
    decision: Type.Union(DECISIONS.map((d) => Type.Literal(d))),
    risk: Type.Integer({ minimum: 0, maximum: 100 }),
    severity: Type.Union(SEVERITIES.map((s) => Type.Literal(s))),
    reasons: Type.Array(ReasonSchema),
    alertId: Type.Optional(Type.String()),
    suppressed: Type.Optional(
      Type.Array(SuppressedReasonSchema, {
        description: 'Findings recorded but not counted: shadow-mode rules, snoozes, allow-list entries.',
      }),
    ),
  },
  { $id: 'EventResult', title: 'EventResult' },
);
export type EventResult = Static<typeof EventResultSchema>;
