import { Type } from '@sinclair/typebox';
import { type Body, IsoTime, NextCursor, Nullable, Obj } from './common.js';

/** One reason a scored login stood out: a feature's share of its isolation. */
export const LoginReasonSchema = Obj({
  feature: Type.String(),
  contribution: Type.Number(),
  value: Type.Number(),
  detail: Type.String(),
});
export type LoginReason = Body<typeof LoginReasonSchema>;

export const ScoredLoginRowSchema = Obj({
  line: Type.Integer(),
  user: Type.String(),
  timestamp: IsoTime,
  anomaly_score: Type.Number(),
  anomaly_flag: Type.Union([Type.Literal(0), Type.Literal(1)]),
  reasons: Type.Array(LoginReasonSchema),
});
export type ScoredLoginRow = Body<typeof ScoredLoginRowSchema>;

export const LoginUploadResultSchema = Obj(
  {
    uploadId: Type.String(),
    rows: Type.Integer(),
    flagged: Type.Integer(),
    threshold: Type.Number(),
    contamination: Type.Union([Type.Literal('auto'), Type.Number()]),
    stored: Obj({ new: Type.Integer(), alreadyStored: Type.Integer() }),
    emailed: Type.Integer(),
    columns: Obj({
      mapped: Type.Record(Type.String(), Type.String()),
      numeric: Type.Array(Type.String()),
      categorical: Type.Array(Type.String()),
      features: Type.Array(Type.String()),
    }),
    results: Type.Array(ScoredLoginRowSchema),
  },
  { title: 'LoginUploadResult' },
);
export type LoginUploadResult = Body<typeof LoginUploadResultSchema>;

export const StoredFlaggedLoginSchema = Obj(
  {
    id: Type.String(),
    uploadId: Type.String(),
    line: Type.Integer(),
    user: Type.String(),
    timestamp: IsoTime,
    ip: Nullable(Type.String()),
    location: Nullable(Type.String()),
    device: Nullable(Type.String()),
    anomaly_score: Type.Number(),
    threshold: Type.Number(),
    reasons: Type.Array(LoginReasonSchema),
    row: Type.Record(Type.String(), Type.String()),
    flaggedAt: IsoTime,
  },
  { title: 'StoredFlaggedLogin' },
);
export type StoredFlaggedLogin = Body<typeof StoredFlaggedLoginSchema>;
export const FlaggedLoginsPageSchema = Obj(
  { logins: Type.Array(StoredFlaggedLoginSchema), nextCursor: NextCursor },
  { title: 'FlaggedLoginsPage' },
);
export type FlaggedLoginsPage = Body<typeof FlaggedLoginsPageSchema>;
