import { Type } from '@sinclair/typebox';
import { AlertSchema } from './alerts.js';
import { type Body, IsoTime, literals, NextCursor, Nullable, Obj } from './common.js';

export const LockScopeSchema = literals(['sensitive', 'full'], {
  description: 'sensitive: money, credentials and 2FA changes are refused; full: everything but logging out.',
});
export type LockScope = Body<typeof LockScopeSchema>;
export const UnlockBySchema = literals(['code', 'password_change', 'admin']);
export type UnlockBy = Body<typeof UnlockBySchema>;

export const HealthReasonSchema = Obj({ factor: Type.String(), impact: Type.Number(), message: Type.String() });
export type HealthReason = Body<typeof HealthReasonSchema>;
export const SuggestionSchema = Obj({
  action: literals(['enable_2fa', 'review_device', 'change_password', 'add_contact', 'unlock_account']),
  why: Type.String(),
});
export type Suggestion = Body<typeof SuggestionSchema>;

const accountProperties = {
  user: Type.String(),
  locked: Type.Boolean(),
  lockScope: Nullable(LockScopeSchema),
  lockedAt: Nullable(IsoTime),
  reason: Nullable(Type.String()),
  alertId: Nullable(Type.String()),
  lockedBy: Nullable(Type.String()),
  unlockBy: Nullable(UnlockBySchema),
  contact: Obj({ email: Type.Optional(Type.String()), phone: Type.Optional(Type.String()) }),
  health: Obj({
    score: Type.Number(),
    reasons: Type.Array(HealthReasonSchema),
    computedAt: Nullable(IsoTime),
  }),
  suggestions: Type.Array(SuggestionSchema),
  unlockCode: Type.Optional(
    Nullable(
      Obj(
        {
          channel: literals(['email', 'sms']),
          sentAt: IsoTime,
          expiresAt: IsoTime,
          valid: Type.Boolean({ description: 'Unused, unexpired and with tries left.' }),
          nextCodeAt: IsoTime,
        },
        {
          title: 'UnlockCode',
          description:
            'One account locked until its owner enters a code: the newest unlock code sent (null: none), and from when another may be asked for.',
        },
      ),
    ),
  ),
};

/** An account: lock state, contact, Security Health and suggestions. */
export const AccountSchema = Obj(accountProperties, { title: 'Account' });
export type Account = Body<typeof AccountSchema>;

/** GET /v1/me: the member's account, and whether the simulator is on (demo mode). */
export const MyAccountSchema = Obj({ ...accountProperties, simulator: Type.Boolean() }, { title: 'MyAccount' });
export type MyAccount = Body<typeof MyAccountSchema>;

export const AccountPageSchema = Obj({ accounts: Type.Array(AccountSchema), nextCursor: NextCursor }, { title: 'AccountPage' });
export type AccountPage = Body<typeof AccountPageSchema>;

/** A one-time code sent (202). */
export const SentCodeSchema = Obj(
  {
    sent: Type.Literal(true),
    channel: literals(['email', 'sms']),
    to: Type.String({ description: 'The destination, masked.' }),
    expiresAt: IsoTime,
  },
  { title: 'SentCode' },
);
export type SentCode = Body<typeof SentCodeSchema>;

export const UnlockedSchema = Obj({ unlocked: Type.Literal(true), account: AccountSchema }, { title: 'Unlocked' });
export const DisputedSchema = Obj({ alert: AlertSchema, account: AccountSchema }, { title: 'Disputed' });
export const ConfirmedSchema = Obj({ confirmed: Type.Literal(true), alert: AlertSchema, account: AccountSchema }, { title: 'Confirmed' });
export type Confirmed = Body<typeof ConfirmedSchema>;
