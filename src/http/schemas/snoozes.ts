import { Type } from '@sinclair/typebox';
import { type Body, IsoTime, Nullable, Obj } from './common.js';

const ownSnoozeProperties = {
  id: Type.String(),
  rule: Type.String(),
  user: Type.String(),
  until: IsoTime,
  reason: Type.String(),
  active: Type.Boolean({ description: 'In force now: not cancelled and not yet ended.' }),
  createdAt: IsoTime,
  cancelledAt: Nullable(IsoTime),
};

/** A snooze as the member sees it on their own account. */
export const OwnSnoozeSchema = Obj(ownSnoozeProperties, { title: 'OwnSnooze' });
/** A snooze as admins see it: with who set and cancelled it. */
export const SnoozeSchema = Obj(
  { ...ownSnoozeProperties, createdBy: Type.String(), cancelledBy: Nullable(Type.String()) },
  { title: 'Snooze' },
);
/** Either view: the dashboard shows both. */
export type Snooze = Body<typeof OwnSnoozeSchema> & Partial<Pick<Body<typeof SnoozeSchema>, 'createdBy' | 'cancelledBy'>>;

export const SnoozesSchema = Obj({ snoozes: Type.Array(SnoozeSchema) }, { title: 'Snoozes' });
export const OwnSnoozesSchema = Obj(
  { snoozes: Type.Array(OwnSnoozeSchema), rules: Type.Array(Type.String(), { description: 'The rules a member may snooze.' }) },
  { title: 'OwnSnoozes' },
);
export interface SnoozeList {
  readonly snoozes: readonly Snooze[];
  /** GET /v1/me/snoozes: the rules a member may snooze. */
  readonly rules?: readonly string[];
}
