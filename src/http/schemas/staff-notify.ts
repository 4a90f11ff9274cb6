import { Type } from '@sinclair/typebox';
import { ALERT_TYPES } from '../../domain/vocabulary.js';
import { AttemptProperties, type Body, IsoTime, literals, Nullable, Obj } from './common.js';

export const StaffChannelKindSchema = literals(['slack', 'teams', 'chat'], {
  description:
    '`slack`: a Slack incoming webhook; `teams`: a Microsoft Teams incoming webhook or Workflows URL; `chat`: any URL taking JSON.',
});
export const ChannelSeveritySchema = literals(['low', 'medium', 'high', 'critical']);

/** A staff chat channel, never with its URL (a credential): `urlHint` shows its scheme and host. */
export const StaffChannelSchema = Obj(
  {
    id: Type.String(),
    kind: StaffChannelKindSchema,
    name: Type.String(),
    urlHint: Type.String({ description: 'Scheme and host of the URL; the URL itself is never shown again.' }),
    minSeverity: ChannelSeveritySchema,
    ruleIds: Type.Array(Type.String(), { description: 'Rules whose alerts are posted; empty: every rule.' }),
    alertTypes: Type.Array(literals(ALERT_TYPES), { description: 'Alert types posted; empty: every type.' }),
    perMinute: Type.Integer({ description: 'At most this many alert messages a minute; the rest wait for their group summary.' }),
    groupMinutes: Type.Integer({ description: 'How long alerts of one rule are grouped after the first one is posted.' }),
    active: Type.Boolean(),
    createdAt: IsoTime,
    createdBy: Type.String(),
    disabledAt: Nullable(IsoTime),
  },
  { title: 'StaffChannel' },
);
export type StaffChannel = Body<typeof StaffChannelSchema>;
export const StaffChannelsSchema = Obj({ channels: Type.Array(StaffChannelSchema) }, { title: 'StaffChannels' });

export const StaffMessageSchema = Obj(
  {
    id: Type.String(),
    channelId: Type.String(),
    kind: literals(['alert', 'summary', 'test']),
    alertId: Nullable(Type.String()),
    ...AttemptProperties,
    payload: Type.Unknown({ description: 'The JSON body posted to the channel.' }),
  },
  { title: 'StaffMessage' },
);
export type StaffMessage = Body<typeof StaffMessageSchema>;
export const StaffMessagesSchema = Obj({ messages: Type.Array(StaffMessageSchema) }, { title: 'StaffMessages' });
